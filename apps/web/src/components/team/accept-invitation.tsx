"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { ROLE_LABELS } from "../../lib/roles";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { Button } from "../ui/button";
import { Alert } from "../ui/field";

export function AcceptInvitation({ token }: { token: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const preview = useQuery(trpc.invitations.preview.queryOptions({ token }));
  const accept = useMutation(
    trpc.invitations.accept.mutationOptions({
      onSuccess: (team) => {
        router.push(`/t/${team.slug}/runs`);
        router.refresh();
      },
    }),
  );
  if (preview.error) return <Alert>{errorMessage(preview.error)}</Alert>;
  if (!preview.data) return <p className="text-sm text-zinc-500">Checking the invitation…</p>;
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-lg font-semibold text-zinc-900">Join {preview.data.team.name}</h1>
        <p className="mt-1 text-sm text-zinc-500">
          {preview.data.invitedBy} invited you as {ROLE_LABELS[preview.data.role].toLowerCase()}.
        </p>
      </div>
      {accept.error && <Alert>{errorMessage(accept.error)}</Alert>}
      <Button
        variant="primary"
        className="w-full"
        onClick={() => accept.mutate({ token })}
        disabled={accept.isPending}
      >
        Accept invitation
      </Button>
    </div>
  );
}
