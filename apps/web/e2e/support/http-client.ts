import { type IncomingHttpHeaders, request } from "node:http";

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request from a chosen local address. Every 127.x.y.z address reaches the loopback
 * server, so tests can act as several clients with distinct socket addresses, the way the server
 * tells clients apart when no proxy is trusted.
 */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers, localAddress: options.localAddress },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie header. */
export function cookieOf(response: HttpResponse): string {
  const setCookie = response.headers["set-cookie"] ?? [];
  return setCookie.map((c) => c.split(";")[0]).join("; ");
}

/** A JSON POST to better-auth (`/api/auth/...`) as the site's own page would send it. */
export function authPost(
  baseUrl: string,
  path: string,
  body: object,
  options: { origin?: string; cookie?: string; localAddress?: string; headers?: Record<string, string> } = {},
): Promise<HttpResponse> {
  return httpRequest(`${baseUrl}/api/auth${path}`, {
    method: "POST",
    localAddress: options.localAddress,
    headers: {
      "content-type": "application/json",
      origin: options.origin ?? new URL(baseUrl).origin,
      ...(options.cookie ? { cookie: options.cookie } : {}),
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
}

/** A tRPC mutation over HTTP (superjson's `{ json }` envelope), as the app's client sends it. */
export function trpcMutation(
  baseUrl: string,
  procedure: string,
  input: object,
  cookie: string,
): Promise<HttpResponse> {
  return httpRequest(`${baseUrl}/api/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: new URL(baseUrl).origin, cookie },
    body: JSON.stringify({ json: input }),
  });
}
