/**
 * Folds the numeric path segments of a tensor name into placeholders so that one pattern covers
 * every layer and expert: `model.layers.7.mlp.experts.12.up_proj.weight` →
 * `model.layers.{L}.mlp.experts.{E}.up_proj.weight`.
 */
const PLACEHOLDER_AFTER = new Map([
  ["layers", "{L}"],
  ["experts", "{E}"],
  ["mtp", "{M}"],
]);
const FALLBACK_PLACEHOLDER = "{N}";

export function foldTensorName(name: string): string {
  return name.replace(/(^|\.)\d+(?=\.|$)/g, (_match: string, dot: string, offset: number) => {
    const previous = name.slice(name.lastIndexOf(".", offset - 1) + 1, offset);
    return `${dot}${PLACEHOLDER_AFTER.get(previous) ?? FALLBACK_PLACEHOLDER}`;
  });
}
