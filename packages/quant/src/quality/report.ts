/**
 * The quality report: how far every NVFP4 weight is from its FP8 source (relative RMS error and max
 * absolute error of the values an engine reconstructs), per tensor, per layer and overall, and, for
 * MXFP4 sources re-expressed as NVFP4, which groups are exact and what rounding cost where not. Written
 * beside the output as fp4kit-quality.json and fp4kit-quality.md. It holds nothing that depends on
 * timing or the machine, so a resumed conversion writes the same bytes as an uninterrupted one. Its
 * schema (QualityReportSchema) is @fp4kit/protocol's: the dashboard reads the same document.
 */
import type {
  LayerQuality,
  Mxfp4Summary,
  Mxfp4TensorQuality,
  OutputFormat,
  QualityReport,
  TensorQuality,
} from "@fp4kit/protocol";

export type { LayerQuality, Mxfp4Summary, Mxfp4TensorQuality, QualityReport, TensorQuality };

export const QUALITY_JSON_FILE = "fp4kit-quality.json";
export const QUALITY_MARKDOWN_FILE = "fp4kit-quality.md";

const LAYER_PATTERN = /^((?:model\.)?layers\.\d+|mtp\.\d+)\./;

export function layerOf(tensorName: string): string {
  return LAYER_PATTERN.exec(tensorName)?.[1] ?? "model";
}

export function buildQualityReport(
  outputFormat: OutputFormat,
  tensors: TensorQuality[],
  mxfp4: Mxfp4TensorQuality[],
  inputScales: QualityReport["inputScales"],
  warnings: string[],
): QualityReport {
  const byLayer = new Map<string, TensorQuality[]>();
  for (const t of tensors) {
    const list = byLayer.get(t.layer);
    if (list === undefined) byLayer.set(t.layer, [t]);
    else list.push(t);
  }
  const layers = [...byLayer].map(([layer, list]) => summarize(layer, list));
  const err = sum(tensors, (t) => t.sumSqError);
  const ref = sum(tensors, (t) => t.sumSqRef);
  const mxfp4Totals: Mxfp4Summary = {
    tensors: mxfp4.length,
    groups: sum(mxfp4, (t) => t.groups),
    exactGroups: sum(mxfp4, (t) => t.exactGroups),
    subnormalScaleGroups: sum(mxfp4, (t) => t.subnormalScaleGroups),
    roundedGroups: sum(mxfp4, (t) => t.roundedGroups),
    roundedTensors: mxfp4.filter((t) => t.roundedGroups > 0).length,
    maxAbsError: maxOf(mxfp4, (t) => t.maxAbsError),
  };
  return {
    format: "fp4kit-quality",
    version: 1,
    outputFormat,
    totals: {
      quantizedTensors: tensors.length,
      elements: sum(tensors, (t) => t.elements),
      relRmsError: ref === 0 ? 0 : Math.sqrt(err / ref),
      meanRelRmsError: tensors.length === 0 ? 0 : sum(tensors, (t) => t.relRmsError) / tensors.length,
      maxRelRmsError: maxOf(tensors, (t) => t.relRmsError),
      maxAbsError: maxOf(tensors, (t) => t.maxAbsError),
    },
    inputScales,
    // Rounded MXFP4 groups are only known once converted: said here, with the planned warnings.
    warnings: mxfp4Totals.roundedGroups > 0 ? [...warnings, mxfp4SummaryLine(mxfp4Totals)] : warnings,
    layers,
    tensors,
    mxfp4: { totals: mxfp4Totals, tensors: mxfp4 },
  };
}

/** One line for logs and the CLI: how the MXFP4 sources went. */
export function mxfp4SummaryLine(m: Mxfp4Summary): string {
  const exact = `${m.exactGroups.toLocaleString("en-US")} of ${m.groups.toLocaleString("en-US")} groups exact`;
  const head = `${m.tensors} MXFP4 weights re-expressed as NVFP4, ${exact}`;
  if (m.roundedGroups === 0) return `${head} (values identical to the source)`;
  return `${head}; ${m.roundedGroups.toLocaleString("en-US")} groups in ${m.roundedTensors} weights below E4M3's range were rounded (max abs error ${m.maxAbsError.toExponential(3)}; see ${QUALITY_MARKDOWN_FILE})`;
}

function summarize(layer: string, list: TensorQuality[]): LayerQuality {
  const err = sum(list, (t) => t.sumSqError);
  const ref = sum(list, (t) => t.sumSqRef);
  const worst = list.reduce((a, b) => (b.relRmsError > a.relRmsError ? b : a));
  return {
    layer,
    tensors: list.length,
    relRmsError: ref === 0 ? 0 : Math.sqrt(err / ref),
    maxAbsError: maxOf(list, (t) => t.maxAbsError),
    worstTensor: worst.name,
    worstRelRmsError: worst.relRmsError,
  };
}

function sum<T>(items: readonly T[], f: (item: T) => number): number {
  let s = 0;
  for (const item of items) s += f(item);
  return s;
}

/** Max without spreading (a real checkpoint has ~100k tensors, more than a call's arguments). */
function maxOf<T>(items: readonly T[], f: (item: T) => number): number {
  let m = 0;
  for (const item of items) m = Math.max(m, f(item));
  return m;
}

const WORST_LISTED = 20;

