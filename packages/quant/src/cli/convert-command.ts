/** `fp4kit convert --src DIR --dst DIR`: FP8 checkpoint → NVFP4 checkpoint (Path A). */
import { resolve } from "node:path";
import {
  CONVERT_DEFAULTS,
  ENGINE_PROFILES,
  type Engine,
  EngineSchema,
  OUTPUT_FORMAT_LABELS,
  type OutputFormat,
  OutputFormatSchema,
} from "@fp4kit/protocol";
import cliProgress from "cli-progress";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { type ConvertResult, convertCheckpoint } from "../convert/convert.ts";
import { ConvertError } from "../convert/errors.ts";
import {
  type ConvertCheckpointOptions,
  KERNEL_PREFERENCES,
  type KernelPreference,
  type ResolvedConvertOptions,
  resolveConvertOptions,
} from "../convert/options.ts";
import type { ConvertProgressEvent } from "../convert/progress.ts";
import { mxfp4SummaryLine, QUALITY_MARKDOWN_FILE } from "../quality/report.ts";
import type { ModelFamily } from "../rules/types.ts";
import { formatBytes } from "../util/bytes.ts";
import type { CliIo } from "./io.ts";
import { collect, parseFamily, parsePositiveSize, parseSize } from "./options.ts";

interface ConvertFlags {
  src: string;
  dst: string;
  engine: Engine;
  format?: OutputFormat;
  force?: boolean;
  workers: number;
  gpus: number;
  shardSize: number;
  memoryBudget?: number;
  shardsInFlight?: number;
  ignore?: string[];
  quantizeAttention?: boolean;
  inputScale?: number;
  calibrationFile?: string;
  kernel: KernelPreference;
  preset?: ModelFamily;
  overwrite?: boolean;
  json?: boolean;
}

const HELP_AFTER = `
What it does:
  Every FP8 E4M3 weight with a block scale (<module>.weight_scale_inv or V4's <module>.scale, F32 or
  E8M0) that the family preset selects is dequantized and quantized to NVFP4: FP32 global scale
  from the amax of the tensor or of its engine-fused group (expert w1+w3 / gate+up, shared experts,
  V3 q_a_proj+kv_a_proj_with_mqa, V4 wq_a+wkv and compressor wkv+wgate), E4M3 scale per 16
  elements, E2M1 codes (round to nearest even), two per byte, element 0 in the low nibble.
  MXFP4 experts (original V4 releases) keep their E2M1 codes: each E8M0 scale per 32 elements
  becomes two E4M3 scales per 16 under a power-of-two global scale shared by w1+w3, exact
  wherever E4M3 reaches; blocks beyond its range are rounded and listed in the quality report.
  Embeddings, lm_head, router gates and biases, norms, indexer and mHC tensors and anything not
  FP8 are copied bit for bit. On V4 the attention stays FP8 unless
  --quantize-attention. \`fp4kit inspect\` shows the plan without converting.

Engines and formats:
  --engine picks what the output is for and, unless --format is given, the format that engine
  loads; targets and ignore lists name the modules both as the checkpoint does and as the engine
  asks for them. Combinations no engine loads (V4 with NVFP4 attention, TensorRT-LLM with
  compressed-tensors, ...) are refused with the reason unless --force.
    vllm (default)   compressed-tensors (NVFP4A16); also loads compressed-tensors-w4a4 and modelopt
    sglang           modelopt
    trtllm           modelopt
  compressed-tensors            NVFP4A16, weight-only: <m>.weight_packed, <m>.weight_scale,
                                <m>.weight_global_scale (= 1/gs); kept FP8 weights stay FP8 block.
  compressed-tensors-w4a4       NVFP4 W4A4: the same plus <m>.input_global_scale (= 1/input scale).
  modelopt                      NVFP4 W4A4: <m>.weight, <m>.weight_scale, <m>.weight_scale_2 (= gs),
                                <m>.input_scale, plus hf_quant_config.json. On DeepSeek V4 this is
                                NVIDIA's layout: routed experts NVFP4, everything else FP8 as in the
                                source, moe_quant_algo NVFP4 (and quant_cfg.json for TensorRT-LLM).
  W4A4 formats need activation input scales: --calibration-file (JSON, as \`fp4kit calibrate\`
  writes it; packages/quant/docs/calibration.md) or --input-scale X (the same value everywhere:
  warned loudly).
  Which engine version each output is proven against, and how: packages/quant/docs/engines.md.
  config.json's quantization_config is replaced to describe exactly what was written; every other
  non-tensor file is copied.

Resuming:
  Shards are written to <name>.partial and renamed when complete; fp4kit-manifest.json records each
  complete shard (size + SHA-256). Re-running the same command after a crash, kill -9 or Ctrl-C skips
  complete shards and gives the same bytes as an uninterrupted run. A destination holding another
  conversion is refused unless --overwrite.

Beside the output:
  fp4kit-quality.json / .md  relative RMS and max abs error of every NVFP4 tensor vs the FP8 source,
                             per layer and overall.

Examples:
  fp4kit convert --src ./DeepSeek-V4-Pro-FP8 --dst ./DeepSeek-V4-Pro-NVFP4
  fp4kit convert --src ./ckpt --dst ./out --engine sglang --calibration-file calib.json
  fp4kit convert --src ./ckpt --dst ./out --ignore 'layers\\.0\\.' --shard-size 4GB --kernel cpu
`;

