import { randomBytes } from "node:crypto";
import type { Db } from "../../db";
import { DomainError } from "../errors";

type Tx = Pick<Db, "team" | "membership">;

/** "Ada's team!" → "adas-team"; empty names fall back to "team". */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return slug || "team";
}

/**
 * Creates a team with `ownerId` as its OWNER; the slug gets a random suffix when taken. The name
 * must differ (ignoring case) from the names of the teams the owner already belongs to: the team
 * switcher and every page title tell teams apart by name alone.
 */
export async function createTeamWithOwner(db: Tx, input: { name: string; ownerId: string }) {
  const namesake = await db.membership.findFirst({
    where: { userId: input.ownerId, team: { name: { equals: input.name, mode: "insensitive" } } },
    select: { team: { select: { name: true } } },
  });
  if (namesake) {
    throw new DomainError(
      "CONFLICT",
      `You already belong to a team named "${namesake.team.name}": choose another name.`,
    );
  }
  const base = slugify(input.name);
  let slug = base;
  while (await db.team.findUnique({ where: { slug }, select: { id: true } })) {
    slug = `${base}-${randomBytes(3).toString("hex")}`;
  }
  const team = await db.team.create({ data: { name: input.name, slug } });
  await db.membership.create({ data: { teamId: team.id, userId: input.ownerId, role: "OWNER" } });
  return team;
}
