import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import * as glue from "@prisma/schema-engine-wasm/schema_engine_bg";

/** The slice of the wasm engine's class the stand-in uses (its own .d.ts names every method). */
export type WasmSchemaEngine = Record<string, (params?: unknown) => Promise<unknown>> & { free(): void };

const require = createRequire(import.meta.url);

// Node's global, which the ES2023 lib without DOM does not declare.
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

let instantiated: Promise<void> | undefined;
let lastPanic: string | undefined;

/** A Rust panic inside the engine: the message it recorded before the wasm trap. */
export function takePanicMessage(): string | undefined {
  const message = lastPanic;
  lastPanic = undefined;
  return message;
}

// The engine's panic hook reports through this global before trapping (Prisma's CLI defines it too).
Object.assign(globalThis, {
  PRISMA_WASM_PANIC_REGISTRY: {
    set_message(message: string) {
      lastPanic = message;
    },
  },
});

/**
 * The package's entry imports the .wasm as an ES module, which Node 20 cannot do;
 * so instantiate the binary ourselves and hand its exports to the wasm-bindgen glue.
 */
function instantiate(): Promise<void> {
  instantiated ??= (async () => {
    const entry = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(entry.replace(/schema_engine_bg\.js$/, "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return instantiated;
}

export async function engineVersion(): Promise<string> {
  await instantiate();
  return glue.version();
}

export async function createWasmEngine(
  datamodels: [path: string, content: string][],
  adapterFactory: object,
  log: (line: string) => void,
): Promise<WasmSchemaEngine> {
  await instantiate();
  // The engine panics on an empty list; "no schema" (e.g. `migrate diff` without one) is undefined.
  const options = { datamodels: datamodels.length > 0 ? datamodels : undefined };
  const engine = await glue.SchemaEngine.new(options, log, adapterFactory);
  return engine as unknown as WasmSchemaEngine;
}
