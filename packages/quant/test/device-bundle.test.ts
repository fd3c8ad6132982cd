/**
 * The one-file CLI that GPU hosts run (scripts/bundle.mjs on scripts/device-bench.ts, as
 * `npm run device:bundle` makes it): bundled, it must convert with a bare node and give the bytes
 * the CLI gives from source. A dependency that does not survive bundling fails here, not on the GPU
 * host.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../scripts/bundle.mjs";
import { runCli } from "../src/cli/main.ts";
import { digestDir } from "./convert/helpers.ts";
import { memoryIo, tempDir } from "./helpers.ts";

const PACKAGE = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("device-bundle"));
});
afterAll(() => cleanup());

describe("the device bundle", { timeout: 120_000 }, () => {
  it("synthesises and converts with a bare node, to the bytes of the CLI run from source", async () => {
    const cli = join(root, "fp4kit-device.mjs");
    await bundle(join(PACKAGE, "scripts", "device-bench.ts"), cli);
    const src = join(root, "v4");
    const env = { ...process.env, FP4KIT_NATIVE_DIR: join(PACKAGE, "build") };
    await run(process.execPath, [cli, "synth", src, "--family", "deepseek-v4", "--seed", "5"], { env });
    const bundled = join(root, "bundled");
    await run(process.execPath, [cli, "convert", "--src", src, "--dst", bundled, "--kernel", "ts"], { env });
    const fromSource = join(root, "source");
    const io = memoryIo(root);
    expect(
      await runCli(["node", "fp4kit", "convert", "--src", src, "--dst", fromSource, "--kernel", "ts"], io),
    ).toBe(0);
    expect(await digestDir(bundled)).toEqual(await digestDir(fromSource));
  });
});
