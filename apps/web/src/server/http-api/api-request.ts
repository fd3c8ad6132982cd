import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError, z } from "zod";
import { createCaller } from "../api/root";
import { authenticateApiToken } from "../domain/api-tokens/api-tokens";
import { DomainError, HTTP_STATUS_OF } from "../domain/errors";
import { requireTeamRole } from "../domain/teams/membership";
import { getServerRuntime } from "../runtime";

/** What a handler of the HTTP API gets: the token's team and the tRPC procedures called as its user. */
export interface ApiContext {
  user: { id: string; name: string; email: string };
  team: { id: string; slug: string; name: string };
  role: "OWNER" | "MEMBER" | "VIEWER";
  teamId: string;
  caller: ReturnType<typeof createCaller>;
  /** The dashboard page of a run, for the `url` field. */
  runUrl(runId: string): string;
}

function json(body: unknown, status: number): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

/** Query parameters or a body that failed their schema: a 400 with the message of each field. */
class ApiInputError extends Error {
  constructor(readonly fieldErrors: Record<string, string[] | undefined>) {
    super("Invalid request");
  }
}

/** `value` parsed with `schema`, or a 400 naming the fields that are wrong. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiInputError(z.flattenError(parsed.error).fieldErrors);
  return parsed.data;
}

function errorJson(error: unknown): Response {
  if (error instanceof ApiInputError)
    return json({ error: error.message, fieldErrors: error.fieldErrors }, 400);
  if (error instanceof DomainError) return json({ error: error.message }, HTTP_STATUS_OF[error.code]);
  if (error instanceof TRPCError) {
    const cause = error.cause instanceof ZodError ? error.cause : null;
    return json(
      cause
        ? { error: "Invalid request", fieldErrors: z.flattenError(cause).fieldErrors }
        : { error: error.message },
      getHTTPStatusCodeFromError(error),
    );
  }
  console.error("[http-api] request failed", error);
  return json({ error: "The server failed to answer; it is safe to retry" }, 500);
}

/** `Authorization: Bearer fp4k_…` → the token's team and user; anything else is a 401. */
async function authenticate(request: Request): Promise<ApiContext> {
  const { db, realtime } = getServerRuntime();
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) {
    throw new DomainError("UNAUTHORIZED", "Send a personal API token: Authorization: Bearer fp4k_…");
  }
  const { teamId, user } = await authenticateApiToken(db, match[1]);
  // A token outlives neither its holder's membership nor their role: both are read per request.
  const { role } = await requireTeamRole(db, { teamId, userId: user.id, required: "VIEWER" });
  const team = await db.team.findUniqueOrThrow({
    where: { id: teamId },
    select: { id: true, slug: true, name: true },
  });
  const origin = new URL(request.url).origin;
  return {
    user,
    team,
    role,
    teamId,
    caller: createCaller({ db, realtime, session: { user } }),
    runUrl: (runId) => `${origin}/t/${team.slug}/runs/${runId}`,
  };
}

/** Runs one HTTP API request: authenticates it, answers the handler's result as JSON, errors too. */
export async function handleApiRequest(
  request: Request,
  handler: (api: ApiContext) => Promise<unknown>,
  status = 200,
): Promise<Response> {
  try {
    const api = await authenticate(request);
    return json(await handler(api), status);
  } catch (error) {
    return errorJson(error);
  }
}

/** The request's JSON body, or a 400 saying it is not JSON. */
export async function jsonBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new DomainError("BAD_REQUEST", "The request body is not JSON");
  }
}
