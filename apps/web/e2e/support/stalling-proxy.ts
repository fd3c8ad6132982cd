import { once } from "node:events";
import { type AddressInfo, createServer, type Socket, connect as tcpConnect } from "node:net";

/**
 * A SOCKS5 proxy for the test browser whose server-to-browser direction can be stalled: the proxy
 * then stops reading from the server, so the server's sends back up into its own buffers exactly
 * as they would for a client on a link that stopped taking data. (Stopping the page itself does not
 * do that: Chromium keeps reading a paused tab's WebSocket into its own memory.)
 */
export interface StallingProxy {
  /** `socks5://127.0.0.1:<port>`, for the browser's proxy setting. */
  url: string;
  /** Stops forwarding what servers send, on every open tunnel. */
  stall(): void;
  /** Forwards again, what was held back first. */
  release(): void;
  close(): Promise<void>;
}

interface Tunnel {
  client: Socket;
  upstream: Socket;
}

/** The CONNECT request's destination (IPv4, domain name or IPv6 address, then the port). */
function destinationOf(request: Buffer): { host: string; port: number } | null {
  if (request[0] !== 5 || request[1] !== 1) return null;
  const type = request[3];
  if (type === 1) return { host: request.subarray(4, 8).join("."), port: request.readUInt16BE(8) };
  if (type === 3) {
    const length = request[4] ?? 0;
    return { host: request.subarray(5, 5 + length).toString(), port: request.readUInt16BE(5 + length) };
  }
  if (type === 4) {
    const words = Array.from({ length: 8 }, (_, i) => request.readUInt16BE(4 + 2 * i).toString(16));
    return { host: words.join(":"), port: request.readUInt16BE(20) };
  }
  return null;
}

/** `localAddress`: where the proxy's own connections come from, so servers see it as its own client. */
export async function startStallingProxy(localAddress: string): Promise<StallingProxy> {
  const tunnels = new Set<Tunnel>();
  let stalled = false;

  const server = createServer((client) => {
    client.on("error", () => client.destroy());
    // Greeting (any methods offered): answer "no authentication".
    client.once("data", () => {
      client.write(Buffer.from([5, 0]));
      client.once("data", (request: Buffer) => {
        const destination = destinationOf(request);
        if (!destination) {
          client.end(Buffer.from([5, 7, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        const host = destination.host === "localhost" ? "127.0.0.1" : destination.host;
        const upstream = tcpConnect({ port: destination.port, host, localAddress }, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          const tunnel = { client, upstream };
          tunnels.add(tunnel);
          client.pipe(upstream);
          if (stalled) upstream.pause();
          else upstream.pipe(client);
        });
        const close = () => {
          client.destroy();
          upstream.destroy();
          for (const t of tunnels) if (t.client === client) tunnels.delete(t);
        };
        upstream.on("error", close);
        upstream.on("close", close);
        client.on("close", close);
      });
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");

  return {
    url: `socks5://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stall() {
      stalled = true;
      for (const { client, upstream } of tunnels) {
        upstream.unpipe(client);
        upstream.pause();
      }
    },
    release() {
      stalled = false;
      for (const { client, upstream } of tunnels) upstream.pipe(client);
    },
    async close() {
      for (const { client, upstream } of tunnels) {
        client.destroy();
        upstream.destroy();
      }
      server.close();
      await once(server, "close");
    },
  };
}
