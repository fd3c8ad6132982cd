/** Byte counts for people: binary units, as file managers and `du -h` show them. */
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${value} B`
    : `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ${UNITS[unit]}`;
}

const SUFFIX_POWERS = new Map<string, number>([
  ["", 1],
  ["b", 1],
  ["k", 1e3],
  ["kb", 1e3],
  ["kib", 1024],
  ["m", 1e6],
  ["mb", 1e6],
  ["mib", 1024 ** 2],
  ["g", 1e9],
  ["gb", 1e9],
  ["gib", 1024 ** 3],
  ["t", 1e12],
  ["tb", 1e12],
  ["tib", 1024 ** 4],
]);

/** Parses "4GB", "512MiB", "1.5g", "1000000" into bytes (decimal k/M/G, binary KiB/MiB/GiB). */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const power = SUFFIX_POWERS.get((match?.[2] ?? "?").toLowerCase());
  if (match === null || power === undefined) {
    throw new Error(`not a byte size: "${text}" (examples: 4GB, 512MiB, 1000000)`);
  }
  return Math.round(Number(match[1]) * power);
}
