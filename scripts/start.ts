/**
 * `npm start`: the whole product on this machine. Builds the web app (cached), opens the database
 * (DATABASE_URL, or an embedded PostgreSQL under .data/postgres), applies migrations, prepares the
 * Local team with its local agent and a demo checkpoint, then runs the web app and the agent until
 * Ctrl-C, which stops the agent, the web app and the database, in that order.
 *
 * This file loads nothing that needs the build: the database package re-exports the Prisma client
 * that the build generates, which a fresh clone does not have yet, so the rest of the start-up
 * (./start/run-product.ts) is imported only once the build is done.
 */
import { buildProduct } from "./start/build.ts";
import { Lifecycle } from "./start/lifecycle.ts";
import { say } from "./start/log.ts";

const lifecycle = new Lifecycle();

async function main(): Promise<void> {
  say("building (the first start takes a while; later starts reuse the build)");
  await buildProduct(lifecycle);
  const { runProduct } = await import("./start/run-product.ts");
  await runProduct(lifecycle);
}

main().catch((error: unknown) => {
  void lifecycle.shutDown(1, `could not start: ${error instanceof Error ? error.message : String(error)}`);
});
