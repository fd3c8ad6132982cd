/**
 * Source problems fail with the tensor named (library and CLI), and module pattern lists stay exact.
 */
import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.ts";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { compactModuleList, entryMatcher } from "../../src/formats/module-patterns.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { memoryIo, tempDir } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
let nanSrc: string;
const POISONED = "layers.1.ffn.experts.2.w3.weight";

/** Overwrites one byte of a tensor's data in its shard file. */
async function poke(dir: string, tensor: string, index: number, byte: number): Promise<void> {
  const checkpoint = await Checkpoint.open(dir);
  const t = checkpoint.tensor(tensor);
  const shard = checkpoint.shards.find((s) => s.file === t?.file);
  if (t === undefined || shard === undefined) throw new Error(`no ${tensor}`);
  const handle = await open(checkpoint.shardPath(t.file), "r+");
  await handle.write(Uint8Array.of(byte), 0, 1, shard.header.dataStart + t.begin + index);
  await handle.close();
}

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-errors"));
  nanSrc = join(root, "nan");
  await generateCheckpoint({ family: "deepseek-v4", dir: nanSrc });
  await poke(nanSrc, POISONED, 192 * 5 + 7, 0x7f); // E4M3 NaN at row 5, column 7 of [96, 192]
});
afterAll(() => cleanup());

