import {
  closeSync,
  existsSync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import {
  type ArtifactKind,
  ArtifactKindSchema,
  type Job,
  JobSchema,
  type RunEvent,
  RunEventSchema,
  RunFinishSchema,
} from "@fp4kit/protocol";
import { z } from "zod";
import { writeFileAtomic } from "./files.ts";

/** How a run ended on this agent: a finish to report, or nothing to report (lease lost). */
export const RunOutcomeSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("finish"), finish: RunFinishSchema }),
  z.object({ type: z.literal("abandon"), reason: z.string() }),
]);
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;

export const PendingArtifactSchema = z.object({
  kind: ArtifactKindSchema,
  json: z.json(),
  markdown: z.string().nullable(),
});
export type PendingArtifact = z.infer<typeof PendingArtifactSchema>;

/** How to find a job's processes, so that a restarted agent can kill what its predecessor left. */
export const SpooledProcessSchema = z.object({
  pgid: z.number().int().positive(),
  /** /proc/<pid>/stat start time: tells the same process from a later one that reused the pid. */
  startTime: z.string().nullable(),
  /** The value of FP4KIT_JOB in the environment of each of its processes (absent in older spools). */
  marker: z.string().nullable().default(null),
  /** Its cgroup v2 folder, where the host let the agent create one. */
  cgroup: z.string().nullable().default(null),
});
export type SpooledProcess = z.infer<typeof SpooledProcessSchema>;

type NewEvent =
  | { type: "log"; stream: "STDOUT" | "STDERR" | "SYSTEM"; line: string }
  | { type: "metric"; values: object };

function parseEventLine(line: string): RunEvent | null {
  try {
    return RunEventSchema.parse(JSON.parse(line));
  } catch {
    return null;
  }
}

const FILES = {
  job: "job.json",
  events: "events.jsonl",
  acked: "acked-seq",
  outcome: "outcome.json",
  process: "process.json",
  starts: "starts",
  artifacts: "artifacts",
} as const;

/**
 * The durable outbox of one run on this agent:
 *   job.json       the job as claimed (to resume it after a restart)
 *   events.jsonl   every log line and metric, one JSON per line, seq 1, 2, 3, ... — written
 *                  before it is sent; fdatasync'd before each upload (one sync per batch)
 *   acked-seq      the highest seq the server confirmed (rewritten atomically)
 *   artifacts/     result documents not yet confirmed
 *   outcome.json   how the run ended, once it did
 *   process.json   how to find the job's processes while it runs
 *   starts         how many times the job was started (more than one after agent restarts)
 * Appends are synchronous writes, so an event survives the agent being killed the moment after.
 */
export class RunSpool {
  private readonly fd: number;
  /** Byte offset of each event's line: offsets[seq - 1]; offsets[lastSeq] is the end of file. */
  private readonly offsets: number[];
  private acked: number;
  private dirty = false;

  private constructor(
    readonly dir: string,
    readonly job: Job,
    fd: number,
    offsets: number[],
    acked: number,
  ) {
    this.fd = fd;
    this.offsets = offsets;
    this.acked = acked;
  }

  get runId(): string {
    return this.job.runId;
  }

  static create(dir: string, job: Job): RunSpool {
    mkdirSync(join(dir, FILES.artifacts), { recursive: true });
    writeFileAtomic(join(dir, FILES.job), JSON.stringify(job));
    writeFileAtomic(join(dir, FILES.acked), String(job.ackedSeq));
    writeFileAtomic(join(dir, FILES.starts), "0");
    const fd = openSync(join(dir, FILES.events), "a+");
    return new RunSpool(dir, job, fd, [0], job.ackedSeq);
  }

  /** Reopens a spooled run; a last line cut short by a crash is dropped (it was never sent). */
  static open(dir: string): RunSpool {
    const job = JobSchema.parse(JSON.parse(readFileSync(join(dir, FILES.job), "utf8")));
    const path = join(dir, FILES.events);
    const content = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    const offsets = [0];
    let start = 0;
    for (;;) {
      const end = content.indexOf(0x0a, start);
      if (end < 0) break;
      const event = parseEventLine(content.subarray(start, end).toString("utf8"));
      if (event?.seq !== offsets.length) break;
      offsets.push(end + 1);
      start = end + 1;
    }
    const fd = openSync(path, "a+");
    const valid = offsets.at(-1) ?? 0;
    if (valid < content.length) ftruncateSync(fd, valid);
    const acked = Number(readFileSync(join(dir, FILES.acked), "utf8")) || 0;
    return new RunSpool(dir, job, fd, offsets, acked);
  }

