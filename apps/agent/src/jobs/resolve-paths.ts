import { calibrateSettings, type Job } from "@fp4kit/protocol";
import { isInside, type PathGuard, PathRefusedError } from "../path-guard.ts";

export interface JobPaths {
  source: string;
  dest: string | null;
  /** VERIFY: the FP8 reference; CONVERT: the calibration file. */
  reference: string | null;
  /**
   * CALIBRATE: the dataset when it is a local path (confined); a Hub dataset id stays as given;
   * null: the input-scales method's text shipped with fp4kit.
   */
  dataset: string | null;
}

/**
 * Confines every path of a job to the data roots (see PathGuard) before anything runs, and
 * refuses a destination that overlaps its source (a converter would read its own output).
 */
export async function resolveJobPaths(job: Job, guard: PathGuard): Promise<JobPaths> {
  const source = await guard.resolve("sourcePath", job.sourcePath);
  const needsDest = job.kind === "CONVERT" || job.kind === "CALIBRATE";
  if (needsDest && !job.destPath) throw new PathRefusedError(`${job.kind} needs a destPath`);
  const dest = needsDest && job.destPath ? await guard.resolve("destPath", job.destPath) : null;
  if (dest && (isInside(dest, source) || isInside(source, dest))) {
    throw new PathRefusedError(
      `destPath "${dest}" overlaps sourcePath "${source}": choose a separate folder`,
    );
  }
  let reference: string | null = null;
  if (job.kind === "VERIFY" && job.options.referencePath) {
    reference = await guard.resolve("options.referencePath", job.options.referencePath);
  }
  if (job.kind === "CONVERT" && job.options.calibrationFile) {
    reference = await guard.resolve("options.calibrationFile", job.options.calibrationFile);
  }
  let dataset: string | null = null;
  if (job.kind === "CALIBRATE") {
    const given = calibrateSettings(job.options).dataset;
    if (given !== null)
      dataset = given.startsWith("/") ? await guard.resolve("options.dataset", given) : given;
  }
  return { source, dest, reference, dataset };
}