describe("NaN/Inf in the source", { timeout: 30_000 }, () => {
  it("fails naming the tensor, its shard and the element, and leaves no partial shard", async () => {
    const dst = join(root, "nan-out");
    const run = convertCheckpoint({ src: nanSrc, dst, kernel: "ts" });
    await expect(run).rejects.toMatchObject({ code: "SOURCE_TENSOR", tensor: POISONED });
    await expect(run).rejects.toThrow(
      /model-0000\d-of-00003\.safetensors: tensor "layers\.1\.ffn\.experts\.2\.w3\.weight" dequantizes to NaN at \[5, 7\]/,
    );
    expect((await readdir(dst)).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("with every shard in flight at once: the same error, and no partial shard", async () => {
    const dst = join(root, "nan-in-flight");
    const run = convertCheckpoint({ src: nanSrc, dst, kernel: "ts", shardsInFlight: 3 });
    await expect(run).rejects.toMatchObject({ code: "SOURCE_TENSOR", tensor: POISONED });
    expect((await readdir(dst)).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it("is one line from the CLI with exit status 1", async () => {
    const io = memoryIo(root);
    const status = await runCli(
      ["node", "fp4kit", "convert", "--src", nanSrc, "--dst", join(root, "nan-cli")],
      io,
    );
    expect(status).toBe(1);
    expect(io.err()).toMatch(/^error: .*tensor "layers\.1\.ffn\.experts\.2\.w3\.weight" dequantizes to NaN/m);
    expect(io.err()).not.toMatch(/\n\s+at /);
  });

  it("kept as FP8 (--ignore), the tensor is refused too: a NaN never passes into the output", async () => {
    const io = memoryIo(root);
    const dst = join(root, "nan-ignored");
    const args = ["convert", "--src", nanSrc, "--dst", dst, "--ignore", "experts\\.2\\.w[13]\\."];
    expect(await runCli(["node", "fp4kit", ...args], io)).toBe(1);
    expect(io.err()).toMatch(
      /^error: .*model-0000\d-of-00003\.safetensors: tensor "layers\.1\.ffn\.experts\.2\.w3\.weight", kept as FP8, holds NaN \(FP8 byte 0x7f\) at \[5, 7\]; expected finite values/m,
    );
    expect(io.err()).not.toMatch(/\n\s+at /);
    expect((await readdir(dst)).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });
});

describe("NaN/Inf in FP8 weights kept as they are", { timeout: 30_000 }, () => {
  // kv_b_proj's input dim (72) is no multiple of 16: it stays FP8 (compressed-tensors FP8 block).
  const KEPT = "model.layers.1.self_attn.kv_b_proj.weight";

  it("a NaN byte (0xff, negative) in a kept weight is refused, naming tensor and element", async () => {
    const dir = join(root, "kept-nan");
    await generateCheckpoint({ family: "deepseek-v3", dir });
    const cols = (await Checkpoint.open(dir)).tensor(KEPT)?.shape[1] as number;
    await poke(dir, KEPT, cols * 2 + 3, 0xff);
    const run = convertCheckpoint({ src: dir, dst: join(root, "kept-nan-out"), kernel: "ts" });
    await expect(run).rejects.toMatchObject({ code: "SOURCE_TENSOR", tensor: KEPT });
    await expect(run).rejects.toThrow(/kept as FP8, holds NaN \(FP8 byte 0xff\) at \[2, 3\]/);
  });

  it("an infinite F32 block scale of a kept weight is refused, naming the scale and its block", async () => {
    const dir = join(root, "kept-inf-scale");
    await generateCheckpoint({ family: "deepseek-v3", dir });
    const scale = `${KEPT.replace(/\.weight$/, "")}.weight_scale_inv`;
    // +Inf as float32 little-endian (00 00 80 7f) at scale element 1.
    for (const [i, byte] of [0x00, 0x00, 0x80, 0x7f].entries()) await poke(dir, scale, 4 + i, byte);
    const io = memoryIo(root);
    const args = ["convert", "--src", dir, "--dst", join(root, "kept-inf-scale-out")];
    expect(await runCli(["node", "fp4kit", ...args], io)).toBe(1);
    expect(io.err()).toMatch(
      new RegExp(
        `^error: .*: block scale "${scale.replaceAll(".", "\\.")}" of a weight kept as it is is infinite at \\[1, 0\\]`,
        "m",
      ),
    );
  });
  it("copied as stored (ModelOpt's V4 layout keeps attention FP8 in the source's form): a NaN scale is refused", async () => {
    const dir = join(root, "kept-v4-nan-scale");
    await generateCheckpoint({ family: "deepseek-v4", dir });
    // [2, 1] F32 scales of wq_b [256, 96]: element 1 = NaN (00 00 c0 7f).
    for (const [i, byte] of [0x00, 0x00, 0xc0, 0x7f].entries())
      await poke(dir, "layers.1.attn.wq_b.scale", 4 + i, byte);
    const run = convertCheckpoint({
      src: dir,
      dst: join(root, "kept-v4-nan-scale-out"),
      format: "modelopt",
      inputScale: 1,
      kernel: "ts",
    });
    await expect(run).rejects.toMatchObject({ code: "SOURCE_TENSOR", tensor: "layers.1.attn.wq_b.scale" });
    await expect(run).rejects.toThrow(
      /block scale "layers\.1\.attn\.wq_b\.scale" of a weight kept as it is is NaN at \[1, 0\]/,
    );
  });
});

describe("NaN E8M0 scale of an MXFP4 expert", { timeout: 30_000 }, () => {
  it("fails naming the scale tensor, its shard and the block, and leaves no partial shard", async () => {
    const src = join(root, "mxfp4-nan");
    await generateCheckpoint({ family: "deepseek-v4", variant: "mxfp4", dir: src });
    // [96, 6] E8M0 scales of a [96, 192] expert: block 4 of row 3.
    await poke(src, "layers.2.ffn.experts.1.w3.scale", 6 * 3 + 4, 0xff);
    const dst = join(root, "mxfp4-nan-out");
    const run = convertCheckpoint({ src, dst, kernel: "ts" });
    await expect(run).rejects.toMatchObject({
      code: "SOURCE_TENSOR",
      tensor: "layers.2.ffn.experts.1.w3.scale",
    });
    await expect(run).rejects.toThrow(
      /model-0000\d-of-00003\.safetensors: tensor "layers\.2\.ffn\.experts\.1\.w3\.scale" has a NaN E8M0 block scale \(byte 0xff\) at \[3, 4\]/,
    );
    expect((await readdir(dst)).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });
});

describe("module pattern lists", () => {
  const experts = (layers: number[], ids: number[], w: string) =>
    layers.flatMap((l) => ids.map((e) => `layers.${l}.ffn.experts.${e}.${w}`));

  it("folds indices into one pattern when it matches exactly the members", () => {
    const members = experts([0, 1, 2], [0, 1], "w1");
    const universe = [...members, ...experts([0, 1, 2], [0, 1], "w2"), "head"];
    for (const dialect of ["compressed-tensors", "modelopt"] as const) {
      const entries = compactModuleList(members, universe, dialect);
      expect(entries).toHaveLength(1);
      for (const u of universe) {
        expect(
          entries.some((e) => entryMatcher(e, dialect)(u)),
          u,
        ).toBe(members.includes(u));
      }
    }
    expect(compactModuleList(members, universe, "compressed-tensors")).toEqual([
      "re:(?:.*\\.)?layers\\.\\d+\\.ffn\\.experts\\.\\d+\\.w1$",
    ]);
    expect(compactModuleList(members, universe, "modelopt")).toEqual(["layers.*.ffn.experts.*.w1"]);
  });

  it("lists names when a pattern would also catch a module that is not a member", () => {
    const members = experts([0, 1], [0, 1], "w1");
    const universe = [...members, "layers.2.ffn.experts.0.w1"];
    expect(compactModuleList(members, universe, "compressed-tensors")).toEqual(members);
  });

  it("matches engine-prefixed names (vLLM maps V4's layers. to model.layers.)", () => {
    const [entry] = compactModuleList(
      ["layers.0.attn.wq_a", "layers.1.attn.wq_a"],
      ["layers.0.attn.wq_a", "layers.1.attn.wq_a"],
      "compressed-tensors",
    );
    expect(entryMatcher(entry as string, "compressed-tensors")("model.layers.7.attn.wq_a")).toBe(true);
    expect(entryMatcher(entry as string, "compressed-tensors")("model.layers.7.attn.wq_a_b")).toBe(false);
  });
});
