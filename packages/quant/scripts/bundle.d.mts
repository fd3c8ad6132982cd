/** Bundles `entry` into one ESM file at `outfile` that runs with a bare node (scripts/bundle.mjs). */
export function bundle(entry: string, outfile: string): Promise<void>;
