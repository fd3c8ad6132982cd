import { z } from "zod";
import { handleApiRequest, parseInput } from "../../../../../../server/http-api/api-request";

const LogParamsSchema = z.object({
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

/**
 * `GET /api/v1/runs/{id}/log?after=<seq>`: the log lines after `after` (oldest first), `next` to
 * pass as `after` next time, and `done` once the run ended and every line was returned.
 */
export async function GET(request: Request, context: { params: Promise<{ runId: string }> }) {
  const { runId } = await context.params;
  return handleApiRequest(request, async (api) => {
    const params = parseInput(LogParamsSchema, Object.fromEntries(new URL(request.url).searchParams));
    const page = await api.caller.runs.log({ teamId: api.teamId, runId, ...params });
    return { ...page, lines: page.lines.map((line) => ({ ...line, ts: line.ts.toISOString() })) };
  });
}
