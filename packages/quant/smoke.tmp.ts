import { generateCheckpoint, convertCheckpoint } from "./src/index.ts";
import { rm } from "node:fs/promises";
for (const [family, variant] of [["deepseek-v3","fp8"],["deepseek-v3.2","fp8"],["deepseek-v4","fp8"],["deepseek-v4","mxfp4"]] as const) {
  const src = `/tmp/fp4s/${family}-${variant}`; const dst = `${src}-out`;
  await rm(dst, { recursive: true, force: true });
  const g = await generateCheckpoint({ family, variant, dir: src });
  const t0 = performance.now();
  const r = await convertCheckpoint({ src, dst, shardSizeBytes: 1 << 20, kernel: "cpu" }, { onLog: (l) => console.log("  log:", l) });
  console.log(family, variant, g.tensorBytes, "->", r.outputBytes, r.shards.length, "shards", r.quality.totals, ((performance.now()-t0)/1000).toFixed(2), "s");
}
