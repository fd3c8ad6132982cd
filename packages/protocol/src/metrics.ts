import { z } from "zod";

/** One metric sample of a run; every field optional because each job kind reports a subset. */
export const MetricValuesSchema = z
  .object({
    progress: z.number().min(0).max(1),
    bytesRead: z.number().nonnegative(),
    bytesWritten: z.number().nonnegative(),
    /** Bytes of source (FP8) input per second. */
    throughputBytesPerSec: z.number().nonnegative(),
    etaSeconds: z.number().nonnegative(),
    tensorsDone: z.number().int().nonnegative(),
    tensorsTotal: z.number().int().nonnegative(),
    outputBytes: z.number().nonnegative(),
    currentShard: z.string(),
    gpuUtilization: z.number().min(0).max(1),
    gpuMemoryUsedBytes: z.number().nonnegative(),
  })
  .partial();
export type MetricValues = z.infer<typeof MetricValuesSchema>;