export function renderQualityMarkdown(report: QualityReport): string {
  const t = report.totals;
  const lines = [
    "# NVFP4 quality report",
    "",
    `Output format: **${report.outputFormat}**. Errors compare the values an engine reconstructs from the NVFP4`,
    "output (E2M1 code × E4M3 group scale × global scale) with the FP8 source dequantized with its block scales.",
    "NVFP4 on Gaussian-like weights lands near 0.09–0.10 relative RMS error.",
    "",
    `- quantized tensors: ${t.quantizedTensors} (${t.elements.toLocaleString("en-US")} elements)`,
    `- relative RMS error: ${fmt(t.relRmsError)} overall, ${fmt(t.meanRelRmsError)} mean per tensor, ${fmt(t.maxRelRmsError)} worst`,
    `- max absolute error: ${t.maxAbsError.toExponential(3)}`,
  ];
  if (report.inputScales !== null) {
    const s = report.inputScales;
    lines.push(
      s.source === "calibration"
        ? `- activation input scales: from calibration file \`${s.file}\``
        : `- activation input scales: **${s.value} for every module (--input-scale, not calibrated)**`,
    );
  }
  if (report.warnings.length > 0) lines.push("", "## Warnings", "", ...report.warnings.map((w) => `- ${w}`));
  lines.push(
    "",
    "## Per layer",
    "",
    "| layer | tensors | rel. RMS error | max abs error | worst tensor (rel. RMS) |",
    "| --- | ---: | ---: | ---: | --- |",
  );
  for (const l of report.layers) {
    lines.push(
      `| ${l.layer} | ${l.tensors} | ${fmt(l.relRmsError)} | ${l.maxAbsError.toExponential(3)} | \`${l.worstTensor}\` (${fmt(l.worstRelRmsError)}) |`,
    );
  }
  const worst = [...report.tensors]
    .sort((a, b) => b.relRmsError - a.relRmsError || (a.name < b.name ? -1 : 1))
    .slice(0, WORST_LISTED);
  lines.push(
    "",
    `## ${worst.length} worst tensors`,
    "",
    "| tensor | shape | fused group | global scale | rel. RMS error | max abs error |",
    "| --- | --- | --- | ---: | ---: | ---: |",
  );
  for (const w of worst) {
    lines.push(
      `| \`${w.name}\` | ${w.shape.join("×")} | ${w.fusedGroup ?? ""} | ${w.globalScale.toExponential(4)} | ${fmt(w.relRmsError)} | ${w.maxAbsError.toExponential(3)} |`,
    );
  }
  if (report.mxfp4.tensors.length > 0) lines.push(...mxfp4Markdown(report.mxfp4));
  lines.push("", `Every tensor is listed in ${QUALITY_JSON_FILE}.`, "");
  return lines.join("\n");
}

function mxfp4Markdown({ totals: m, tensors }: QualityReport["mxfp4"]): string[] {
  const lines = [
    "",
    "## MXFP4 sources re-expressed as NVFP4",
    "",
    "These weights were MXFP4 in the source (E2M1 codes, one E8M0 scale 2^e per 32 elements). Their codes are kept and",
    "each block scale becomes two E4M3 group scales 2^(e−G) under the global scale 2^G shared by the fused group, G set so",
    "that the group's largest block scale is 2^8. A group is exact when 2^(e−G) is an E4M3 value (2^-9 to 2^8): the",
    "dequantized NVFP4 values then equal the MXFP4 ones bit for bit. A group further below has no E4M3 scale: it gets the",
    "smallest, 2^-9, and its codes are rounded to nearest (ties to even) on it; its block scale is at most 2^-18 times the",
    "group's largest.",
    "",
    `- weights: ${m.tensors}; 16-element groups: ${m.groups.toLocaleString("en-US")}`,
    `- exact: ${m.exactGroups.toLocaleString("en-US")} (${m.subnormalScaleGroups.toLocaleString("en-US")} of them on subnormal E4M3 scales 2^-9 to 2^-7)`,
    `- rounded: ${m.roundedGroups.toLocaleString("en-US")} in ${m.roundedTensors} weights, max absolute error ${m.maxAbsError.toExponential(3)}`,
  ];
  const rounded = tensors
    .filter((t) => t.roundedGroups > 0)
    .sort((a, b) => b.roundedGroups - a.roundedGroups || (a.name < b.name ? -1 : 1));
  if (rounded.length === 0) return lines;
  const shown = rounded.slice(0, WORST_LISTED);
  lines.push(
    "",
    `### ${shown.length === rounded.length ? "Weights" : `${shown.length} of ${rounded.length} weights`} with rounded groups`,
    "",
    "| tensor | E8M0 exponents | global scale | rounded groups | first ones [row, column / 16] | rel. RMS error of those groups | max abs error |",
    "| --- | --- | ---: | ---: | --- | ---: | ---: |",
  );
  for (const t of shown) {
    const range = t.scaleExponents === null ? "" : `${t.scaleExponents[0]} … ${t.scaleExponents[1]}`;
    lines.push(
      `| \`${t.name}\` | ${range} | 2^${Math.log2(t.globalScale)} | ${t.roundedGroups} of ${t.groups} | ${firstGroups(t)} | ${fmt(t.roundedRelRmsError)} | ${t.maxAbsError.toExponential(3)} |`,
    );
  }
  return lines;
}

function firstGroups(t: Mxfp4TensorQuality): string {
  const listed = t.firstRoundedGroups.map(([r, g]) => `[${r}, ${g}]`).join(" ");
  return t.roundedGroups > t.firstRoundedGroups.length ? `${listed} …` : listed;
}

function fmt(x: number): string {
  return x.toFixed(4);
}
