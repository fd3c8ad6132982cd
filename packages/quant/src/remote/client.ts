/**
 * A client of the dashboard's HTTP API (`/api/v1`, apps/web/docs/http-api.md), for `fp4kit remote`.
 * Every response is validated with the protocol's schemas; failures carry the server's message.
 */
import {
  ApiErrorResponseSchema,
  type ApiLogResponse,
  ApiLogResponseSchema,
  ApiRunListResponseSchema,
  ApiRunResponseSchema,
  ApiWhoAmIResponseSchema,
  type NewRunInput,
} from "@fp4kit/protocol";
import type { z } from "zod";

/** The server refused the request or could not be reached; the message says which and why. */
export class RemoteError extends Error {
  override name = "RemoteError";
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface ListQuery {
  statuses?: string[];
  kinds?: string[];
  q?: string;
  limit?: number;
}

export class RemoteClient {
  private readonly base: URL;

  constructor(
    server: string,
    private readonly token: string,
  ) {
    this.base = new URL("/api/v1/", server);
  }

  private async call<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const url = new URL(path, this.base);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new RemoteError(`cannot reach ${this.base.origin}: ${(error as Error).message}`, null);
    }
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const refusal = ApiErrorResponseSchema.safeParse(payload);
      const detail = refusal.success
        ? [
            refusal.data.error,
            ...Object.entries(refusal.data.fieldErrors ?? {}).map(
              ([field, messages]) => `${field}: ${messages.join("; ")}`,
            ),
          ].join("\n  ")
        : response.statusText;
      throw new RemoteError(`${method} ${url.pathname}: ${response.status} ${detail}`, response.status);
    }
    const parsed = schema.safeParse(payload);
    if (!parsed.success) {
      throw new RemoteError(
        `${method} ${url.pathname}: the server's answer is not what this client expects`,
        response.status,
      );
    }
    return parsed.data;
  }

  whoami() {
    return this.call("GET", "me", ApiWhoAmIResponseSchema);
  }

  listRuns(query: ListQuery) {
    const params = new URLSearchParams();
    if (query.statuses?.length) params.set("status", query.statuses.join(","));
    if (query.kinds?.length) params.set("kind", query.kinds.join(","));
    if (query.q) params.set("q", query.q);
    if (query.limit) params.set("limit", String(query.limit));
    return this.call("GET", `runs?${params}`, ApiRunListResponseSchema);
  }

  queueRun(spec: NewRunInput) {
    return this.call("POST", "runs", ApiRunResponseSchema, spec);
  }

  getRun(runId: string) {
    return this.call("GET", `runs/${encodeURIComponent(runId)}`, ApiRunResponseSchema);
  }

  cancelRun(runId: string) {
    return this.call("POST", `runs/${encodeURIComponent(runId)}/cancel`, ApiRunResponseSchema);
  }

  readLog(runId: string, after: number): Promise<ApiLogResponse> {
    return this.call("GET", `runs/${encodeURIComponent(runId)}/log?after=${after}`, ApiLogResponseSchema);
  }

  /**
   * Follows a run's log to its end: calls `onLine` for every line once, in order, and resolves with
   * the final status. Polls; waits `intervalMs` only when nothing new came.
   */
  async follow(
    runId: string,
    onLine: (line: ApiLogResponse["lines"][number]) => void,
    intervalMs = 1000,
  ): Promise<ApiLogResponse["status"]> {
    let after = 0;
    for (;;) {
      const page = await this.readLog(runId, after);
      for (const line of page.lines) onLine(line);
      after = page.next;
      if (page.done) return page.status;
      if (page.lines.length === 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
