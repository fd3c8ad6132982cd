import type { AckError, AckErrorCode } from "@fp4kit/protocol";
import type { Socket } from "socket.io";
import { z } from "zod";
import { QueueError } from "../queue";
import type { Logger } from "./logger";

/** A refusal the client should see as-is (with its code) in the ack. */
export class RequestError extends Error {
  constructor(
    readonly code: AckErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

function toAckError(event: string, err: unknown, log: Logger): AckError {
  if (err instanceof RequestError || err instanceof QueueError)
    return { ok: false, code: err.code, error: err.message };
  log.error(`[realtime] ${event} failed`, err);
  return { ok: false, code: "INTERNAL", error: `${event} failed on the server; it is safe to retry` };
}

/**
 * Registers a request handler: validates the payload with `schema`, runs `handler`, and answers
 * through the socket.io ack with `{ ok: true, ...reply }` or `{ ok: false, code, error }`.
 * Requests sent without an ack callback are ignored: every request of the protocol expects one.
 */
export function onRequest<Schema extends z.ZodType, Reply extends object>(
  socket: Socket,
  event: string,
  schema: Schema,
  handler: (payload: z.infer<Schema>) => Promise<Reply>,
  log: Logger,
): void {
  socket.on(event, async (raw: unknown, ack: unknown) => {
    if (typeof ack !== "function") return;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      ack({
        ok: false,
        code: "INVALID_PAYLOAD",
        error: `${event}: ${z.prettifyError(parsed.error)}`,
      } satisfies AckError);
      return;
    }
    try {
      ack({ ok: true, ...(await handler(parsed.data)) });
    } catch (err) {
      ack(toAckError(event, err, log));
    }
  });
}
