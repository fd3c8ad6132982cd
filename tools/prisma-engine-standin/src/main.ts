/**
 * Stands in for Prisma's native `schema-engine` binary, which the CLI downloads and which cannot be
 * downloaded here. Point PRISMA_SCHEMA_ENGINE_BINARY at bin/schema-engine.mjs (prisma.config.ts does
 * when no native engine is installed) and the CLI's migrate/db/diff commands run on the wasm engine.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createAdapterFactory } from "./adapter.ts";
import { type DatabaseCommand, runDatabaseCommand } from "./database-commands.ts";
import { failInFlightRequests, serveJsonRpc } from "./json-rpc.ts";
import { createWasmEngine, engineVersion, takePanicMessage } from "./wasm-engine.ts";

type Datasource = { url?: string; shadowDatabaseUrl?: string };

const { values, positionals } = parseArgs({
  options: {
    version: { type: "boolean", short: "V" },
    datamodels: { type: "string", multiple: true },
    datasource: { type: "string" },
    "enabled-preview-features": { type: "string" },
    "extension-types": { type: "string" },
  },
  allowPositionals: true,
});

// A Rust panic surfaces as a wasm trap inside a callback, outside any request's promise.
process.on("uncaughtException", (error) => {
  const message = takePanicMessage() ?? String(error);
  process.stderr.write(`schema-engine stand-in: ${message}\n${error.stack ?? error}\n`);
  failInFlightRequests(message, () => process.exit(1));
});

const datasource: Datasource = values.datasource ? JSON.parse(values.datasource) : {};
const debug = process.env.FP4KIT_ENGINE_STANDIN_DEBUG === "1";

if (values.version) {
  process.stdout.write(`schema-engine-cli ${await engineVersion()} (fp4kit wasm stand-in)\n`);
} else if (positionals[0] === "cli") {
  process.exitCode = await runDatabaseCommand(positionals[1] as DatabaseCommand, datasource.url ?? "");
} else {
  const datamodels = await Promise.all(
    (values.datamodels ?? []).map(
      async (path): Promise<[string, string]> => [path, await readFile(path, "utf8")],
    ),
  );
  const adapterFactory = createAdapterFactory(datasource.url ?? "", datasource.shadowDatabaseUrl);
  const log = (line: string) => {
    if (debug) process.stderr.write(`${line}\n`);
  };
  // A failed start-up (e.g. no server at the URL) is reported as the answer to each request.
  const engine = createWasmEngine(datamodels, adapterFactory, log);
  engine.catch(() => {});
  await serveJsonRpc(engine);
  // Pools of the driver adapter keep the event loop alive; the CLI waits for this exit.
  process.exit(0);
}
