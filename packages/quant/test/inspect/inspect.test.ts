import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InspectReportSchema } from "@fp4kit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertCheckpoint } from "../../src/convert/convert.ts";
import { renderInspectMarkdown, renderInspectSummary } from "../../src/inspect/markdown.ts";
import { foldTensorName } from "../../src/inspect/patterns.ts";
import { inspectCheckpoint } from "../../src/inspect/report.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import { tempDir } from "../helpers.ts";

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: root, cleanup } = await tempDir("inspect")));
afterAll(() => cleanup());

describe("foldTensorName", () => {
  it("folds layer, expert and MTP indices", () => {
    expect(foldTensorName("model.layers.7.mlp.experts.12.up_proj.weight")).toBe(
      "model.layers.{L}.mlp.experts.{E}.up_proj.weight",
    );
    expect(foldTensorName("mtp.0.ffn.experts.3.w1.scale")).toBe("mtp.{M}.ffn.experts.{E}.w1.scale");
    expect(foldTensorName("blocks.3.constructor.2.w")).toBe("blocks.{N}.constructor.{N}.w");
    expect(foldTensorName("head.weight")).toBe("head.weight");
  });
});

/**
 * Snapshot of each generated family: the report must be deterministic (no paths, no times).
 * Files end in .snap so the repository formatter leaves the rendered Markdown/JSON exactly as
 * fp4kit writes it.
 */
describe.each([
  ["deepseek-v3", "fp8"],
  ["deepseek-v3.2", "fp8"],
  ["deepseek-v4", "fp8"],
  ["deepseek-v4", "mxfp4"],
] as const)("inspect %s (%s)", (family, variant) => {
  const name = variant === "fp8" ? family : `${family}-${variant}`;

  it("matches the snapshot and the schema", async () => {
    const dir = join(root, name);
    await generateCheckpoint({ family, variant, dir });
    const report = await inspectCheckpoint(dir);
    expect(InspectReportSchema.parse(report)).toEqual(report);
    expect(report.checkpoint.name).toBe(name);
    expect(report.model.family).toBe(family);
    expect(report.fp8.blockSize.used).toEqual([128, 128]);
    expect(report.fp8.disagreements).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.size.projectedBytesOut).toBeLessThan(report.size.bytesIn);
    expect(report.alreadyFp4.weights).toBe(variant === "mxfp4" ? 48 : 0);

    await expect(`${JSON.stringify(report, null, 2)}\n`).toMatchFileSnapshot(
      `snapshots/${name}.inspect.json.snap`,
    );
    await expect(renderInspectMarkdown(report)).toMatchFileSnapshot(`snapshots/${name}.inspect.md.snap`);
    await expect(renderInspectSummary(report)).toMatchFileSnapshot(`snapshots/${name}.summary.txt.snap`);
  });
});

describe("inspect at DeepSeek-V4-Pro scale", () => {
  it("reads ~100k tensors in 160 shards from headers only", { timeout: 120_000 }, async () => {
    const dir = join(root, "pro-scale");
    const layers = 43;
    const experts = 384;
    const generated = await generateCheckpoint({
      family: "deepseek-v4",
      dir,
      profile: "micro",
      layers,
      routedExperts: experts,
      shards: 160,
    });
    expect(generated.tensorCount).toBeGreaterThan(100_000);

    const report = await inspectCheckpoint(dir);
    expect(report.checkpoint).toMatchObject({ layout: "sharded", tensorCount: generated.tensorCount });
    expect(report.checkpoint.shards).toHaveLength(160);
    const blocks = layers + 1; // + the MTP block
    const category = (c: string) => report.categories.find((x) => x.category === c);
    expect(category("routed-expert")).toMatchObject({
      weights: blocks * experts * 3,
      tensors: blocks * experts * 6,
    });
    expect(category("shared-expert")?.weights).toBe(blocks * 3);
    expect(report.plan.quantize.tensors).toBe(blocks * (experts + 1) * 3);
    expect(report.plan.drop.tensors).toBe(report.plan.quantize.tensors);
    const experts13 = report.plan.fusedGroups.find((g) => g.pattern === "layers.{L}.ffn.experts.{E}.w13");
    expect(experts13).toEqual({
      pattern: "layers.{L}.ffn.experts.{E}.w13",
      groups: layers * experts,
      members: layers * experts * 2,
      quantized: layers * experts,
    });
    // Folding keeps the report small whatever the tensor count.
    expect(report.patterns.length).toBeLessThan(120);
    expect(report.patterns.find((p) => p.pattern === "layers.{L}.ffn.experts.{E}.w2.weight")?.count).toBe(
      layers * experts,
    );
    expect(InspectReportSchema.safeParse(report).success).toBe(true);
    expect(renderInspectMarkdown(report)).toMatch(/160 shards, .* each \(see inspect\.json for the list\)/);
  });
});

