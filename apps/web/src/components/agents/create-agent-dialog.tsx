"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { useTeam } from "../shell/team-context";
import { Button } from "../ui/button";
import { Dialog } from "../ui/dialog";
import { Alert, Field, Input } from "../ui/field";

/** Names the agent, then shows its token exactly once with the command that starts it. */
export function CreateAgentDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const team = useTeam();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [copied, setCopied] = useState(false);
  const create = useMutation(
    trpc.agents.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.agents.list.pathFilter()),
    }),
  );
  const token = create.data?.token;
  const command = token
    ? `FP4KIT_TOKEN=${token} fp4kit-agent --server ${window.location.origin} --root /data`
    : "";

  function close() {
    create.reset();
    setName("");
    setCopied(false);
    onClose();
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ teamId: team.id, name });
  }
  async function copy() {
    await navigator.clipboard?.writeText(token ?? "");
    setCopied(true);
  }

  return (
    <Dialog
      open={open}
      onClose={close}
      title={token ? `Agent "${create.data?.agent.name}" created` : "New agent"}
      footer={
        token ? (
          <Button variant="primary" onClick={close}>
            I saved the token
          </Button>
        ) : (
          <>
            <Button variant="ghost" onClick={close}>
              Cancel
            </Button>
            <Button
              variant="primary"
              type="submit"
              form="create-agent"
              disabled={!name.trim() || create.isPending}
            >
              Create token
            </Button>
          </>
        )
      }
    >
      {token ? (
        <div className="space-y-3">
          <Alert tone="amber">This token is shown only once. Store it now: only its hash is kept.</Alert>
          <div>
            <div className="mb-1 text-xs font-medium text-zinc-500">Token</div>
            <div className="flex items-center gap-2">
              <code
                className="block flex-1 truncate rounded-md bg-zinc-100 px-3 py-2 font-mono text-xs text-zinc-900"
                data-testid="agent-token"
              >
                {token}
              </code>
              <Button size="sm" onClick={copy}>
                {copied ? "Copied" : "Copy"}
              </Button>
            </div>
          </div>
          <div>
            <div className="mb-1 text-xs font-medium text-zinc-500">
              Start the agent on the GPU host (from a checkout of fp4kit)
            </div>
            <pre className="rounded-md bg-zinc-950 px-3 py-2 font-mono text-[11px] break-all whitespace-pre-wrap text-zinc-100">
              {command}
            </pre>
          </div>
        </div>
      ) : (
        <form id="create-agent" onSubmit={submit} className="space-y-3">
          <Field label="Name" htmlFor="agent-name" hint="Usually the GPU host's name, e.g. b200-node-01.">
            <Input
              id="agent-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoFocus
              maxLength={80}
            />
          </Field>
          {create.error && <Alert>{errorMessage(create.error)}</Alert>}
        </form>
      )}
    </Dialog>
  );
}
