import type { PrismaClient } from "@fp4kit/db";

/** The Prisma client of packages/db, as every server module receives it. */
export type Db = PrismaClient;
