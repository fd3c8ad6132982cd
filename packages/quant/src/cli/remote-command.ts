/**
 * `fp4kit remote`: queue, list, follow and cancel runs on an fp4kit dashboard through its HTTP API,
 * with a personal API token (created on the dashboard's API tokens page).
 */
import { readFile } from "node:fs/promises";
import { type ApiRun, NewRunInputSchema, RunKindSchema, RunStatusSchema } from "@fp4kit/protocol";
import { type Command, Option } from "commander";
import { z } from "zod";
import { RemoteClient, RemoteError } from "../remote/client.ts";
import { CliUsageError } from "./errors.ts";
import type { CliIo } from "./io.ts";

interface ConnectionFlags {
  server?: string;
  tokenFile?: string;
}

const HELP_AFTER = `
Connection:
  --server or FP4KIT_SERVER           the dashboard's URL, e.g. https://fp4kit.example
  FP4KIT_API_TOKEN or --token-file    a personal API token (fp4k_…): it acts as you, in the team it
                                      was created for. Kept out of the command line on purpose.

Examples:
  export FP4KIT_SERVER=https://fp4kit.example FP4KIT_API_TOKEN=fp4k_…
  fp4kit remote queue convert --src /data/DeepSeek-V3-FP8 --dst /data/DeepSeek-V3-NVFP4 --follow
  fp4kit remote list --status RUNNING,QUEUED
  fp4kit remote follow cmabc123…
  fp4kit remote cancel cmabc123…

Exit status of --follow and follow: 0 when the run succeeded, 1 when it failed, was cancelled or lost.
`;

async function clientOf(flags: ConnectionFlags): Promise<RemoteClient> {
  const server = flags.server ?? process.env.FP4KIT_SERVER;
  if (!server) throw new CliUsageError("no server: pass --server <url> or set FP4KIT_SERVER");
  const token = flags.tokenFile
    ? (await readFile(flags.tokenFile, "utf8")).trim()
    : process.env.FP4KIT_API_TOKEN?.trim();
  if (!token) throw new CliUsageError("no API token: set FP4KIT_API_TOKEN or pass --token-file <file>");
  return new RemoteClient(server, token);
}

/** Runs an action, turning the server's refusals into one-line CLI errors. */
async function remote<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof RemoteError) throw new CliUsageError(error.message);
    throw error;
  }
}

function describe(run: ApiRun): string {
  const percent = `${Math.round(run.progress * 100)}%`.padStart(4);
  return `${run.id}  ${run.kind.padEnd(9)} ${run.status.padEnd(9)} ${percent}  ${run.name ?? run.model}`;
}

function statusList(text: string): string[] {
  return text.split(",").map((s) => RunStatusSchema.parse(s.trim().toUpperCase()));
}

/** Prints the run's log as it grows; resolves with the exit status for its final state. */
async function followToEnd(client: RemoteClient, runId: string, io: CliIo): Promise<void> {
  const status = await remote(() => client.follow(runId, (line) => io.stdout(`${line.line}\n`)));
  io.stderr(`run ${runId} ended: ${status}\n`);
  if (status !== "SUCCEEDED") process.exitCode = 1;
}

function withConnection(command: Command): Command {
  return command
    .option("--server <url>", "the dashboard's URL (default: $FP4KIT_SERVER)")
    .option("--token-file <file>", "read the API token from this file (default: $FP4KIT_API_TOKEN)");
}

export function registerRemoteCommand(program: Command, io: CliIo): void {
  const remoteCommand = program
    .command("remote")
    .description("queue, list, follow and cancel runs on an fp4kit dashboard (HTTP API)")
    .addHelpText("after", HELP_AFTER);

  withConnection(remoteCommand.command("whoami").description("the token's user, team and role")).action(
    async (flags: ConnectionFlags) => {
      const client = await clientOf(flags);
      const me = await remote(() => client.whoami());
      io.stdout(
        `${me.user.name} <${me.user.email}>, ${me.role.toLowerCase()} of ${me.team.name} (${me.team.slug})\n`,
      );
    },
  );

  withConnection(
    remoteCommand
      .command("queue")
      .description("queue a run; with --follow, print its log until it ends")
      .addOption(
        new Option("--kind <kind>", "what to run")
          .choices(["inspect", "convert", "calibrate", "verify"])
          .makeOptionMandatory(),
      )
      .requiredOption("--src <path>", "the checkpoint, as a path on the agent's host")
      .option(
        "--dst <path>",
        "the output folder (convert; calibrate with llm-compressor) or calibration file (calibrate, method input-scales)",
      )
      .option("--agent <id>", "pin to this agent (default: any agent of the team)")
      .option(
        "--options <json>",
        'the kind\'s options as JSON, e.g. \'{"format":"modelopt","inputScale":1}\'',
      )
      .option("--follow", "print the run's log as it grows, until the run ends"),
  ).action(
    async (
      flags: ConnectionFlags & {
        kind: string;
        src: string;
        dst?: string;
        agent?: string;
        options?: string;
        follow?: boolean;
      },
    ) => {
      let options: unknown = {};
      if (flags.options !== undefined) {
        try {
          options = JSON.parse(flags.options);
        } catch (error) {
          throw new CliUsageError(`--options is not JSON: ${(error as Error).message}`);
        }
      }
      const spec = NewRunInputSchema.safeParse({
        kind: RunKindSchema.parse(flags.kind.toUpperCase()),
        agentId: flags.agent ?? null,
        sourcePath: flags.src,
        destPath: flags.dst ?? null,
        options,
      });
      if (!spec.success) throw new CliUsageError(`invalid run: ${z.prettifyError(spec.error)}`);
      const client = await clientOf(flags);
      const { run } = await remote(() => client.queueRun(spec.data));
      io.stderr(`queued ${run.kind.toLowerCase()} run ${run.id}: ${run.url}\n`);
      io.stdout(`${run.id}\n`);
      if (flags.follow) await followToEnd(client, run.id, io);
    },
  );

  withConnection(
    remoteCommand
      .command("list")
      .description("the team's runs, newest first")
      .option("--status <list>", "only these statuses, comma-separated (e.g. RUNNING,QUEUED)")
      .option("--search <words>", "words in the name, paths, tags or notes")
      .option("--limit <n>", "at most this many runs", "20")
      .option("--json", "print the API's JSON"),
  ).action(
    async (flags: ConnectionFlags & { status?: string; search?: string; limit: string; json?: boolean }) => {
      const client = await clientOf(flags);
      const list = await remote(() =>
        client.listRuns({
          statuses: flags.status ? statusList(flags.status) : undefined,
          q: flags.search,
          limit: Number(flags.limit),
        }),
      );
      if (flags.json) io.stdout(`${JSON.stringify(list, null, 2)}\n`);
      else for (const run of list.runs) io.stdout(`${describe(run)}\n`);
    },
  );

  withConnection(
    remoteCommand.command("follow").description("print a run's log until it ends").argument("<run-id>"),
  ).action(async (runId: string, flags: ConnectionFlags) => {
    await followToEnd(await clientOf(flags), runId, io);
  });

  withConnection(
    remoteCommand.command("cancel").description("cancel a queued or running run").argument("<run-id>"),
  ).action(async (runId: string, flags: ConnectionFlags) => {
    const client = await clientOf(flags);
    const { run } = await remote(() => client.cancelRun(runId));
    io.stdout(`${describe(run)}${run.cancelRequested && run.status === "RUNNING" ? " (stopping)" : ""}\n`);
  });
}
