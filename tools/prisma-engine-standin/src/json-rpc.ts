import { createInterface } from "node:readline";
import { takePanicMessage, type WasmSchemaEngine } from "./wasm-engine.ts";

type Request = { jsonrpc: "2.0"; id?: number | string; method?: string; params?: unknown };

/** Methods the native engine answers over JSON-RPC but the wasm class names differently. */
const RENAMED_METHODS: Record<string, string> = { getDatabaseVersion: "version" };

function describe(error: unknown): { code: number; message: string; data: unknown } {
  const panic = takePanicMessage();
  if (panic !== undefined) return { code: 4466, message: panic, data: { is_panic: true, message: panic } };
  const message = error instanceof Error ? error.message : String(error);
  // The wasm engine rejects with a user-facing error object; the CLI reads its fields from `data`.
  const data = typeof error === "object" && error !== null ? { ...error, message } : { message };
  return { code: 4466, message, data };
}

const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** Requests not answered yet, so that a crash can still answer them. */
const inFlight = new Set<number | string>();

/**
 * Answers every open request with a panic error and calls `done` once that is written. Without
 * an answer the CLI treats an engine that died mid-request as success and prints nothing.
 */
export function failInFlightRequests(message: string, done: () => void): void {
  const answers = [...inFlight].map((id) =>
    JSON.stringify({ jsonrpc: "2.0", id, error: { code: 4466, message, data: { is_panic: true, message } } }),
  );
  process.stdout.write(answers.map((answer) => `${answer}\n`).join(""), done);
}

/**
 * Serves the CLI's JSON-RPC 2.0 session (one JSON object per line on stdin/stdout) with the wasm
 * engine. `diff` prints its script through the CLI's `print` callback, as the native engine does.
 */
export async function serveJsonRpc(starting: Promise<WasmSchemaEngine>): Promise<void> {
  let printId = 0;
  const pending: Promise<void>[] = [];

  const handle = async (request: Request & { method: string; id: number | string }) => {
    const name = RENAMED_METHODS[request.method] ?? request.method;
    inFlight.add(request.id);
    try {
      const engine = await starting;
      const method = engine[name];
      if (typeof method !== "function") throw new Error(`the wasm schema engine has no method ${name}`);
      const result = (await method.call(engine, request.params)) ?? {};
      if (name === "diff") {
        const stdout = (result as { stdout?: string | null }).stdout;
        if (stdout)
          send({ jsonrpc: "2.0", id: `print-${++printId}`, method: "print", params: { content: stdout } });
      }
      send({ jsonrpc: "2.0", id: request.id, result });
    } catch (error) {
      send({ jsonrpc: "2.0", id: request.id, error: describe(error) });
    } finally {
      inFlight.delete(request.id);
    }
  };

  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "") continue;
    const request = JSON.parse(line) as Request;
    // Replies to our own `print` requests carry no method: nothing to do.
    if (request.method === undefined || request.id === undefined) continue;
    pending.push(handle(request as Request & { method: string; id: number | string }));
  }
  await Promise.all(pending);
}
