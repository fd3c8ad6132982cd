/** Renders an inspect report as Markdown (inspect.md) and as a short terminal summary. */

import type { InspectReport } from "@fp4kit/protocol";
import { formatBytes } from "../util/bytes.ts";

/** Shard tables longer than this are summarized. */
const MAX_SHARD_ROWS = 32;

export function renderInspectMarkdown(report: InspectReport): string {
  const { checkpoint, model, preset, fp8, alreadyFp4, plan, size } = report;
  const lines: string[] = [`# fp4kit inspect: ${checkpoint.name}`, ""];

  lines.push(
    ...table(
      ["", ""],
      [
        ["Family", `${model.family} (from ${model.detectedFrom})`],
        ["Model type", `${model.modelType ?? "—"} / ${model.architectures.join(", ") || "—"}`],
        [
          "Layout",
          `${checkpoint.layout}, ${checkpoint.shards.length} shard(s), ${checkpoint.tensorCount} tensors, ${checkpoint.otherFiles.length} other file(s)`,
        ],
        ["Tensor bytes", bytesCell(checkpoint.tensorBytes)],
        [
          "Projected NVFP4 output",
          `${bytesCell(size.projectedBytesOut)}, ${percent(size.ratio)} of the input`,
        ],
        ["FP8 block", blockCell(fp8.blockSize)],
        ["Scale companions", scaleCell(fp8)],
        [
          "Already FP4",
          alreadyFp4.weights === 0
            ? "none"
            : `${alreadyFp4.weights} MXFP4 weights (${formatBytes(alreadyFp4.bytes)}), ${alreadyFp4.converted} re-expressed as NVFP4`,
        ],
        [
          "Preset",
          `${preset.id}, quantizeAttention=${preset.quantizeAttention}, ignore: ${preset.ignore.map(code).join(", ") || "none"}`,
        ],
      ],
    ),
    "",
  );

  if (report.warnings.length > 0) lines.push("## Warnings", "", ...report.warnings.map((w) => `- ${w}`), "");
  if (report.engine !== undefined) lines.push(...engineSection(report.engine));

  lines.push(
    "## Path A plan",
    "",
    ...table(
      ["Action", "Tensors", "Bytes in", "Bytes out"],
      (["quantize", "preserve", "drop"] as const).map((a) => [
        a,
        String(plan[a].tensors),
        formatBytes(plan[a].bytesIn),
        formatBytes(plan[a].bytesOut),
      ]),
    ),
    "",
    "### By rule",
    "",
    ...table(
      ["Rule", "Action", "Tensors", "Bytes in", "Bytes out"],
      plan.rules.map((r) => [
        code(r.rule),
        r.action,
        String(r.tensors),
        formatBytes(r.bytesIn),
        formatBytes(r.bytesOut),
      ]),
    ),
    "",
  );

  lines.push(
    "## Categories",
    "",
    ...table(
      ["Category", "Tensors", "Weights", "Bytes"],
      report.categories.map((c) => [c.category, String(c.tensors), String(c.weights), formatBytes(c.bytes)]),
    ),
    "",
    "## Dtypes",
    "",
    ...table(
      ["Dtype", "Tensors", "Bytes"],
      report.dtypes.map((d) => [d.dtype, String(d.tensors), formatBytes(d.bytes)]),
    ),
    "",
  );

  lines.push(
    "## FP8 scaling",
    "",
    `- FP8 weights with a scale companion: ${fp8.weights}`,
    `- Block: ${blockCell(fp8.blockSize)}`,
  );
  lines.push(`- Scale companions: ${scaleCell(fp8)}`);
  if (fp8.disagreements.length === 0) {
    lines.push("- Every FP8 scale matches the block size.", "");
  } else {
    lines.push(
      "- Weights whose scale does not match the block size:",
      "",
      ...table(
        ["Tensor", "Shape", "Scale shape", "Block used"],
        fp8.disagreements.map((d) => [
          code(d.tensor),
          shapeText(d.shape),
          shapeText(d.scaleShape),
          d.block.join("x"),
        ]),
      ),
      "",
    );
  }

  if (alreadyFp4.weights > 0) {
    lines.push(
      "## Already FP4 (MXFP4)",
      "",
      `${alreadyFp4.weights} weights (${formatBytes(alreadyFp4.bytes)}) are packed E2M1 with E8M0 scales per 32 elements, never treated as FP8. ${alreadyFp4.converted} of them are re-expressed as NVFP4: codes kept, each E8M0 block scale written as two E4M3 group scales under a power-of-two global scale shared by the fused group, exact wherever E4M3 reaches (the quality report lists any rounded group)${alreadyFp4.converted < alreadyFp4.weights ? "; the others are copied as they are" : ""}:`,
      "",
      ...alreadyFp4.patterns.map((p) => `- ${code(p)}`),
      "",
    );
  }

  if (plan.fusedGroups.length > 0) {
    lines.push(
      "## Fused groups (one shared NVFP4 global scale each)",
      "",
      ...table(
        ["Group", "Groups", "Members", "Quantized groups"],
        plan.fusedGroups.map((g) => [
          code(g.pattern),
          String(g.groups),
          String(g.members),
          String(g.quantized),
        ]),
      ),
      "",
    );
  }

  lines.push(
    "## Tensor patterns",
    "",
    ...table(
      ["Pattern", "Count", "Category", "Dtype", "Shapes", "Decision", "Bytes in → out"],
      report.patterns.map((p) => [
        code(p.pattern),
        String(p.count),
        p.category,
        p.dtypes.join(", "),
        p.shapes.map((s) => `${shapeText(s.shape)}${p.shapes.length > 1 ? ` ×${s.count}` : ""}`).join(" "),
        p.decisions
          .map((d) => `${d.action} (${d.rule})${p.decisions.length > 1 ? ` ×${d.count}` : ""}`)
          .join("; "),
        `${formatBytes(p.bytes)} → ${formatBytes(p.projectedBytes)}`,
      ]),
    ),
    "",
  );

  lines.push("## Shards", "", ...shardLines(checkpoint), "");

  lines.push(
    "## Preset rules (first match wins)",
    "",
    ...table(
      ["#", "Rule", "Pattern", "Category", "Action", "Why"],
      preset.rules.map((r, i) => [String(i + 1), code(r.name), code(r.pattern), r.category, r.action, r.why]),
    ),
    "",
    "Checked after a rule says quantize: user ignore patterns (`ignore:<regex>`), an FP8 E4M3 source with block scales or an MXFP4 source (`not-fp8`), input dim a multiple of 16 (`in-dim-not-multiple-of-16`), and fused groups quantized all or none, from one source format (`fused-group-consistency`).",
    "",
  );
  return `${lines.join("\n").trimEnd()}\n`;
}