/** `--engine` / `--format`: the projection is the exact output of that conversion. */
describe("inspect --engine", () => {
  it.each([
    ["vllm", undefined],
    ["sglang", undefined],
    ["trtllm", undefined],
    ["vllm", "compressed-tensors-w4a4"],
  ] as const)(
    "%s %s on DeepSeek V4: exact output size, every asked module resolved, nothing the engine would reject",
    async (engine, format) => {
      const dir = join(root, "engine-v4");
      await generateCheckpoint({ family: "deepseek-v4", dir });
      const report = await inspectCheckpoint(dir, { engine, format });
      expect(InspectReportSchema.parse(report)).toEqual(report);
      const view = report.engine as NonNullable<typeof report.engine>;
      expect(view.refusal).toBeNull();
      expect(view.problems).toEqual([]);
      const dst = join(root, `engine-v4-${engine}-${format ?? "default"}`);
      const result = await convertCheckpoint({
        src: dir,
        dst,
        engine,
        format,
        ...(engine === "vllm" && format === undefined ? {} : { inputScale: 0.5 }),
      });
      const index = JSON.parse(await readFile(join(dst, "model.safetensors.index.json"), "utf8"));
      expect(view.outputBytes).toBe(index.metadata.total_size);
      expect(view.shards).toBe(result.shards.length);
      const experts = view.patterns.filter((p) => p.kind === "moe");
      expect(experts.length).toBeGreaterThan(0);
      for (const p of experts) expect(p.scheme).toBe("nvfp4");
      if (engine === "vllm" && format === undefined) {
        await expect(`${JSON.stringify(report.engine, null, 2)}\n`).toMatchFileSnapshot(
          "snapshots/deepseek-v4.engine-vllm.json.snap",
        );
        await expect(renderInspectMarkdown(report)).toMatchFileSnapshot(
          "snapshots/deepseek-v4.engine-vllm.md.snap",
        );
        await expect(renderInspectSummary(report)).toMatchFileSnapshot(
          "snapshots/deepseek-v4.engine-vllm.summary.txt.snap",
        );
      }
    },
  );

  it("says why no engine loads NVFP4 attention on V4, and what the engine would hit", async () => {
    const dir = join(root, "engine-v4-attention");
    await generateCheckpoint({ family: "deepseek-v4", dir });
    const report = await inspectCheckpoint(dir, { engine: "vllm", quantizeAttention: true });
    expect(report.engine?.refusal).toMatch(/^DeepSeek V4 attention must stay FP8/);
    expect(report.engine?.problems).toContain(
      "model.layers.0.attn.fused_wqa_wkv: nvfp4 is not loadable here: DeepSeek V4 attention stays FP8: NVIDIA's V4 export excludes *.attn.* and no engine read here runs V4 attention in NVFP4",
    );
  });
});

describe("inspect --engine on the released V4 (MXFP4 experts)", () => {
  it("projects the exact output and finds nothing vLLM or SGLang would reject", async () => {
    const dir = join(root, "engine-v4-mxfp4");
    await generateCheckpoint({ family: "deepseek-v4", variant: "mxfp4", dir });
    for (const engine of ["vllm", "sglang"] as const) {
      const report = await inspectCheckpoint(dir, { engine });
      expect(report.engine?.problems, engine).toEqual([]);
      const dst = join(root, `engine-v4-mxfp4-${engine}`);
      await convertCheckpoint({ src: dir, dst, engine, ...(engine === "vllm" ? {} : { inputScale: 0.5 }) });
      const index = JSON.parse(await readFile(join(dst, "model.safetensors.index.json"), "utf8"));
      expect(report.engine?.outputBytes, engine).toBe(index.metadata.total_size);
    }
  });
});