/**
 * The convert command's options. Defaults of the conversion knobs are @fp4kit/protocol's
 * CONVERT_DEFAULTS and their rules its ConvertOptionsSchema (applied by resolveConvertOptions).
 */
function defineConvertOptions(command: Command): Command {
  return command
    .requiredOption("--src <dir>", "FP8 checkpoint directory")
    .requiredOption("--dst <dir>", "output directory (created; re-running into it resumes)")
    .addOption(
      new Option("--engine <engine>", "inference engine the output is for")
        .choices([...EngineSchema.options])
        .default(CONVERT_DEFAULTS.engine),
    )
    .addOption(
      new Option("--format <format>", "output format (default: the engine's)").choices([
        ...OutputFormatSchema.options,
      ]),
    )
    .option("--force", "write a combination the engine does not load (the reason becomes a warning)")
    .option(
      "--workers <n>",
      "CPU threads of the native kernel (0 = all cores)",
      parseCount,
      CONVERT_DEFAULTS.workers,
    )
    .option(
      "--gpus <n>",
      "GPUs to use: tensors are spread over GPUs 0..n-1 (0 = CPU kernels only)",
      parseCount,
      CONVERT_DEFAULTS.gpus,
    )
    .option(
      "--shard-size <bytes>",
      "target output shard size, e.g. 5GB, 500MiB",
      parseSize,
      CONVERT_DEFAULTS.shardSizeBytes,
    )
    .option(
      "--memory-budget <bytes>",
      "source + output bytes held in flight for tensors being read, computed or written (default: 512MiB with GPUs, 128MiB-512MiB on CPU)",
      parsePositiveSize,
    )
    .option(
      "--shards-in-flight <n>",
      "output shards written at once, each hashed by its own thread (default: one per 2 cores, 1-16)",
      parsePositiveCount,
    )
    .option("--ignore <regex>", "keep tensors whose name matches as they are (repeatable)", collect)
    .option(
      "--quantize-attention",
      "quantize attention projections too (default: off for V4, on for V3/V3.2)",
    )
    .option("--no-quantize-attention", "keep attention projections in FP8")
    .option(
      "--input-scale <x>",
      "W4A4 formats: one activation input scale for every module (uncalibrated!)",
      parsePositive,
    )
    .option(
      "--calibration-file <file>",
      "W4A4 formats: JSON with each module's activation amax or input scale (fp4kit calibrate)",
    )
    .addOption(
      new Option("--kernel <kernel>", "NVFP4 kernel: auto = fastest usable")
        .choices([...KERNEL_PREFERENCES])
        .default("auto"),
    )
    .option(
      "--preset <family>",
      "use this preset instead of detecting it: deepseek-v3 | deepseek-v3.2 | deepseek-v4",
      parseFamily,
    )
    .option(
      "--overwrite",
      "replace a destination that holds another conversion or files fp4kit did not write",
    )
    .option("--json", "print the result as JSON on stdout instead of the summary");
}

