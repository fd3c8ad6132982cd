import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { labelled } from "./log.ts";

/** How long a child may take to shut down after SIGTERM before its whole group is killed. */
const STOP_GRACE_MS = 30_000;
/** How long leftovers in its process group get after the child itself exited. */
const LEFTOVER_GRACE_MS = 5_000;
const POLL_MS = 100;

export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

export type ManagedChild = {
  readonly pid: number;
  /** Settles when the child process itself has exited. */
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM, wait, then make sure nothing of its process group is left (SIGKILL if need be). */
  stop(): Promise<void>;
  /** SIGKILL to the whole process group, now. */
  kill(): void;
};

function forwardLines(stream: Readable | null, label: string, out: NodeJS.WriteStream): void {
  if (!stream) return;
  createInterface({ input: stream }).on("line", (line) => out.write(`${labelled(label, line)}\n`));
}

/** Whether any process of the group is alive (signal 0 checks without sending anything). */
export function groupIsAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // The group is already gone.
  }
}

async function groupGone(pgid: number, withinMs: number): Promise<boolean> {
  for (let waited = 0; waited < withinMs; waited += POLL_MS) {
    if (!groupIsAlive(pgid)) return true;
    await sleep(POLL_MS);
  }
  return !groupIsAlive(pgid);
}

function exitOf(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
    } else {
      child.once("exit", (code, signal) => resolve({ code, signal }));
    }
  });
}

/**
 * Starts a command as the leader of a new process group (so the terminal's Ctrl-C reaches only
 * `npm start`, which stops children in order), with its output labelled line by line.
 */
export function startChild(
  label: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): ManagedChild {
  const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) throw new Error(`could not start ${label}: ${command}`);
  const pid = child.pid;
  forwardLines(child.stdout, label, process.stdout);
  forwardLines(child.stderr, label, process.stderr);
  const exited = exitOf(child);
  let stopping: Promise<void> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_GRACE_MS, true)]);
        if (timedOut) signalGroup(pid, "SIGKILL");
        await exited;
      }
      if (groupIsAlive(pid)) {
        signalGroup(pid, "SIGTERM");
        if (!(await groupGone(pid, LEFTOVER_GRACE_MS))) signalGroup(pid, "SIGKILL");
      }
    })();
    return stopping;
  };
  return { pid, exited, stop, kill: () => signalGroup(pid, "SIGKILL") };
}
