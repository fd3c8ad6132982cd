/**
 * Builds the inspect report from headers only: opens the checkpoint (index + shard headers),
 * plans it with the family preset, and summarizes plan and layout. No tensor data is read.
 */
import { basename, resolve } from "node:path";
import {
  type Engine,
  engineFormat,
  INSPECT_SCHEMA_VERSION,
  type InspectReport,
  type OutputFormat,
} from "@fp4kit/protocol";
import { outputFormat } from "../formats/index.ts";
import { scaleNamingOf } from "../rules/companions.ts";
import { type CheckpointPlan, type PlanOptions, planCheckpoint } from "../rules/plan.ts";
import { TENSOR_CATEGORIES, type TensorAction, type TensorPlan } from "../rules/types.ts";
import { Checkpoint, type OpenCheckpointOptions } from "../safetensors/checkpoint.ts";
import { engineView } from "./engine-view.ts";
import { foldTensorName } from "./patterns.ts";

export interface InspectOptions extends PlanOptions, OpenCheckpointOptions {
  /** Project the output for this engine (its format unless `format` is given). */
  engine?: Engine;
  format?: OutputFormat;
  /** Output shard size the projection assumes (convert's default). */
  shardSizeBytes?: number;
}

const DEFAULT_SHARD_SIZE = 5_000_000_000;

export async function inspectCheckpoint(dir: string, options: InspectOptions = {}): Promise<InspectReport> {
  const checkpoint = await Checkpoint.open(dir, options);
  if (options.engine === undefined && options.format === undefined)
    return buildInspectReport(checkpoint, planCheckpoint(checkpoint, options));
  const engine = options.engine ?? "vllm";
  const format = outputFormat(engineFormat(engine, options.format));
  const plan = planCheckpoint(checkpoint, { ...options, familyOptions: format.presetOptions });
  return {
    ...buildInspectReport(checkpoint, plan),
    engine: engineView(checkpoint, plan, format, {
      engine,
      format: options.format,
      quantizeAttention: options.quantizeAttention,
      shardSizeBytes: options.shardSizeBytes ?? DEFAULT_SHARD_SIZE,
    }),
  };
}

const ACTIONS: TensorAction[] = ["quantize", "preserve", "drop"];

export function buildInspectReport(checkpoint: Checkpoint, plan: CheckpointPlan): InspectReport {
  const bytesIn = checkpoint.tensorBytes;
  const projectedBytesOut = sum(plan.tensors, (t) => t.projectedBytes);
  const config = checkpoint.config;
  return {
    schemaVersion: INSPECT_SCHEMA_VERSION,
    checkpoint: {
      name: basename(resolve(checkpoint.dir)),
      layout: checkpoint.layout,
      tensorCount: checkpoint.tensors.size,
      tensorBytes: bytesIn,
      fileBytes: checkpoint.fileBytes,
      indexTotalSize: checkpoint.index?.metadata?.total_size ?? null,
      shards: checkpoint.shards.map(({ file, header }) => ({
        file,
        tensors: header.tensors.length,
        tensorBytes: header.fileSize - header.dataStart,
        fileBytes: header.fileSize,
      })),
      otherFiles: [...checkpoint.otherFiles],
    },
    model: {
      family: plan.family.family,
      detectedFrom: plan.family.source,
      modelType: config?.model_type ?? null,
      architectures: config?.architectures ?? [],
      expertDtype: config?.expert_dtype ?? null,
      quantizationConfig: config?.quantization_config ?? null,
    },
    preset: {
      id: plan.preset.id,
      description: plan.preset.description,
      quantizeAttention: plan.preset.options.quantizeAttention,
      ignore: plan.preset.options.ignore.map((re) => re.source),
      rules: plan.preset.rules.map((r) => ({
        name: r.name,
        pattern: r.pattern.source,
        category: r.category,
        action: r.action,
        why: r.why,
      })),
      fusedGroups: plan.preset.fusedGroups.map((g) => ({
        name: g.name,
        pattern: g.pattern.source,
        groupKey: g.groupKey,
      })),
    },
    dtypes: dtypeSummary(plan.tensors),
    fp8: fp8Summary(plan),
    alreadyFp4: alreadyFp4Summary(plan.tensors),
    categories: TENSOR_CATEGORIES.map((category) => {
      const members = plan.tensors.filter((t) => t.category === category);
      return {
        category,
        tensors: members.length,
        weights: members.filter((t) => t.role === "weight").length,
        bytes: sum(members, (t) => t.bytes),
      };
    }).filter((c) => c.tensors > 0),
    plan: planSummary(plan),
    patterns: patternSummary(plan.tensors),
    size: { bytesIn, projectedBytesOut, ratio: bytesIn === 0 ? 0 : projectedBytesOut / bytesIn },
    warnings: warnings(checkpoint, plan),
  };
}

