/**
 * Job output made storable before it is spooled: PostgreSQL text holds no NUL and only valid
 * UTF-8, and a long line is cut into pieces without separating the halves of a character.
 */

/** Shown instead of a NUL byte (U+2400 SYMBOL FOR NULL): visible, and storable. */
export const NUL_REPLACEMENT = "\u2400";

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** NUL becomes U+2400 and an unpaired surrogate (left by a careless cut) U+FFFD. */
export function storableText(text: string): string {
  return text.replace(UNPAIRED_SURROGATE, "\uFFFD").replaceAll("\0", NUL_REPLACEMENT);
}

/**
 * Pieces of at most `maxUnits` UTF-16 code units (the unit of the line limit) that concatenate to
 * `line`, never cut between a surrogate pair (an emoji on the boundary stays one emoji).
 */
export function splitLine(line: string, maxUnits: number): string[] {
  if (line.length <= maxUnits) return [line];
  const pieces: string[] = [];
  for (let start = 0; start < line.length; ) {
    let end = Math.min(start + maxUnits, line.length);
    const last = line.charCodeAt(end - 1);
    if (end < line.length && last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate: keep its pair
    pieces.push(line.slice(start, end));
    start = end;
  }
  return pieces;
}
