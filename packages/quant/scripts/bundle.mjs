/**
 * Bundles one of this package's scripts into a single ESM file that runs with a bare `node` and the
 * addons beside it: how the converter and the GPU checks travel to a GPU host that has no
 * node_modules (BENCHMARKS.md, "Reproduce").
 *
 *   node scripts/bundle.mjs scripts/device-bench.ts build/device/fp4kit-device.mjs
 */
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

/** @param {string} entry @param {string} outfile */
export async function bundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // ESM builds first: a dependency's UMD build (jsonc-parser's) loads its parts with a dynamic
    // require that a bundle cannot follow.
    mainFields: ["module", "main"],
    // CommonJS dependencies and the addons' loader call require, which an ES module lacks.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const [entry, outfile] = process.argv.slice(2);
  if (entry === undefined || outfile === undefined) throw new Error("usage: bundle.mjs <entry> <outfile>");
  await bundle(entry, outfile);
}
