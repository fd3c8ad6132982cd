import { type ChildProcessByStdio, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { SpooledProcess } from "../spool/run-spool.ts";

export interface Grace {
  interruptMs: number;
  terminateMs: number;
}

/** Set in the environment of a job's first process; every descendant inherits it unless it clears its environment. */
export const JOB_MARKER_VARIABLE = "FP4KIT_JOB";

const POLL_MS = 100;

const hasProc = (() => {
  try {
    readdirSync("/proc/self");
    return true;
  } catch {
    return false;
  }
})();

/** Whether any process of the group is alive (without /proc: signal 0 checks without sending). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface ProcStat {
  state: string;
  pgrp: number;
  startTime: string;
}

/** Parses /proc/<pid>/stat; the command name (field 2) may contain spaces and parentheses. */
function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    // After the name: state(3) ppid(4) pgrp(5) ... starttime(22)
    return { state: fields[0] ?? "?", pgrp: Number(fields[2]), startTime: fields[19] ?? "" };
  } catch {
    return null;
  }
}

function hasMarker(pid: number, entry: Buffer | null): boolean {
  if (entry === null) return false;
  try {
    return readFileSync(`/proc/${pid}/environ`).includes(entry);
  } catch {
    return false; // gone, or another user's process: not one of ours either way
  }
}

/** The cgroup v2 hierarchy's mount point, from this process's mount table. */
function cgroup2Mount(): string | null {
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const [mountFields, fsFields] = line.split(" - ");
    if (fsFields?.split(" ")[0] === "cgroup2") return mountFields?.split(" ")[4] ?? null;
  }
  return null;
}

/**
 * A new cgroup v2 beside nothing else, below the agent's own, or null where the host does not
 * let the agent create one (no cgroup v2, no delegation, read-only /sys/fs/cgroup).
 */
function createCgroup(name: string): string | null {
  try {
    const own = readFileSync("/proc/self/cgroup", "utf8")
      .split("\n")
      .find((line) => line.startsWith("0::"))
      ?.slice(3);
    const mount = cgroup2Mount();
    if (own === undefined || mount === null) return null;
    const dir = join(mount, own, name);
    mkdirSync(dir);
    return dir;
  } catch {
    return null;
  }
}

/** Whether this host lets the agent put jobs in cgroups of their own (creates and removes one). */
export function jobCgroupsAvailable(): boolean {
  const dir = createCgroup(`fp4kit-probe-${randomBytes(4).toString("hex")}`);
  if (dir) rmdirSync(dir);
  return dir !== null;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone since it was listed.
  }
}

export type StopSignal = "SIGINT" | "SIGTERM" | "SIGKILL" | "none";

/**
 * Every process a job starts, wherever it goes. The first process leads a new process group and
 * carries a marker in its environment that its descendants inherit, so those that leave the group
 * (setsid, double forks) are still found through /proc/<pid>/environ. Where the host lets the
 * agent create a cgroup v2, the first process is also moved into one of its own, which no
 * descendant can leave even with a cleared environment, and which the kernel kills at once.
 */
export class JobProcesses {
  private readonly markerEntry: Buffer | null;

  private constructor(readonly record: SpooledProcess) {
    this.markerEntry =
      record.marker === null ? null : Buffer.from(`${JOB_MARKER_VARIABLE}=${record.marker}\0`);
  }

