import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { generateAgentToken, hashAgentToken, type PrismaClient, REPO_ROOT } from "@fp4kit/db";
import { startChild } from "./child-process.ts";
import { type Backoff, type SupervisedChild, supervise } from "./supervisor.ts";

/** The team that `npm start`'s local agent belongs to; the first user to sign up becomes its owner. */
export const LOCAL_TEAM = { slug: "local", name: "Local" } as const;
/** Owner of the Local team until a person signs up. It has no password: nobody can sign in as it. */
export const SYSTEM_USER = {
  id: "fp4kit-local-system",
  email: "local@fp4kit.local",
  name: "fp4kit (local)",
} as const;
export const LOCAL_AGENT_NAME = "local-agent";

type SavedAgent = { agentId: string; token: string };

export type LocalAgent = { agentId: string; token: string; revoked: boolean };

async function readSavedAgent(file: string): Promise<SavedAgent | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as SavedAgent;
  } catch {
    return undefined;
  }
}

async function saveAgent(file: string, saved: SavedAgent): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // `mode` applies only when the file is created
}

/**
 * Makes sure (idempotently) that the Local team, its system owner and the local agent exist, and
 * returns the agent's token, kept in `tokenFile` (mode 600) because the database has only its hash.
 * A local agent revoked in the web app stays revoked: `revoked` tells the caller not to start it.
 */
export async function ensureLocalAgent(prisma: PrismaClient, tokenFile: string): Promise<LocalAgent> {
  const team = await prisma.team.upsert({ where: { slug: LOCAL_TEAM.slug }, create: LOCAL_TEAM, update: {} });
  const user = await prisma.user.upsert({
    where: { email: SYSTEM_USER.email },
    create: SYSTEM_USER,
    update: {},
  });
  await prisma.membership.upsert({
    where: { teamId_userId: { teamId: team.id, userId: user.id } },
    create: { teamId: team.id, userId: user.id, role: "OWNER" },
    update: {},
  });

  const saved = await readSavedAgent(tokenFile);
  if (saved) {
    const agent = await prisma.agent.findUnique({ where: { id: saved.agentId } });
    if (agent && agent.tokenHash === hashAgentToken(saved.token)) {
      return { agentId: agent.id, token: saved.token, revoked: agent.revokedAt !== null };
    }
  }
  const { token, tokenHash, tokenPrefix } = generateAgentToken();
  const agent = await prisma.agent.create({
    data: { teamId: team.id, name: LOCAL_AGENT_NAME, tokenHash, tokenPrefix, createdById: user.id },
  });
  await saveAgent(tokenFile, { agentId: agent.id, token });
  return { agentId: agent.id, token, revoked: false };
}

/** Exit codes of apps/agent/src/main.ts that a restart cannot fix. */
const AGENT_EXITS_FOR_GOOD: Record<number, string> = {
  2: "its configuration was refused",
  3: "the server refused its token",
};

/**
 * Runs the local agent under supervision: it connects to `serverUrl`, may read and write
 * `checkpointsDir`, and is started again (with backoff) whenever it exits or is killed, except when
 * its token or configuration is refused. Its output is labelled `agent`.
 */
export function startLocalAgent(options: {
  serverUrl: string;
  token: string;
  checkpointsDir: string;
  spoolDir: string;
  say: (message: string) => void;
  backoff?: Backoff;
}): SupervisedChild {
  return supervise({
    name: "the local agent",
    say: options.say,
    backoff: options.backoff,
    giveUp: ({ code }) => (code === null ? undefined : AGENT_EXITS_FOR_GOOD[code]),
    start: () =>
      startChild(
        "agent",
        process.execPath,
        [
          "--import",
          "tsx",
          "src/main.ts",
          "--server",
          options.serverUrl,
          "--root",
          options.checkpointsDir,
          "--spool-dir",
          options.spoolDir,
        ],
        // The token goes through the environment: command lines are visible to other users.
        { cwd: join(REPO_ROOT, "apps", "agent"), env: { ...process.env, FP4KIT_TOKEN: options.token } },
      ),
  });
}
