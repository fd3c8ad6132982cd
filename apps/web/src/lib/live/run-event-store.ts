import type { LogStream, MetricValues, RunEvent } from "@fp4kit/protocol";

export interface LogEntry {
  /** 1-based position among the run's log lines: the number shown and used in permalinks. */
  lineNo: number;
  seq: number;
  ts: string;
  stream: LogStream;
  line: string;
}

export interface MetricEntry extends MetricValues {
  seq: number;
  /** Seconds since the run's first metric sample. */
  t: number;
}

/**
 * A run's events as received so far. Logs can reach 10^5 lines, so appends mutate arrays in place and
 * readers re-render on `version` (useSyncExternalStore) instead of copying the arrays each time.
 */
export class RunEventStore {
  readonly logs: LogEntry[] = [];
  readonly metrics: MetricEntry[] = [];
  /** Highest seq received: where a re-subscription resumes, and what makes duplicates no-ops. */
  lastSeq = 0;
  version = 0;
  private firstMetricMs: number | null = null;
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;

  append(events: readonly RunEvent[]): void {
    let changed = false;
    for (const event of events) {
      if (event.seq <= this.lastSeq) continue;
      this.lastSeq = event.seq;
      changed = true;
      if (event.type === "log") {
        this.logs.push({
          lineNo: this.logs.length + 1,
          seq: event.seq,
          ts: event.ts,
          stream: event.stream,
          line: event.line,
        });
      } else {
        const ms = Date.parse(event.ts);
        this.firstMetricMs ??= ms;
        this.metrics.push({ ...event.values, seq: event.seq, t: (ms - this.firstMetricMs) / 1000 });
      }
    }
    if (changed) this.scheduleNotify();
  }

  /** The latest value of each metric field (progress, ETA, throughput...) across samples. */
  latestMetrics(): MetricValues {
    const latest: MetricValues = {};
    for (const { seq: _seq, t: _t, ...values } of this.metrics) Object.assign(latest, values);
    return latest;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  /** One re-render per animation frame however many socket messages arrived in it. */
  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    const flush = () => {
      this.notifyScheduled = false;
      this.version++;
      for (const listener of this.listeners) listener();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(flush);
    else queueMicrotask(flush);
  }
}
