import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { AgentConfig } from "@fp4kit/agent";

/** The agent's command, as its package declares it (`bin.fp4kit-agent`). */
const AGENT_PACKAGE = createRequire(import.meta.url).resolve("@fp4kit/agent/package.json");
const BIN = join(dirname(AGENT_PACKAGE), JSON.parse(readFileSync(AGENT_PACKAGE, "utf8")).bin["fp4kit-agent"]);

export interface AgentProcess {
  child: ChildProcess;
  /** Everything the agent wrote to stderr (its own log), for failure messages. */
  output(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the real `fp4kit-agent` binary with a JSON config file (the token stays off argv). */
export function startAgentProcess(
  dir: string,
  config: Partial<AgentConfig> & Pick<AgentConfig, "server" | "token" | "roots">,
): AgentProcess {
  mkdirSync(dir, { recursive: true });
  const configFile = join(dir, "agent.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      spoolDir: join(dir, "spool"),
      claimPollSeconds: 1,
      metricIntervalMs: 200,
      cancelGrace: { interruptMs: 800, terminateMs: 800 },
      ...config,
    }),
  );
  const child = spawn(process.execPath, [BIN, "--config", configFile], {
    stdio: ["ignore", "inherit", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    if (process.env.AGENT_LOG) process.stderr.write(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
