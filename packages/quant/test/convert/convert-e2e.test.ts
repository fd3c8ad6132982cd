/**
 * End to end on generated DeepSeek V3, V3.2 and V4 (uniform FP8 and MXFP4-expert) checkpoints:
 * what each tensor became, the config rewrite, fused-group scales, kept tensors, the error of the
 * NVFP4 values against the FP8 source (dequantized independently of the kernels), the index and the
 * shard size limit.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runDocumentProblem, runSummaryProblem } from "@fp4kit/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { e8m0ToFloat } from "../../src/codecs/e8m0.ts";
import { bf16ToFloat } from "../../src/codecs/half.ts";
import { type ConvertResult, convertCheckpoint } from "../../src/convert/convert.ts";
import { nvfp4GlobalScale } from "../../src/nvfp4/reference.ts";
import {
  compareToReference,
  dequantizeFp8Block,
  dequantizeMxfp4,
  dequantizeNvfp4,
} from "../../src/quality/dequantize.ts";
import { type CheckpointPlan, logicalShape, planCheckpoint } from "../../src/rules/plan.ts";
import type { ModelFamily } from "../../src/rules/types.ts";
import { Checkpoint } from "../../src/safetensors/checkpoint.ts";
import { tensorByteLength } from "../../src/safetensors/dtypes.ts";
import { generateCheckpoint } from "../../src/synthetic/generate.ts";
import type { V4Variant } from "../../src/synthetic/layout-v4.ts";
import { tempDir } from "../helpers.ts";
import { f32, fp8Tensor, type ReadTensor, readAllTensors } from "./helpers.ts";

const SHARD_SIZE = 1 << 20;

interface Fixture {
  src: string;
  dst: string;
  plan: CheckpointPlan;
  result: ConvertResult;
  source: Map<string, ReadTensor>;
  output: Map<string, ReadTensor>;
}

let root: string;
let cleanup: () => Promise<void>;
const fixtures: Record<string, Fixture> = {};

const CASES: [string, ModelFamily, V4Variant][] = [
  ["v3", "deepseek-v3", "fp8"],
  ["v32", "deepseek-v3.2", "fp8"],
  ["v4", "deepseek-v4", "fp8"],
  ["v4-mxfp4", "deepseek-v4", "mxfp4"],
];

beforeAll(async () => {
  ({ dir: root, cleanup } = await tempDir("convert-e2e"));
  for (const [name, family, variant] of CASES) {
    const src = join(root, name);
    const dst = join(root, `${name}-nvfp4`);
    await generateCheckpoint({ family, variant, dir: src, shards: 3 });
    const result = await convertCheckpoint({ src, dst, shardSizeBytes: SHARD_SIZE });
    fixtures[name] = {
      src,
      dst,
      plan: planCheckpoint(await Checkpoint.open(src)),
      result,
      source: await readAllTensors(src),
      output: await readAllTensors(dst),
    };
  }
}, 120_000);
afterAll(() => cleanup());

/** vLLM's DeepSeek MTP layer builds eh_proj as a torch nn.Linear (engine contract). */
function engineBuildsUnquantized(name: string): boolean {
  return /\.eh_proj\.weight(_scale_inv)?$/.test(name);
}

function fixture(name: string): Fixture {
  return fixtures[name] as Fixture;
}

function sourceScale(f: Fixture, weight: string): Float32Array {
  const plan = f.plan.byName.get(weight);
  const scale = f.source.get(plan?.scale?.name ?? "") as ReadTensor;
  return scale.dtype === "F8_E8M0" ? Float32Array.from(scale.data, (b) => e8m0ToFloat(b)) : f32(scale);
}

function sourceValues(f: Fixture, weight: string): Float32Array {
  const scaleName = f.plan.byName.get(weight)?.scale?.name ?? "";
  return dequantizeFp8Block(
    fp8Tensor(
      f.source.get(weight) as ReadTensor,
      sourceScale(f, weight),
      f.source.get(scaleName)?.shape ?? [],
    ),
  );
}

