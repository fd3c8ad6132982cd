/**
 * The origins a browser may use for this site: the configured public URL's, plus its loopback
 * alias (localhost and 127.0.0.1 are the same server to us). Sign-in's CSRF check and socket.io's
 * handshake both accept exactly these.
 */
export function siteOrigins(siteUrl: string): string[] {
  const base = new URL(siteUrl);
  const loopback = ["localhost", "127.0.0.1"];
  if (!loopback.includes(base.hostname)) return [base.origin];
  return loopback.map((host) => `${base.protocol}//${host}${base.port ? `:${base.port}` : ""}`);
}
