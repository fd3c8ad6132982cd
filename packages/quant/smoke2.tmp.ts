import { convertCheckpoint } from "./src/index.ts";
import { rm } from "node:fs/promises";
const src = `/tmp/fp4s/deepseek-v4-fp8`; const dst = `${src}-mo`;
await rm(dst, { recursive: true, force: true });
try { await convertCheckpoint({ src, dst, format: "modelopt" }); } catch (e) { console.log("expected error:", (e as Error).message); }
const r = await convertCheckpoint({ src, dst, format: "modelopt", inputScale: 0.01 }, { onLog: (l) => console.log("log:", l), onProgress: (e) => e.type !== "tensor" && console.log(e.type, e.message ?? "", e.tensorsDone, e.bytesRead) });
console.log(r.summary);
