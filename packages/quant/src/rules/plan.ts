/**
 * `planCheckpoint`: the single source of truth for what Path A does with every tensor. It pairs
 * weights with their scale companions, validates them (dtype, shape, block size), classifies each
 * tensor with the family preset and records the rule that decided. The converter and `inspect`
 * both consume it.
 */
import { join } from "node:path";
import type { Checkpoint, CheckpointTensor } from "../safetensors/checkpoint.ts";
import { CheckpointFormatError } from "../safetensors/errors.ts";
import {
  type BlockSize,
  blockFits,
  detectBlockSize,
  fp8ScaleGridShape,
  isPerTensorScale,
} from "./block-size.ts";
import { scaleCandidates, scaleOwner } from "./companions.ts";
import { type DetectedFamily, detectFamily } from "./detect.ts";
import { PresetMatcher } from "./matcher.ts";
import { buildPreset } from "./presets/index.ts";
import type {
  ModelFamily,
  Preset,
  PresetOptions,
  Rule,
  ScaleCompanion,
  SourceFormat,
  TensorAction,
  TensorPlan,
} from "./types.ts";

/** NVFP4 groups 16 input elements under one E4M3 scale. */
export const NVFP4_GROUP = 16;
/** MXFP4 groups 32 elements under one E8M0 scale. */
const MXFP4_GROUP = 32;
const MXFP4_REEXPRESSED =
  "MXFP4 source (packed E2M1 + E8M0 scales per 32): E2M1 codes kept, each block scale re-expressed as two E4M3 group scales under a power-of-two global scale (exact where the block's exponent is within E4M3's range under it)";

export interface PlanOptions extends PresetOptions {
  /** Skip detection and use this family's preset. */
  family?: ModelFamily;
  /** Options that depend on the family once detected (an output layout's, e.g. routed experts only). */
  familyOptions?: (family: ModelFamily) => PresetOptions;
}

/** What `planCheckpoint` needs from a checkpoint (a `Checkpoint` satisfies it). */
export type PlanInput = Pick<Checkpoint, "dir" | "tensors" | "config">;

export interface Fp8BlockInfo {
  /** From config.json quantization_config.weight_block_size. */
  configured: BlockSize | undefined;
  /** Explains the most weight/scale shape pairs. */
  detected: BlockSize | undefined;
  /** What scales are validated and dequantized with: configured, else detected, else 128x128. */
  used: BlockSize;
  /** FP8 weights whose single-element scale covers the whole tensor instead of `used` blocks. */
  perTensorScaled: string[];
}

export interface CheckpointPlan {
  family: DetectedFamily;
  preset: Preset;
  fp8Block: Fp8BlockInfo;
  /** One entry per tensor, in checkpoint order (shard, then data offset). */
  tensors: TensorPlan[];
  byName: Map<string, TensorPlan>;
  /** Fused group key → member weight names. Quantized members must share one global scale. */
  fusedGroups: Map<string, string[]>;
}

/** [out, in] of a weight in elements: MXFP4 weights are stored as packed pairs [out, in/2]. */
export function logicalShape(plan: Pick<TensorPlan, "shape" | "sourceFormat">): [number, number] {
  const [rows = 0, cols = 0] = plan.shape;
  return [rows, plan.sourceFormat === "mxfp4" ? cols * 2 : cols];
}

/** Bytes of an NVFP4 compressed-tensors Linear: packed E2M1 + E4M3 group scales + F32 global scale. */
export function nvfp4Bytes(rows: number, cols: number): number {
  return (rows * cols) / 2 + rows * (cols / NVFP4_GROUP) + 4;
}

interface Pairing {
  weight: CheckpointTensor;
  scale: CheckpointTensor;
  format: "fp8-block" | "mxfp4";
}

