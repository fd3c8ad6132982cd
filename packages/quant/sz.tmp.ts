import { generateCheckpoint, convertCheckpoint } from "./src/index.ts";
import { rm } from "node:fs/promises";
const src = "/tmp/fp4s/kill-src"; await rm(src, {recursive:true, force:true});
const g = await generateCheckpoint({ family: "deepseek-v4", dir: src, routedExperts: 16, layers: 4, shards: 4 });
console.log(g.tensorBytes, g.tensorCount);
for (const kernel of ["ts","cpu"] as const) { const t0=performance.now(); const r = await convertCheckpoint({ src, dst: "/tmp/fp4s/kill-dst-"+kernel, kernel, shardSizeBytes: 1<<20, overwrite: true }); console.log(kernel, r.shards.length, ((performance.now()-t0)/1000).toFixed(2)); }