describe.each(CASES.map(([name]) => name))("%s → compressed-tensors NVFP4A16", (name) => {
  it("reports quality, shards and its summary as @fp4kit/protocol defines them for a convert run", async () => {
    const { result, dst } = fixture(name);
    // As the agent uploads them: through JSON.
    const json = (value: unknown) => JSON.parse(JSON.stringify(value));
    expect(runDocumentProblem("CONVERT", "QUALITY_REPORT", json(result.quality))).toBeNull();
    expect(runDocumentProblem("CONVERT", "SHARD_LIST", json(result.shards))).toBeNull();
    expect(runSummaryProblem("CONVERT", json(result.summary))).toBeNull();
    const written = JSON.parse(await readFile(join(dst, "fp4kit-quality.json"), "utf8"));
    expect(runDocumentProblem("CONVERT", "QUALITY_REPORT", written)).toBeNull();
  });

  it("writes each quantized weight as weight_packed / weight_scale / weight_global_scale and drops its FP8 scale", () => {
    const f = fixture(name);
    const quantized = f.plan.tensors.filter((t) => t.action === "quantize");
    expect(quantized.length).toBeGreaterThan(0);
    for (const t of quantized) {
      const m = t.name.slice(0, -".weight".length);
      const [rows, cols] = logicalShape(t);
      expect(f.output.get(`${m}.weight_packed`), m).toMatchObject({ dtype: "U8", shape: [rows, cols / 2] });
      expect(f.output.get(`${m}.weight_scale`), m).toMatchObject({
        dtype: "F8_E4M3",
        shape: [rows, cols / 16],
      });
      expect(f.output.get(`${m}.weight_global_scale`), m).toMatchObject({ dtype: "F32", shape: [1] });
      expect(f.output.has(t.name)).toBe(false);
      expect(f.output.has(t.scale?.name ?? "")).toBe(false);
    }
  });

  it("keeps every other tensor bit for bit (FP8 kept as FP8 block gets its scale as F32 weight_scale)", () => {
    const f = fixture(name);
    let compared = 0;
    for (const t of f.plan.tensors) {
      if (t.action !== "preserve") continue;
      const out = f.output.get(t.name);
      if (engineBuildsUnquantized(t.name)) {
        // vLLM builds the V3 MTP eh_proj as a plain nn.Linear: written as BF16 (checked below).
        expect(out?.dtype ?? "BF16", t.name).toBe("BF16");
        continue;
      }
      if (t.role === "scale" && f.plan.byName.get(t.scaleOf ?? "")?.sourceFormat === "fp8-block") {
        const m = (t.scaleOf as string).slice(0, -".weight".length);
        expect(f.output.get(`${m}.weight_scale`), t.name).toMatchObject({ dtype: "F32", shape: t.shape });
        expect(f32(f.output.get(`${m}.weight_scale`) as ReadTensor)).toEqual(
          sourceScale(f, t.scaleOf as string),
        );
        expect(out).toBeUndefined();
        continue;
      }
      expect(out, t.name).toMatchObject({ dtype: t.dtype, shape: t.shape });
      expect(Buffer.from(out?.data ?? []).equals(Buffer.from(f.source.get(t.name)?.data ?? [])), t.name).toBe(
        true,
      );
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });

  it("writes an FP8 weight that vLLM builds unquantized (V3 MTP eh_proj) as BF16 equal to the source values", () => {
    const f = fixture(name);
    const weights = f.plan.tensors.filter((t) => t.role === "weight" && engineBuildsUnquantized(t.name));
    expect(weights.length).toBe(f.plan.family.family === "deepseek-v4" ? 0 : 1);
    for (const t of weights) {
      const m = t.name.slice(0, -".weight".length);
      const out = f.output.get(t.name) as ReadTensor;
      expect(out.dtype).toBe("BF16");
      expect([...f.output.keys()].filter((n) => n.startsWith(`${m}.`))).toEqual([t.name]);
      const values = Float32Array.from(new Uint16Array(out.data.slice().buffer), (b) => bf16ToFloat(b));
      expect(compareToReference(values, sourceValues(f, t.name)).relRmsError).toBeLessThan(2 ** -8);
    }
  });

  it("dequantized NVFP4 values are within NVFP4's error of the FP8 source, as the quality report says", () => {
    const f = fixture(name);
    const reported = new Map(f.result.quality.tensors.map((q) => [q.name, q]));
    const fromFp8 = f.plan.tensors.filter((x) => x.action === "quantize" && x.sourceFormat === "fp8-block");
    expect(reported.size).toBe(fromFp8.length);
    for (const t of fromFp8) {
      const m = t.name.slice(0, -".weight".length);
      const [rows = 0, cols = 0] = t.shape;
      const gs = 1 / (f32(f.output.get(`${m}.weight_global_scale`) as ReadTensor)[0] as number);
      const values = dequantizeNvfp4(
        (f.output.get(`${m}.weight_packed`) as ReadTensor).data,
        (f.output.get(`${m}.weight_scale`) as ReadTensor).data,
        gs,
        rows,
        cols,
      );
      const { relRmsError, maxAbsError } = compareToReference(values, sourceValues(f, t.name));
      expect(relRmsError, t.name).toBeGreaterThan(0.08);
      expect(relRmsError, t.name).toBeLessThan(0.11);
      expect(reported.get(t.name)?.relRmsError).toBeCloseTo(relRmsError, 4);
      expect(reported.get(t.name)?.maxAbsError).toBeCloseTo(maxAbsError, 5);
    }
    expect(f.result.quality.layers.length).toBeGreaterThan(1);
  });

  it("gives every member of an engine-fused group the global scale of the group's amax", () => {
    const f = fixture(name);
    let groups = 0;
    for (const [key, members] of f.plan.fusedGroups) {
      const first = f.plan.byName.get(members[0] as string);
      if (first?.action !== "quantize" || first.sourceFormat !== "fp8-block") continue;
      groups++;
      expect(members.length, key).toBeGreaterThan(1);
      let amax = 0;
      for (const m of members) for (const v of sourceValues(f, m)) amax = Math.max(amax, Math.abs(v));
      const expected = Math.fround(1 / nvfp4GlobalScale(Math.fround(amax)));
      for (const m of members) {
        const stored = f32(
          f.output.get(`${m.slice(0, -".weight".length)}.weight_global_scale`) as ReadTensor,
        )[0];
        expect(stored, m).toBe(expected);
      }
    }
    expect(groups).toBeGreaterThan(0);
  });

  it("writes an index with the right total_size and shards within the target size", async () => {
    const f = fixture(name);
    const index = JSON.parse(await readFile(join(f.dst, "model.safetensors.index.json"), "utf8"));
    const checkpoint = await Checkpoint.open(f.dst);
    expect(index.metadata.total_size).toBe(checkpoint.tensorBytes);
    expect(Object.keys(index.weight_map).sort()).toEqual([...f.output.keys()].sort());
    expect(checkpoint.shards.length).toBeGreaterThan(1);
    for (const shard of checkpoint.shards) {
      const data = shard.header.fileSize - shard.header.dataStart;
      if (shard.header.tensors.length > 1) expect(data).toBeLessThanOrEqual(SHARD_SIZE);
    }
    let total = 0;
    for (const t of f.output.values()) total += tensorByteLength(t.dtype, t.shape) ?? 0;
    expect(total).toBe(index.metadata.total_size);
  });

  it("replaces quantization_config, keeps every other config field, and copies the other files", async () => {
    const f = fixture(name);
    const before = JSON.parse(await readFile(join(f.src, "config.json"), "utf8"));
    const after = JSON.parse(await readFile(join(f.dst, "config.json"), "utf8"));
    const { quantization_config: oldQ, ...restBefore } = before;
    const { quantization_config: newQ, ...restAfter } = after;
    expect(oldQ.quant_method).toBe("fp8");
    // V4: the experts are in compressed-tensors' layout now, whatever the source's expert_dtype.
    expect(restAfter).toEqual(
      "expert_dtype" in restBefore ? { ...restBefore, expert_dtype: "fp8" } : restBefore,
    );
    expect(Object.keys(after)).toEqual(Object.keys(before));
    // Numbers keep their spelling: transformers' typed configs refuse `10` where the model wrote `10.0`.
    const sourceText = await readFile(join(f.src, "config.json"), "utf8");
    const outputText = await readFile(join(f.dst, "config.json"), "utf8");
    const numberLines = sourceText.split("\n").filter((line) => /^ {2}"\w+": -?[\d.e+-]+,?$/.test(line));
    expect(numberLines.length).toBeGreaterThan(5);
    for (const line of numberLines) expect(outputText.split("\n")).toContain(line);
    if ("swiglu_limit" in before) expect(outputText).toContain('"swiglu_limit": 10.0');
    expect(newQ).toMatchSnapshot();
    for (const file of ["generation_config.json", "tokenizer.json", "tokenizer_config.json"]) {
      expect(await readFile(join(f.dst, file))).toEqual(await readFile(join(f.src, file)));
    }
  });
});

describe("timings", () => {
  it("split the time around the call into start-up, planning, kernel set-up and the own timer", async () => {
    const src = join(root, "v4");
    const before = performance.now();
    const result = await convertCheckpoint({ src, dst: join(root, "v4-timed"), shardSizeBytes: SHARD_SIZE });
    const around = (performance.now() - before) / 1000;
    const t = result.timings;
    for (const seconds of [t.planning, t.kernelSetup, t.finishing]) expect(seconds).toBeGreaterThanOrEqual(0);
    // The start-up is this thread's time before the call; the rest happened inside it.
    expect(t.startup).toBeGreaterThanOrEqual(before / 1000 - 1e-6);
    expect(t.startup).toBeLessThanOrEqual(before / 1000 + around);
    expect(t.finishing).toBeLessThanOrEqual(result.seconds);
    expect(t.planning + t.kernelSetup + result.seconds).toBeLessThanOrEqual(around + 1e-3);
  });
});

describe("plan decisions in the output", () => {
  it("V3: attention, dense MLP and experts on NVFP4; kv_b_proj (input dim not a multiple of 16) stays FP8 block", () => {
    const out = fixture("v3").output;
    for (const m of [
      "model.layers.0.self_attn.q_a_proj",
      "model.layers.0.mlp.gate_proj",
      "model.layers.1.mlp.experts.0.down_proj",
      "model.layers.1.mlp.shared_experts.up_proj",
    ]) {
      expect(out.has(`${m}.weight_packed`), m).toBe(true);
    }
    expect(out.get("model.layers.0.self_attn.kv_b_proj.weight")?.dtype).toBe("F8_E4M3");
    expect(out.get("model.layers.0.self_attn.kv_b_proj.weight_scale")?.dtype).toBe("F32");
    expect(out.get("model.layers.1.mlp.gate.weight")?.dtype).toBe("BF16");
    expect(out.has("model.layers.1.mlp.gate.e_score_correction_bias")).toBe(true);
    expect(out.get("lm_head.weight")?.dtype).toBe("BF16");
  });

  it("V3.2: the indexer is kept", () => {
    const out = fixture("v32").output;
    const indexer = [...out.keys()].filter((n) => n.includes(".self_attn.indexer."));
    expect(indexer.length).toBeGreaterThan(0);
    expect(indexer.some((n) => n.endsWith(".weight_packed"))).toBe(false);
  });

  it("V4: experts on NVFP4; attention, compressor, indexer, router, mHC, embed/head kept", () => {
    const out = fixture("v4").output;
    expect(out.has("layers.0.ffn.experts.0.w1.weight_packed")).toBe(true);
    expect(out.has("layers.0.ffn.shared_experts.w2.weight_packed")).toBe(true);
    expect(out.get("layers.0.attn.wq_a.weight")?.dtype).toBe("F8_E4M3");
    expect(out.get("layers.0.attn.wq_a.weight_scale")?.dtype).toBe("F32");
    expect(out.has("layers.0.attn.wq_a.scale")).toBe(false);
    for (const kept of [
      "layers.0.hc_attn_fn",
      "layers.0.ffn.gate.tid2eid",
      "layers.1.ffn.gate.bias",
      "embed.weight",
      "head.weight",
    ]) {
      expect(out.has(kept), kept).toBe(true);
    }
  });

  it("V4 with MXFP4 experts: FP8 shared experts quantized, kept FP8 scales become exact float32 powers of two", () => {
    const f = fixture("v4-mxfp4");
    expect(f.output.has("layers.0.ffn.shared_experts.w1.weight_packed")).toBe(true);
    expect(f.output.has("layers.0.ffn.experts.0.w1.weight")).toBe(false);
    expect(f.output.has("layers.0.ffn.experts.0.w1.scale")).toBe(false);
    expect(f.result.warnings.join("\n")).not.toMatch(/copied as they are/);
    const scale = f32(f.output.get("layers.0.attn.wq_a.weight_scale") as ReadTensor);
    for (const v of scale) expect(Number.isInteger(Math.log2(v))).toBe(true);
  });
});

describe("V4 with MXFP4 experts → NVFP4, both formats", () => {
  /** The E8M0 exponent of the largest block scale of a weight. */
  const maxExponent = (f: Fixture, weight: string) =>
    Math.max(...(f.source.get(f.plan.byName.get(weight)?.scale?.name ?? "") as ReadTensor).data) - 127;

  for (const format of ["compressed-tensors", "modelopt"] as const) {
    it(`${format}: codes kept, values equal to the source except in reported blocks, w1/w3 on one gs = 2^G`, async () => {
      const f = fixture("v4-mxfp4");
      const dst = format === "compressed-tensors" ? f.dst : join(root, "v4-mxfp4-modelopt");
      const result =
        format === "compressed-tensors"
          ? f.result
          : await convertCheckpoint({ src: f.src, dst, format, shardSizeBytes: SHARD_SIZE, inputScale: 1 });
      const output = format === "compressed-tensors" ? f.output : await readAllTensors(dst);
      const names =
        format === "compressed-tensors"
          ? { packed: "weight_packed", gs: "weight_global_scale" }
          : { packed: "weight", gs: "weight_scale_2" };
      const reported = new Map(result.quality.mxfp4.tensors.map((q) => [q.name, q]));
      const mxfp4 = f.plan.tensors.filter((t) => t.sourceFormat === "mxfp4");
      expect(mxfp4.length).toBe(48);
      expect(reported.size).toBe(48);
      let rounded = 0;
      for (const t of mxfp4) {
        const m = t.name.slice(0, -".weight".length);
        const [rows, cols] = logicalShape(t);
        const source = f.source.get(t.name) as ReadTensor;
        const scales = (f.source.get(`${m}.scale`) as ReadTensor).data;
        const packed = output.get(`${m}.${names.packed}`) as ReadTensor;
        const stored = f32(output.get(`${m}.${names.gs}`) as ReadTensor)[0] as number;
        const gs = format === "compressed-tensors" ? 1 / stored : stored;
        // gs = 2^G, G from the fused pair's largest block scale (landing on E4M3's 2^8).
        const pair = (f.plan.fusedGroups.get(t.fusedGroup ?? "") ?? [t.name]).map((w) => maxExponent(f, w));
        expect(gs, m).toBe(2 ** (Math.max(...pair) - 8));
        expect(packed.dtype).toBe("U8");
        const values = dequantizeNvfp4(
          packed.data,
          (output.get(`${m}.weight_scale`) as ReadTensor).data,
          gs,
          rows,
          cols,
        );
        const exact = dequantizeMxfp4(source.data, scales, rows, cols);
        const q = reported.get(t.name);
        let diff = 0;
        for (let i = 0; i < exact.length; i++) if (values[i] !== exact[i]) diff++;
        if (q?.roundedGroups === 0) {
          expect(diff, m).toBe(0);
          expect(Buffer.from(packed.data).equals(Buffer.from(source.data)), m).toBe(true);
        } else {
          rounded++;
          // Only the faint row differs; the report measured it.
          for (let i = cols; i < exact.length; i++) expect(values[i], `${m}[${i}]`).toBe(exact[i]);
          const { relRmsError, maxAbsError } = compareToReference(
            values.subarray(0, cols),
            exact.subarray(0, cols),
          );
          expect(q?.roundedGroups).toBe(cols / 16);
          expect(q?.firstRoundedGroups).toEqual(
            Array.from({ length: Math.min(cols / 16, 8) }, (_, g) => [0, g]),
          );
          expect(q?.roundedRelRmsError).toBeCloseTo(relRmsError, 10);
          expect(q?.maxAbsError).toBe(maxAbsError);
        }
      }
      // Expert 0's w2 in each of the layers and MTP blocks.
      expect(rounded).toBe(result.quality.mxfp4.totals.roundedTensors);
      expect(rounded).toBeGreaterThan(0);
      expect(result.warnings.at(-1)).toMatch(/groups in \d+ weights below E4M3's range were rounded/);
      expect(result.qualityMarkdown).toContain("## MXFP4 sources re-expressed as NVFP4");
      expect(result.qualityMarkdown).toMatch(/\| `layers\.0\.ffn\.experts\.0\.w2\.weight` \|/);
    });
  }
});

describe("non-tensor files", () => {
  it("copies files and folders of the source, but no hidden entries, tensors or the source's quant config", async () => {
    const src = join(root, "side-files");
    const dst = join(root, "side-files-nvfp4");
    await generateCheckpoint({ family: "deepseek-v3", dir: src });
    await mkdir(join(src, "inference"), { recursive: true });
    await mkdir(join(src, ".cache", "huggingface"), { recursive: true });
    await writeFile(join(src, "inference", "model.py"), "print('hi')\n");
    await writeFile(join(src, "inference", "stray.safetensors"), "not a tensor file");
    await writeFile(join(src, ".cache", "huggingface", "x.metadata"), "x");
    await writeFile(join(src, "hf_quant_config.json"), "{}");
    await writeFile(join(src, "README.md"), "# model\n");
    await convertCheckpoint({ src, dst });
    expect(await readFile(join(dst, "inference", "model.py"), "utf8")).toBe("print('hi')\n");
    expect(await readFile(join(dst, "README.md"), "utf8")).toBe("# model\n");
    const top = await readdir(dst);
    expect(top).not.toContain(".cache");
    expect(top).not.toContain("hf_quant_config.json");
    expect(await readdir(join(dst, "inference"))).toEqual(["model.py"]);
  });
});
