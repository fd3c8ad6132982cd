import { DomainError, HTTP_STATUS_OF } from "../domain/errors";
import { requireTeamRole } from "../domain/teams/membership";
import { getServerRuntime } from "../runtime";

/**
 * For download routes: the session's user must be a member (any role) of the run's team. Runs of
 * other teams answer 404 like missing ones.
 */
export async function authorizeRunDownload(request: Request, runId: string) {
  const { db, auth } = getServerRuntime();
  const session = await auth.api.getSession({ headers: request.headers });
  if (!session) throw new DomainError("UNAUTHORIZED", "Sign in first");
  const run = await db.run.findUnique({
    where: { id: runId },
    select: { id: true, teamId: true, model: true },
  });
  if (!run) throw new DomainError("NOT_FOUND", "No such run");
  try {
    await requireTeamRole(db, { teamId: run.teamId, userId: session.user.id, required: "VIEWER" });
  } catch {
    throw new DomainError("NOT_FOUND", "No such run");
  }
  return { db, run };
}

/** A DomainError as a plain-text HTTP response; other errors propagate (500). */
export function errorResponse(error: unknown): Response {
  if (error instanceof DomainError) {
    return new Response(`${error.message}\n`, {
      status: HTTP_STATUS_OF[error.code],
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  throw error;
}

/** "DeepSeek V3/FP8" → "DeepSeek-V3-FP8": safe in a Content-Disposition filename. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "run";
}
