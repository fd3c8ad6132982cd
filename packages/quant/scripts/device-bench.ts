/**
 * The fp4kit CLI plus a CUDA pipeline benchmark, as one self-contained file for the GPU machine
 * (which has no Node toolchain). Bundle: `npm run device:bundle -w @fp4kit/quant`
 * (→ build/device/fp4kit-device.mjs, with the .node addons copied beside it into build/device/native;
 * set FP4KIT_NATIVE_DIR to that folder). bench/gpu-convert-bench.sh drives it on the machine.
 *
 *   node fp4kit-device.mjs <any fp4kit command>            the CLI (convert, synth, ...)
 *   node fp4kit-device.mjs pipeline-bench --gpus 1,2,4 [--rounds 10] [--out DIR]
 *   node fp4kit-device.mjs cancel-stress --dir DIR [--gpus 1] [--cancels 100]
 *
 * pipeline-bench: DeepSeek-V4-shaped FP8 tensors held in (pageable) host memory go through the
 * amax pass and the quantize pass as the converter runs them (the quantize pass runs from the
 * device copy the amax pass kept), with the pipeline's full concurrency, for each GPU count; the
 * old single-GPU host API (synchronous pageable copies, each pass uploading) is timed alongside,
 * and the pipeline again with the tensors and outputs page-locked (DMA straight from and into them).
 * Bytes of both paths, with and without the kept copy, are checked against the C++ CPU kernel. No
 * disk: this is the ceiling of the GPU side of a conversion. Exit code 1 if any byte differs.
 *
 * cancel-stress: conversions with the CUDA pipeline, each in a worker thread as the agent runs
 * them, stopped at random moments: asked to abort (the worker is terminated if it has not stopped
 * within 5 s), or every fourth one terminated outright with kernel calls in flight. The process
 * must live through all of them, and a conversion afterwards must give the bytes of the first.
 * Prints "survived <n>" and exits 0.
 */
import { createHash, randomFillSync } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

// Async pipeline calls each hold a libuv pool thread while their tensor is on the GPU; reads and
// writes of the converter need threads too. Must be set before the pool starts.
process.env.UV_THREADPOOL_SIZE ??= "64";

