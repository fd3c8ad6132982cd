import { type ChildProcessByStdio, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

export interface Grace {
  interruptMs: number;
  terminateMs: number;
}

/**
 * Starts `command` without a shell as the leader of a new process group (detached), so that the
 * whole tree it spawns can be signalled at once with kill(-pgid).
 */
export function spawnGroup(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(command, args, {
    detached: true,
    shell: false,
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env,
    cwd: options.cwd,
  });
}

interface ProcStat {
  pid: number;
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
    return { pid, state: fields[0] ?? "?", pgrp: Number(fields[2]), startTime: fields[19] ?? "" };
  } catch {
    return null;
  }
}

/** Start time of a process, to recognise it later even if its pid is reused; null without /proc. */
export function processStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null;
}

const hasProc = (() => {
  try {
    readdirSync("/proc/self");
    return true;
  } catch {
    return false;
  }
})();

/**
 * Live (non-zombie) members of a process group. With /proc, zombies are left out: an exited
 * grandchild that its reaper has not collected yet still answers kill(0) but no longer runs.
 */
export function groupMembers(pgid: number): number[] {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM" ? [pgid] : [];
    }
  }
  const members: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (stat && stat.pgrp === pgid && stat.state !== "Z") members.push(pid);
  }
  return members;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

async function waitUntilGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(100, Math.max(1, deadline - Date.now())));
  }
}

/**
 * Stops a whole process group: SIGINT (Python's KeyboardInterrupt: scripts can save state and
 * exit), then SIGTERM after `interruptMs`, then SIGKILL after `terminateMs`. Resolves with the
 * signal that ended it once no member is left.
 */
export async function stopGroup(
  pgid: number,
  grace: Grace,
): Promise<"SIGINT" | "SIGTERM" | "SIGKILL" | "none"> {
  if (groupMembers(pgid).length === 0) return "none";
  signalGroup(pgid, "SIGINT");
  if (await waitUntilGone(pgid, grace.interruptMs)) return "SIGINT";
  signalGroup(pgid, "SIGTERM");
  if (await waitUntilGone(pgid, grace.terminateMs)) return "SIGTERM";
  signalGroup(pgid, "SIGKILL");
  await waitUntilGone(pgid, 5_000);
  return "SIGKILL";
}

/** Kills the group a previous agent process left running, if it is still that same process. */
export function killLeftoverGroup(pgid: number, startTime: string | null): boolean {
  const leader = readStat(pgid);
  if (hasProc && leader && startTime !== null && leader.startTime !== startTime) return false; // pid reused
  if (groupMembers(pgid).length === 0) return false;
  signalGroup(pgid, "SIGKILL");
  return true;
}
