import { queryGpus } from "../capabilities.ts";
import type { JobContext } from "../jobs/context.ts";

/**
 * While a job runs on a host with GPUs, samples nvidia-smi every `intervalMs` into the run's
 * metrics (mean utilisation, total memory used). Returns a stop function.
 */
export function sampleGpus(ctx: JobContext, intervalMs: number): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const tick = async () => {
    const gpus = await queryGpus();
    if (stopped || gpus.length === 0) return; // no GPUs: stop sampling for good
    ctx.metric({
      gpuUtilization: gpus.reduce((sum, g) => sum + g.utilization, 0) / gpus.length,
      gpuMemoryUsedBytes: gpus.reduce((sum, g) => sum + g.memoryUsedBytes, 0),
    });
    timer = setTimeout(() => void tick(), intervalMs);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
