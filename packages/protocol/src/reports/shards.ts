/** The output shards of a convert run (its SHARD_LIST), in file-name order. */
import { z } from "zod";

export const ConvertedShardSchema = z.object({
  file: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  /** Hex SHA-256 of the whole file. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Kept from an earlier run instead of written by this one. */
  resumed: z.boolean(),
});
export type ConvertedShard = z.infer<typeof ConvertedShardSchema>;

export const ShardListSchema = z.array(ConvertedShardSchema);
