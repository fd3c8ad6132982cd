/**
 * `fp4kit calibrate --src DIR --out FILE`: activation input amax of every Linear of an FP8
 * checkpoint over a calibration text, in transformers' own modeling code, one decoder layer at a
 * time (packages/quant/python/calibrate.py), written as the file `convert --calibration-file` takes.
 */
import { resolve } from "node:path";
import { type Command, CommanderError, Option } from "commander";
import { CALIBRATE_SCRIPT, DEFAULT_CALIBRATION_TEXT } from "../python/scripts.ts";
import type { CliIo } from "./io.ts";
import { parsePositiveInt } from "./options.ts";
import { runPythonScript, withPythonScriptOptions } from "./python-script.ts";

interface CalibrateFlags {
  src: string;
  out: string;
  text?: string;
  seqLen: number;
  maxTokens: number;
  batch: number;
  tokenizer: string;
  device: string;
  dtype: string;
  python: string;
  trustRemoteCode?: boolean;
  json?: boolean;
}

const HELP_AFTER = `
Runs ${CALIBRATE_SCRIPT}
with Python 3 (torch, transformers >= 5.18 with DeepSeek V3/V4 modeling, safetensors):
  - tokenizes the calibration text (default: the public-domain text shipped with fp4kit) with the
    checkpoint's tokenizer, or as UTF-8 bytes for a model without one (--tokenizer bytes);
  - runs the FP8 model one decoder layer at a time (only that layer's weights on the device),
    recording the largest |input| of every Linear;
  - runs every routed expert on every token, not only the experts routing picks;
  - gives modules the model code never runs (MTP) the largest amax of the same projection in the
    decoder layers; members of an engine-fused group share their largest value;
  - writes {"format": "fp4kit-calibration", "version": 1, "kind": "amax", "modules": {...}}
    (to a temporary name, renamed when complete; an existing file is replaced only if it is a
    calibration file).
Exit status: 0 written, 1 failed, 2 bad input (the message says which file and why).
See packages/quant/docs/calibration.md.

Examples:
  fp4kit calibrate --src ./DeepSeek-V4-Pro-FP8 --out calib.json
  fp4kit convert --src ./DeepSeek-V4-Pro-FP8 --dst ./out --format modelopt --calibration-file calib.json
`;

export function registerCalibrateCommand(program: Command, io: CliIo): void {
  withPythonScriptOptions(
    program
      .command("calibrate")
      .description("measure activation input scales (amax) for W4A4 output, in the model's own code")
      .requiredOption("--src <dir>", "FP8 checkpoint directory")
      .requiredOption("--out <file>", "calibration file to write (JSON)")
      .option("--text <file>", "calibration text, UTF-8 (default: the text shipped with fp4kit)")
      .option("--seq-len <n>", "tokens per sequence", parsePositiveInt, 512)
      .option("--max-tokens <n>", "calibration tokens at most", parsePositiveInt, 65536)
      .option("--batch <n>", "sequences per forward", parsePositiveInt, 8)
      .addOption(
        new Option("--tokenizer <kind>", "token ids from").choices(["auto", "bytes"]).default("auto"),
      )
      .addOption(
        new Option("--device <device>", "where layers run").choices(["auto", "cpu", "cuda"]).default("auto"),
      )
      .addOption(
        new Option("--dtype <dtype>", "compute dtype (auto: float32 on the CPU, bfloat16 on CUDA)")
          .choices(["auto", "float32", "bfloat16"])
          .default("auto"),
      )
      .option("--trust-remote-code", "let the tokenizer run Python files shipped in the checkpoint folder"),
  )
    .addHelpText("after", HELP_AFTER)
    .action(async (flags: CalibrateFlags) => {
      const args = [
        CALIBRATE_SCRIPT,
        "--src",
        resolve(io.cwd, flags.src),
        "--out",
        resolve(io.cwd, flags.out),
        "--text",
        flags.text === undefined ? DEFAULT_CALIBRATION_TEXT : resolve(io.cwd, flags.text),
        "--seq-len",
        String(flags.seqLen),
        "--max-tokens",
        String(flags.maxTokens),
        "--batch",
        String(flags.batch),
        "--tokenizer",
        flags.tokenizer,
        "--device",
        flags.device,
        "--dtype",
        flags.dtype,
        ...(flags.trustRemoteCode ? ["--trust-remote-code"] : []),
      ];
      const status = await runPythonScript({
        python: flags.python,
        args,
        io,
        raw: flags.json === true,
        needs: "calibration needs Python 3 with torch, transformers and safetensors",
        packages: { neededBy: "calibration", remedy: "run `npm run python-env --workspace @fp4kit/quant`" },
      });
      // runCli returns a CommanderError's exit code; the script has already said why.
      if (status !== 0) throw new CommanderError(status, "fp4kit.calibrateFailed", "calibration failed");
    });
}
