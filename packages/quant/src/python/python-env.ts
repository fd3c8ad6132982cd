/**
 * The project's Python environment: a virtual environment in `packages/quant/.venv` (ignored by
 * git) with the packages of `python/requirements.txt`. `ensurePythonEnv` creates it once and
 * reuses it while the requirements and the base interpreter are unchanged; the test suite's global
 * setup calls it, so the Python tests run instead of skipping, and `fp4kit verify` / `calibrate`
 * use it by default when it exists.
 *
 * Built in a temporary folder and renamed into place when complete, so an interrupted install is
 * never mistaken for a finished one.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { z } from "zod";

const PACKAGE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PYTHON_ENV_DIR = join(PACKAGE_ROOT, ".venv");
export const PYTHON_REQUIREMENTS = join(PACKAGE_ROOT, "python", "requirements.txt");
const STAMP_FILE = "fp4kit-env.json";

const StampSchema = z.object({ requirementsSha256: z.string(), basePython: z.string() });

/** The interpreter inside the project environment (it may not exist yet). */
export function envPython(dir = PYTHON_ENV_DIR): string {
  return join(dir, "bin", "python");
}

/**
 * The Python the CLI runs its scripts with when none is given: FP4KIT_PYTHON, else the project
 * environment when it has been set up, else `python3` from PATH.
 */
export function defaultPython(): string {
  const fromEnv = process.env.FP4KIT_PYTHON;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return existsSync(join(PYTHON_ENV_DIR, STAMP_FILE)) ? envPython() : "python3";
}

export interface PythonEnvOptions {
  /** Interpreter the environment is created from (default: FP4KIT_BASE_PYTHON or python3). */
  basePython?: string;
  dir?: string;
  /** Where pip's and venv's output goes (default: this process's stderr). */
  log?: (line: string) => void;
}

export interface PythonEnv {
  python: string;
  /** false when an existing environment was reused. */
  created: boolean;
  seconds: number;
}

export async function ensurePythonEnv(options: PythonEnvOptions = {}): Promise<PythonEnv> {
  const started = performance.now();
  const dir = options.dir ?? PYTHON_ENV_DIR;
  const basePython = options.basePython ?? process.env.FP4KIT_BASE_PYTHON ?? "python3";
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const wanted = {
    requirementsSha256: createHash("sha256")
      .update(await readFile(PYTHON_REQUIREMENTS))
      .digest("hex"),
    basePython: baseVersion(basePython),
  };
  const current = await readStamp(dir);
  if (current !== undefined && sameStamp(current, wanted) && existsSync(envPython(dir))) {
    return { python: envPython(dir), created: false, seconds: (performance.now() - started) / 1000 };
  }
  log(
    `fp4kit: setting up the Python environment in ${dir} (${wanted.basePython}); the first time takes minutes`,
  );
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    await run(basePython, ["-m", "venv", partial], log);
    // --retries 0: an unreachable index fails at once instead of after minutes of back-off.
    await run(
      envPython(partial),
      [
        "-m",
        "pip",
        "install",
        "--quiet",
        "--retries",
        "0",
        "--disable-pip-version-check",
        "-r",
        PYTHON_REQUIREMENTS,
      ],
      log,
    );
    await writeFile(join(partial, STAMP_FILE), `${JSON.stringify(wanted, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  const seconds = (performance.now() - started) / 1000;
  log(`fp4kit: Python environment ready in ${seconds.toFixed(0)} s: ${envPython(dir)}`);
  return { python: envPython(dir), created: true, seconds };
}

function baseVersion(python: string): string {
  const probe = spawnSync(python, ["-c", "import sys; print(sys.version.split()[0], sys.executable)"], {
    encoding: "utf8",
  });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      `cannot run "${python}" to create fp4kit's Python environment (${probe.error?.message ?? probe.stderr.trim()}): install Python >= 3.10 or set FP4KIT_BASE_PYTHON`,
    );
  }
  const [version = "", executable = ""] = probe.stdout.trim().split(" ");
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major < 3 || (major === 3 && minor < 10)) {
    throw new Error(`"${python}" is Python ${version}; fp4kit's Python environment needs Python >= 3.10`);
  }
  return `Python ${version} ${executable}`;
}

async function readStamp(dir: string): Promise<z.infer<typeof StampSchema> | undefined> {
  try {
    return StampSchema.parse(JSON.parse(await readFile(join(dir, STAMP_FILE), "utf8")));
  } catch {
    return undefined;
  }
}

function sameStamp(a: z.infer<typeof StampSchema>, b: z.infer<typeof StampSchema>): boolean {
  return a.requirementsSha256 === b.requirementsSha256 && a.basePython === b.basePython;
}

function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const collect = (line: string) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      if (line.trim() !== "") log(`  ${line}`);
    };
    createInterface({ input: child.stdout }).on("line", collect);
    createInterface({ input: child.stderr }).on("line", collect);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${tail.join("\n")}`));
    });
  });
}
