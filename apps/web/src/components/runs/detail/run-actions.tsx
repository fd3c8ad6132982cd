"use client";

import { TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../../lib/trpc/react";
import { errorMessage, type RunDetail } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { Button, ButtonLink } from "../../ui/button";
import { Dialog } from "../../ui/dialog";
import { DeleteRunDialog } from "./delete-run-dialog";

/** Cancel (queued or running runs); Retry, Archive and Delete (finished runs): members and owners. */
export function RunActions({ run }: { run: RunDetail }) {
  const trpc = useTRPC();
  const team = useTeam();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const refresh = () => queryClient.invalidateQueries(trpc.runs.pathFilter());
  const cancel = useMutation(trpc.runs.cancel.mutationOptions({ onSettled: refresh }));
  const retry = useMutation(
    trpc.runs.retry.mutationOptions({
      onSuccess: async (next) => {
        await refresh();
        router.push(team.href(`/runs/${next.id}`));
      },
    }),
  );
  const archive = useMutation(trpc.runs.archive.mutationOptions({ onSuccess: refresh }));
  if (!team.canOperate) return null;

  const finished = TERMINAL_RUN_STATUSES.includes(run.status);
  const error = cancel.error ?? retry.error ?? archive.error;
  return (
    <div className="flex flex-wrap items-center gap-2">
      {error && <span className="text-xs text-red-600">{errorMessage(error)}</span>}
      {!finished && (
        <Button
          variant="danger"
          onClick={() => setConfirmCancel(true)}
          disabled={run.cancelRequestedAt !== null || cancel.isPending}
        >
          {run.cancelRequestedAt ? "Cancelling…" : "Cancel run"}
        </Button>
      )}
      {finished && (
        <Button onClick={() => retry.mutate({ teamId: team.id, runId: run.id })} disabled={retry.isPending}>
          {retry.isPending ? "Queueing…" : run.kind === "CONVERT" ? "Retry (resume)" : "Retry"}
        </Button>
      )}
      <ButtonLink href={team.href(`/runs/new?from=${run.id}`)}>Run again with changes</ButtonLink>
      {finished && (
        <Button
          onClick={() =>
            archive.mutate({ teamId: team.id, runIds: [run.id], archived: run.archivedAt === null })
          }
          disabled={archive.isPending}
        >
          {run.archivedAt ? "Restore" : "Archive"}
        </Button>
      )}
      {finished && (
        <Button variant="danger" onClick={() => setConfirmDelete(true)}>
          Delete
        </Button>
      )}
      {finished && <DeleteRunDialog run={run} open={confirmDelete} onClose={() => setConfirmDelete(false)} />}
      {!finished && (
        <Dialog
          open={confirmCancel}
          onClose={() => setConfirmCancel(false)}
          title="Cancel this run?"
          footer={
            <>
              <Button variant="ghost" onClick={() => setConfirmCancel(false)}>
                Keep running
              </Button>
              <Button
                variant="danger"
                onClick={() => {
                  cancel.mutate({ teamId: team.id, runId: run.id });
                  setConfirmCancel(false);
                }}
              >
                Cancel run
              </Button>
            </>
          }
        >
          {run.status === "QUEUED"
            ? "The run has not started; it is removed from the queue."
            : "The agent stops the job (SIGINT, then SIGTERM). Completed output shards are kept, so a retry resumes."}
        </Dialog>
      )}
    </div>
  );
}
