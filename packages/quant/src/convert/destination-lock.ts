/**
 * `fp4kit.lock` in the destination: one conversion at a time writes there. Two runs into one
 * destination would rename shards over each other's and could end with a manifest saying complete
 * over a truncated shard. The lock names its holder (pid, host, start); the holder refreshes its
 * time while it runs. A lock is stale, and taken over, when its process is gone (same host) or
 * when it has not been refreshed for STALE_AFTER_MS (a crashed run elsewhere, or a converter thread
 * ended without its process).
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

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
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

function staleReason(holder: LockHolder | undefined, ageMs: number): string | undefined {
  if (holder === undefined) return "an unreadable lock";
  if (holder.host === hostname() && !processAlive(holder.pid))
    return `the lock of process ${holder.pid}, which is gone`;
  if (ageMs > STALE_AFTER_MS)
    return `the lock of process ${holder.pid} on ${holder.host}, not refreshed for ${Math.round(ageMs / 1000)} s`;
  return undefined;
}

/** Takes the destination's lock (the directory must exist), or refuses naming the holder. */
export async function lockDestination(dst: string): Promise<DestinationLock> {
  const path = join(dst, LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    token: randomUUID(),
  };
  // Written whole under a temporary name, then linked into place: link fails if the lock exists,
  // and a lock is never seen half-written.
  const temporary = `${path}.${me.token}.new`;
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
      const stale = staleReason(existing.holder, existing.ageMs);
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
      const current = await readHolder(path).catch(() => undefined);
      if (current?.holder?.token === me.token) await rm(path, { force: true });
    },
  };
}