export function planCheckpoint(checkpoint: PlanInput, options: PlanOptions = {}): CheckpointPlan {
  const family = detectFamily(checkpoint.dir, checkpoint.config, checkpoint.tensors.keys(), options.family);
  const preset = buildPreset(family.family, {
    ...options.familyOptions?.(family.family),
    ...definedOnly(options),
  });
  const fileOf = (t: CheckpointTensor) => join(checkpoint.dir, t.file);

  const pairs = pairScales(checkpoint.tensors, fileOf);
  const { blockOf, ...fp8Block } = resolveBlocks(checkpoint, pairs, fileOf);

  const scaleOwners = new Map<string, string>();
  for (const pair of pairs.values()) scaleOwners.set(pair.scale.name, pair.weight.name);

  const matcher = new PresetMatcher(preset);
  const byName = new Map<string, TensorPlan>();
  const fusedGroups = new Map<string, string[]>();
  for (const tensor of checkpoint.tensors.values()) {
    if (scaleOwners.has(tensor.name)) continue;
    const { rule, fusedGroup: group } = matcher.match(tensor.name);
    const plan = classify(tensor, rule, pairs.get(tensor.name), preset, blockOf);
    if (group !== undefined) {
      plan.fusedGroup = group;
      const members = fusedGroups.get(group);
      if (members === undefined) fusedGroups.set(group, [tensor.name]);
      else members.push(tensor.name);
    }
    byName.set(plan.name, plan);
  }
  enforceFusedGroupConsistency(fusedGroups, byName);

  // Scales follow their weight's final decision, so they are planned last.
  for (const [scaleName, weightName] of scaleOwners) {
    const owner = byName.get(weightName) as TensorPlan;
    const scale = checkpoint.tensors.get(scaleName) as CheckpointTensor;
    byName.set(scaleName, scalePlan(scale, owner));
  }

  const tensors = [...checkpoint.tensors.keys()].map((name) => byName.get(name) as TensorPlan);
  return { family, preset, fp8Block, tensors, byName, fusedGroups };
}

/** The preset options a caller gave explicitly (undefined ones leave the family's layout in charge). */
function definedOnly(options: PresetOptions): PresetOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as PresetOptions;
}

/** Finds each weight's companion and checks the pair is a format we know. */
function pairScales(
  tensors: ReadonlyMap<string, CheckpointTensor>,
  fileOf: (t: CheckpointTensor) => string,
): Map<string, Pairing> {
  const pairs = new Map<string, Pairing>();
  for (const tensor of tensors.values()) {
    const owner = scaleOwner(tensor.name);
    if (owner !== undefined && tensors.has(owner.weight)) continue; // a companion: checked with its weight
    // `<x>.scale` may be an ordinary parameter; only `weight_scale_inv` must have a weight.
    if (owner?.naming === "weight_scale_inv") {
      throw new CheckpointFormatError({
        file: fileOf(tensor),
        tensor: tensor.name,
        expected: `its weight "${owner.weight}" in the checkpoint`,
        found: "a scale without a weight",
      });
    }
    const candidates = scaleCandidates(tensor.name);
    const found = candidates
      .map((c) => tensors.get(c.name))
      .filter((t): t is CheckpointTensor => t !== undefined);
    if (found.length > 1) {
      throw new CheckpointFormatError({
        file: fileOf(tensor),
        tensor: tensor.name,
        expected: "one scale companion",
        found: found.map((t) => `"${t.name}"`).join(" and "),
      });
    }
    const scale = found[0];
    if (scale === undefined) {
      if (tensor.dtype === "F8_E4M3") {
        throw new CheckpointFormatError({
          file: fileOf(tensor),
          tensor: tensor.name,
          expected:
            candidates.length === 0
              ? "F8_E4M3 tensors to be <module>.weight with a scale companion"
              : `a scale companion "${candidates.map((c) => c.name).join('" or "')}" for this FP8 weight`,
          found: "none",
        });
      }
      continue;
    }
    pairs.set(tensor.name, { weight: tensor, scale, format: pairFormat(tensor, scale, fileOf) });
  }
  return pairs;
}

