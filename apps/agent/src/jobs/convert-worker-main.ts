/**
 * The convert job's worker thread: runs @fp4kit/quant's streaming converter and reports in the
 * terms of convert-messages.ts. This is the only module that knows the converter's API.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type ConvertProgressEvent, convertCheckpoint } from "@fp4kit/quant";
import type { ConvertControlMessage, ConvertWorkerInput, ConvertWorkerMessage } from "./convert-messages.ts";

const input = workerData as ConvertWorkerInput;
const port = parentPort;
if (!port) throw new Error("convert-worker-main must run in a worker thread");
const post = (message: ConvertWorkerMessage) => port.postMessage(message);

const abort = new AbortController();
port.on("message", (message: ConvertControlMessage) => {
  if (message.type === "abort") abort.abort();
});

function onProgress(event: ConvertProgressEvent): void {
  post({
    type: "progress",
    values: {
      progress: event.progress,
      bytesRead: event.bytesRead,
      bytesWritten: event.bytesWritten,
      outputBytes: event.outputBytes,
      throughputBytesPerSec: event.throughputBytesPerSec,
      etaSeconds: event.etaSeconds,
      tensorsDone: event.tensorsDone,
      tensorsTotal: event.tensorsTotal,
      ...(event.currentShard === undefined ? {} : { currentShard: event.currentShard }),
    },
  });
  if (event.type === "shard") post({ type: "log", line: `${event.currentShard}: ${event.message}` });
  if (event.type === "warning") post({ type: "log", line: `warning: ${event.message}` });
}

try {
  // A convert into the same destination resumes: the converter keeps shards its manifest lists.
  const result = await convertCheckpoint(
    {
      ...input.options,
      src: input.source,
      dst: input.dest,
      calibrationFile: input.calibrationFile ?? undefined,
    },
    {
      onProgress,
      onLog: (line) => post({ type: "log", line }),
      signal: abort.signal,
      lockToken: input.lockToken,
    },
  );
  post({
    type: "done",
    inputBytes: result.inputBytes,
    outputBytes: result.outputBytes,
    shards: result.shards,
    quality: result.quality,
    qualityMarkdown: result.qualityMarkdown,
    summary: result.summary,
  });
} catch (err) {
  post(abort.signal.aborted ? { type: "stopped" } : { type: "error", message: (err as Error).message });
}
