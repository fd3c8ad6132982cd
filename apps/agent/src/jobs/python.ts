import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type CalibrationMethod, calibrateSettings, type Job } from "@fp4kit/protocol";
import { CALIBRATE_SCRIPT, pythonScriptEnv, VERIFY_SCRIPT } from "@fp4kit/quant/python";
import { type Grace, JobProcesses } from "../process/job-processes.ts";
import { writeCalibrationIgnoreFile } from "./calibration-ignore.ts";
import {
  type JobContext,
  type JobResult,
  type JobRunner,
  JobStoppedError,
  type StopReason,
} from "./context.ts";
import { parsePythonLine } from "./python-output.ts";

type PythonKind = "CALIBRATE" | "VERIFY";

/**
 * The scripts production runs: Path B is the agent's own; input-scales calibration and verify are
 * the ones `fp4kit calibrate` and `fp4kit verify` run too. All import fp4kit_jsonl (the JSON-lines
 * messages) from @fp4kit/quant, found through PYTHONPATH (`pythonScriptEnv`).
 */
export const PYTHON_SCRIPTS: Record<PythonKind, string> = {
  CALIBRATE: fileURLToPath(new URL("../../python/quantize_llmcompressor.py", import.meta.url)),
  VERIFY: VERIFY_SCRIPT,
};
export const CALIBRATION_SCRIPTS: Record<CalibrationMethod, string> = {
  "input-scales": CALIBRATE_SCRIPT,
  "llm-compressor": PYTHON_SCRIPTS.CALIBRATE,
};

/** Leftovers of a script that exited (daemons it forked) get this long after SIGINT/SIGTERM. */
const STRAGGLER_GRACE: Grace = { interruptMs: 2_000, terminateMs: 2_000 };
/**
 * Once every process of the job is gone its output pipes close; a process out of the agent's reach
 * (environment cleared, no cgroup) may still hold them, so reading stops after this long.
 */
const OUTPUT_DRAIN_MS = 2_000;

/** The script's command line; every path was confined by the PathGuard beforehand. */
async function scriptArgs(
  job: Job & { kind: PythonKind },
  ctx: JobContext,
  extraPaths: { reference: string | null; dataset: string | null },
): Promise<string[]> {
  if (job.kind === "CALIBRATE" && job.options.method === "input-scales") {
    const o = job.options;
    const { numSamples, maxSeqLen } = calibrateSettings(o);
    return [
      "--src",
      ctx.paths.source,
      "--out",
      ctx.paths.dest ?? "",
      ...(extraPaths.dataset ? ["--text", extraPaths.dataset] : []),
      "--seq-len",
      String(maxSeqLen),
      "--max-tokens",
      String(numSamples * maxSeqLen),
      ...(o.trustRemoteCode ? ["--trust-remote-code"] : []),
    ];
  }
  if (job.kind === "CALIBRATE") {
    const o = job.options;
    const { numSamples, maxSeqLen } = calibrateSettings(o);
    const ignore = await writeCalibrationIgnoreFile(ctx.paths.source, o, ctx.spool.dir);
    ctx.system(`keeping ${ignore.modules} Linear modules unquantized, as Path A does (${ignore.path})`);
    return [
      "--src",
      ctx.paths.source,
      "--dst",
      ctx.paths.dest ?? "",
      "--num-samples",
      String(numSamples),
      "--max-seq-len",
      String(maxSeqLen),
      "--dataset",
      extraPaths.dataset ?? "",
      "--ignore-file",
      ignore.path,
      ...(o.trustRemoteCode ? ["--trust-remote-code"] : []),
    ];
  }
  return [
    ctx.paths.source,
    ...(extraPaths.reference ? ["--reference", extraPaths.reference] : []),
    "--generate-tokens",
    String(job.options.generateTokens),
    ...(job.options.trustRemoteCode ? ["--trust-remote-code"] : []),
  ];
}

function scriptFor(job: Job & { kind: PythonKind }, seams: PythonRunnerOptions["scripts"]): string {
  if (job.kind === "VERIFY") return seams.verify ?? VERIFY_SCRIPT;
  return job.options.method === "input-scales"
    ? (seams.inputScales ?? CALIBRATION_SCRIPTS["input-scales"])
    : (seams.calibrate ?? CALIBRATION_SCRIPTS["llm-compressor"]);
}

export interface PythonRunnerOptions {
  python: string;
  /** Put the job in a cgroup v2 of its own where the host allows it (config `jobCgroups`). */
  cgroups: boolean;
  /** Test seam: replacement scripts (config `scripts`; calibrate: Path B, inputScales: fp4kit calibrate). */
  scripts: Partial<Record<"calibrate" | "inputScales" | "verify", string>>;
  grace: Grace;
  /** The verify job's FP8 reference, already confined (null when not given). */
  reference: string | null;
  /** The calibration dataset: a confined local path, or a Hub dataset id (null: not a calibrate job). */
  dataset: string | null;
}