/** The convert command's flags as the converter's options, paths resolved against `cwd`. */
function convertOptionsFromFlags(flags: ConvertFlags, cwd: string): ConvertCheckpointOptions {
  return {
    src: resolve(cwd, flags.src),
    dst: resolve(cwd, flags.dst),
    engine: flags.engine,
    format: flags.format,
    force: flags.force,
    workers: flags.workers,
    gpus: flags.gpus,
    shardSizeBytes: flags.shardSize,
    memoryBudgetBytes: flags.memoryBudget,
    shardsInFlight: flags.shardsInFlight,
    ignore: flags.ignore ?? [],
    quantizeAttention: flags.quantizeAttention,
    inputScale: flags.inputScale,
    calibrationFile: flags.calibrationFile === undefined ? undefined : resolve(cwd, flags.calibrationFile),
    kernel: flags.kernel,
    family: flags.preset,
    overwrite: flags.overwrite,
  };
}

/**
 * `fp4kit convert` arguments (without the command name) as the options a conversion would run
 * with, validated as `fp4kit convert` validates them; throws CommanderError or ConvertError.
 */
export function parseConvertArgs(argv: readonly string[], cwd: string): ResolvedConvertOptions {
  let flags: ConvertFlags | undefined;
  defineConvertOptions(new Command("convert"))
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .action((parsed: ConvertFlags) => {
      flags = parsed;
    })
    .parse([...argv], { from: "user" });
  if (flags === undefined) throw new Error("commander did not run the convert action");
  return resolveConvertOptions(convertOptionsFromFlags(flags, cwd));
}

export function registerConvertCommand(program: Command, io: CliIo): void {
  defineConvertOptions(program.command("convert"))
    .addHelpText("after", HELP_AFTER)
    .action(async (flags: ConvertFlags) => {
      // Ctrl-C or a SIGTERM (a service manager, `kill`) stops after the tensor in flight, so the
      // run ends through the converter's own stop: shards kept, its destination lock released.
      const abort = new AbortController();
      let stoppedBy: NodeJS.Signals | undefined;
      const onSignal = (signal: NodeJS.Signals) => {
        stoppedBy = signal;
        io.stderr("\ninterrupted: finishing the tensor in flight; re-run the same command to resume\n");
        abort.abort();
      };
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const display = new ProgressDisplay(io);
      try {
        const result = await convertCheckpoint(convertOptionsFromFlags(flags, io.cwd), {
          onProgress: (e) => display.update(e),
          onLog: (line) => display.log(line),
          signal: abort.signal,
        });
        display.stop();
        io.stdout(flags.json ? `${JSON.stringify(jsonResult(result), null, 2)}\n` : renderSummary(result));
      } catch (error) {
        display.stop();
        if (error instanceof ConvertError && error.code === "ABORTED") {
          io.stderr(`${error.message}\n`);
          // runCli returns a CommanderError's exit code without printing it again; 128 + the
          // signal's number, as a shell reports a command a signal ended.
          throw new CommanderError(stoppedBy === "SIGTERM" ? 143 : 130, "fp4kit.interrupted", error.message);
        }
        throw error;
      } finally {
        process.removeListener("SIGINT", onSignal);
        process.removeListener("SIGTERM", onSignal);
      }
    });
}

