/**
 * The JSON files next to the tensors: `model.safetensors.index.json` and `config.json`, parsed
 * with zod so a malformed file fails with its name and the field that is wrong.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { CheckpointFormatError } from "./errors.ts";

export const INDEX_FILE = "model.safetensors.index.json";
export const SINGLE_FILE = "model.safetensors";
export const CONFIG_FILE = "config.json";

/** A shard name must be a plain file name inside the checkpoint directory. */
const SHARD_FILE_NAME = /^[^/\\]+\.safetensors$/;

/**
 * weight_map has ~150k entries on the largest checkpoints: checked with one plain loop (a zod
 * record costs ~1.5 µs per entry) and the regex runs once per distinct shard name.
 */
const weightMap = z.custom<Record<string, string>>(
  (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const shards = new Set<unknown>();
    for (const name in value) shards.add((value as Record<string, unknown>)[name]);
    for (const shard of shards) if (typeof shard !== "string" || !SHARD_FILE_NAME.test(shard)) return false;
    return true;
  },
  {
    message:
      "weight_map must map tensor names to shard file names ending in .safetensors, without directories",
  },
);

export const SafetensorsIndexSchema = z.looseObject({
  metadata: z.looseObject({ total_size: z.number().nonnegative().optional() }).optional(),
  weight_map: weightMap,
});
export type SafetensorsIndex = z.infer<typeof SafetensorsIndexSchema>;

/** The FP8 block-quantization block DeepSeek's configs carry (absent in unquantized configs). */
export const SourceQuantizationConfigSchema = z.looseObject({
  quant_method: z.string().optional(),
  fmt: z.string().optional(),
  activation_scheme: z.string().optional(),
  weight_block_size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
  scale_fmt: z.string().nullable().optional(),
});

/** Only the fields fp4kit reads; everything else in config.json is carried through untouched. */
export const ModelConfigSchema = z.looseObject({
  model_type: z.string().optional(),
  architectures: z.array(z.string()).optional(),
  num_hidden_layers: z.number().int().nonnegative().optional(),
  expert_dtype: z.string().optional(),
  quantization_config: SourceQuantizationConfigSchema.optional(),
});
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

/** Reads and validates a JSON file; `undefined` when it does not exist. */
export async function readJsonFile<T>(
  path: string,
  schema: z.ZodType<T>,
  what: string,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CheckpointFormatError({
      file: path,
      expected: `valid JSON (${what})`,
      found: (error as Error).message,
    });
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    throw new CheckpointFormatError({
      file: path,
      expected: what,
      found: `${issue?.message ?? "invalid data"}${at}`,
    });
  }
  return result.data;
}
