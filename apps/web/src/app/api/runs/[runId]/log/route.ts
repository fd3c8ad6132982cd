import { readLogPage } from "../../../../../server/domain/runs/run-log";
import {
  authorizeRunDownload,
  errorResponse,
  fileSafe,
} from "../../../../../server/downloads/authorize-run-download";

const PAGE_SIZE = 5000;

/** The run's full log as plain text, streamed page by page so huge logs never sit in memory. */
export async function GET(request: Request, context: { params: Promise<{ runId: string }> }) {
  const { runId } = await context.params;
  try {
    const { db, run } = await authorizeRunDownload(request, runId);
    const encoder = new TextEncoder();
    let afterSeq = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const lines = await readLogPage(db, { runId, afterSeq, limit: PAGE_SIZE });
        if (lines.length === 0) {
          controller.close();
          return;
        }
        afterSeq = lines.at(-1)?.seq ?? afterSeq;
        controller.enqueue(encoder.encode(lines.map((l) => `${l.line}\n`).join("")));
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "content-disposition": `attachment; filename="${fileSafe(run.model)}-${run.id}.log"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
