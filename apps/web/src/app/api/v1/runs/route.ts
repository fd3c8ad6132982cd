import { NewRunInputSchema, RunKindSchema, RunStatusSchema } from "@fp4kit/protocol";
import { z } from "zod";
import { RunArchivedFilterSchema, RunSortSchema } from "../../../../lib/run-query";
import { handleApiRequest, jsonBody, parseInput } from "../../../../server/http-api/api-request";
import { toApiRun } from "../../../../server/http-api/api-run";

/** "failed, lost" → ["FAILED", "LOST"] */
const commaList = z.string().transform((text) =>
  text
    .split(",")
    .map((item) => item.trim().toUpperCase())
    .filter(Boolean),
);

/** `GET /api/v1/runs` query parameters: the runs page's filters, search and order, as strings. */
const ListParamsSchema = z.object({
  status: commaList.pipe(z.array(RunStatusSchema)).optional(),
  kind: commaList.pipe(z.array(RunKindSchema)).optional(),
  agent: z.string().min(1).optional(),
  q: z.string().optional(),
  tag: z.string().optional(),
  archived: RunArchivedFilterSchema.optional(),
  sort: RunSortSchema.optional(),
  dir: z.enum(["asc", "desc"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.coerce.number().int().nonnegative().optional(),
});

/** `GET /api/v1/runs`: the team's runs, filtered, searched and sorted as on the runs page. */
export function GET(request: Request) {
  return handleApiRequest(request, async (api) => {
    const params = parseInput(ListParamsSchema, Object.fromEntries(new URL(request.url).searchParams));
    const page = await api.caller.runs.list({
      teamId: api.teamId,
      statuses: params.status,
      kinds: params.kind,
      agentId: params.agent,
      q: params.q,
      tag: params.tag,
      archived: params.archived,
      sort: params.sort,
      dir: params.dir,
      limit: params.limit,
      cursor: params.cursor,
    });
    return { runs: page.runs.map((run) => toApiRun(run, api.runUrl(run.id))), nextCursor: page.nextCursor };
  });
}

/** `POST /api/v1/runs`: queue a run (the body is a run spec, NewRunInputSchema); 201 with the run. */
export function POST(request: Request) {
  return handleApiRequest(
    request,
    async (api) => {
      const spec = parseInput(NewRunInputSchema, await jsonBody(request));
      const { id } = await api.caller.runs.create({ teamId: api.teamId, spec });
      const run = await api.caller.runs.get({ teamId: api.teamId, runId: id });
      return { run: toApiRun(run, api.runUrl(id)) };
    },
    201,
  );
}
