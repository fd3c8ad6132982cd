import type { AddressInfo } from "node:net";
import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  url: string;
  /** Drops every connection and refuses new ones for `ms` (a network cut). */
  cut(ms: number): void;
  close(): Promise<void>;
}

/** Relays `from` to `to`, each chunk `latencyMs` later (a constant delay keeps the order). */
function relay(from: Socket, to: Socket, latencyMs: number): void {
  if (latencyMs === 0) {
    from.pipe(to);
    return;
  }
  from.on("data", (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, latencyMs);
  });
  from.on("end", () => setTimeout(() => to.end(), latencyMs));
}

/**
 * A TCP relay in front of the server, so a test can cut the network without touching either end,
 * or make it slow (`latencyMs` each way: every request waits two of them for its answer).
 */
export async function startTcpProxy(
  targetPort: () => number,
  options: { latencyMs?: number } = {},
): Promise<TcpProxy> {
  const latencyMs = options.latencyMs ?? 0;
  const sockets = new Set<Socket>();
  let refuseUntil = 0;
  const server = createServer((client) => {
    if (Date.now() < refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort(), "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    relay(client, upstream, latencyMs);
    relay(upstream, client, latencyMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cut(ms) {
      refuseUntil = Date.now() + ms;
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
