import { join } from "node:path";
import { createPrismaClient, DEFAULT_DATA_DIR, migrateDatabase, REPO_ROOT } from "@fp4kit/db";
import { startChild } from "./child-process.ts";
import { ensureDemoCheckpoint } from "./demo-checkpoint.ts";
import type { Lifecycle } from "./lifecycle.ts";
import { ensureLocalAgent, LOCAL_AGENT_NAME, LOCAL_TEAM, startLocalAgent } from "./local-agent.ts";
import { say } from "./log.ts";
import { firstFreePort, waitUntilListening } from "./ports.ts";
import { startDatabaseHost } from "./start-database.ts";
import { describeExit } from "./supervisor.ts";

const DATA_DIR = join(REPO_ROOT, ".data");
const CHECKPOINTS_DIR = join(DATA_DIR, "checkpoints");

async function openProductDatabase(lifecycle: Lifecycle): Promise<string> {
  const external = process.env.DATABASE_URL;
  if (external) {
    say("using the PostgreSQL server at DATABASE_URL");
    return external;
  }
  const database = await startDatabaseHost(DEFAULT_DATA_DIR);
  lifecycle.add("database", database.stop);
  say(`embedded PostgreSQL running (data in ${DEFAULT_DATA_DIR})`, "db");
  return database.connectionString;
}

/** Local team, local agent and demo checkpoint: everything a first conversion needs. */
async function prepareLocalSetup(databaseUrl: string) {
  const prisma = createPrismaClient(databaseUrl);
  try {
    const agent = await ensureLocalAgent(prisma, join(DATA_DIR, "local-agent.json"));
    const demo = await ensureDemoCheckpoint(CHECKPOINTS_DIR);
    if (demo.created) say(`generated the demo checkpoint ${demo.dir}`);
    return { agent, demo };
  } finally {
    await prisma.$disconnect();
  }
}

function startWeb(lifecycle: Lifecycle, databaseUrl: string, port: number) {
  const web = startChild("web", process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: join(REPO_ROOT, "apps", "web"),
    env: {
      ...process.env,
      NODE_ENV: "production",
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      FP4KIT_DATA_DIR: DATA_DIR,
    },
  });
  lifecycle.add("web app", web.stop);
  lifecycle.onHurry(web.kill);
  void web.exited.then((status) => {
    if (!lifecycle.stopping) void lifecycle.shutDown(1, `the web app exited (${describeExit(status)})`);
  });
  return web;
}

function superviseLocalAgent(lifecycle: Lifecycle, serverUrl: string, token: string) {
  const agent = startLocalAgent({
    serverUrl,
    token,
    checkpointsDir: CHECKPOINTS_DIR,
    spoolDir: join(DATA_DIR, "agent-spool"),
    say,
  });
  lifecycle.add("local agent", agent.stop);
  lifecycle.onHurry(agent.kill);
}

/** Everything after the build: database, migrations, local set-up, web app and local agent. */
export async function runProduct(lifecycle: Lifecycle): Promise<void> {
  const databaseUrl = await openProductDatabase(lifecycle);
  await migrateDatabase(databaseUrl, { log: (message) => say(message, "db") });
  const { agent, demo } = await prepareLocalSetup(databaseUrl);

  const port = process.env.PORT ? Number(process.env.PORT) : await firstFreePort(3000);
  const web = startWeb(lifecycle, databaseUrl, port);
  await waitUntilListening(port, web.exited);
  const url = `http://localhost:${port}`;
  if (agent.revoked) {
    say(
      `the local agent was revoked in the web app: not starting it (delete ${join(DATA_DIR, "local-agent.json")} for a new one)`,
    );
  } else {
    superviseLocalAgent(lifecycle, url, agent.token);
  }

  say(
    [
      "",
      `fp4kit is running at ${url}`,
      `  Sign up there: the first account becomes owner of the "${LOCAL_TEAM.name}" team, whose agent`,
      `  "${LOCAL_AGENT_NAME}" runs on this machine with the demo checkpoint ${demo.dir}.`,
      "  Press Ctrl-C to stop everything (the data in .data/ is kept).",
      "",
    ].join("\n"),
  );
}
