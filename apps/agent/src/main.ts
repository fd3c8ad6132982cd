import { Command, Option } from "commander";
import { Agent } from "./agent.ts";
import { probeCapabilities } from "./capabilities.ts";
import { ConfigError, loadConfig, overridesFromEnv } from "./config.ts";
import { consoleLogger } from "./logger.ts";
import { AGENT_VERSION } from "./version.ts";

const program = new Command()
  .name("fp4kit-agent")
  .description("Runs fp4kit jobs (inspect, convert, calibrate, verify) on this host for an fp4kit server.")
  .version(AGENT_VERSION)
  .option("--server <url>", "fp4kit web app URL (env FP4KIT_SERVER)")
  .option(
    "--token <token>",
    "agent token from the web app (env FP4KIT_TOKEN; prefer env or config file: argv is visible to other users)",
  )
  .option("--root <dir...>", "allowed data root; repeat for several (env FP4KIT_ROOTS, ':'-separated)")
  .option("--spool-dir <dir>", "where runs are spooled until acknowledged (env FP4KIT_SPOOL_DIR)")
  .addOption(
    new Option("--max-jobs <n>", "jobs run at the same time").argParser((v) => Number.parseInt(v, 10)),
  )
  .option("--config <file>", "JSON config file (env FP4KIT_CONFIG); command line and env override it");

program
  .command("run", { isDefault: true })
  .description("connect and run jobs until stopped (SIGINT/SIGTERM: stop jobs, keep them spooled to resume)")
  .action(async () => {
    const config = await resolveConfig();
    const log = consoleLogger();
    const agent = await Agent.create(config, log);
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) process.exit(130); // a second signal: leave now
      log.info(`${signal}: stopping jobs and flushing the spool (send again to exit at once)`);
      void agent.stop(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    await agent.start();
    const reason = await agent.stopped;
    // A refused token is fatal: a supervisor restarting us would only be refused again.
    process.exit(reason.startsWith("SIG") || reason === "stopped" ? 0 : 3);
  });

program
  .command("probe")
  .description("print the capabilities this agent would report (GPUs, disks, Python packages) and exit")
  .action(async () => {
    const opts = program.opts<{ root?: string[] }>();
    const env = overridesFromEnv(process.env);
    const roots = opts.root ?? env.roots ?? [];
    console.log(JSON.stringify(await probeCapabilities({ roots, python: "python3" }), null, 2));
  });

async function resolveConfig() {
  const opts = program.opts<{
    server?: string;
    token?: string;
    root?: string[];
    spoolDir?: string;
    maxJobs?: number;
    config?: string;
  }>();
  return loadConfig({
    configFile: opts.config ?? process.env.FP4KIT_CONFIG,
    env: overridesFromEnv(process.env),
    cli: {
      server: opts.server,
      token: opts.token,
      roots: opts.root,
      spoolDir: opts.spoolDir,
      maxConcurrentJobs: opts.maxJobs,
    },
  });
}

try {
  await program.parseAsync();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(2);
}
