"use client";

import { Button } from "../../ui/button";
import { Dialog } from "../../ui/dialog";

/** Asks before a conversion with Overwrite on is queued: what it deletes at the destination, what it keeps. */
export function OverwriteDialog({
  destPath,
  onKeep,
  onOverwrite,
}: {
  /** The destination waiting for confirmation; null when nothing waits (the dialog is closed). */
  destPath: string | null;
  onKeep: () => void;
  onOverwrite: () => void;
}) {
  return (
    <Dialog
      open={destPath !== null}
      onClose={onKeep}
      title={`Overwrite ${destPath ?? ""}?`}
      footer={
        <>
          <Button variant="ghost" onClick={onKeep}>
            Keep it
          </Button>
          <Button variant="danger" onClick={onOverwrite}>
            Overwrite and queue
          </Button>
        </>
      }
    >
      <p>
        If <span className="font-mono text-xs">{destPath}</span> holds another conversion or files fp4kit did
        not write, the conversion replaces fp4kit's files there: every{" "}
        <span className="font-mono text-xs">.safetensors</span> shard, the safetensors index,{" "}
        <span className="font-mono text-xs">fp4kit-manifest.json</span> and the{" "}
        <span className="font-mono text-xs">.fp4kit</span> folder are deleted before it writes. Other files
        stay; so does an earlier attempt at this same conversion, which resumes.
      </p>
    </Dialog>
  );
}
