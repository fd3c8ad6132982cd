/**
 * Progress of a conversion as events the CLI draws and the agent forwards as run metrics. Field
 * names follow @fp4kit/protocol's MetricValuesSchema. Byte counts are positions in the whole job:
 * a resumed run starts at `bytesResumed` (the source bytes of shards already complete).
 */
import type { MetricValues } from "@fp4kit/protocol";
import type { OutputUnit } from "./output-layout.ts";

export interface ConvertProgressEvent
  extends Required<
    Pick<
      MetricValues,
      | "progress"
      | "tensorsDone"
      | "tensorsTotal"
      | "bytesRead"
      | "bytesWritten"
      | "throughputBytesPerSec"
      | "etaSeconds"
    >
  > {
  type: "start" | "tensor" | "shard" | "warning" | "done";
  /** Source tensor bytes of the whole job. */
  bytesTotal: number;
  /** Source bytes already converted when this run started (complete shards kept). */
  bytesResumed: number;
  /** Output bytes so far, complete shards from earlier runs included. */
  outputBytes: number;
  /** The shard being written (or just completed / kept, for "shard" events); absent when none. */
  currentShard?: string;
  /** "warning": the text; "shard": "written" or "kept from an earlier run". */
  message?: string;
}

const TENSOR_EVENT_INTERVAL_MS = 200;

export class ProgressTracker {
  private bytesRead = 0;
  private bytesResumed = 0;
  private tensorsDone = 0;
  private outputBytes = 0;
  private currentShard: string | null = null;
  private started = performance.now();
  private lastTensorEvent = -Infinity;

  constructor(
    private readonly totals: { bytes: number; tensors: number },
    private readonly emit: (event: ConvertProgressEvent) => void,
  ) {}

  /** A shard kept from an earlier run counts as done before this run's clock starts. */
  resumed(shard: { sourceBytes: number; tensors: number; outputBytes: number }): void {
    this.bytesResumed += shard.sourceBytes;
    this.bytesRead += shard.sourceBytes;
    this.tensorsDone += shard.tensors;
    this.outputBytes += shard.outputBytes;
  }

  start(): void {
    this.started = performance.now();
    this.send("start");
  }

  shardStarted(file: string): void {
    this.currentShard = file;
  }

  unitWritten(unit: OutputUnit): void {
    this.bytesRead += unit.sourceBytes;
    this.tensorsDone += unit.sources.length;
    this.outputBytes += unit.outputBytes;
    const now = performance.now();
    if (now - this.lastTensorEvent >= TENSOR_EVENT_INTERVAL_MS) {
      this.lastTensorEvent = now;
      this.send("tensor");
    }
  }

  shardFinished(file: string, message: string): void {
    this.currentShard = file;
    this.send("shard", message);
  }

  warning(message: string): void {
    this.send("warning", message);
  }

  done(): void {
    this.currentShard = null;
    this.send("done");
  }

  /** Source bytes per second converted by this run (resumed shards excluded). */
  get throughput(): number {
    const seconds = (performance.now() - this.started) / 1000;
    return seconds > 0 ? (this.bytesRead - this.bytesResumed) / seconds : 0;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  private send(type: ConvertProgressEvent["type"], message?: string): void {
    const throughput = this.throughput;
    const remaining = Math.max(0, this.totals.bytes - this.bytesRead);
    this.emit({
      type,
      progress: this.totals.bytes === 0 ? 1 : Math.min(1, this.bytesRead / this.totals.bytes),
      tensorsDone: this.tensorsDone,
      tensorsTotal: this.totals.tensors,
      bytesRead: this.bytesRead,
      bytesTotal: this.totals.bytes,
      bytesResumed: this.bytesResumed,
      bytesWritten: this.outputBytes,
      outputBytes: this.outputBytes,
      throughputBytesPerSec: throughput,
      etaSeconds: throughput > 0 ? remaining / throughput : 0,
      ...(this.currentShard === null ? {} : { currentShard: this.currentShard }),
      ...(message === undefined ? {} : { message }),
    });
  }
}
