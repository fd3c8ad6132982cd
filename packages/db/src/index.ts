// Agent tokens are also a subpath (`@fp4kit/db/agent-tokens`) so that Next.js route code can use them
// without bundling the database package.
export {
  AGENT_TOKEN_PREFIX,
  generateAgentToken,
  hashAgentToken,
  type NewAgentToken,
} from "./agent-tokens.ts";
export { createPrismaClient } from "./client.ts";
export {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from "./embedded/embedded-postgres.ts";
// PrismaClient, the Prisma namespace (errors, input types, JsonValue...), enums and model types.
export * from "./generated/prisma/client.ts";
export { type MigrateOptions, migrateDatabase } from "./migrate/migrate.ts";
export { MigrateError } from "./migrate/migrate-error.ts";
export { type OpenDatabase, type OpenDatabaseOptions, openDatabase } from "./open-database.ts";
export { DEFAULT_DATA_DIR, REPO_ROOT } from "./paths.ts";