function engineSection(engine: NonNullable<InspectReport["engine"]>): string[] {
  const lines = [
    `## Output for ${engine.engine} (${engine.format})`,
    "",
    engine.refusal === null
      ? `Exact output: ${bytesCell(engine.outputBytes)} in ${engine.shards} shard(s), with ${engine.configFiles.map(code).join(", ")}.`
      : `Not loadable: ${engine.refusal}. A forced conversion would write ${bytesCell(engine.outputBytes)} in ${engine.shards} shard(s).`,
    "",
    ...table(
      ["Engine asks about", "Kind", "Modules", "Checkpoint modules", "Engine builds", "Decided by"],
      engine.patterns.map((p) => [
        code(p.pattern),
        p.kind,
        String(p.modules),
        p.checkpointModules.map(code).join(", "),
        p.scheme,
        p.via,
      ]),
    ),
    "",
  ];
  if (engine.problems.length > 0)
    lines.push("### Problems the engine would hit", "", ...engine.problems.map((p) => `- ${p}`), "");
  return lines;
}

/** A few lines for the terminal; the full picture is in inspect.md / inspect.json. */
export function renderInspectSummary(report: InspectReport): string {
  const { checkpoint, model, fp8, alreadyFp4, plan, size } = report;
  const row = (label: string, value: string) => `  ${label.padEnd(12)} ${value}`;
  const lines = [
    `fp4kit inspect: ${checkpoint.name}`,
    row("family", `${model.family} (from ${model.detectedFrom})`),
    row(
      "layout",
      `${checkpoint.layout}, ${checkpoint.shards.length} shard(s), ${checkpoint.tensorCount} tensors, ${formatBytes(checkpoint.tensorBytes)}`,
    ),
    row(
      "fp8",
      `${fp8.weights} weights, block ${blockCell(fp8.blockSize)}; scales: ${scaleCell(fp8, (s) => s)}`,
    ),
    row(
      "already fp4",
      alreadyFp4.weights === 0
        ? "none"
        : `${alreadyFp4.weights} MXFP4 weights, ${formatBytes(alreadyFp4.bytes)}, ${alreadyFp4.converted} re-expressed as NVFP4`,
    ),
    row(
      "plan",
      `quantize ${plan.quantize.tensors} (${formatBytes(plan.quantize.bytesIn)} → ${formatBytes(plan.quantize.bytesOut)}), preserve ${plan.preserve.tensors}, drop ${plan.drop.tensors} scales`,
    ),
    row("output", `~${formatBytes(size.projectedBytesOut)} projected (${percent(size.ratio)} of the input)`),
    row("categories", report.categories.map((c) => `${c.category} ${c.tensors}`).join(", ")),
  ];
  const engine = report.engine;
  if (engine !== undefined) {
    const schemes = new Map<string, number>();
    for (const p of engine.patterns) schemes.set(p.scheme, (schemes.get(p.scheme) ?? 0) + p.modules);
    lines.push(
      row(
        engine.engine,
        `${engine.format}: exactly ${formatBytes(engine.outputBytes)}; modules it asks about: ${[...schemes].map(([s, n]) => `${n} ${s}`).join(", ")}`,
      ),
    );
    if (engine.refusal !== null) lines.push(row("refused", engine.refusal));
    for (const problem of engine.problems) lines.push(row("problem", problem));
  }
  for (const warning of report.warnings) lines.push(row("warning", warning));
  return `${lines.join("\n")}\n`;
}

