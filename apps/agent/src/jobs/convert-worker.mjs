// Worker thread entry of the convert job. Loader hooks registered in the main thread do not
// reach worker threads, so this plain-JS entry registers tsx before loading the TypeScript.
import { register } from "tsx/esm/api";

register();
await import("./convert-worker-main.ts");
