"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { Button } from "../ui/button";
import { Alert, Field, Input } from "../ui/field";

export function CreateTeamForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.teams.create.mutationOptions({
      onSuccess: (team) => {
        router.push(`/t/${team.slug}/runs`);
        router.refresh();
      },
    }),
  );
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name });
  }
  return (
    <form onSubmit={submit} className="space-y-4">
      <div>
        <h1 className="text-lg font-semibold text-zinc-900">Create a team</h1>
        <p className="mt-1 text-sm text-zinc-500">
          Runs, agents and reports belong to a team. You will be its owner.
        </p>
      </div>
      <Field label="Team name" htmlFor="team-name">
        <Input
          id="team-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          required
          maxLength={80}
          autoFocus
        />
      </Field>
      {create.error && <Alert>{errorMessage(create.error)}</Alert>}
      <Button type="submit" variant="primary" className="w-full" disabled={!name.trim() || create.isPending}>
        Create team
      </Button>
    </form>
  );
}
