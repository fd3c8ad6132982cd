import { stat } from "node:fs/promises";
import type { InspectSummary } from "@fp4kit/protocol";
import { inspectCheckpoint, renderInspectMarkdown } from "@fp4kit/quant";
import type { JobRunner } from "./context.ts";

/** INSPECT: in-process (it only reads headers), uploaded as the INSPECT_REPORT artifact. */
export const runInspect: JobRunner = async (ctx) => {
  const info = await stat(ctx.paths.source).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`sourcePath "${ctx.paths.source}" is not a checkpoint folder`);
  ctx.system(`inspecting ${ctx.paths.source}`);
  const report = await inspectCheckpoint(ctx.paths.source);
  ctx.throwIfStopped();
  const { checkpoint, model } = report;
  ctx.log(
    `${model.family}: ${checkpoint.tensorCount} tensors in ${checkpoint.shards.length} shard(s), ${checkpoint.tensorBytes} tensor bytes`,
  );
  ctx.metric({
    progress: 1,
    bytesRead: checkpoint.fileBytes,
    tensorsDone: checkpoint.tensorCount,
    tensorsTotal: checkpoint.tensorCount,
  });
  ctx.artifact("INSPECT_REPORT", report, renderInspectMarkdown(report));
  return {
    inputBytes: checkpoint.fileBytes,
    outputBytes: null,
    summary: {
      family: model.family,
      tensorCount: checkpoint.tensorCount,
      tensorBytes: checkpoint.tensorBytes,
    } satisfies InspectSummary,
  };
};
