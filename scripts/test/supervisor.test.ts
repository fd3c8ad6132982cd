import { describe, expect, it } from "vitest";
import { startChild } from "../start/child-process.ts";
import { supervise } from "../start/supervisor.ts";

const BACKOFF = { firstMs: 100, maxMs: 400, resetAfterMs: 60_000 };

function exitingChild(code: number) {
  return startChild("test", process.execPath, ["-e", `process.exit(${code})`], {
    cwd: import.meta.dirname,
    env: process.env,
  });
}

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("supervise", () => {
  it("restarts a child that keeps exiting, doubling the delay up to the maximum", async () => {
    const said: string[] = [];
    let starts = 0;
    const child = supervise({
      name: "the flaky child",
      start: () => {
        starts++;
        return exitingChild(1);
      },
      say: (m) => said.push(m),
      backoff: BACKOFF,
    });
    await until("five starts", () => starts >= 5);
    await child.stop();
    expect(said.filter((m) => m.startsWith("the flaky child exited")).slice(0, 4)).toEqual([
      "the flaky child exited (exit code 1); restarting it in 100 ms",
      "the flaky child exited (exit code 1); restarting it in 200 ms",
      "the flaky child exited (exit code 1); restarting it in 400 ms",
      "the flaky child exited (exit code 1); restarting it in 400 ms",
    ]);
    expect(
      said.filter((m) => /^the flaky child restarted \(pid \d+\)$/.test(m)).length,
    ).toBeGreaterThanOrEqual(4);
    // Stopped: no start after that.
    const afterStop = starts;
    await new Promise((r) => setTimeout(r, 600));
    expect(starts).toBe(afterStop);
  });

  it("does not restart a child whose exit a restart cannot fix, and says why", async () => {
    const said: string[] = [];
    let starts = 0;
    supervise({
      name: "the refused child",
      start: () => {
        starts++;
        return exitingChild(3);
      },
      say: (m) => said.push(m),
      giveUp: ({ code }) => (code === 3 ? "its token was refused" : undefined),
      backoff: BACKOFF,
    });
    await until("the supervision to end", () => said.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(starts).toBe(1);
    expect(said).toEqual([
      "the refused child exited (exit code 3): its token was refused; not restarting it",
    ]);
  });
});