/**
 * Runs a Python script without a shell, with every process it starts tracked (JobProcesses). Its
 * stdout JSON lines become metrics, artifacts, the result and the failure reason; other lines
 * become log lines. A stop (cancel, lost lease, shutdown) escalates SIGINT → SIGTERM → SIGKILL on
 * all of them, and so does the script's exit for what it leaves behind.
 */
export function createPythonRunner(kind: PythonKind, options: PythonRunnerOptions): JobRunner {
  return async (ctx) => {
    const job = ctx.job as Job & { kind: PythonKind };
    const script = scriptFor(job, options.scripts);
    const args = [script, ...(await scriptArgs(job, ctx, options))];
    ctx.system(`running ${options.python} ${args.join(" ")}`);

    if (job.options.trustRemoteCode) {
      ctx.system("the run trusts remote code: Python files in the checkpoint folder may run");
    }
    // In the run's own spool folder, a relative name (a Hub dataset id) cannot reach a local folder.
    const { child, processes } = JobProcesses.spawn(options.python, args, {
      env: { ...pythonScriptEnv(), PYTHONUNBUFFERED: "1" },
      cwd: ctx.spool.dir,
      runId: job.runId,
      cgroups: options.cgroups,
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (err) => reject(new Error(`cannot start ${options.python}: ${err.message}`)));
    });
    ctx.spool.setProcess(processes.record);
    ctx.system(processes.describe());

    let result: JobResult = { inputBytes: null, outputBytes: null, summary: null };
    let statedError: string | null = null;
    const stderrTail: string[] = [];

    const stdoutDone = new Promise<void>((resolve) => {
      createInterface({ input: child.stdout })
        .on("line", (line) => {
          const message = parsePythonLine(line);
          if (!message) return ctx.log(line);
          switch (message.type) {
            case "log":
              return ctx.log(message.message, message.level === "error" ? "STDERR" : "STDOUT");
            case "metric":
              return ctx.metric(message.values);
            case "artifact":
              return ctx.artifact(message.kind, message.json, message.markdown);
            case "result":
              result = {
                inputBytes: message.inputBytes,
                outputBytes: message.outputBytes,
                summary: message.summary,
              };
              return;
            case "error":
              statedError = message.message;
              return ctx.log(message.message, "STDERR");
          }
        })
        .on("close", resolve);
    });
    const stderrDone = new Promise<void>((resolve) => {
      createInterface({ input: child.stderr })
        .on("line", (line) => {
          ctx.log(line, "STDERR");
          stderrTail.push(line);
          if (stderrTail.length > 5) stderrTail.shift();
        })
        .on("close", resolve);
    });

    let stopping: Promise<string> | null = null;
    const onStop = () => {
      ctx.system(
        `stopping the job's processes: SIGINT, then SIGTERM after ${options.grace.interruptMs} ms, then SIGKILL after ${options.grace.terminateMs} ms more`,
      );
      stopping = processes.stop(options.grace);
    };
    if (ctx.signal.aborted) onStop();
    else ctx.signal.addEventListener("abort", onStop, { once: true });

    // The job ends when its first process exits, not when its output closes: a daemon it left
    // behind may hold the output open for ever.
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    ctx.signal.removeEventListener("abort", onStop);
    // Whatever it left behind must not outlive the job.
    const leftovers = processes.members().length;
    const ended = await (stopping ?? processes.stop(STRAGGLER_GRACE));
    if (!stopping && leftovers > 0) {
      ctx.system(`the script exited leaving ${leftovers} process(es) running; stopped them (${ended})`);
    }
    const drained = await Promise.race([
      Promise.all([stdoutDone, stderrDone]).then(() => true),
      sleep(OUTPUT_DRAIN_MS, false),
    ]);
    if (!drained) {
      child.stdout.destroy();
      child.stderr.destroy();
      ctx.system("stopped reading the job's output: a process out of the agent's reach still holds it open");
    }
    processes.release();
    ctx.spool.setProcess(null);

    if (ctx.signal.aborted) {
      ctx.system(
        `the job's processes stopped (${ended === "none" ? "they had exited" : `ended by ${ended}`})`,
      );
      throw new JobStoppedError(ctx.signal.reason as StopReason);
    }
    if (exit.code !== 0) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const why = statedError ?? (stderrTail.length ? stderrTail.join("\n") : "no error output");
      throw new Error(`${kind.toLowerCase()} script ${how}: ${why}`);
    }
    return result;
  };
}
