/**
 * The checkpoint vocabulary that reports speak: model families, tensor categories and safetensors
 * dtype names. The converter classifies with these lists and the reports carry them, so they are
 * defined once, here, where the browser can read them too.
 */

/** Model families by the names the converter detects. */
export const MODEL_FAMILIES = ["deepseek-v3", "deepseek-v3.2", "deepseek-v4"] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

/** What a tensor is in the model; a preset's rules assign one to every tensor. */
export const TENSOR_CATEGORIES = [
  "routed-expert",
  "shared-expert",
  "dense-mlp",
  "attention",
  "compressor",
  "indexer",
  "router",
  "norm",
  "mhc",
  "embedding",
  "head",
  "mtp",
  "other",
] as const;
export type TensorCategory = (typeof TENSOR_CATEGORIES)[number];

/** Safetensors dtype names, as huggingface/safetensors spells them (`Dtype` in safetensors/src/tensor.rs). */
export const SAFETENSORS_DTYPES = [
  "BOOL",
  "F4",
  "F6_E2M3",
  "F6_E3M2",
  "U8",
  "I8",
  "F8_E5M2",
  "F8_E4M3",
  "F8_E8M0",
  "I16",
  "U16",
  "F16",
  "BF16",
  "I32",
  "U32",
  "F32",
  "C64",
  "F64",
  "I64",
  "U64",
] as const;
export type Dtype = (typeof SAFETENSORS_DTYPES)[number];
