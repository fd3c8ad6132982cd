import { readFileSync } from "node:fs";

/** The agent's version as reported to the server: this package's version. */
export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;