function dtypeSummary(tensors: readonly TensorPlan[]): InspectReport["dtypes"] {
  const byDtype = new Map<TensorPlan["dtype"], { tensors: number; bytes: number }>();
  for (const t of tensors) {
    const entry = byDtype.get(t.dtype) ?? { tensors: 0, bytes: 0 };
    entry.tensors += 1;
    entry.bytes += t.bytes;
    byDtype.set(t.dtype, entry);
  }
  return [...byDtype]
    .map(([dtype, v]) => ({ dtype, ...v }))
    .sort((a, b) => b.bytes - a.bytes || a.dtype.localeCompare(b.dtype));
}

function fp8Summary(plan: CheckpointPlan): InspectReport["fp8"] {
  const fp8 = plan.tensors.filter((t) => t.sourceFormat === "fp8-block" && t.scale !== undefined);
  const naming = new Map<"weight_scale_inv" | "scale", number>();
  const scaleDtypes = new Map<TensorPlan["dtype"], number>();
  for (const t of fp8) {
    const scale = t.scale;
    if (scale === undefined) continue;
    const suffix = scaleNamingOf(scale.name);
    if (suffix !== undefined) naming.set(suffix, (naming.get(suffix) ?? 0) + 1);
    scaleDtypes.set(scale.dtype, (scaleDtypes.get(scale.dtype) ?? 0) + 1);
  }
  const perTensor = new Set(plan.fp8Block.perTensorScaled);
  return {
    weights: fp8.length,
    scaleNaming: [...naming].map(([suffix, count]) => ({ suffix, count })),
    scaleDtypes: [...scaleDtypes].map(([dtype, count]) => ({ dtype, count })),
    blockSize: {
      configured: plan.fp8Block.configured ?? null,
      detected: plan.fp8Block.detected ?? null,
      used: plan.fp8Block.used,
    },
    disagreements: fp8
      .filter((t) => perTensor.has(t.name) && t.scale !== undefined)
      .map((t) => ({
        tensor: t.name,
        shape: t.shape,
        scaleShape: t.scale?.shape ?? [],
        block: t.scale?.block ?? plan.fp8Block.used,
      })),
  };
}

function alreadyFp4Summary(tensors: readonly TensorPlan[]): InspectReport["alreadyFp4"] {
  const mxfp4 = tensors.filter((t) => t.sourceFormat === "mxfp4");
  return {
    format: "mxfp4",
    weights: mxfp4.length,
    bytes: sum(mxfp4, (t) => t.bytes),
    converted: mxfp4.filter((t) => t.action === "quantize").length,
    patterns: unique(mxfp4.map((t) => foldTensorName(t.name))),
  };
}

