import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { groupIsAlive, startChild } from "../start/child-process.ts";

describe("startChild", () => {
  it("runs the child in its own process group and stops all of it", async () => {
    const child = startChild(
      "test",
      process.execPath,
      [join(import.meta.dirname, "fixtures/process-tree.mjs")],
      {
        cwd: import.meta.dirname,
        env: process.env,
      },
    );
    expect(groupIsAlive(child.pid)).toBe(true);
    await child.stop();
    expect(await child.exited).toMatchObject({ signal: "SIGTERM" });
    expect(groupIsAlive(child.pid)).toBe(false);
  });

  it("reports the exit of a child that ends by itself", async () => {
    const child = startChild("test", process.execPath, ["-e", "process.exit(3)"], {
      cwd: import.meta.dirname,
      env: process.env,
    });
    expect(await child.exited).toEqual({ code: 3, signal: null });
    await child.stop();
  });
});
