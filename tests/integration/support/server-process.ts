/** Child-process entry for startServerProcess: the real standalone realtime server, plus test browser auth. */
import { startStandaloneRealtime } from "@fp4kit/web/server/realtime/standalone";
import { authenticateTestBrowser } from "./servers.ts";

const server = await startStandaloneRealtime({
  databaseUrl: process.env.DATABASE_URL as string,
  port: Number(process.env.PORT),
  authenticateBrowser: authenticateTestBrowser,
  timing: JSON.parse(process.env.TEST_TIMING as string),
});
console.log(JSON.stringify({ listening: server.port }));
