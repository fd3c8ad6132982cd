import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import type { Db } from "./db";
import { placeNewUser } from "./domain/teams/place-new-user";
import { CLIENT_ADDRESS_HEADER } from "./http/client-address";
import { siteOrigins } from "./http/site-origins";

export interface AuthConfig {
  /** Signs session cookies; see resolveAuthSecret. */
  secret: string;
  /** The URL browsers use to reach this instance, e.g. http://localhost:3000. */
  baseURL: string;
  /** A session was deleted (sign-out, revocation): close what was opened with it. */
  onSessionEnded?: (sessionId: string) => void;
}

/**
 * better-auth with email + password, sessions stored in Postgres through Prisma (the user, session,
 * account and verification tables of prisma/schema.prisma), passwords hashed by the library.
 */
export function createAuth(db: Db, config: AuthConfig) {
  return betterAuth({
    secret: config.secret,
    baseURL: config.baseURL,
    trustedOrigins: siteOrigins(config.baseURL),
    database: prismaAdapter(db, { provider: "postgresql" }),
    emailAndPassword: { enabled: true, minPasswordLength: 8, autoSignIn: true },
    telemetry: { enabled: false },
    // better-auth's limits (sign-in: 3 tries per 10 s and client) hold in every mode, keyed on the
    // address server.ts derives from the socket and TRUST_PROXY: a client cannot pick its own.
    // Counted in the database, so several web instances do not each grant the allowance.
    rateLimit: { enabled: true, storage: "database" },
    advanced: {
      // better-auth turns its Origin (CSRF) check off when it believes it runs under a test runner
      // (TEST or NODE_ENV=test in the environment); a deployment must never depend on that.
      disableOriginCheck: false,
      ipAddress: { ipAddressHeaders: [CLIENT_ADDRESS_HEADER] },
      // Cookies follow the site's URL, whatever NODE_ENV says: Secure whenever it is https.
      useSecureCookies: new URL(config.baseURL).protocol === "https:",
    },
    databaseHooks: {
      session: {
        delete: {
          after: async (session) => {
            config.onSessionEnded?.(session.id);
          },
        },
      },
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
