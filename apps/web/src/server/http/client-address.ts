import type { IncomingMessage } from "node:http";
import proxyaddr from "proxy-addr";

/**
 * The request header through which server.ts hands the client's address to Next.js route handlers
 * (better-auth's rate limits read it). Any value a client sends is replaced, so it can be trusted.
 */
export const CLIENT_ADDRESS_HEADER = "x-fp4kit-client-address";

/**
 * Which `X-Forwarded-For` hops to believe, from `TRUST_PROXY`:
 *  - unset or empty: none; the client is the socket's peer address (a client-sent header is ignored);
 *  - a number N: the last N hops (N reverse proxies in front of this server);
 *  - a comma-separated list of proxy addresses, CIDR ranges or proxy-addr's names
 *    (`loopback`, `linklocal`, `uniquelocal`): the hops that come from those addresses.
 */
export function parseTrustProxy(setting: string | undefined): (address: string, hop: number) => boolean {
  const value = setting?.trim() ?? "";
  if (value === "") return () => false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  try {
    return proxyaddr.compile(value.split(",").map((entry) => entry.trim()));
  } catch (err) {
    throw new Error(
      `TRUST_PROXY="${value}": expected a hop count or proxy addresses/CIDR ranges (${(err as Error).message})`,
    );
  }
}

/** The client address of a request under the deployment's proxy trust (see parseTrustProxy). */
export function clientAddressOf(
  req: IncomingMessage,
  trust: (address: string, hop: number) => boolean,
): string {
  return proxyaddr(req, trust);
}