function pairFormat(
  weight: CheckpointTensor,
  scale: CheckpointTensor,
  fileOf: (t: CheckpointTensor) => string,
): Pairing["format"] {
  if (weight.dtype === "F8_E4M3") {
    if (weight.shape.length !== 2) {
      throw new CheckpointFormatError({
        file: fileOf(weight),
        tensor: weight.name,
        expected: "a 2-D [out, in] FP8 weight",
        found: `shape ${JSON.stringify(weight.shape)}`,
      });
    }
    if (scale.dtype !== "F32" && scale.dtype !== "F8_E8M0") {
      throw new CheckpointFormatError({
        file: fileOf(scale),
        tensor: scale.name,
        expected: "an F32 or F8_E8M0 FP8 block scale",
        found: scale.dtype,
      });
    }
    return "fp8-block";
  }
  if (weight.dtype === "U8" || weight.dtype === "I8") {
    // Packed E2M1 pairs [out, in/2] with E8M0 scales [out, in/32].
    const [rows = 0, packedCols = 0] = weight.shape;
    const expectedScale = [rows, (packedCols * 2) / MXFP4_GROUP];
    const ok =
      weight.shape.length === 2 &&
      scale.dtype === "F8_E8M0" &&
      scale.shape.length === 2 &&
      scale.shape[0] === expectedScale[0] &&
      scale.shape[1] === expectedScale[1];
    if (!ok) {
      throw new CheckpointFormatError({
        file: fileOf(scale),
        tensor: scale.name,
        expected: `an F8_E8M0 MXFP4 scale of shape ${JSON.stringify(expectedScale)} for packed FP4 weight ${JSON.stringify(weight.shape)} (group ${MXFP4_GROUP})`,
        found: `${scale.dtype} ${JSON.stringify(scale.shape)}`,
      });
    }
    return "mxfp4";
  }
  throw new CheckpointFormatError({
    file: fileOf(weight),
    tensor: weight.name,
    expected: `an F8_E4M3 or packed FP4 (U8/I8) weight, since it has the scale companion "${scale.name}"`,
    found: weight.dtype,
  });
}

/** Decides the FP8 block and checks every FP8 scale against it. */
function resolveBlocks(
  checkpoint: PlanInput,
  pairs: ReadonlyMap<string, Pairing>,
  fileOf: (t: CheckpointTensor) => string,
): Fp8BlockInfo & { blockOf: Map<string, BlockSize> } {
  const fp8 = [...pairs.values()].filter((p) => p.format === "fp8-block");
  const shapes = fp8.map((p) => ({ shape: p.weight.shape, scaleShape: p.scale.shape }));
  const configured = checkpoint.config?.quantization_config?.weight_block_size;
  const detected = detectBlockSize(shapes);
  const used: BlockSize = configured ?? detected ?? [128, 128];
  const source =
    configured !== undefined ? "config.json weight_block_size" : "the scales of the other weights";

  const blockOf = new Map<string, BlockSize>();
  const perTensorScaled: string[] = [];
  for (const { weight, scale } of fp8) {
    const shape = { shape: weight.shape, scaleShape: scale.shape };
    if (blockFits(shape, used)) {
      blockOf.set(weight.name, used);
    } else if (isPerTensorScale(scale.shape)) {
      blockOf.set(weight.name, [weight.shape[0] ?? 0, weight.shape[1] ?? 0]);
      perTensorScaled.push(weight.name);
    } else {
      throw new CheckpointFormatError({
        file: fileOf(scale),
        tensor: scale.name,
        expected: `shape ${JSON.stringify(fp8ScaleGridShape(weight.shape, used))} for weight ${JSON.stringify(weight.shape)} with ${used[0]}x${used[1]} blocks (from ${source})`,
        found: JSON.stringify(scale.shape),
      });
    }
  }
  return { configured, detected, used, perTensorScaled, blockOf };
}

function classify(
  tensor: CheckpointTensor,
  rule: Rule,
  pair: Pairing | undefined,
  preset: Preset,
  blockOf: ReadonlyMap<string, BlockSize>,
): TensorPlan {
  const sourceFormat: SourceFormat = pair?.format ?? "plain";
  const decision = decide(tensor, rule, sourceFormat, preset);
  const bytes = tensor.end - tensor.begin;
  const plan: TensorPlan = {
    name: tensor.name,
    file: tensor.file,
    dtype: tensor.dtype,
    shape: tensor.shape,
    bytes,
    role: pair === undefined ? "tensor" : "weight",
    sourceFormat,
    category: rule.category,
    ...decision,
    projectedBytes: 0,
  };
  if (pair !== undefined) plan.scale = companionOf(pair, blockOf.get(tensor.name));
  plan.projectedBytes = projectedBytes(plan);
  return plan;
}

