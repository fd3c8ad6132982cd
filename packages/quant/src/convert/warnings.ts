/** What a user must know about an output that is not an error: said on stderr, in events and the report. */
import type { QuantizationConfigs } from "../formats/types.ts";
import type { InputScales } from "./calibration.ts";
import type { ResolvedConvertOptions } from "./options.ts";
import type { OutputLayout } from "./output-layout.ts";

export function conversionWarnings(
  o: ResolvedConvertOptions,
  layout: OutputLayout,
  inputScales: InputScales | undefined,
  configs: QuantizationConfigs,
): string[] {
  const warnings: string[] = [];
  const f32Scales = layout.units.filter(
    (u) => u.kind === "copy" && u.sources[0]?.dtype === "F8_E4M3" && u.sources[1]?.dtype === "F32",
  ).length;
  if (configs.configFields.expert_dtype === "fp4" && f32Scales > 0) {
    // vllm/models/deepseek_v4/quant_config.py: is_scale_e8m0 follows expert_dtype == "fp4".
    warnings.push(
      `${f32Scales} FP8 weights keep their F32 block scales while config.json says expert_dtype "fp4", for which vLLM reads FP8 scales as UE8M0: exact only where every scale is a power of two (DeepSeek's scale_fmt "ue8m0")`,
    );
  }
  if (inputScales?.source.kind === "flag") warnings.push(inputScales.source.warning);
  const m = layout.modules;
  if (m.quantized.length === 0) {
    warnings.push("no tensor is quantized to NVFP4 with these rules: the output is a copy of the source");
  }
  if (m.mxfp4.length > 0) {
    warnings.push(
      `${m.mxfp4.length} MXFP4 weights are kept by a rule and copied as they are; the output's quantization_config does not describe them, so engines need the source model's own MXFP4 handling (e.g. ${m.mxfp4[0]})`,
    );
  }
  const bf16 = layout.units.filter((u) => u.kind === "fp8-to-bf16").length;
  if (bf16 > 0) {
    const why =
      o.format === "modelopt"
        ? "ModelOpt NVFP4 has no FP8-block scheme, or their per-tensor scale is not the block scheme; they are in exclude_modules"
        : "their per-tensor scale is not an FP8-block scheme; they are in ignore";
    warnings.push(`${bf16} kept FP8 weights are written as BF16 (${why})`);
  }
  return warnings;
}
