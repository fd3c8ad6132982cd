/** `fp4kit inspect <dir>`: headers-only report of a checkpoint and of what Path A would do with it. */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import {
  DEFAULT_ENGINE,
  type Engine,
  EngineSchema,
  INSPECT_SCHEMA_VERSION,
  type OutputFormat,
  OutputFormatSchema,
} from "@fp4kit/protocol";
import { type Command, Option } from "commander";
import { renderInspectMarkdown, renderInspectSummary } from "../inspect/markdown.ts";
import { inspectCheckpoint } from "../inspect/report.ts";
import type { ModelFamily } from "../rules/types.ts";
import type { CliIo } from "./io.ts";
import { parseFamily, parseRegex } from "./options.ts";

interface InspectFlags {
  out?: string;
  json?: string;
  md?: string;
  write: boolean;
  preset?: ModelFamily;
  quantizeAttention?: boolean;
  ignore?: string[];
  engine?: Engine;
  format?: OutputFormat;
}

const HELP_AFTER = `
Reads only the index and the shard headers (no tensor data), so it takes seconds even on a
~160-shard, ~100k-tensor checkpoint.

Output:
  A summary is printed. Unless --no-write, two files are written (default: into the current
  directory, or into --out):
    inspect.json  the report, JSON with "schemaVersion": ${INSPECT_SCHEMA_VERSION}; every field is documented in
                  packages/quant/docs/inspect-schema.md and validated by InspectReportSchema.
    inspect.md    the same report for people.
  --json - prints the JSON report to stdout instead of the summary, and writes no file unless --md
  names one.

The report lists:
  - tensor name patterns with layer/expert indices folded (layers.{L}.ffn.experts.{E}.w1.weight),
    with count, dtypes, shapes, bytes in and projected bytes out, and the Path A decision + rule;
  - the FP8 scaling block (from config.json and detected from weight vs scale shapes) and every
    weight whose scale disagrees; scale naming (weight_scale_inv or scale) and dtype (F32/E8M0);
  - weights that are already FP4 (MXFP4 experts of the original V4 releases; kept as they are);
  - counts per category: routed/shared experts, router, norms, indexer, mHC, embedding/head, ...;
  - fused groups (w1+w3, wq_a+wkv, ...) that must share one NVFP4 global scale;
  - dtype totals, shards, warnings, and the preset rules that decided (see docs/presets.md);
  - with --engine / --format: the exact output size for that engine and format, and per module
    name the engine asks about what it builds and which rule decided (its own matching rules, read
    from its source: packages/quant/docs/engines.md), or why no engine loads the combination.

On a malformed checkpoint it exits with status 1, names the file, tensor and what was
expected, and writes nothing.

Examples:
  fp4kit inspect ./DeepSeek-V4-Pro-FP8
  fp4kit inspect ./ckpt --out reports/ --quantize-attention
  fp4kit inspect ./ckpt --json - | jq .plan
  fp4kit inspect ./DeepSeek-V4-Pro-FP8 --engine sglang
`;

export function registerInspectCommand(program: Command, io: CliIo): void {
  program
    .command("inspect")
    .description("report tensor patterns, FP8 scaling, and what NVFP4 conversion (Path A) will do")
    .argument("<dir>", "checkpoint directory (model.safetensors.index.json + shards, or model.safetensors)")
    .option("--out <dir>", "directory for inspect.json and inspect.md (default: current directory)")
    .option("--json <file>", 'path of the JSON report (default: <out>/inspect.json; "-" = stdout)')
    .option("--md <file>", "path of the Markdown report (default: <out>/inspect.md)")
    .option("--no-write", "print the summary only; write no files")
    .option(
      "--preset <family>",
      "use this preset instead of detecting it: deepseek-v3 | deepseek-v3.2 | deepseek-v4",
      parseFamily,
    )
    .option(
      "--quantize-attention",
      "plan attention projections for NVFP4 too (default: off for V4, on for V3/V3.2)",
    )
    .option("--no-quantize-attention", "keep attention projections in FP8")
    .option("--ignore <regex>", "keep tensors whose name matches as they are (repeatable)", parseRegex)
    .addOption(
      new Option(
        "--engine <engine>",
        `project the output for this engine (default with --format: ${DEFAULT_ENGINE})`,
      ).choices([...EngineSchema.options]),
    )
    .addOption(
      new Option("--format <format>", "output format to project (default: the engine's)").choices([
        ...OutputFormatSchema.options,
      ]),
    )
    .addHelpText("after", HELP_AFTER)
    .action(async (dir: string, flags: InspectFlags) => {
      const report = await inspectCheckpoint(resolve(io.cwd, dir), {
        family: flags.preset,
        quantizeAttention: flags.quantizeAttention,
        ignore: flags.ignore,
        engine: flags.engine,
        format: flags.format,
      });
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (flags.json === "-") io.stdout(json);
      else io.stdout(renderInspectSummary(report));
      if (!flags.write) return;

      const outDir = resolve(io.cwd, flags.out ?? ".");
      const targets: [string, string][] = [];
      const target = (explicit: string | undefined, name: string) =>
        explicit === undefined ? resolve(outDir, name) : resolve(io.cwd, explicit);
      if (flags.json !== "-") targets.push([target(flags.json, "inspect.json"), json]);
      // With the JSON on stdout (a pipe), a file is written only where --md names one.
      if (flags.json !== "-" || flags.md !== undefined)
        targets.push([target(flags.md, "inspect.md"), renderInspectMarkdown(report)]);
      for (const [path, content] of targets) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content);
        io.stderr(`wrote ${path}\n`);
      }
    });
}
