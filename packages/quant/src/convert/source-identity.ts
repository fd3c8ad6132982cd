/**
 * What a conversion's complete shards were made from, per source file: size, modification time,
 * inode and device (how make and rsync decide a file changed) and a hash of its safetensors header.
 * The plan hash covers headers only, so bytes rewritten in place would otherwise go unnoticed, and
 * a resumed run would mix shards of the old source with shards of the new one.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { z } from "zod";
import type { Checkpoint } from "../safetensors/checkpoint.ts";

export const SourceFileSchema = z.object({
  file: z.string(),
  size: z.number().int().nonnegative(),
  /** Nanoseconds, as a decimal string (beyond a double's precision). */
  mtimeNs: z.string(),
  ino: z.string(),
  dev: z.string(),
  headerSha256: z.string(),
});
export type SourceFile = z.infer<typeof SourceFileSchema>;

export async function sourceIdentity(checkpoint: Checkpoint): Promise<SourceFile[]> {
  return Promise.all(
    checkpoint.shards.map(async ({ file, header }) => {
      const s = await stat(checkpoint.shardPath(file), { bigint: true });
      return {
        file,
        size: Number(s.size),
        mtimeNs: s.mtimeNs.toString(),
        ino: s.ino.toString(),
        dev: s.dev.toString(),
        headerSha256: createHash("sha256").update(JSON.stringify(header)).digest("hex"),
      };
    }),
  );
}

/** How the source differs from what was recorded, in words; undefined when it is the same. */
export function sourceChange(
  recorded: readonly SourceFile[],
  now: readonly SourceFile[],
): { file: string; what: string } | undefined {
  const before = new Map(recorded.map((f) => [f.file, f]));
  const change = (file: string, what: string) => ({ file, what: `${file} ${what}` });
  for (const f of now) {
    const was = before.get(f.file);
    if (was === undefined) return change(f.file, "is new");
    if (was.headerSha256 !== f.headerSha256) return change(f.file, "has another header");
    if (was.size !== f.size) return change(f.file, `changed size (${was.size} → ${f.size} bytes)`);
    if (was.ino !== f.ino || was.dev !== f.dev) return change(f.file, "was replaced by another file");
    if (was.mtimeNs !== f.mtimeNs) {
      const time = (ns: string) => new Date(Number(BigInt(ns) / 1_000_000n)).toISOString();
      return change(f.file, `was modified (${time(was.mtimeNs)} → ${time(f.mtimeNs)})`);
    }
    before.delete(f.file);
  }
  const gone = [...before.keys()][0];
  return gone === undefined ? undefined : change(gone, "is gone");
}
