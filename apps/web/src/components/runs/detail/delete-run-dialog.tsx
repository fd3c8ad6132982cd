"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { formatBytes, formatNumber } from "../../../lib/format";
import { useTRPC } from "../../../lib/trpc/react";
import { errorMessage, type RunDetail } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { Button } from "../../ui/button";
import { Dialog } from "../../ui/dialog";

/**
 * Deletes a finished run's record. Its output folder stays unless the user ticks the box: then the
 * agent that wrote it measures it, the dialog names the path and size, and deleting asks that agent
 * to remove exactly that (it refuses if the folder changed size meanwhile).
 */
export function DeleteRunDialog({
  run,
  open,
  onClose,
}: {
  run: RunDetail;
  open: boolean;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const team = useTeam();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [withOutput, setWithOutput] = useState(false);
  const canRemoveOutput = run.destPath !== null && run.agent !== null;
  const folder = useQuery({
    ...trpc.runs.outputFolder.queryOptions({ teamId: team.id, runId: run.id }),
    enabled: open && withOutput,
    retry: false,
    staleTime: 0,
    gcTime: 0,
  });
  const remove = useMutation(
    trpc.runs.delete.mutationOptions({
      onSuccess: async () => {
        onClose();
        router.push(team.href("/runs"));
        await queryClient.invalidateQueries(trpc.runs.pathFilter());
      },
    }),
  );
  const close = () => {
    setWithOutput(false);
    remove.reset();
    onClose();
  };
  const measured = withOutput ? folder.data : undefined;
  const confirm = () =>
    remove.mutate({
      teamId: team.id,
      runIds: [run.id],
      ...(measured ? { removeOutput: { confirmedBytes: measured.sizeBytes } } : {}),
    });

  return (
    <Dialog
      open={open}
      onClose={close}
      title="Delete this run?"
      footer={
        <>
          <Button variant="ghost" onClick={close}>
            Keep
          </Button>
          <Button variant="danger" onClick={confirm} disabled={remove.isPending || (withOutput && !measured)}>
            {measured?.exists
              ? `Delete record and ${formatBytes(measured.sizeBytes)} of files`
              : "Delete record"}
          </Button>
        </>
      }
    >
      <p>Its settings, log, metrics and reports are deleted for everyone in the team.</p>
      {run.destPath === null && <p className="mt-2">It wrote no files.</p>}
      {run.destPath !== null && !withOutput && (
        <p className="mt-2">
          The files it wrote under <span className="font-mono text-xs">{run.destPath}</span> stay on the
          agent's disk.
        </p>
      )}
      {canRemoveOutput && (
        <label className="mt-3 flex items-center gap-2 font-medium text-zinc-800">
          <input
            type="checkbox"
            className="size-4 accent-red-600"
            checked={withOutput}
            onChange={(e) => setWithOutput(e.target.checked)}
          />
          Also remove its output folder on {run.agent?.name}
        </label>
      )}
      {withOutput && (
        <div className="mt-2 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-red-900" role="status">
          {folder.isFetching && "Asking the agent for the folder's size…"}
          {folder.error && errorMessage(folder.error)}
          {measured &&
            (measured.exists ? (
              <>
                Removes <span className="font-mono text-xs break-all">{measured.path}</span> on{" "}
                {measured.agentName}: {formatBytes(measured.sizeBytes)} in {formatNumber(measured.fileCount)}{" "}
                {measured.fileCount === 1 ? "file" : "files"}. This cannot be undone.
              </>
            ) : (
              <>
                <span className="font-mono text-xs break-all">{measured.path}</span> no longer exists on{" "}
                {measured.agentName}; only the record is deleted.
              </>
            ))}
        </div>
      )}
      {remove.error && <p className="mt-2 text-xs text-red-600">{errorMessage(remove.error)}</p>}
    </Dialog>
  );
}
