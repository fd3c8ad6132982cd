import { connect, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    // All interfaces, as the web server binds them by default.
    server.listen({ port, host: "0.0.0.0", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** `preferred` if nothing listens there, else the next free port above it. */
export async function firstFreePort(preferred: number): Promise<number> {
  for (let port = preferred; port < preferred + 100; port++) {
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${preferred}-${preferred + 99}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Resolves once something accepts connections on the port; rejects if `gaveUp` settles first. */
export async function waitUntilListening(port: number, gaveUp: Promise<unknown>): Promise<void> {
  let exited = false;
  void gaveUp.then(() => {
    exited = true;
  });
  while (!exited) {
    if (await accepts(port)) return;
    await sleep(200);
  }
  throw new Error(`the process exited before listening on port ${port}`);
}
