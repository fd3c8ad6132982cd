/**
 * Runs one of packages/quant/python's scripts for a CLI command: its JSON lines (fp4kit_jsonl.py)
 * become readable stderr lines, its report's Markdown goes to stdout at the end (or the lines pass
 * through as they are with `raw`). Resolves to the script's exit status, or fails with a usage error
 * when the interpreter or a package the script needs is missing.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { z } from "zod";
import { defaultPython } from "../python/python-env.ts";
import { pythonScriptEnv } from "../python/scripts.ts";
import { CliUsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";

/** The scripts' exit status when a Python package they need is missing (fp4kit_jsonl.py). */
const EXIT_MISSING_PACKAGES = 3;

/** The JSON lines the scripts print (fp4kit_jsonl.py); anything else is passed through as text. */
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

/** The options every command that runs a script takes: the interpreter, and the raw JSON lines. */
export function withPythonScriptOptions(command: Command): Command {
  return command
    .option(
      "--python <path>",
      "Python interpreter (default: FP4KIT_PYTHON, else the project environment of `npm run python-env`, else python3)",
      defaultPython(),
    )
    .option("--json", "print the script's JSON lines as they are");
}

export interface PythonScriptRun {
  python: string;
  args: string[];
  io: CliIo;
  raw: boolean;
  /** What the script needs, for the message when the interpreter is missing. */
  needs: string;
  /** Who needs the packages and how to get them, for the message when the script lacks one. */
  packages: { neededBy: string; remedy: string };
}

export function runPythonScript({
  python,
  args,
  io,
  raw,
  needs,
  packages,
}: PythonScriptRun): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, args, {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...pythonScriptEnv(), PYTHONUNBUFFERED: "1" },
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "ENOENT"
          ? new CliUsageError(`"${python}" not found: ${needs} (or pass --python)`)
          : error,
      );
    });
    createInterface({ input: child.stderr }).on("line", (line) => io.stderr(`${line}\n`));
    let markdown: string | null = null;
    createInterface({ input: child.stdout }).on("line", (line) => {
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
      if (code === EXIT_MISSING_PACKAGES) {
        reject(
          new CliUsageError(
            `${python} lacks packages ${packages.neededBy} needs (see the message above): ${packages.remedy}, or pass --python`,
          ),
        );
      } else resolvePromise(code ?? 1);
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
