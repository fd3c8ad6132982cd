import {
  type ArtifactKind,
  type LogStream,
  MAX_LOG_LINE_CHARS,
  type MetricValues,
  runDocumentProblem,
} from "@fp4kit/protocol";
import type { RunSpool } from "../spool/run-spool.ts";
import { splitLine, storableText } from "./output-text.ts";

/** Why a job was stopped before it finished. */
export type StopReason = "cancel" | "lease-lost" | "shutdown";

export class JobStoppedError extends Error {
  override name = "JobStoppedError";
  constructor(readonly reason: StopReason) {
    super(`job stopped: ${reason}`);
  }
}

export interface ResolvedPaths {
  source: string;
  dest: string | null;
}

/**
 * What a job runner sees: its job, its confined paths, a signal that fires when it must stop,
 * and the run's outputs. Everything goes to the spool first (then the uploader sends it).
 * Metrics are coalesced to one sample per interval; the last values always get out (`flush`).
 */
export class JobContext {
  private pendingMetrics: MetricValues = {};
  private metricTimer: NodeJS.Timeout | null = null;
  private lastMetricAt = 0;

  constructor(
    readonly spool: RunSpool,
    readonly paths: ResolvedPaths,
    readonly signal: AbortSignal,
    private readonly options: { metricIntervalMs: number; onAppend: () => void },
  ) {}

  get job() {
    return this.spool.job;
  }

  /**
   * Appends output, split into lines (long lines into several, so nothing is refused) and made
   * storable (NUL shown as U+2400; see output-text.ts). Undecodable bytes arrive here already as
   * U+FFFD: the output streams are decoded as UTF-8 with replacement.
   */
  log(text: string, stream: LogStream = "STDOUT"): void {
    const lines = storableText(text)
      .replace(/\r?\n$/, "")
      .split(/\r?\n/);
    for (const piece of lines.flatMap((line) => splitLine(line, MAX_LOG_LINE_CHARS))) {
      this.spool.append({ type: "log", stream, line: piece });
    }
    this.options.onAppend();
  }

  /** A line from the agent itself (what it decided, why it stopped), shown apart from job output. */
  system(text: string): void {
    this.log(text, "SYSTEM");
  }

  metric(values: MetricValues): void {
    Object.assign(this.pendingMetrics, values);
    const wait = this.lastMetricAt + this.options.metricIntervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.metricTimer ??= setTimeout(() => this.flush(), wait);
  }

  /** Writes the coalesced metric sample now, if there is one. */
  flush(): void {
    if (this.metricTimer) clearTimeout(this.metricTimer);
    this.metricTimer = null;
    if (Object.keys(this.pendingMetrics).length === 0) return;
    this.spool.append({ type: "metric", values: this.pendingMetrics });
    this.pendingMetrics = {};
    this.lastMetricAt = Date.now();
    this.options.onAppend();
  }

  /**
   * Spools a result document. One that does not follow its schema is not sent (the server would
   * refuse it); the log says why, and the run goes on to finish without it.
   */
  artifact(kind: ArtifactKind, json: unknown, markdown: string | null): void {
    const document = JSON.parse(JSON.stringify(json));
    const problem = runDocumentProblem(this.job.kind, kind, document);
    if (problem !== null) {
      this.system(`not uploading the ${kind}: ${problem}`);
      return;
    }
    this.spool.putArtifact({ kind, json: document, markdown });
    this.options.onAppend();
  }

  throwIfStopped(): void {
    if (this.signal.aborted) throw new JobStoppedError(this.signal.reason as StopReason);
  }
}

/** What a job runner returns when it completed. */
export interface JobResult {
  inputBytes: number | null;
  outputBytes: number | null;
  summary: Record<string, unknown> | null;
}

export type JobRunner = (ctx: JobContext) => Promise<JobResult>;
