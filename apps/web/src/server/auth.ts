import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import type { Db } from "./db";
import { placeNewUser } from "./domain/teams/place-new-user";

export interface AuthConfig {
  /** Signs session cookies; see resolveAuthSecret. */
  secret: string;
  /** The URL browsers use to reach this instance, e.g. http://localhost:3000. */
  baseURL: string;
}

/**
 * better-auth with email + password, sessions stored in Postgres through Prisma (the user, session,
 * account and verification tables of prisma/schema.prisma), passwords hashed by the library.
 */
export function createAuth(db: Db, config: AuthConfig) {
  const base = new URL(config.baseURL);
  // The same server is commonly reached as localhost and 127.0.0.1; both are the same origin to us.
  const loopbackAliases = ["localhost", "127.0.0.1"].includes(base.hostname)
    ? ["localhost", "127.0.0.1"].map((host) => `${base.protocol}//${host}${base.port ? `:${base.port}` : ""}`)
    : [];
  return betterAuth({
    secret: config.secret,
    baseURL: config.baseURL,
    trustedOrigins: [base.origin, ...loopbackAliases],
    database: prismaAdapter(db, { provider: "postgresql" }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, autoSignIn: true },
    telemetry: { enabled: false },
    databaseHooks: {
      user: {
        create: {
          after: async (user) => {
            await placeNewUser(db, user);
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
