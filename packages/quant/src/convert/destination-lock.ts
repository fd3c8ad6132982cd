/**
 * `fp4kit.lock` in the destination: one conversion at a time writes there. Two runs into one
 * destination would rename shards over each other's and could end with a manifest saying complete
 * over a truncated shard. The lock names its holder (pid, host, start); the holder refreshes its
 * time while it runs. A lock is stale, and taken over, when its process is gone (same host) or
 * when it has not been refreshed for STALE_AFTER_MS (a crashed run elsewhere, or a converter thread
 * ended without its process). Whoever runs a conversion in a thread it may end from outside gives
 * the lock's token beforehand and releases it with `releaseDestinationLock` once the thread is
 * gone, so a stopped conversion leaves no lock behind in a process that goes on running.
 */
import { randomUUID } from "node:crypto";
import { link, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ConvertError } from "./errors.ts";

export const LOCK_FILE = "fp4kit.lock";
const REFRESH_MS = 10_000;
const STALE_AFTER_MS = 60_000;

const LockHolderSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  startedAt: z.string(),
  token: z.string(),
});
type LockHolder = z.infer<typeof LockHolderSchema>;

export interface DestinationLock {
  /** Says when a stale lock was taken over (for the run's log). */
  readonly tookOver: string | undefined;
  release(): Promise<void>;
}

/**
 * Whether the lock's process still runs. A process that was killed stays a zombie until its parent
 * reaps it, and a zombie answers `kill(pid, 0)`: a run killed together with its parent (`timeout
 * -s KILL`, a killed shell) is reparented and can wait seconds to be reaped, so Linux's process
 * state is read and a zombie counts as gone.
 */
async function processAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return (await linuxProcessState(pid)) !== "Z";
}

/** The state letter of /proc/<pid>/stat (R, S, D, Z, ...), or undefined where there is no /proc. */
async function linuxProcessState(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // "pid (command) state ...": the command may hold spaces and parentheses, so split after the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

async function readHolder(
  path: string,
): Promise<{ holder: LockHolder | undefined; ageMs: number; ino: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    let holder: LockHolder | undefined;
    try {
      holder = LockHolderSchema.parse(JSON.parse(text));
    } catch {
      holder = undefined;
    }
    return { holder, ageMs: Date.now() - info.mtimeMs, ino: info.ino };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function staleReason(holder: LockHolder | undefined, ageMs: number): Promise<string | undefined> {
  if (holder === undefined) return "an unreadable lock";
  if (holder.host === hostname() && !(await processAlive(holder.pid)))
    return `the lock of process ${holder.pid}, which is gone`;
  if (ageMs > STALE_AFTER_MS)
    return `the lock of process ${holder.pid} on ${holder.host}, not refreshed for ${Math.round(ageMs / 1000)} s`;
  return undefined;
}

/** The name a lock is written under before it is linked into place. */
const temporaryName = (dst: string, token: string) => join(dst, `${LOCK_FILE}.${token}.new`);

/**
 * Takes the destination's lock (the directory must exist), or refuses naming the holder. `token`
 * identifies this conversion's lock (unique per conversion; random unless given).
 */
export async function lockDestination(dst: string, token: string = randomUUID()): Promise<DestinationLock> {
  const path = join(dst, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    token,
  };
  // Written whole under a temporary name, then linked into place: link fails if the lock exists,
  // and a lock is never seen half-written.
  const temporary = temporaryName(dst, token);
  await writeFile(temporary, `${JSON.stringify(me)}\n`);
  let tookOver: string | undefined;
  try {
    for (;;) {
      try {
        await link(temporary, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const existing = await readHolder(path);
      if (existing === undefined) continue; // released meanwhile
      const stale = await staleReason(existing.holder, existing.ageMs);
      if (stale === undefined) {
        const h = existing.holder as LockHolder;
        throw new ConvertError(
          "DESTINATION",
          `${dst} is in use by another conversion (process ${h.pid} on ${h.host}, since ${h.startedAt}): wait for it to end or stop it, or choose another destination (if no conversion runs there, delete ${path})`,
          { file: path },
        );
      }
      // Moved aside and checked before it is deleted: another run taking the stale lock over at
      // the same moment may already have replaced it with its own, which must be put back.
      const aside = `${path}.${me.token}.stale`;
      try {
        await rename(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      const moved = await readHolder(aside);
      if (moved?.ino === existing.ino) tookOver = `took over ${stale} (${path})`;
      else await link(aside, path).catch(() => undefined);
      await rm(aside, { force: true });
    }
  } finally {
    await rm(temporary, { force: true });
  }
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, REFRESH_MS);
  refresh.unref();
  return {
    tookOver,
    async release() {
      clearInterval(refresh);
      await releaseDestinationLock(dst, token);
    },
  };
}

/**
 * Removes the destination's lock if it is the one taken with `token`, and that conversion's
 * half-taken lock file; never another conversion's lock. For a conversion whose thread was ended
 * before it could release its lock itself.
 */
export async function releaseDestinationLock(dst: string, token: string): Promise<void> {
  const path = join(dst, LOCK_FILE);
  const current = await readHolder(path).catch(() => undefined);
  if (current?.holder?.token === token) await rm(path, { force: true });
  await rm(temporaryName(dst, token), { force: true });
}
