/**
 * The package's API is its package.json `exports`: a small root for applications and one subpath
 * per concern. Adding to the root is a decision, not a side effect of an `export *`.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

describe("@fp4kit/quant's exports", () => {
  it("has a small root: convert, inspect, plan, open a checkpoint", async () => {
    const root = await import("../src/index.ts");
    expect(Object.keys(root).sort()).toEqual([
      "Checkpoint",
      "ConvertError",
      "FP4KIT_VERSION",
      "convertCheckpoint",
      "inspectCheckpoint",
      "planCheckpoint",
      "releaseDestinationLock",
      "renderInspectMarkdown",
    ]);
  });

  it("gives every other concern a subpath, each of which loads", async () => {
    const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));
    expect(Object.keys(pkg.exports)).toEqual([
      ".",
      "./cli",
      "./codecs",
      "./nvfp4",
      "./python",
      "./safetensors",
      "./synthetic",
    ]);
    for (const [subpath, file] of Object.entries<string>(pkg.exports)) {
      const module = await import(new URL(`../${file}`, import.meta.url).href);
      expect(Object.keys(module).length, subpath).toBeGreaterThan(0);
    }
  });
});
