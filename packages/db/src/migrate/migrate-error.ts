/**
 * A migration problem, with Prisma Migrate's error code for the same situation:
 * P3005 non-empty database without history, P3009 a failed migration blocks the others,
 * P3018 a migration failed just now.
 */
export class MigrateError extends Error {
  override readonly name = "MigrateError";

  constructor(
    readonly code: "P3005" | "P3009" | "P3018",
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
