import { handleApiRequest } from "../../../../../../server/http-api/api-request";
import { toApiRun } from "../../../../../../server/http-api/api-run";

/**
 * `POST /api/v1/runs/{id}/cancel`: a queued run is cancelled at once, a running one is asked to
 * stop (its agent reports CANCELLED when it has; `cancelRequested` is true meanwhile).
 */
export async function POST(request: Request, context: { params: Promise<{ runId: string }> }) {
  const { runId } = await context.params;
  return handleApiRequest(request, async (api) => {
    await api.caller.runs.cancel({ teamId: api.teamId, runId });
    return { run: toApiRun(await api.caller.runs.get({ teamId: api.teamId, runId }), api.runUrl(runId)) };
  });
}
