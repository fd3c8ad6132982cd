/**
 * `fp4kit verify <dir>`: checks an NVFP4 output with readers fp4kit did not write (Python
 * safetensors + torch) by running packages/quant/python/verify_nvfp4.py and streaming its report.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { type Command, CommanderError } from "commander";
import { z } from "zod";
import { defaultPython } from "../python/python-env.ts";
import { VERIFY_SCRIPT } from "../python/scripts.ts";
import { CliUsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";
import { parsePositiveInt } from "./options.ts";

/** verify_nvfp4.py's exit status when torch or safetensors is missing (fp4kit_jsonl.py). */
const EXIT_MISSING_PACKAGES = 3;

interface VerifyFlags {
  reference?: string;
  maxTensors?: number;
  all?: boolean;
  expectGaussian?: boolean;
  generateTokens: number;
  device: string;
  python: string;
  trustRemoteCode?: boolean;
  json?: boolean;
}

/** The JSON lines the script prints (fp4kit_jsonl.py); anything else is passed through as text. */
const ScriptLineSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("log"), level: z.string(), message: z.string() }),
  z.object({ type: z.literal("metric"), values: z.record(z.string(), z.unknown()) }),
  z.object({
    type: z.literal("artifact"),
    kind: z.string(),
    json: z.unknown(),
    markdown: z.string().nullable(),
  }),
  z.object({ type: z.literal("result"), summary: z.unknown() }).loose(),
  z.object({ type: z.literal("error"), message: z.string() }),
]);

const HELP_AFTER = `
Runs ${VERIFY_SCRIPT}
with Python 3 (torch with float8_e4m3fn, and safetensors, must be installed there):
  - opens every shard with safetensors.safe_open and reads every tensor; checks the index;
  - scans every floating tensor for NaN/Inf;
  - dequantizes NVFP4 weights like the engines (low nibble first, E4M3 group scales × global scale)
    and, with --reference, compares them with the FP8 source (relative RMS error; > 0.2 fails);
  - checks engine-fused groups share one global scale and kept tensors equal the source;
  - runs one expert block forward, and a few tokens with vLLM when it is installed.
Exit status: 0 pass, 1 fail, 1 with a clear message when Python, torch or safetensors is missing.
See packages/quant/docs/verification.md.

Examples:
  fp4kit verify ./DeepSeek-V4-Pro-NVFP4 --reference ./DeepSeek-V4-Pro-FP8
  fp4kit verify ./out --reference ./src --all --expect-gaussian --generate-tokens 0
`;

export function registerVerifyCommand(program: Command, io: CliIo): void {
  program
    .command("verify")
    .description("check an NVFP4 checkpoint with Python safetensors + torch (and vLLM if installed)")
    .argument("<dir>", "NVFP4 checkpoint directory")
    .option("--reference <dir>", "the FP8 checkpoint it was converted from")
    .option("--max-tensors <n>", "quantized weights to dequantize and compare (default 32)", parsePositiveInt)
    .option("--all", "dequantize and compare every quantized weight")
    .option("--expect-gaussian", "fail unless the median error is in NVFP4's band for Gaussian-like weights")
    .option("--generate-tokens <n>", "tokens to generate with vLLM (0 = skip)", parseNonNegative, 16)
    .option("--device <device>", "auto | cpu | cuda", "auto")
    .option("--trust-remote-code", "let vLLM run Python files shipped in the checkpoint folder")
    .option(
      "--python <path>",
      "Python interpreter (default: FP4KIT_PYTHON, else the project environment of `npm run python-env`, else python3)",
      defaultPython(),
    )
    .option("--json", "print the script's JSON lines as they are")
    .addHelpText("after", HELP_AFTER)
    .action(async (dir: string, flags: VerifyFlags) => {
      const args = [VERIFY_SCRIPT, resolve(io.cwd, dir)];
      if (flags.reference !== undefined) args.push("--reference", resolve(io.cwd, flags.reference));
      args.push("--max-tensors", String(flags.all ? 0 : (flags.maxTensors ?? 32)));
      if (flags.expectGaussian) args.push("--expect-gaussian");
      args.push("--generate-tokens", String(flags.generateTokens), "--device", flags.device);
      if (flags.trustRemoteCode) args.push("--trust-remote-code");
      const status = await runScript(flags.python, args, io, flags.json === true);
      if (status === EXIT_MISSING_PACKAGES) {
        throw new CliUsageError(
          `${flags.python} lacks packages verification needs (see the message above): install torch and safetensors there, or pass --python`,
        );
      }
      // runCli returns a CommanderError's exit code; the script has already said why.
      if (status !== 0) throw new CommanderError(1, "fp4kit.verifyFailed", "verification failed");
    });
}

function parseNonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new CliUsageError("--generate-tokens: expected a non-negative integer");
  return n;
}

function runScript(python: string, args: string[], io: CliIo, raw: boolean): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "ENOENT"
          ? new CliUsageError(
              `"${python}" not found: verification needs Python 3 with torch and safetensors (or pass --python)`,
            )
          : error,
      );
    });
    createInterface({ input: child.stderr }).on("line", (line) => io.stderr(`${line}\n`));
    const lines = createInterface({ input: child.stdout });
    let markdown: string | null = null;
    lines.on("line", (line) => {
      if (raw) return io.stdout(`${line}\n`);
      const parsed = parseLine(line);
      if (parsed === undefined) return io.stderr(`${line}\n`);
      if (parsed.type === "log")
        io.stderr(`${parsed.level === "info" ? "" : `${parsed.level}: `}${parsed.message}\n`);
      else if (parsed.type === "error") io.stderr(`error: ${parsed.message}\n`);
      else if (parsed.type === "artifact") markdown = parsed.markdown;
    });
    child.on("close", (code) => {
      if (!raw && markdown !== null) io.stdout(markdown);
      resolvePromise(code ?? 1);
    });
  });
}

function parseLine(line: string): z.infer<typeof ScriptLineSchema> | undefined {
  try {
    const parsed = ScriptLineSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
