import { ArtifactKindSchema } from "@fp4kit/protocol";
import { z } from "zod";
import {
  authorizeRunDownload,
  errorResponse,
  fileSafe,
} from "../../../../../../server/downloads/authorize-run-download";

const FormatSchema = z.enum(["json", "md"]);

/** A run's report as a file: `?format=json` (default) or `?format=md`. `kind` is e.g. inspect_report. */
export async function GET(request: Request, context: { params: Promise<{ runId: string; kind: string }> }) {
  const { runId, kind: kindParam } = await context.params;
  const kind = ArtifactKindSchema.safeParse(kindParam.toUpperCase());
  const format = FormatSchema.safeParse(new URL(request.url).searchParams.get("format") ?? "json");
  if (!kind.success || !format.success) {
    return new Response("Unknown report kind or format (use ?format=json or ?format=md)\n", { status: 400 });
  }
  try {
    const { db, run } = await authorizeRunDownload(request, runId);
    const artifact = await db.artifact.findUnique({
      where: { runId_kind: { runId, kind: kind.data } },
      select: { json: true, markdown: true },
    });
    const body = format.data === "json" ? artifact?.json : artifact?.markdown;
    if (body === null || body === undefined)
      return new Response("This run has no such report\n", { status: 404 });
    const filename = `${fileSafe(run.model)}-${kind.data.toLowerCase().replace(/_/g, "-")}.${format.data}`;
    return new Response(format.data === "json" ? `${JSON.stringify(body, null, 2)}\n` : String(body), {
      headers: {
        "content-type":
          format.data === "json" ? "application/json; charset=utf-8" : "text/markdown; charset=utf-8",
        "content-disposition": `attachment; filename="${filename}"`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    return errorResponse(error);
  }
}
