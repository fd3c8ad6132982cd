/** `fp4kit synth <dir>`: writes a deterministic synthetic FP8 DeepSeek checkpoint. */
import { readdir } from "node:fs/promises";
import { resolve } from "node:path";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { fileSystemError } from "../convert/fs-errors.ts";
import type { ModelFamily } from "../rules/types.ts";
import { type GenerateOptions, generateCheckpoint, syntheticTensorBytes } from "../synthetic/generate.ts";
import type { V4Variant } from "../synthetic/layout-v4.ts";
import { formatBytes } from "../util/bytes.ts";
import { CliUsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { parseFamily, parsePositiveInt, parseSize, parseVariant } from "./options.ts";

interface SynthFlags {
  family: ModelFamily;
  variant: V4Variant;
  size?: number;
  micro?: boolean;
  layers?: number;
  experts?: number;
  shards?: number;
  seed: number;
  force?: boolean;
}

const HELP_AFTER = `
Writes shards (or one model.safetensors with --shards 1), model.safetensors.index.json,
config.json with the source's FP8 quantization_config, generation_config.json, tokenizer.json
and tokenizer_config.json. Same options and seed, same bytes.

Weights are F8_E4M3 with float32 per-128x128-block scales (V3/V3.2: <module>.weight_scale_inv;
V4: <module>.scale), including dims that are not multiples of 128 and one projection whose
input dim is not a multiple of 16. --variant mxfp4 (V4 only) writes the original V4 release
layout: MXFP4 routed experts (I8 packed, E8M0 scales per 32) and E8M0 FP8 scales; row 0 of
each block's expert 0 w2 has block scales 2^-18 times the others, beyond what one NVFP4 global
scale reaches, so a conversion shows how it reports rounded MXFP4 blocks.

Sizes: default is a tiny fixture (~2 MB). --size scales realistic dims (layers, then experts)
to about that many bytes for benchmarks, e.g. --size 8GB; one layer of those dims (about 0.5 GB) is
the least it writes, and a size well below that is refused. --micro uses the smallest valid
tensors, with --layers/--experts to reach a real model's tensor count (header-scale tests).

Examples:
  fp4kit synth /tmp/v4 --family deepseek-v4
  fp4kit synth /tmp/v4-orig --family deepseek-v4 --variant mxfp4
  fp4kit synth /data/bench --family deepseek-v3 --size 8GB
  fp4kit synth /tmp/pro-index --family deepseek-v4 --micro --layers 61 --experts 384 --shards 160
`;

export function registerSynthCommand(program: Command, io: CliIo): void {
  program
    .command("synth")
    .description(
      "write a synthetic FP8 checkpoint with DeepSeek V3 / V3.2 / V4 naming (fixtures, demos, benchmarks)",
    )
    .argument("<dir>", "output directory (created; must be empty unless --force)")
    .requiredOption("--family <family>", "deepseek-v3 | deepseek-v3.2 | deepseek-v4", parseFamily)
    .option(
      "--variant <variant>",
      "V4 only: fp8 (uniform FP8) | mxfp4 (original release)",
      parseVariant,
      "fp8",
    )
    .option("--size <bytes>", "approximate tensor bytes, e.g. 4GB, 500MiB (benchmark dims)", parseSize)
    .option("--micro", "smallest valid tensors (for huge tensor counts with --layers/--experts)")
    .option("--layers <n>", "number of transformer layers (overrides the size's choice)", parsePositiveInt)
    .option("--experts <n>", "routed experts per layer (overrides the size's choice)", parsePositiveInt)
    .option("--shards <n>", "number of shards (default: 3, or one per ~4 GiB)", parsePositiveInt)
    .option("--seed <n>", "PRNG seed", parsePositiveInt, 1)
    .option("--force", "write into a non-empty directory (files of the same names are replaced)")
    .addHelpText("after", HELP_AFTER)
    .action(async (dirArg: string, flags: SynthFlags) => {
      const dir = resolve(io.cwd, dirArg);
      if (!flags.force && (await isNonEmptyDirectory(dir))) {
        throw new CliUsageError(`${dir} is not empty (use --force to write into it anyway)`);
      }
      const bar = io.stderrIsTTY
        ? new cliProgress.SingleBar(
            {
              format: "synth [{bar}] {percentage}% | {done} / {all} | ETA {eta_formatted}",
              hideCursor: true,
              clearOnComplete: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      const started = performance.now();
      let barStarted = false;
      const options: GenerateOptions = {
        family: flags.family,
        dir,
        seed: flags.seed,
        variant: flags.variant,
        targetBytes: flags.size,
        profile: flags.micro ? "micro" : "tiny",
        layers: flags.layers,
        routedExperts: flags.experts,
        shards: flags.shards,
      };
      checkSize(options);
      const result = await generateCheckpoint({
        ...options,
        onProgress: (done, total) => {
          if (bar === undefined) return;
          if (!barStarted) {
            bar.start(total, 0, { done: formatBytes(0), all: formatBytes(total) });
            barStarted = true;
          }
          bar.update(done, { done: formatBytes(done), all: formatBytes(total) });
        },
      }).catch((error: unknown) => {
        // A full disk's write names no path: the folder being written is named instead.
        throw fileSystemError(error, dir) ?? error;
      });
      bar?.stop();
      const seconds = (performance.now() - started) / 1000;
      io.stdout(
        `wrote ${result.family}${result.family === "deepseek-v4" ? ` (${result.variant})` : ""}: ` +
          `${result.tensorCount} tensors, ${formatBytes(result.tensorBytes)} in ${result.shards.length} shard(s) ` +
          `to ${dir} in ${seconds.toFixed(1)} s (${formatBytes(result.tensorBytes / Math.max(seconds, 1e-3))}/s)\n`,
      );
    });
}

/** How far above the asked size --size may land ("about that many bytes"). */
const SIZE_TOLERANCE = 1.25;

/**
 * Below one layer of the benchmark dims the size knob cannot shrink further: writing several times
 * the asked size would fill a disk sized for less, so such a --size is refused (explicit --layers
 * say what is wanted instead).
 */
function checkSize(options: GenerateOptions): void {
  if (options.targetBytes === undefined || options.layers !== undefined) return;
  const bytes = syntheticTensorBytes(options);
  if (bytes <= options.targetBytes * SIZE_TOLERANCE) return;
  throw new CliUsageError(
    `--size ${formatBytes(options.targetBytes)} is below the smallest ${options.family} checkpoint with benchmark dimensions, ${formatBytes(bytes)} (one layer): give --size ${formatBytes(bytes).replace(" ", "")} or more, leave --size out for the ~2 MB test fixture, or use --micro with --layers/--experts`,
  );
}

async function isNonEmptyDirectory(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
