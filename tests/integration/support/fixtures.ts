import type { PrismaClient, RunKind } from "@fp4kit/db";
import { generateAgentToken } from "@fp4kit/db";

export interface Tenant {
  userId: string;
  teamId: string;
  agentId: string;
  token: string;
}

/** A user, their team, and an agent registered the way the web app does it (hashed token). */
export async function createTenant(db: PrismaClient, name = "alice"): Promise<Tenant> {
  const user = await db.user.create({ data: { id: `user-${name}`, name, email: `${name}@example.com` } });
  const team = await db.team.create({ data: { name: `${name}'s team`, slug: `team-${name}` } });
  await db.membership.create({ data: { teamId: team.id, userId: user.id, role: "OWNER" } });
  const { token, tokenHash, tokenPrefix } = generateAgentToken();
  const agent = await db.agent.create({
    data: { teamId: team.id, name: `${name}-b200`, tokenHash, tokenPrefix, createdById: user.id },
  });
  return { userId: user.id, teamId: team.id, agentId: agent.id, token };
}

export async function queueRun(
  db: PrismaClient,
  tenant: Tenant,
  run: {
    kind: RunKind;
    sourcePath: string;
    destPath?: string | null;
    options?: object;
    agentId?: string | null;
  },
) {
  return db.run.create({
    data: {
      teamId: tenant.teamId,
      kind: run.kind,
      model: run.sourcePath.split("/").at(-1) ?? "model",
      sourcePath: run.sourcePath,
      destPath: run.destPath ?? null,
      options: run.options ?? {},
      agentId: run.agentId ?? null,
      createdById: tenant.userId,
    },
  });
}
