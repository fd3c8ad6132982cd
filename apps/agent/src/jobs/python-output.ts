import { ArtifactKindSchema, MetricValuesSchema } from "@fp4kit/protocol";
import { z } from "zod";

/**
 * What apps/agent/python/*.py print on stdout, one JSON object per line. Anything else on stdout
 * is kept as a plain log line; stderr is always logged as STDERR.
 */
export const PythonMessageSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("log"),
    level: z.enum(["debug", "info", "warning", "error"]).default("info"),
    message: z.string(),
  }),
  z.object({ type: z.literal("metric"), values: MetricValuesSchema }),
  z.object({
    type: z.literal("artifact"),
    kind: ArtifactKindSchema,
    json: z.json(),
    markdown: z.string().nullable().default(null),
  }),
  z.object({
    type: z.literal("result"),
    summary: z.record(z.string(), z.unknown()).nullable().default(null),
    inputBytes: z.number().nonnegative().nullable().default(null),
    outputBytes: z.number().nonnegative().nullable().default(null),
  }),
  /** The reason for a failure, stated by the script before it exits non-zero. */
  z.object({ type: z.literal("error"), message: z.string() }),
]);
export type PythonMessage = z.infer<typeof PythonMessageSchema>;

/** A stdout line as a protocol message, or null for plain output. */
export function parsePythonLine(line: string): PythonMessage | null {
  if (!line.startsWith("{")) return null;
  try {
    const parsed = PythonMessageSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
