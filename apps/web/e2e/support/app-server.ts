import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { LOCAL_TEAM_SLUG, SYSTEM_USER_EMAIL } from "../../src/server/domain/teams/local-team";
import { ensureAppBuilt } from "./app-build";
import { freePort, type ManagedProcess, startProcess } from "./processes";

export const APP_DIR = resolve(import.meta.dirname, "..", "..");
export const REPO_ROOT = resolve(APP_DIR, "..", "..");
export const ECHO = process.env.FP4KIT_E2E_VERBOSE === "1";

export interface AppServer {
  baseUrl: string;
  database: TestDatabase;
  server: ManagedProcess;
  /** A scratch folder of this test file (data dir, models, spool...), removed by `stop`. */
  work: string;
  stop(): Promise<void>;
}

/** What `npm start` creates on a first start (scripts/start/local-agent.ts): the first sign-up owns it. */
async function createLocalTeam({ prisma }: TestDatabase) {
  const system = await prisma.user.create({
    data: { id: "fp4kit-local-system", name: "fp4kit (local)", email: SYSTEM_USER_EMAIL },
  });
  const team = await prisma.team.create({ data: { name: "Local", slug: LOCAL_TEAM_SLUG } });
  await prisma.membership.create({ data: { teamId: team.id, userId: system.id, role: "OWNER" } });
}

/** The production build of the app as `server.ts` serves it, on its own database copy and port. */
export async function startAppServer(): Promise<AppServer> {
  const work = await mkdtemp(join(tmpdir(), "fp4kit-e2e-"));
  await chmod(work, 0o755);
  ensureAppBuilt(APP_DIR);
  const database = await createTestDatabase();
  await createLocalTeam(database);
  const port = await freePort();
  const baseUrl = `http://localhost:${port}`;
  const server = startProcess("web", process.execPath, ["--import", "tsx", "server.ts"], {
    cwd: APP_DIR,
    echo: ECHO,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      DATABASE_URL: database.connectionString,
      BETTER_AUTH_SECRET: "e2e-secret-e2e-secret-e2e-secret",
      BETTER_AUTH_URL: baseUrl,
      FP4KIT_DATA_DIR: join(work, "data"),
      NEXT_TELEMETRY_DISABLED: "1",
    },
  });
  await server.waitFor(/fp4kit ready at/, 60_000);
  return {
    baseUrl,
    database,
    server,
    work,
    async stop() {
      await server.stop();
      await database.drop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
