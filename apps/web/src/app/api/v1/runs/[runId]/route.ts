import { handleApiRequest } from "../../../../../server/http-api/api-request";
import { toApiRun } from "../../../../../server/http-api/api-run";

/** `GET /api/v1/runs/{id}`: one run of the token's team. */
export async function GET(request: Request, context: { params: Promise<{ runId: string }> }) {
  const { runId } = await context.params;
  return handleApiRequest(request, async (api) => ({
    run: toApiRun(await api.caller.runs.get({ teamId: api.teamId, runId }), api.runUrl(runId)),
  }));
}
