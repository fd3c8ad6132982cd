/**
 * Errors the domain layer raises for the caller's mistakes. The tRPC layer maps them to TRPCError
 * codes and the route handlers to HTTP statuses, so domain code stays transport-agnostic.
 */
export type DomainErrorCode = "UNAUTHORIZED" | "NOT_FOUND" | "FORBIDDEN" | "BAD_REQUEST" | "CONFLICT";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export const HTTP_STATUS_OF: Record<DomainErrorCode, number> = {
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  CONFLICT: 409,
};