function planSummary(plan: CheckpointPlan): InspectReport["plan"] {
  const totals = (action: TensorAction) => {
    const members = plan.tensors.filter((t) => t.action === action);
    return {
      tensors: members.length,
      bytesIn: sum(members, (t) => t.bytes),
      bytesOut: sum(members, (t) => t.projectedBytes),
    };
  };
  const rules = new Map<string, InspectReport["plan"]["rules"][number]>();
  for (const t of plan.tensors) {
    const key = `${t.action}\u0000${t.rule}`;
    const entry = rules.get(key) ?? { rule: t.rule, action: t.action, tensors: 0, bytesIn: 0, bytesOut: 0 };
    entry.tensors += 1;
    entry.bytesIn += t.bytes;
    entry.bytesOut += t.projectedBytes;
    rules.set(key, entry);
  }
  const groups = new Map<string, InspectReport["plan"]["fusedGroups"][number]>();
  for (const [key, members] of plan.fusedGroups) {
    const pattern = foldTensorName(key);
    const entry = groups.get(pattern) ?? { pattern, groups: 0, members: 0, quantized: 0 };
    entry.groups += 1;
    entry.members += members.length;
    if (members.every((m) => plan.byName.get(m)?.action === "quantize")) entry.quantized += 1;
    groups.set(pattern, entry);
  }
  return {
    quantize: totals("quantize"),
    preserve: totals("preserve"),
    drop: totals("drop"),
    rules: [...rules.values()].sort(
      (a, b) =>
        ACTIONS.indexOf(a.action) - ACTIONS.indexOf(b.action) ||
        b.bytesIn - a.bytesIn ||
        a.rule.localeCompare(b.rule),
    ),
    fusedGroups: [...groups.values()],
  };
}

function patternSummary(tensors: readonly TensorPlan[]): InspectReport["patterns"] {
  const patterns = new Map<string, InspectReport["patterns"][number]>();
  for (const t of tensors) {
    const pattern = foldTensorName(t.name);
    let entry = patterns.get(pattern);
    if (entry === undefined) {
      entry = {
        pattern,
        count: 0,
        category: t.category,
        role: t.role,
        dtypes: [],
        shapes: [],
        bytes: 0,
        projectedBytes: 0,
        decisions: [],
      };
      patterns.set(pattern, entry);
    }
    entry.count += 1;
    entry.bytes += t.bytes;
    entry.projectedBytes += t.projectedBytes;
    if (!entry.dtypes.includes(t.dtype)) entry.dtypes.push(t.dtype);
    const shape = entry.shapes.find((s) => sameShape(s.shape, t.shape));
    if (shape === undefined) entry.shapes.push({ shape: t.shape, count: 1 });
    else shape.count += 1;
    const decision = entry.decisions.find((d) => d.action === t.action && d.rule === t.rule);
    if (decision === undefined) entry.decisions.push({ action: t.action, rule: t.rule, count: 1 });
    else decision.count += 1;
  }
  return [...patterns.values()];
}

function warnings(checkpoint: Checkpoint, plan: CheckpointPlan): string[] {
  const out: string[] = [];
  const { configured, detected } = plan.fp8Block;
  if (
    configured !== undefined &&
    detected !== undefined &&
    (configured[0] !== detected[0] || configured[1] !== detected[1])
  ) {
    out.push(
      `config.json weight_block_size ${configured.join("x")} differs from the ${detected.join("x")} block the scale shapes suggest`,
    );
  }
  const totalSize = checkpoint.index?.metadata?.total_size;
  if (totalSize !== undefined && totalSize !== checkpoint.tensorBytes) {
    out.push(
      `index metadata.total_size is ${totalSize} but the shards hold ${checkpoint.tensorBytes} tensor bytes`,
    );
  }
  const perTensor = plan.fp8Block.perTensorScaled.length;
  if (perTensor > 0)
    out.push(`${perTensor} FP8 weight(s) use a single per-tensor scale instead of block scales`);
  if (checkpoint.config === undefined) out.push("no config.json: family detected from tensor names");
  const hasFp8 = plan.tensors.some((t) => t.sourceFormat === "fp8-block");
  if (hasFp8 && checkpoint.config !== undefined && checkpoint.config.quantization_config === undefined) {
    out.push("FP8 weights present but config.json has no quantization_config");
  }
  return out;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += value(item);
  return total;
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
