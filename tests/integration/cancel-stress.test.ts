/**
 * Cancelling conversions at random moments, many times in a row, through the real agent: its
 * process, the convert job's worker thread and the native kernel it picks (the C++ CPU addon here;
 * the CUDA pipeline where a GPU answers). Every cancel must end its run CANCELLED (or SUCCEEDED
 * when the conversion won the race), and the agent must never exit: a kernel call still in flight
 * when a cancelled conversion's thread ends once aborted the whole process.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { hasCudaPipeline, loadCpuAddon, loadCudaAddon } from "@fp4kit/quant/nvfp4";
import { generateCheckpoint } from "@fp4kit/quant/synthetic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentProcess } from "./support/agent-process.ts";
import { type AgentTestStack, startAgentTestStack } from "./support/stack.ts";

const CANCELS = 100;
const SHARD_BYTES = 1 << 20;
const LANES = 2;

const cpu = loadCpuAddon();
const cuda = loadCudaAddon();
const probe = cuda.ok ? cuda.addon.probe() : undefined;
const cudaSkip = !cuda.ok
  ? cuda.reason
  : !probe?.ok
    ? `no usable GPU: ${probe?.error}`
    : !hasCudaPipeline(cuda.addon)
      ? "fp4kit_cuda.node has no pipeline"
      : undefined;
if (cudaSkip) console.warn(`[cancel-stress] SKIPPING the CUDA variant: ${cudaSkip}`);

const KERNELS = {
  cpu: { gpus: 0, logged: /^NVFP4 kernel: using cpu-native/ },
  cuda: { gpus: 1, logged: /^NVFP4 kernel: using cuda pipeline/ },
} as const;

describe("random cancels of conversions", () => {
  let stack: AgentTestStack;
  let root: string;
  let agent: AgentProcess;

  beforeAll(async () => {
    stack = await startAgentTestStack("fp4kit-cancel-stress-");
    root = stack.root;
    // Small enough to convert in about a second, with enough units and shards that a random
    // moment finds reads, kernel calls or a shard being finished under way.
    await generateCheckpoint({
      family: "deepseek-v3",
      dir: join(root, "src"),
      layers: 4,
      routedExperts: 8,
      shards: 2,
    });
    agent = stack.startAgent({
      maxConcurrentJobs: LANES,
      // A converter that did not stop by then would have its thread terminated mid-call: allowed,
      // and must be survived too, but the normal path is the converter stopping by itself.
      cancelGrace: { interruptMs: 5_000, terminateMs: 1_000 },
    });
  });

  afterAll(() => stack?.close());

  /** Polls every 20 ms until `probe` gives a value; fails at once, with its log, if the agent exits. */
  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const poll = async () => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
      }
    };
    const exit = agent.exited.then((code) => {
      throw new Error(
        `the agent exited (code ${code}, signal ${agent.child.signalCode}) waiting for ${what}\nagent log:\n${agent.output().slice(-4000)}`,
      );
    });
    return Promise.race([poll(), exit]);
  }

  const runOf = (runId: string) => stack.db.prisma.run.findUniqueOrThrow({ where: { id: runId } });

  /** The run, once its status is one of `statuses`. */
  const runIn = (runId: string, statuses: readonly string[]) =>
    until(`run ${runId} to be ${statuses.join(" or ")}`, async () => {
      const run = await runOf(runId);
      return statuses.includes(run.status) ? run : undefined;
    });

  async function countLogged(runId: string, line: RegExp): Promise<number> {
    const lines = await stack.db.prisma.runLogLine.findMany({ where: { runId }, select: { line: true } });
    return lines.filter((l) => line.test(l.line)).length;
  }

  const convert = (kernel: keyof typeof KERNELS, dest: string) =>
    stack.queue({
      kind: "CONVERT",
      sourcePath: join(root, "src"),
      destPath: join(root, dest),
      options: { shardSizeBytes: SHARD_BYTES, gpus: KERNELS[kernel].gpus },
    });

  const ENDED = ["SUCCEEDED", "FAILED", "CANCELLED", "LOST"] as const;
  const WRITTEN = /: written$/;

  async function cancelStress(kernel: keyof typeof KERNELS) {
    // A whole conversion first: the kernel that runs, and how many shards a conversion writes.
    const reference = await convert(kernel, `${kernel}-reference`);
    const done = await runIn(reference.id, ENDED);
    expect(done.status, done.error ?? "").toBe("SUCCEEDED");
    expect(await countLogged(reference.id, KERNELS[kernel].logged)).toBe(1);
    const shards = await countLogged(reference.id, WRITTEN);
    expect(shards).toBeGreaterThan(2);

    // Where a cancel lands: a random moment (0-200 ms) after a random milestone of the run (claimed,
    // kernel chosen, the k-th shard written, short of the last two), so that over the runs every
    // phase is hit: the worker thread starting, the first reads and kernel calls, shards being
    // finished. Wall-clock delays alone would land wherever the machine's load puts them.
    const milestones: ((runId: string) => Promise<boolean>)[] = [
      async () => true,
      async (runId) => (await countLogged(runId, KERNELS[kernel].logged)) > 0,
      ...Array.from({ length: shards - 2 }, (_, k) => async (runId: string) => {
        return (await countLogged(runId, WRITTEN)) > k;
      }),
    ];
    const endings: Record<string, number> = {};
    // Two runs at a time (the agent takes two jobs): each lane cancels its runs one after another.
    const lane = async (first: number) => {
      for (let i = first; i < CANCELS; i += LANES) {
        const dest = `${kernel}-${i}`;
        const run = await convert(kernel, dest);
        await runIn(run.id, ["RUNNING", ...ENDED]);
        const reached = milestones[Math.floor(Math.random() * milestones.length)] as (typeof milestones)[0];
        await until(`a milestone of run ${run.id}`, async () =>
          (await reached(run.id)) || (await runOf(run.id)).status !== "RUNNING" ? true : undefined,
        );
        await sleep(Math.random() * 200);
        await stack.cancel(run.id);
        const ended = await runIn(run.id, ENDED);
        if (ended.status !== "CANCELLED" && ended.status !== "SUCCEEDED")
          throw new Error(`cancel ${i}: the run ended ${ended.status}: ${ended.error}\n${agent.output()}`);
        endings[ended.status] = (endings[ended.status] ?? 0) + 1;
        rmSync(join(root, dest), { recursive: true, force: true });
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, first) => lane(first)));
    console.info(`[cancel-stress] ${kernel}: ${CANCELS} cancels, ${JSON.stringify(endings)}`);
    // A conversion may still win the race now and then; most must have been stopped while running.
    expect(endings.CANCELLED ?? 0).toBeGreaterThan(CANCELS / 2);
    expect(agent.child.exitCode).toBeNull();
    expect(agent.child.signalCode).toBeNull();

    // And the agent still works.
    const after = await convert(kernel, `${kernel}-after`);
    const last = await runIn(after.id, ENDED);
    expect(last.status, last.error ?? "").toBe("SUCCEEDED");
  }

  it(`${CANCELS} cancels in a row with the C++ CPU kernel leave the agent running`, {
    timeout: 600_000,
  }, () => {
    // `npm test` builds the addon; without it this would test the TypeScript kernel instead.
    if (!cpu.ok) throw new Error(`the C++ CPU addon is needed: ${cpu.reason}`);
    return cancelStress("cpu");
  });

  it.skipIf(cudaSkip !== undefined)(
    `${CANCELS} cancels in a row with the CUDA pipeline leave the agent running`,
    { timeout: 600_000 },
    () => cancelStress("cuda"),
  );
});
