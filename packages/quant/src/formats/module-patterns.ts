/**
 * Compact, exact lists of module names for quantization configs. A real DeepSeek checkpoint has
 * ~100k expert Linears; engines match every layer against every target, so the configs name
 * folded patterns (layer and expert indices replaced) instead of each module — but only when the
 * pattern matches exactly the intended modules among all Linears, else the names themselves.
 *
 * Two dialects:
 * - compressed-tensors targets / ignore: `re:<python regex>` (matched with re.match, i.e. anchored
 *   at the start; vLLM compressed_tensors/utils.py `_is_equal_or_regex_match`) or exact names.
 *   Patterns allow any prefix (`(?:.*\.)?`), since engines may prefix module names (e.g. vLLM maps
 *   DeepSeek V4's `layers.` to `model.layers.`).
 * - ModelOpt exclude_modules: fnmatch wildcards (`*` matches anything, dots included; vLLM
 *   modelopt.py `is_layer_excluded`) or exact names.
 */

export type PatternDialect = "compressed-tensors" | "modelopt";

const NUMERIC_SEGMENT = /^\d+$/;

function foldRegex(module: string): string {
  const parts = module.split(".").map((p) => (NUMERIC_SEGMENT.test(p) ? "\\d+" : escapeRegex(p)));
  return `re:(?:.*\\.)?${parts.join("\\.")}$`;
}

function foldGlob(module: string): string {
  return module
    .split(".")
    .map((p) => (NUMERIC_SEGMENT.test(p) ? "*" : p))
    .join(".");
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

/** How an engine evaluates one entry against a module name, as a JS predicate. */
export function entryMatcher(entry: string, dialect: PatternDialect): (module: string) => boolean {
  if (dialect === "compressed-tensors") {
    if (!entry.startsWith("re:")) return (m) => m === entry;
    const re = new RegExp(`^(?:${entry.slice(3)})`);
    return (m) => re.test(m);
  }
  if (!entry.includes("*") && !entry.includes("?") && !entry.includes("[")) return (m) => m === entry;
  const re = new RegExp(`^${entry.split("*").map(escapeRegex).join(".*")}$`);
  return (m) => re.test(m);
}

/**
 * Entries that match every module of `members` and no other module of `universe` (which must
 * contain the members). Order: first appearance of each pattern in `members`.
 */
export function compactModuleList(
  members: readonly string[],
  universe: readonly string[],
  dialect: PatternDialect,
): string[] {
  const fold = dialect === "compressed-tensors" ? foldRegex : foldGlob;
  const memberSet = new Set(members);
  const byPattern = new Map<string, string[]>();
  for (const m of members) {
    const key = fold(m);
    const list = byPattern.get(key);
    if (list === undefined) byPattern.set(key, [m]);
    else list.push(m);
  }
  const entries: string[] = [];
  for (const [pattern, group] of byPattern) {
    const matches = entryMatcher(pattern, dialect);
    const exact = group.length > 1 && universe.every((u) => !matches(u) || memberSet.has(u));
    if (exact) entries.push(pattern);
    else entries.push(...group);
  }
  return entries;
}