function parsePositiveCount(value: string): number {
  const n = parseCount(value);
  if (n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}

/** A progress bar on a terminal; one line per shard otherwise (logs, CI, the agent). */
class ProgressDisplay {
  private readonly bar: cliProgress.SingleBar | undefined;
  private started = false;

  constructor(private readonly io: CliIo) {
    this.bar = io.stderrIsTTY
      ? new cliProgress.SingleBar(
          {
            format:
              "convert [{bar}] {percentage}% | {done} / {all} FP8 | {speed}/s | ETA {eta_formatted} | {shard}",
            hideCursor: true,
            clearOnComplete: true,
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  }

  update(e: ConvertProgressEvent): void {
    const payload = {
      done: formatBytes(e.bytesRead),
      all: formatBytes(e.bytesTotal),
      speed: formatBytes(e.throughputBytesPerSec),
      shard: e.currentShard ?? "",
    };
    if (e.type === "warning") return; // printed through log()
    if (this.bar !== undefined) {
      if (!this.started) {
        this.bar.start(e.bytesTotal, e.bytesRead, payload);
        this.started = true;
      }
      this.bar.update(e.bytesRead, payload);
    } else if (e.type === "shard") {
      this.io.stderr(
        `${e.currentShard}: ${e.message} (${(e.progress * 100).toFixed(1)}%, ${payload.done} / ${payload.all}, ${payload.speed}/s, ETA ${formatSeconds(e.etaSeconds)})\n`,
      );
    }
  }

  log(line: string): void {
    if (this.bar !== undefined && this.started) this.bar.stop();
    this.io.stderr(`${line}\n`);
    this.started = false;
  }

  stop(): void {
    if (this.started) this.bar?.stop();
    this.started = false;
  }
}

function renderSummary(r: ConvertResult): string {
  const resumed = r.shards.filter((s) => s.resumed).length;
  const q = r.quality.totals;
  const worst = r.quality.tensors.reduce<(typeof r.quality.tensors)[number] | undefined>(
    (a, t) => (a === undefined || t.relRmsError > a.relRmsError ? t : a),
    undefined,
  );
  const lines = [
    `converted ${r.family} → ${OUTPUT_FORMAT_LABELS[r.format]} for ${ENGINE_PROFILES[r.engine].label} in ${r.dst}`,
    `  shards   ${r.shards.length}${resumed > 0 ? ` (${resumed} kept from an earlier run)` : ""}`,
    `  size     ${formatBytes(r.inputBytes)} FP8 → ${formatBytes(r.outputBytes)} (${(r.inputBytes / Math.max(r.outputBytes, 1)).toFixed(2)}× smaller)`,
    `  speed    ${formatBytes(r.convertedBytes)} converted in ${formatSeconds(r.seconds)} (${formatBytes(r.throughputBytesPerSec)}/s of FP8 input)`,
  ];
  const m = r.quality.mxfp4.totals;
  // A release whose only NVFP4 weights come from MXFP4 has no FP8 quantization error to report.
  if (q.quantizedTensors > 0 || m.tensors === 0) {
    lines.push(
      `  quality  ${q.quantizedTensors} NVFP4 tensors, relative RMS error ${q.relRmsError.toFixed(4)} overall, ${q.maxRelRmsError.toFixed(4)} worst${worst === undefined ? "" : ` (${worst.name})`}; see ${QUALITY_MARKDOWN_FILE}`,
    );
  }
  // With rounded groups the same line is among the warnings below.
  if (m.tensors > 0 && m.roundedGroups === 0) lines.push(`  mxfp4    ${mxfp4SummaryLine(m)}`);
  lines.push(`  kernel   ${r.kernel.reason}`);
  for (const w of r.warnings) lines.push(`  WARNING  ${w}`);
  return `${lines.join("\n")}\n`;
}

function jsonResult(r: ConvertResult) {
  const { quality, qualityMarkdown, ...rest } = r;
  return {
    ...rest,
    quality: {
      totals: quality.totals,
      layers: quality.layers,
      inputScales: quality.inputScales,
      mxfp4: quality.mxfp4.totals,
    },
  };
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