function decide(
  tensor: CheckpointTensor,
  rule: Rule,
  sourceFormat: SourceFormat,
  preset: Preset,
): { action: TensorAction; rule: string; why: string } {
  if (rule.action === "preserve") return { action: "preserve", rule: rule.name, why: rule.why };
  const ignore = preset.options.ignore.find((re) => re.test(tensor.name));
  if (ignore !== undefined) {
    return {
      action: "preserve",
      rule: `ignore:${ignore.source}`,
      why: `matches the user ignore pattern /${ignore.source}/`,
    };
  }
  if (sourceFormat === "mxfp4") {
    // Packed codes [out, in/2] with 32-element blocks: the input dim is a multiple of 16 already.
    return { action: "quantize", rule: rule.name, why: `${rule.why}; ${MXFP4_REEXPRESSED}` };
  }
  if (sourceFormat !== "fp8-block") {
    return {
      action: "preserve",
      rule: "not-fp8",
      why: `${tensor.dtype} source (rule ${rule.name}): only FP8 E4M3 block-scaled and MXFP4 weights are converted`,
    };
  }
  const inDim = tensor.shape[1] ?? 0;
  if (inDim % NVFP4_GROUP !== 0) {
    return {
      action: "preserve",
      rule: "in-dim-not-multiple-of-16",
      why: `input dim ${inDim} is not a multiple of the NVFP4 group (${NVFP4_GROUP}); kept in FP8`,
    };
  }
  return { action: "quantize", rule: rule.name, why: rule.why };
}

function companionOf(pair: Pairing, block: BlockSize | undefined): ScaleCompanion {
  return {
    name: pair.scale.name,
    dtype: pair.scale.dtype,
    shape: pair.scale.shape,
    // MXFP4: one scale per row and 32 E2M1 values (16 packed bytes).
    block: block ?? [1, MXFP4_GROUP],
  };
}

/**
 * An engine fuses a group into one GEMM, so its members must end up in one format: if any member
 * is kept, the quantized ones are kept too. Members from different source formats (FP8 and MXFP4)
 * cannot share one global scale as both conversions need it, so they are kept as well.
 */
function enforceFusedGroupConsistency(
  groups: ReadonlyMap<string, string[]>,
  plans: ReadonlyMap<string, TensorPlan>,
): void {
  for (const [key, members] of groups) {
    const memberPlans = members.map((m) => plans.get(m) as TensorPlan);
    const quantized = memberPlans.filter((p) => p.action === "quantize");
    if (quantized.length === 0) continue;
    const kept = memberPlans.find((p) => p.action !== "quantize");
    const mixed = quantized.find((p) => p.sourceFormat !== quantized[0]?.sourceFormat);
    if (kept === undefined && mixed === undefined) continue;
    const why =
      kept !== undefined
        ? `fused group ${key} also holds "${kept.name}", which is kept (rule ${kept.rule}); engines fuse the group into one GEMM, so all members stay in the source format`
        : `fused group ${key} mixes ${quantized[0]?.sourceFormat} and ${mixed?.sourceFormat} sources ("${quantized[0]?.name}", "${mixed?.name}"), which cannot share one NVFP4 global scale; all members stay in the source format`;
    for (const plan of quantized) {
      plan.action = "preserve";
      plan.rule = "fused-group-consistency";
      plan.why = why;
      plan.projectedBytes = projectedBytes(plan);
    }
  }
}

function scalePlan(scale: CheckpointTensor, owner: TensorPlan): TensorPlan {
  const dropped = owner.action === "quantize";
  const plan: TensorPlan = {
    name: scale.name,
    file: scale.file,
    dtype: scale.dtype,
    shape: scale.shape,
    bytes: scale.end - scale.begin,
    role: "scale",
    sourceFormat: "plain",
    category: owner.category,
    action: dropped ? "drop" : "preserve",
    rule: dropped ? "scale-of-quantized" : "scale-of-preserved",
    why: dropped
      ? owner.sourceFormat === "mxfp4"
        ? `E8M0 MXFP4 scale of "${owner.name}", which is converted: replaced by its NVFP4 scales`
        : `FP8 scale of "${owner.name}", which is quantized: replaced by its NVFP4 scales`
      : `scale of "${owner.name}", which is kept: copied with it`,
    scaleOf: owner.name,
    projectedBytes: 0,
  };
  plan.projectedBytes = projectedBytes(plan);
  return plan;
}

function projectedBytes(plan: TensorPlan): number {
  if (plan.action === "drop") return 0;
  if (plan.action === "quantize") return nvfp4Bytes(...logicalShape(plan));
  return plan.bytes;
}
