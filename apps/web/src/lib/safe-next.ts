/** Resolves `next` against a placeholder origin: only what stays on it is a path of this site. */
const PLACEHOLDER_ORIGIN = "http://fp4kit.invalid";

/**
 * Where to go after signing in: `next` when it is a path of this site, else "/". `next` is parsed
 * the way the browser will parse it (a backslash counts as a slash, tabs and newlines vanish, dot
 * segments collapse), so "/\\evil.example", "/\t/evil.example" or "/.//evil.example" cannot turn
 * into another site; the result is the parsed path, never the raw text.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next?.startsWith("/")) return "/";
  let url: URL;
  try {
    url = new URL(next, PLACEHOLDER_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  // "//host" would be read as another origin when followed.
  return path.startsWith("//") ? "/" : path;
}
