/**
 * `fp4kit verify <dir>`: checks an NVFP4 output with readers fp4kit did not write (Python
 * safetensors + torch) by running packages/quant/python/verify_nvfp4.py and streaming its report.
 */
import { resolve } from "node:path";
import { type Command, CommanderError } from "commander";
import { VERIFY_SCRIPT } from "../python/scripts.ts";
import { CliUsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { parsePositiveInt } from "./options.ts";
import { runPythonScript, withPythonScriptOptions } from "./python-script.ts";

interface VerifyFlags {
  reference?: string;
  maxTensors?: number;
  all?: boolean;
  expectGaussian?: boolean;
  generateTokens: number;
  forwardLayers: number;
  allLayers?: boolean;
  device: string;
  python: string;
  trustRemoteCode?: boolean;
  json?: boolean;
}

const HELP_AFTER = `
Runs ${VERIFY_SCRIPT}
with Python 3 (torch with float8_e4m3fn, and safetensors, must be installed there):
  - opens every shard with safetensors.safe_open and reads every tensor; checks the index;
  - scans every floating tensor for NaN/Inf;
  - dequantizes NVFP4 weights like the engines (low nibble first, E4M3 group scales × global scale)
    and, with --reference, compares them with the FP8 source (relative RMS error; > 0.2 fails);
  - checks engine-fused groups share one global scale and kept tensors equal the source;
  - runs one expert block forward;
  - with --reference and transformers installed, runs the first --forward-layers decoder layers of
    both checkpoints in transformers' own DeepSeek modeling code on fixed tokens and compares the
    logits (W4A4 outputs with their activations quantized from the input scales);
  - generates a few tokens with vLLM when it is installed.
Exit status: 0 pass, 1 fail, 1 with a clear message when Python, torch or safetensors is missing.
See packages/quant/docs/verification.md.

Examples:
  fp4kit verify ./DeepSeek-V4-Pro-NVFP4 --reference ./DeepSeek-V4-Pro-FP8
  fp4kit verify ./out --reference ./src --all --expect-gaussian --generate-tokens 0
`;

export function registerVerifyCommand(program: Command, io: CliIo): void {
  withPythonScriptOptions(
    program
      .command("verify")
      .description("check an NVFP4 checkpoint with Python safetensors + torch (and vLLM if installed)")
      .argument("<dir>", "NVFP4 checkpoint directory")
      .option("--reference <dir>", "the FP8 checkpoint it was converted from")
      .option(
        "--max-tensors <n>",
        "quantized weights to dequantize and compare (default 32)",
        parsePositiveInt,
      )
      .option("--all", "dequantize and compare every quantized weight")
      .option(
        "--expect-gaussian",
        "fail unless the median error is in NVFP4's band for Gaussian-like weights",
      )
      .option(
        "--forward-layers <n>",
        "decoder layers the model-code forward check runs (0 = skip)",
        parseNonNegative,
        1,
      )
      .option("--all-layers", "run every decoder layer in the model-code forward check (small models)")
      .option("--generate-tokens <n>", "tokens to generate with vLLM (0 = skip)", parseNonNegative, 16)
      .option("--device <device>", "auto | cpu | cuda", "auto")
      .option("--trust-remote-code", "let vLLM run Python files shipped in the checkpoint folder"),
  )
    .addHelpText("after", HELP_AFTER)
    .action(async (dir: string, flags: VerifyFlags) => {
      const args = [VERIFY_SCRIPT, resolve(io.cwd, dir)];
      if (flags.reference !== undefined) args.push("--reference", resolve(io.cwd, flags.reference));
      args.push("--max-tensors", String(flags.all ? 0 : (flags.maxTensors ?? 32)));
      if (flags.expectGaussian) args.push("--expect-gaussian");
      args.push("--forward-layers", String(flags.allLayers ? -1 : flags.forwardLayers));
      args.push("--generate-tokens", String(flags.generateTokens), "--device", flags.device);
      if (flags.trustRemoteCode) args.push("--trust-remote-code");
      const status = await runPythonScript({
        python: flags.python,
        args,
        io,
        raw: flags.json === true,
        needs: "verification needs Python 3 with torch and safetensors",
        packages: { neededBy: "verification", remedy: "install torch and safetensors there" },
      });
      // runCli returns a CommanderError's exit code; the script has already said why.
      if (status !== 0) throw new CommanderError(1, "fp4kit.verifyFailed", "verification failed");
    });
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new CliUsageError(`expected a non-negative integer, found "${value}"`);
  return n;
}