  get lastSeq(): number {
    return this.offsets.length - 1;
  }

  get ackedSeq(): number {
    return this.acked;
  }

  append(event: NewEvent): RunEvent {
    const full = RunEventSchema.parse({ ...event, seq: this.lastSeq + 1, ts: new Date().toISOString() });
    const line = Buffer.from(`${JSON.stringify(full)}\n`, "utf8");
    const end = this.offsets.at(-1) ?? 0;
    writeSync(this.fd, line, 0, line.length, end);
    this.offsets.push(end + line.length);
    this.dirty = true;
    return full;
  }

  /** Events after `afterSeq`, at most `maxEvents` and about `maxBytes` (at least one event). */
  readBatch(afterSeq: number, maxEvents: number, maxBytes: number): RunEvent[] {
    const first = afterSeq + 1;
    if (first > this.lastSeq) return [];
    let last = first;
    const startOffset = this.offsets[first - 1] ?? 0;
    while (
      last < this.lastSeq &&
      last - first + 1 < maxEvents &&
      (this.offsets[last + 1] ?? 0) - startOffset <= maxBytes
    ) {
      last++;
    }
    const length = (this.offsets[last] ?? 0) - startOffset;
    const buffer = Buffer.alloc(length);
    readSync(this.fd, buffer, 0, length, startOffset);
    return buffer
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => RunEventSchema.parse(JSON.parse(line)));
  }

  /** Makes every appended event durable (called before an upload: one sync per batch). */
  sync(): void {
    if (!this.dirty) return;
    fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /** Records the server's acknowledgement (its word is final, even when lower than before). */
  setAcked(seq: number): void {
    const acked = Math.min(seq, this.lastSeq);
    if (acked === this.acked) return;
    this.acked = acked;
    writeFileAtomic(join(this.dir, FILES.acked), String(this.acked));
  }

  putArtifact(artifact: PendingArtifact): void {
    writeFileAtomic(join(this.dir, FILES.artifacts, `${artifact.kind}.json`), JSON.stringify(artifact));
  }

  pendingArtifacts(): PendingArtifact[] {
    return readdirSync(join(this.dir, FILES.artifacts))
      .filter((f) => f.endsWith(".json"))
      .map((f) =>
        PendingArtifactSchema.parse(JSON.parse(readFileSync(join(this.dir, FILES.artifacts, f), "utf8"))),
      );
  }

  removeArtifact(kind: ArtifactKind): void {
    rmSync(join(this.dir, FILES.artifacts, `${kind}.json`), { force: true });
  }

  setOutcome(outcome: RunOutcome): void {
    this.sync();
    writeFileAtomic(join(this.dir, FILES.outcome), JSON.stringify(outcome));
  }

  outcome(): RunOutcome | null {
    const path = join(this.dir, FILES.outcome);
    return existsSync(path) ? RunOutcomeSchema.parse(JSON.parse(readFileSync(path, "utf8"))) : null;
  }

  /** Counts a start of the job and returns its number (1 for the first). */
  recordStart(): number {
    const path = join(this.dir, FILES.starts);
    // A spool written before starts were counted had its job started once.
    const before = existsSync(path) ? Number(readFileSync(path, "utf8")) || 0 : 1;
    writeFileAtomic(path, String(before + 1));
    return before + 1;
  }

  setProcess(process: SpooledProcess | null): void {
    const path = join(this.dir, FILES.process);
    if (process) writeFileAtomic(path, JSON.stringify(process));
    else rmSync(path, { force: true });
  }

  process(): SpooledProcess | null {
    const path = join(this.dir, FILES.process);
    return existsSync(path) ? SpooledProcessSchema.parse(JSON.parse(readFileSync(path, "utf8"))) : null;
  }

  close(): void {
    closeSync(this.fd);
  }
}
