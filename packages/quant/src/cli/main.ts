/**
 * The `fp4kit` CLI. Each subcommand lives in its own module and is registered here; add new
 * ones (convert, verify, ...) to SUBCOMMANDS.
 */
import { Command, CommanderError } from "commander";
import { ConvertError } from "../convert/errors.ts";
import { fileSystemError } from "../convert/fs-errors.ts";
import { CheckpointFormatError } from "../safetensors/errors.ts";
import { registerCalibrateCommand } from "./calibrate-command.ts";
import { registerConvertCommand } from "./convert-command.ts";
import { CliUsageError } from "./errors.ts";
import { registerInspectCommand } from "./inspect-command.ts";
import { type CliIo, processIo } from "./io.ts";
import { registerRemoteCommand } from "./remote-command.ts";
import { registerSynthCommand } from "./synth-command.ts";
import { registerVerifyCommand } from "./verify-command.ts";

type RegisterSubcommand = (program: Command, io: CliIo) => void;

const SUBCOMMANDS: RegisterSubcommand[] = [
  registerInspectCommand,
  registerSynthCommand,
  registerCalibrateCommand,
  registerConvertCommand,
  registerVerifyCommand,
  registerRemoteCommand,
];

export function buildProgram(io: CliIo = processIo()): Command {
  const program = new Command("fp4kit")
    .description("Convert FP8 LLM checkpoints (DeepSeek V3 / V3.2 / V4) to NVFP4")
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  // Subcommands created with program.command() inherit exitOverride and output settings.
  for (const register of SUBCOMMANDS) register(program, io);
  return program;
}

/** Runs the CLI and returns the exit status (never calls process.exit). */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (
      error instanceof CheckpointFormatError ||
      error instanceof CliUsageError ||
      error instanceof ConvertError
    ) {
      io.stderr(`error: ${error.message}\n`);
      return 1;
    }
    // A file-system failure that names its path (a folder that cannot be made, a file where a
    // folder is needed) is the user's to fix: one line, no stack trace.
    const path = error instanceof Error ? (error as NodeJS.ErrnoException).path : undefined;
    const fsError = path === undefined ? undefined : fileSystemError(error, path);
    io.stderr(
      `error: ${fsError?.message ?? (error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
    );
    return 1;
  }
}
