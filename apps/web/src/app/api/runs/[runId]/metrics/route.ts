import { runMetricsCsv } from "../../../../../server/domain/runs/metrics-csv";
import {
  authorizeRunDownload,
  errorResponse,
  fileSafe,
} from "../../../../../server/downloads/authorize-run-download";

/** The run's metric samples as CSV (what its charts show, every sample, every metric). */
export async function GET(request: Request, context: { params: Promise<{ runId: string }> }) {
  const { runId } = await context.params;
  try {
    const { db, run } = await authorizeRunDownload(request, runId);
    return new Response(await runMetricsCsv(db, runId), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${fileSafe(run.model)}-${run.id}-metrics.csv"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
