import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentConfig } from "../../src/config.ts";

const BIN = fileURLToPath(new URL("../../bin/fp4kit-agent.js", import.meta.url));

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
