import { convertCheckpoint } from "./src/index.ts";
import { rm } from "node:fs/promises";
for (const kernel of ["ts", "cpu"] as const) {
const src = `/tmp/fp4s/deepseek-v3-fp8`; const dst = `${src}-${kernel}`;
await rm(dst, { recursive: true, force: true });
const t0 = performance.now();
await convertCheckpoint({ src, dst, kernel, shardSizeBytes: 1 << 20 });
console.log(kernel, ((performance.now()-t0)/1000).toFixed(2), "s");
}
