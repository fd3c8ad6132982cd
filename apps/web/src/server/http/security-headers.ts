import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface SecurityHeaderOptions {
  /** `next dev` evaluates modules with eval() (React Refresh); production never does. */
  dev: boolean;
  /** The site is served over HTTPS (its configured URL): browsers are told to keep to HTTPS. */
  https: boolean;
}

/**
 * The Content-Security-Policy of a page load. Scripts need this response's nonce: Next.js reads it
 * from the request's own `content-security-policy` header and puts it on every script it renders,
 * and 'strict-dynamic' lets those scripts load the app's chunks. Styles allow inline attributes:
 * React renders `style="…"` for widths and chart geometry, and a style cannot run script.
 */
export function contentSecurityPolicy(nonce: string, options: SecurityHeaderOptions): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    // socket.io (same origin, ws/wss included in 'self') and fetches to the app's own API only.
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(options.https ? ["upgrade-insecure-requests"] : []),
  ];
  return directives.join("; ");
}

/**
 * Sets the headers every response carries (pages, API routes, downloads) and hands the page's CSP
 * nonce to Next.js through the request headers. Called by server.ts before Next.js sees the request,
 * so a client-sent `content-security-policy` request header is replaced too.
 */
export function applySecurityHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  options: SecurityHeaderOptions,
): void {
  const nonce = randomBytes(16).toString("base64");
  const policy = contentSecurityPolicy(nonce, options);
  req.headers["content-security-policy"] = policy;
  delete req.headers["content-security-policy-report-only"];
  res.setHeader("Content-Security-Policy", policy);
  // For browsers without CSP level 2 frame-ancestors.
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "same-origin");
  res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
  res.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  if (options.https) res.setHeader("Strict-Transport-Security", "max-age=31536000");
}