  /**
   * Starts `command` without a shell. It is moved into its cgroup right after the exec, before
   * anything it runs can fork: a fork in that instant would still carry the marker.
   */
  static spawn(
    command: string,
    args: readonly string[],
    options: { env: NodeJS.ProcessEnv; cwd?: string; runId: string; cgroups: boolean },
  ): { child: ChildProcessByStdio<null, Readable, Readable>; processes: JobProcesses } {
    const marker = `${options.runId}.${randomBytes(6).toString("hex")}`;
    const child = spawn(command, args, {
      detached: true,
      shell: false,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...options.env, [JOB_MARKER_VARIABLE]: marker },
      cwd: options.cwd,
    });
    const pid = child.pid ?? 0;
    let cgroup = options.cgroups && pid > 0 ? createCgroup(`fp4kit-job-${marker}`) : null;
    if (cgroup) {
      try {
        writeFileSync(join(cgroup, "cgroup.procs"), String(pid));
      } catch {
        rmdirSync(cgroup);
        cgroup = null;
      }
    }
    const startTime = pid > 0 ? (readStat(pid)?.startTime ?? null) : null;
    return { child, processes: new JobProcesses({ pgid: pid, startTime, marker, cgroup }) };
  }

  /** The processes of a job a previous agent process started (from its spool). */
  static adopt(record: SpooledProcess): JobProcesses {
    return new JobProcesses(record);
  }

  /** How this job's processes are tracked, for its log. */
  describe(): string {
    const { pgid, marker, cgroup } = this.record;
    const found = `process group ${pgid}, and every process with ${JOB_MARKER_VARIABLE}=${marker} in its environment`;
    return cgroup
      ? `tracking the job's processes: cgroup ${cgroup}, ${found}`
      : `tracking the job's processes: ${found} (no cgroup v2 may be created here)`;
  }

  /** The group is the job's unless its leader is alive with another start time (pid reused). */
  private groupIsOurs(): boolean {
    const leader = readStat(this.record.pgid);
    return !leader || this.record.startTime === null || leader.startTime === this.record.startTime;
  }

  /** Live (non-zombie) processes of the job. */
  members(): number[] {
    const { pgid, cgroup } = this.record;
    const groupIsOurs = this.groupIsOurs();
    if (!hasProc) return groupIsOurs && groupAlive(pgid) ? [pgid] : [];
    const inCgroup = new Set<number>();
    if (cgroup) {
      try {
        for (const line of readFileSync(join(cgroup, "cgroup.procs"), "utf8").split("\n")) {
          if (line) inCgroup.add(Number(line));
        }
      } catch {
        // Removed: nothing left in it.
      }
    }
    const members: number[] = [];
    for (const entry of readdirSync("/proc")) {
      const pid = Number(entry);
      if (!Number.isInteger(pid) || pid === process.pid) continue;
      const stat = readStat(pid);
      if (!stat || stat.state === "Z") continue;
      if (inCgroup.has(pid) || (groupIsOurs && stat.pgrp === pgid) || hasMarker(pid, this.markerEntry)) {
        members.push(pid);
      }
    }
    return members;
  }

  /** Sends `sig` to every member (and the group, for what starts in between); the pids signalled. */
  private signalAll(sig: NodeJS.Signals, already: Set<number> = new Set()): Set<number> {
    const members = this.members();
    if (sig === "SIGKILL" && this.record.cgroup) {
      try {
        writeFileSync(join(this.record.cgroup, "cgroup.kill"), "1");
      } catch {
        // Kernels before 5.14 have no cgroup.kill: the members are killed one by one below.
      }
    }
    if (this.groupIsOurs()) signal(-this.record.pgid, sig);
    for (const pid of members) if (!already.has(pid)) signal(pid, sig);
    return new Set([...already, ...members]);
  }

  /** Signals newcomers with `sig` until no member is left or `timeoutMs` passed; true when none is left. */
  private async waitUntilGone(
    sig: NodeJS.Signals,
    signalled: Set<number>,
    timeoutMs: number,
  ): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.members().length === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
      signalled = this.signalAll(sig, signalled);
    }
  }

  /**
   * Stops every process of the job: SIGINT (Python's KeyboardInterrupt: scripts can save state and
   * exit), then SIGTERM after `interruptMs`, then SIGKILL after `terminateMs`. Resolves with the
   * signal that ended the last of them once none is left.
   */
  async stop(grace: Grace): Promise<StopSignal> {
    if (this.members().length === 0) return "none";
    if (await this.waitUntilGone("SIGINT", this.signalAll("SIGINT"), grace.interruptMs)) return "SIGINT";
    if (await this.waitUntilGone("SIGTERM", this.signalAll("SIGTERM"), grace.terminateMs)) return "SIGTERM";
    await this.killAll();
    return "SIGKILL";
  }

  /** SIGKILL to whatever is left of the job (a previous agent process's leftovers); true if anything was. */
  async kill(): Promise<boolean> {
    if (this.members().length === 0) return false;
    await this.killAll();
    return true;
  }

  /** SIGKILL to every member, again and again: a process that forks as fast as it can is still caught. */
  private async killAll(): Promise<void> {
    for (let round = 0; round < 50 && this.members().length > 0; round++) {
      this.signalAll("SIGKILL");
      await sleep(POLL_MS);
    }
  }

  /** Removes the job's cgroup once it is empty (a cgroup that still has processes stays). */
  release(): void {
    if (!this.record.cgroup) return;
    try {
      rmdirSync(this.record.cgroup);
    } catch {
      // Not empty, or already removed.
    }
  }
}
