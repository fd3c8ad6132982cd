/**
 * Messages between the convert job (main thread) and its worker thread. The worker is the only
 * code that knows @fp4kit/quant's converter API; it reports in these terms.
 */
import type { ConvertOptions, MetricValues } from "@fp4kit/protocol";

export interface ConvertWorkerInput {
  source: string;
  dest: string;
  options: ConvertOptions;
  calibrationFile: string | null;
  /** The token of the destination lock the conversion takes, so the job can free it after ending the thread. */
  lockToken: string;
}

export type ConvertWorkerMessage =
  | { type: "log"; line: string }
  /** Values of MetricValuesSchema, as the converter computes them (progress, throughput, ETA...). */
  | { type: "progress"; values: MetricValues }
  | {
      type: "done";
      inputBytes: number;
      outputBytes: number;
      shards: unknown;
      quality: unknown;
      qualityMarkdown: string | null;
      summary: Record<string, unknown>;
    }
  | { type: "stopped" }
  | { type: "error"; message: string };

export type ConvertControlMessage = { type: "abort" };
