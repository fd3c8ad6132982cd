/**
 * The formats' own config schemas, as zod schemas transcribed from their source (docs/engines.md):
 * - compressed-tensors `QuantizationConfig` (quant_config.py: unknown keys ignored), its
 *   `QuantizationScheme` and `QuantizationArgs` (quant_scheme.py / quant_args.py: unknown keys
 *   forbidden, enums and the model validators' cross-field rules), `CompressionFormat`
 *   (config/base.py);
 * - ModelOpt's hf_quant_config.json as TensorRT-LLM's `load_modelopt_quant_config` reads it
 *   (model_config.py), and the quant_cfg.json it reads for MIXED_PRECISION.
 */
import { z } from "zod";

export const COMPRESSION_FORMATS = [
  "dense",
  "sparse-bitmask",
  "sparse-24-bitmask",
  "int-quantized",
  "float-quantized",
  "naive-quantized",
  "pack-quantized",
  "marlin-24",
  "mixed-precision",
  "nvfp4-pack-quantized",
  "mxfp4-pack-quantized",
] as const;

const STRATEGIES = ["tensor", "channel", "group", "block", "token", "tensor_group", "attn_head"] as const;

export const QuantizationArgsSchema = z
  .object({
    num_bits: z.number().int(),
    type: z.enum(["int", "float"]),
    symmetric: z.boolean(),
    group_size: z.number().int().min(-1).nullable(),
    strategy: z.enum(STRATEGIES).nullable(),
    block_structure: z.tuple([z.number().int(), z.number().int()]).nullable(),
    dynamic: z.union([z.boolean(), z.literal("local")]),
    actorder: z.enum(["group", "weight", "dynamic", "static"]).nullable(),
    observer: z.string().nullable().optional(),
    observer_kwargs: z.record(z.string(), z.unknown()).optional(),
    scale_dtype: z.string().nullable().optional(),
    zp_dtype: z.string().nullable().optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: "custom", message });
    const grouped = a.strategy === "group" || a.strategy === "tensor_group";
    if (grouped && (a.group_size === null || a.group_size <= 0))
      fail(`strategy ${a.strategy} requires group_size to be set to a positive value`);
    if (a.group_size !== null && a.group_size > 0 && !grouped)
      fail("group_size requires strategy to be set to 'group'");
    if (a.strategy === "block" && a.block_structure === null) fail("Block strategy requires block structure");
    if (a.block_structure !== null && a.strategy !== "block") fail("Block structure requires block strategy");
    if (a.actorder !== null && a.strategy !== "group")
      fail("Must use group quantization strategy in order to apply activation ordering");
    if (a.strategy === "token" && a.dynamic === false)
      fail("Cannot perform static token quantization, please use `dynamic=True`");
    if (a.dynamic !== false && !["token", "tensor", "tensor_group", "group"].includes(a.strategy ?? "tensor"))
      fail("One of (token, tensor, tensor_group, group) must be used for dynamic quant.");
    if (a.dynamic === "local" && a.strategy !== "tensor_group")
      fail("local is only supported for strategy tensor_group");
  });

export const QuantizationSchemeSchema = z
  .object({
    targets: z.array(z.string()),
    weights: QuantizationArgsSchema.nullable(),
    input_activations: QuantizationArgsSchema.nullable(),
    output_activations: QuantizationArgsSchema.nullable(),
    format: z.enum(COMPRESSION_FORMATS).nullable(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const inputs = s.input_activations;
    if (
      inputs !== null &&
      !["token", "tensor", "group", "tensor_group", "attn_head"].includes(inputs.strategy ?? "tensor")
    )
      ctx.addIssue({
        code: "custom",
        message: `Using ${inputs.strategy} strategy is not supported for activation quantization`,
      });
    if (inputs !== null && inputs.actorder !== null)
      ctx.addIssue({ code: "custom", message: "Cannot apply actorder to input activations" });
    if (s.format === "mixed-precision")
      ctx.addIssue({
        code: "custom",
        message: "mixed-precision cannot be set as a format for a QuantizationScheme",
      });
  });

export const CompressedTensorsConfigSchema = z.looseObject({
  quant_method: z.literal("compressed-tensors"),
  format: z.enum(COMPRESSION_FORMATS),
  quantization_status: z.enum(["initialized", "calibration", "frozen", "compressed"]),
  config_groups: z.record(z.string(), QuantizationSchemeSchema),
  ignore: z.array(z.string()),
  kv_cache_scheme: QuantizationArgsSchema.nullable(),
  global_compression_ratio: z.number().nullable(),
});

const ModelOptQuantAlgo = z.enum(["NVFP4", "MIXED_PRECISION"]);

export const HfQuantConfigSchema = z.object({
  producer: z.object({ name: z.literal("modelopt"), version: z.string() }),
  quantization: z.object({
    quant_algo: ModelOptQuantAlgo,
    kv_cache_quant_algo: z.string().nullable(),
    group_size: z.literal(16),
    exclude_modules: z.array(z.string()),
    quantized_layers: z
      .record(z.string(), z.object({ quant_algo: z.literal("NVFP4"), group_size: z.literal(16) }))
      .optional(),
  }),
});

export const QuantCfgSchema = z.object({
  quant_algo: z.literal("MIXED_PRECISION"),
  kv_cache_quant_algo: z.string().nullable(),
  quantized_layers: z.record(z.string(), z.object({ quant_algo: z.string(), group_size: z.number().int() })),
});

/** config.json's quantization_config of a ModelOpt NVFP4 checkpoint (vLLM's "compressed-tensors style"). */
export const ModelOptConfigSchema = z.looseObject({
  quant_method: z.literal("modelopt"),
  quant_algo: z.literal("NVFP4"),
  kv_cache_quant_algo: z.string().nullable(),
  group_size: z.literal(16),
  ignore: z.array(z.string()),
});

/** config.json's quantization_config of NVIDIA's DeepSeek V4 layout (FP8 + NVFP4 routed experts). */
export const DeepseekV4MixedConfigSchema = z.looseObject({
  quant_method: z.literal("fp8"),
  activation_scheme: z.literal("dynamic"),
  weight_block_size: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  moe_quant_algo: z.literal("NVFP4"),
});
