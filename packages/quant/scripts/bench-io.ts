/**
 * Timings for the I/O side of fp4kit (not a test: numbers depend on the machine and disk).
 *   npm run bench:io -w @fp4kit/quant -- [--size 2GB] [--keep]
 * 1. synth of a --size benchmark checkpoint (MB/s, disk-bound by design);
 * 2. inspect of that checkpoint;
 * 3. inspect of a header-scale checkpoint shaped like DeepSeek-V4-Pro (61 layers × 384 experts,
 *    160 shards, tiny tensors): the "finishes in seconds" requirement.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspectCheckpoint } from "../src/inspect/report.ts";
import { generateCheckpoint } from "../src/synthetic/generate.ts";
import { formatBytes, parseByteSize } from "../src/util/bytes.ts";

const args = process.argv.slice(2);
const sizeArg = args[args.indexOf("--size") + 1];
const size = args.includes("--size") && sizeArg !== undefined ? parseByteSize(sizeArg) : 1e9;
const keep = args.includes("--keep");

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${label}: ${((performance.now() - started) / 1000).toFixed(2)} s`);
  return result;
}

const root = await mkdtemp(join(tmpdir(), "fp4kit-bench-"));
try {
  const big = join(root, "bench");
  const started = performance.now();
  const generated = await timed(`synth ${formatBytes(size)} (deepseek-v4)`, () =>
    generateCheckpoint({ family: "deepseek-v4", dir: big, targetBytes: size }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${generated.tensorCount} tensors, ${formatBytes(generated.tensorBytes / seconds)}/s`);
  await timed("inspect bench checkpoint", () => inspectCheckpoint(big));

  const pro = join(root, "pro-scale");
  const proGenerated = await timed("synth V4-Pro-shaped headers (61 layers x 384 experts, 160 shards)", () =>
    generateCheckpoint({
      family: "deepseek-v4",
      dir: pro,
      profile: "micro",
      layers: 61,
      routedExperts: 384,
      shards: 160,
    }),
  );
  console.log(`  ${proGenerated.tensorCount} tensors`);
  const report = await timed("inspect V4-Pro-shaped checkpoint", () => inspectCheckpoint(pro));
  console.log(`  ${report.patterns.length} patterns, ${report.checkpoint.shards.length} shards`);
} finally {
  if (keep) console.log(`kept ${root}`);
  else await rm(root, { recursive: true, force: true });
}