function shardLines(checkpoint: InspectReport["checkpoint"]): string[] {
  const rows = checkpoint.shards.map((s) => [code(s.file), String(s.tensors), formatBytes(s.fileBytes)]);
  if (rows.length <= MAX_SHARD_ROWS) return table(["File", "Tensors", "File bytes"], rows);
  const sizes = checkpoint.shards.map((s) => s.fileBytes);
  return [
    `${rows.length} shards, ${formatBytes(Math.min(...sizes))} to ${formatBytes(Math.max(...sizes))} each (see inspect.json for the list).`,
  ];
}

function table(header: string[], rows: string[][]): string[] {
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), `|${header.map(() => "---").join("|")}|`, ...rows.map(line)];
}

function code(text: string): string {
  return `\`${text}\``;
}

function bytesCell(bytes: number): string {
  return `${formatBytes(bytes)} (${bytes} B)`;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function blockCell(block: InspectReport["fp8"]["blockSize"]): string {
  const text = (b: readonly number[] | null) => (b === null ? "none" : b.join("x"));
  return `${text(block.used)} (config: ${text(block.configured)}, detected from shapes: ${text(block.detected)})`;
}

function scaleCell(fp8: InspectReport["fp8"], format: (text: string) => string = code): string {
  if (fp8.weights === 0) return "none";
  const naming = fp8.scaleNaming.map((n) => `${format(`.${n.suffix}`)} ×${n.count}`).join(", ");
  const dtypes = fp8.scaleDtypes.map((d) => `${d.dtype} ×${d.count}`).join(", ");
  return `${naming}; dtype ${dtypes}`;
}
