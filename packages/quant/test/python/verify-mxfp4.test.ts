/**
 * MXFP4 sources checked by a reader fp4kit did not write: `fp4kit verify` (safetensors + torch, on
 * the project's Python environment) dequantizes the original V4 release's MXFP4 experts and their
 * NVFP4 output, in both formats. Every block E4M3 can express under the output's global scale must
 * be equal element by element; a swapped nibble pair or a scale one step off must fail.
 */
import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { memoryIo, tempDir } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("verify-mxfp4"));
  await generateCheckpoint({ family: "deepseek-v4", variant: "mxfp4", dir: join(root, "src") });
  const io = memoryIo(root);
  expect(await runCli(["node", "fp4kit", "convert", "--src", "src", "--dst", "ct"], io), io.err()).toBe(0);
  expect(
    await runCli(
      [
        "node",
        "fp4kit",
        "convert",
        "--src",
        "src",
        "--dst",
        "mo",
        "--format",
        "modelopt",
        "--input-scale",
        "1",
      ],
      io,
    ),
    io.err(),
  ).toBe(0);
}, 120_000);
afterAll(() => cleanup());

const verify = (io: ReturnType<typeof memoryIo>, dir: string) =>
  runCli(["node", "fp4kit", "verify", dir, "--reference", "src", "--all", "--generate-tokens", "0"], io);

/** Rewrites the bytes of one tensor of a single-shard output in place. */
async function patchTensor(dir: string, name: string, patch: (data: Uint8Array) => void): Promise<void> {
  const shard = join(dir, "model-00001-of-00001.safetensors");
  const bytes = new Uint8Array(await readFile(shard));
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  const [begin, end] = header[name].data_offsets as [number, number];
  patch(bytes.subarray(8 + headerLength + begin, 8 + headerLength + end));
  await writeFile(shard, bytes);
}

describe("fp4kit verify on MXFP4 sources", { timeout: 120_000 }, () => {
  for (const dir of ["ct", "mo"]) {
    it(`${dir === "ct" ? "compressed-tensors" : "ModelOpt"}: every expert equals its MXFP4 source where E4M3 reaches`, async () => {
      const io = memoryIo(root);
      expect(await verify(io, dir), io.err()).toBe(0);
      // The synthetic release has one faint row in each block's expert 0 w2: 3 blocks × 4 weights.
      expect(io.err()).toMatch(
        /MXFP4 sources: 48 weights, 12 of 27648 blocks below E4M3's range under the global scale, \d+ elements differ/,
      );
      expect(io.out()).toMatch(/verdict: \*\*pass\*\*/);
    });
  }

  it("fails an expert whose nibbles are swapped", async () => {
    await cp(join(root, "ct"), join(root, "swapped"), { recursive: true });
    await patchTensor(join(root, "swapped"), "layers.1.ffn.experts.2.w3.weight_packed", (data) => {
      for (let i = 0; i < data.length; i++)
        data[i] = (((data[i] as number) & 0x0f) << 4) | ((data[i] as number) >> 4);
    });
    const io = memoryIo(root);
    expect(await verify(io, "swapped")).toBe(1);
    expect(io.err()).toMatch(
      /layers\.1\.ffn\.experts\.2\.w3: \d+ elements differ from the MXFP4 source in blocks E4M3 can express exactly/,
    );
  });

  it("fails an expert with one group scale a step off", async () => {
    await cp(join(root, "mo"), join(root, "scale"), { recursive: true });
    await patchTensor(join(root, "scale"), "layers.0.ffn.experts.1.w1.weight_scale", (data) => {
      data[5] = (data[5] as number) + 8; // one power of two up
    });
    const io = memoryIo(root);
    expect(await verify(io, "scale")).toBe(1);
    expect(io.err()).toMatch(/layers\.0\.ffn\.experts\.1\.w1: \d+ elements differ from the MXFP4 source/);
  });
});