if (!isMainThread) {
  await cancelStressWorker(workerData as CancelStressJob);
} else if (process.argv[2] === "pipeline-bench") {
  process.exitCode = await pipelineBench();
} else if (process.argv[2] === "cancel-stress") {
  process.exitCode = await cancelStress();
} else {
  process.on("exit", () => {
    console.error(`[fp4kit-device] peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  });
  const { runCli } = await import("../src/cli/main.ts");
  process.exitCode = await runCli(process.argv);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

async function pipelineBench(): Promise<number> {
  const nvfp4 = await import("../src/nvfp4/index.ts");
  const gpuCounts = arg("gpus", "1").split(",").map(Number);
  const rounds = Number(arg("rounds", "10"));
  const outDir = arg("out", ".");
  mkdirSync(outDir, { recursive: true });
  const log = (line: string) => console.log(`[pipeline-bench] ${line}`);

  const cuda = nvfp4.loadCudaAddon();
  if (!cuda.ok) throw new Error(cuda.reason);
  const probe = cuda.addon.probe(0);
  if (!probe.ok) throw new Error(`no usable GPU: ${probe.error}`);
  if (!nvfp4.hasCudaPipeline(cuda.addon)) throw new Error("fp4kit_cuda.node has no pipeline");
  const cpu = nvfp4.loadCpuAddon();
  if (!cpu.ok) throw new Error(cpu.reason);
  const cpuKernel = nvfp4.createCpuNativeKernel(cpu.addon);
  log(`GPU 0: ${probe.name}; ${probe.deviceCount} GPUs; CPU: ${cpuKernel.description}`);

  // Four tensors of each DeepSeek-V4 expert / projection shape, random FP8 bytes (no NaN codes)
  // with 128×128 power-of-two block scales.
  const shapes: [number, number][] = [
    [3072, 7168],
    [7168, 3072],
    [2048, 7168],
  ];
  const tensors = shapes.flatMap(([rows, cols]) =>
    Array.from({ length: 4 }, () => randomFp8Tensor(rows, cols)),
  );
  const fp8Bytes = tensors.reduce((s, t) => s + t.data.length, 0);
  const referenceIndices = [0, 4, 8];
  const references = referenceIndices.map((i) => tensors[i] as (typeof tensors)[number]);
  const expected = references.map((t) => {
    const gs = nvfp4.nvfp4GlobalScale(cpuKernel.amax(t));
    return { gs, result: cpuKernel.quantize(t, gs) };
  });
  log(`${tensors.length} tensors, ${(fp8Bytes / 1e9).toFixed(2)} GB of FP8 per round, ${rounds} rounds`);

  type Kernel = import("../src/nvfp4/kernel.ts").Nvfp4Kernel;
  const outputs = tensors.map((t) => ({
    packed: new Uint8Array((t.rows * t.cols) / 2),
    blockScales: new Uint8Array((t.rows * t.cols) / 16),
  }));
  const runRound = async (kernel: Kernel, width: number) => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < tensors.length; i = next++) {
        const t = tensors[i] as (typeof tensors)[number];
        const gs = nvfp4.nvfp4GlobalScale(await kernel.amaxAsync(t));
        await kernel.quantizeAsync(t, gs, outputs[i]);
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
  };
  const problems: string[] = [];
  // The timed rounds' outputs (amax, then quantize from the kept copy) and a quantize call alone.
  const check = async (label: string, kernel: Kernel) => {
    for (const [k, t] of references.entries()) {
      const want = expected[k] as (typeof expected)[number];
      const timed = outputs[referenceIndices[k] as number] as (typeof outputs)[number];
      const got = await kernel.quantizeAsync(t, want.gs);
      const same =
        Buffer.compare(timed.packed, want.result.packed) === 0 &&
        Buffer.compare(timed.blockScales, want.result.blockScales) === 0 &&
        Buffer.compare(got.packed, want.result.packed) === 0 &&
        Buffer.compare(got.blockScales, want.result.blockScales) === 0 &&
        Object.is(got.stats.sumSqError, want.result.stats.sumSqError) &&
        Object.is(got.stats.sumSqRef, want.result.stats.sumSqRef) &&
        Object.is(got.stats.maxAbsError, want.result.stats.maxAbsError);
      if (!same) problems.push(`${label}: ${t.rows}x${t.cols} differs from the CPU kernel`);
    }
  };

  const rows: Record<string, unknown>[] = [];
  const time = async (label: string, kernel: Kernel, width: number, n: number) => {
    await runRound(kernel, width); // warm-up: buffers grow, modules load
    const t0 = performance.now();
    for (let r = 0; r < n; r++) await runRound(kernel, width);
    const seconds = (performance.now() - t0) / 1000;
    await check(label, kernel);
    const row = {
      label,
      inFlight: width,
      seconds,
      fp8GBps: (n * fp8Bytes) / seconds / 1e9,
    };
    log(`${label}: ${row.fp8GBps.toFixed(2)} GB/s of FP8 (amax + quantize passes, ${width} in flight)`);
    rows.push(row);
    return row;
  };

  // Every adversarial and NaN/Inf case against the TypeScript reference, on all GPUs at once.
  const { adversarialCases, nonFiniteCases } = await import("../test/nvfp4-cases.ts");
  const { compareNonFinite, compareWithReference } = await import("../test/nvfp4-compare.ts");
  const all = nvfp4.createCudaPipelineKernel(cuda.addon, probe, { gpus: probe.deviceCount ?? 1 });
  const before = problems.length;
  for (const c of adversarialCases()) {
    problems.push(...(await compareWithReference(all, c)));
    problems.push(...(await compareWithReference(all, c, true)));
  }
  for (const c of nonFiniteCases()) problems.push(...(await compareNonFinite(all, c)));
  all.dispose();
  log(
    `adversarial + NaN/Inf cases vs TypeScript on ${probe.deviceCount} GPUs: ${problems.length === before ? "IDENTICAL" : "DIFFERENT"}`,
  );

  await time("single-GPU host API (pageable, synchronous)", nvfp4.createCudaKernel(cuda.addon, probe), 1, 1);
  const perGpu: Record<string, unknown>[] = [];
  for (const gpus of gpuCounts) {
    if (gpus > (probe.deviceCount ?? 1)) {
      log(`skipping ${gpus} GPUs: only ${probe.deviceCount} present`);
      continue;
    }
    const kernel = nvfp4.createCudaPipelineKernel(cuda.addon, probe, { gpus });
    const name = `pipeline, ${gpus} GPU${gpus > 1 ? "s" : ""}`;
    await time(name, kernel, kernel.concurrency, rounds);
    // The same with the tensors and outputs page-locked, as the converter locks its read buffers
    // and staging blocks: copies go by DMA straight from and into them.
    const locking = kernel.hostMemory;
    if (locking !== undefined) {
      const views = [...tensors.map((t) => t.data), ...outputs.flatMap((o) => [o.packed, o.blockScales])];
      const locked = await Promise.all(views.map((v) => locking.lock(v)));
      log(`${locked.filter(Boolean).length} of ${views.length} host buffers page-locked`);
      await time(`${name}, page-locked host buffers`, kernel, kernel.concurrency, rounds);
      for (const [i, view] of views.entries()) if (locked[i]) locking.unlock(view);
    }
    perGpu.push({ gpus, counters: kernel.counters() });
    kernel.dispose();
  }
  writeFileSync(
    join(outDir, "pipeline-bench.json"),
    `${JSON.stringify({ gpu: probe.name, deviceCount: probe.deviceCount, rounds, fp8Bytes, rows, perGpu, problems }, null, 2)}\n`,
  );
  log(problems.length === 0 ? "bytes IDENTICAL to the CPU kernel" : `PROBLEMS:\n${problems.join("\n")}`);
  return problems.length === 0 ? 0 : 1;
}

/** Random E4M3 bytes except the NaN codes (0x7f, 0xff); block scales 2^-12 … 2^3. */
function randomFp8Tensor(rows: number, cols: number) {
  const data = new Uint8Array(rows * cols);
  randomFillSync(data);
  for (let i = 0; i < data.length; i++) {
    const b = data[i] as number;
    if ((b & 0x7f) === 0x7f) data[i] = b ^ 1;
  }
  const scale = new Float32Array(Math.ceil(rows / 128) * Math.ceil(cols / 128));
  for (let i = 0; i < scale.length; i++) scale[i] = 2 ** (Math.floor(Math.random() * 16) - 12);
  return { data, rows, cols, scale, blockRows: 128, blockCols: 128 };
}

interface CancelStressJob {
  src: string;
  dst: string;
  gpus: number;
}
type CancelStressMessage =
  | { type: "kernel"; line: string }
  | { type: "shard" }
  | { type: "end"; how: string };

/** A conversion in this worker thread; an "abort" message stops it (the converter's signal). */
async function cancelStressWorker(job: CancelStressJob): Promise<void> {
  const { convertCheckpoint } = await import("../src/convert/index.ts");
  const port = parentPort as NonNullable<typeof parentPort>;
  const post = (m: CancelStressMessage) => port.postMessage(m);
  const abort = new AbortController();
  port.on("message", () => abort.abort());
  try {
    await convertCheckpoint(
      { src: job.src, dst: job.dst, gpus: job.gpus, shardSizeBytes: 1 << 20 },
      {
        signal: abort.signal,
        onLog: (line) => {
          if (line.startsWith("NVFP4 kernel:")) post({ type: "kernel", line });
        },
        onProgress: (e) => {
          if (e.type === "shard") post({ type: "shard" });
        },
      },
    );
    post({ type: "end", how: "finished" });
  } catch (err) {
    post({ type: "end", how: abort.signal.aborted ? "stopped" : `failed: ${(err as Error).message}` });
  }
  port.close();
}

async function cancelStress(): Promise<number> {
  const { generateCheckpoint } = await import("../src/synthetic/index.ts");
  const dir = arg("dir", "/tmp/fp4kit-cancel-stress");
  const gpus = Number(arg("gpus", "1"));
  const cancels = Number(arg("cancels", "100"));
  const log = (line: string) => console.log(`[cancel-stress] ${line}`);
  rmSync(dir, { recursive: true, force: true });
  const src = join(dir, "src");
  // The agent test's checkpoint: about a second to convert, many units and shards.
  await generateCheckpoint({ family: "deepseek-v3", dir: src, layers: 4, routedExperts: 8, shards: 2 });
  const digest = (d: string) => {
    const h = createHash("sha256");
    const files = readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (const f of files.map((e) => join(e.parentPath, e.name)).sort())
      h.update(f.slice(d.length)).update(readFileSync(f));
    return h.digest("hex");
  };

  /** One conversion in a worker; `stop` decides when and how it is stopped. */
  const convertIn = (dst: string, stop?: { afterShards: number; delayMs: number; terminate: boolean }) =>
    new Promise<{ ending: string; kernel?: string; shards: number }>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { src, dst, gpus } });
      let kernel: string | undefined;
      let shards = 0;
      let ending: string | undefined;
      let stopping = false;
      const stopNow = () => {
        if (stopping || !stop) return;
        stopping = true;
        setTimeout(() => {
          if (ending !== undefined) return;
          if (stop.terminate) {
            ending = "terminated";
            void worker.terminate();
            return;
          }
          worker.postMessage("abort");
          setTimeout(() => {
            if (ending !== undefined) return;
            ending = "terminated after 5 s";
            void worker.terminate();
          }, 5000).unref();
        }, stop.delayMs);
      };
      worker.on("message", (m: CancelStressMessage) => {
        if (m.type === "kernel") kernel = m.line;
        if (m.type === "shard") shards += 1;
        if (m.type === "end") ending ??= m.how;
        if (stop && shards >= stop.afterShards) stopNow();
      });
      if (stop && stop.afterShards === 0) stopNow();
      worker.once("error", reject);
      worker.once("exit", () => resolve({ ending: ending ?? "exited", kernel, shards }));
    });

  const reference = await convertIn(join(dir, "reference"));
  log(`reference: ${reference.ending}, ${reference.shards} shards, ${reference.kernel}`);
  if (reference.ending !== "finished" || (gpus > 0 && !reference.kernel?.includes("cuda pipeline"))) return 1;
  const want = digest(join(dir, "reference"));
  const endings: Record<string, number> = {};
  for (let i = 0; i < cancels; i++) {
    const dst = join(dir, `run-${i}`);
    const stop = {
      afterShards: Math.floor(Math.random() * Math.max(1, reference.shards - 1)),
      delayMs: Math.random() * 200,
      terminate: i % 4 === 3,
    };
    const r = await convertIn(dst, stop);
    if (r.ending.startsWith("failed")) {
      log(`run ${i}: ${r.ending}`);
      return 1;
    }
    endings[r.ending] = (endings[r.ending] ?? 0) + 1;
    rmSync(dst, { recursive: true, force: true });
  }
  log(`${cancels} stops: ${JSON.stringify(endings)}`);
  const after = await convertIn(join(dir, "after"));
  const same = after.ending === "finished" && digest(join(dir, "after")) === want;
  log(`a conversion afterwards: ${after.ending}, ${same ? "IDENTICAL" : "DIFFERENT"} to the first`);
  rmSync(dir, { recursive: true, force: true });
  if (!same) return 1;
  console.log(`survived ${cancels}`);
  return 0;
}
