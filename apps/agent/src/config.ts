import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { z } from "zod";

const GraceSchema = z
  .object({
    /** After SIGINT, how long the job's process group gets before SIGTERM. */
    interruptMs: z.number().int().min(0).default(10_000),
    /** After SIGTERM, how long before SIGKILL. */
    terminateMs: z.number().int().min(0).default(10_000),
  })
  .strict();

export const AgentConfigSchema = z
  .object({
    /** Base URL of the fp4kit web app, e.g. https://fp4kit.example.com. */
    server: z.url({ protocol: /^https?$/ }),
    token: z.string().min(1),
    /** Data roots: every source and destination path must resolve inside one of them. */
    roots: z.array(z.string().min(1)).min(1, "at least one data root (--root) is required"),
    /** Where runs are spooled (events, artifacts, outcome) until the server acknowledged them. */
    spoolDir: z
      .string()
      .min(1)
      .default(join(homedir(), ".fp4kit-agent", "spool")),
    maxConcurrentJobs: z.number().int().min(1).max(64).default(1),
    /** The Python interpreter for calibrate/verify (a venv's python, typically). */
    python: z.string().min(1).default("python3"),
    /**
     * Test seam: run another script than apps/agent/python/<kind>.py for a job kind. Production
     * leaves this empty; tests use it for stand-ins (e.g. a script that spawns a process tree).
     */
    scripts: z
      .object({ calibrate: z.string().min(1), inputScales: z.string().min(1), verify: z.string().min(1) })
      .partial()
      .strict()
      .default({}),
    cancelGrace: GraceSchema.default({ interruptMs: 10_000, terminateMs: 10_000 }),
    /**
     * Put each job's processes in a cgroup v2 of their own where the host lets the agent create one
     * (root, or a delegated cgroup); false leaves the host's cgroups alone. Either way a job's
     * processes are also found by a marker in their environment.
     */
    jobCgroups: z.boolean().default(true),
    /** Fallback poll for queued runs, in case a `run:available` push was missed. */
    claimPollSeconds: z.number().positive().default(30),
    /** At most one metric sample per this interval per run (progress events are coalesced). */
    metricIntervalMs: z.number().int().min(50).default(1_000),
    /** How long acknowledged runs stay in the spool's done/ folder for inspection. */
    spoolRetentionDays: z.number().min(0).default(7),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** Settings as given on the command line or in the environment; undefined = not given. */
export interface ConfigOverrides {
  server?: string;
  token?: string;
  roots?: string[];
  spoolDir?: string;
  maxConcurrentJobs?: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export function overridesFromEnv(env: NodeJS.ProcessEnv): ConfigOverrides {
  return {
    server: env.FP4KIT_SERVER || undefined,
    token: env.FP4KIT_TOKEN || undefined,
    roots: env.FP4KIT_ROOTS ? env.FP4KIT_ROOTS.split(delimiter).filter(Boolean) : undefined,
    spoolDir: env.FP4KIT_SPOOL_DIR || undefined,
  };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The effective configuration: defaults < config file < environment < command line. Relative
 * paths in the file are relative to the file; on the command line, to the working directory.
 */
export async function loadConfig(input: {
  configFile?: string;
  env: ConfigOverrides;
  cli: ConfigOverrides;
}): Promise<AgentConfig> {
  let fromFile: Record<string, unknown> = {};
  if (input.configFile) {
    const file = resolve(input.configFile);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    const base = resolve(file, "..");
    const rebase = (p: unknown) => (typeof p === "string" ? resolve(base, p) : p);
    if (Array.isArray(fromFile.roots)) fromFile.roots = fromFile.roots.map(rebase);
    if (fromFile.spoolDir !== undefined) fromFile.spoolDir = rebase(fromFile.spoolDir);
    if (fromFile.scripts && typeof fromFile.scripts === "object") {
      fromFile.scripts = Object.fromEntries(Object.entries(fromFile.scripts).map(([k, v]) => [k, rebase(v)]));
    }
  }
  const cli = {
    ...input.cli,
    roots: input.cli.roots?.map((r) => resolve(r)),
    spoolDir: input.cli.spoolDir && resolve(input.cli.spoolDir),
  };
  const merged = { ...fromFile, ...defined(input.env), ...defined(cli) };
  const parsed = AgentConfigSchema.safeParse(merged);
  if (!parsed.success)
    throw new ConfigError(`invalid agent configuration:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
