/**
 * A worker thread terminated while native kernel calls are in flight, as a cancelled conversion's
 * thread is, leaves the process running: the calls' completions never throw into an environment
 * that can no longer run JavaScript, and the addons stay mapped for the threads still in them.
 * Each check runs in a child process: a failure is a SIGABRT or SIGSEGV of the whole process.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hasCudaPipeline, loadCpuAddon, loadCudaAddon } from "../src/nvfp4/index.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/terminate-mid-call.mjs", import.meta.url));
const ROUNDS = 60;

function terminateMidCall(kind: "cpu" | "cuda", file: string) {
  const r = spawnSync(process.execPath, [FIXTURE, kind, file, String(ROUNDS)], {
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.slice(-2000) };
}

const cpu = loadCpuAddon();
if (!cpu.ok) console.warn(`[nvfp4-native-teardown] SKIPPING the CPU addon: ${cpu.reason}`);
const cuda = loadCudaAddon();
const probe = cuda.ok ? cuda.addon.probe() : undefined;
const cudaSkip = !cuda.ok
  ? cuda.reason
  : !probe?.ok
    ? `no usable GPU: ${probe?.error}`
    : !hasCudaPipeline(cuda.addon)
      ? "fp4kit_cuda.node has no pipeline"
      : undefined;
if (cudaSkip) console.warn(`[nvfp4-native-teardown] SKIPPING the CUDA addon: ${cudaSkip}`);

// Each check takes seconds on an idle machine; far longer on a loaded one.
describe("terminating a worker thread with kernel calls in flight", { timeout: 120_000 }, () => {
  it.skipIf(!cpu.ok)(`CPU addon: the process lives through ${ROUNDS} terminations`, () => {
    if (!cpu.ok) return;
    expect(terminateMidCall("cpu", cpu.path)).toMatchObject({
      status: 0,
      signal: null,
      stdout: `survived ${ROUNDS}\n`,
    });
  });

  it.skipIf(cudaSkip !== undefined)(
    `CUDA addon and pipeline: the process lives through ${ROUNDS} terminations`,
    () => {
      if (!cuda.ok) return;
      expect(terminateMidCall("cuda", cuda.path)).toMatchObject({
        status: 0,
        signal: null,
        stdout: `survived ${ROUNDS}\n`,
      });
    },
  );
});
