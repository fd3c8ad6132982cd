"use client";

import { TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "../../../lib/trpc/react";
import { errorMessage, type RunDetail } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { Button } from "../../ui/button";
import { Dialog } from "../../ui/dialog";

/** Cancel (queued or running runs) and Retry (finished runs), for members and owners. */
export function RunActions({ run }: { run: RunDetail }) {
  const trpc = useTRPC();
  const team = useTeam();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirmCancel, setConfirmCancel] = useState(false);
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
  if (!team.canOperate) return null;

  const finished = TERMINAL_RUN_STATUSES.includes(run.status);
  const error = cancel.error ?? retry.error;
  return (
    <div className="flex items-center gap-2">
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
