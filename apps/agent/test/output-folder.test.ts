import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outputFolder } from "../src/output-folder.ts";
import { PathGuard } from "../src/path-guard.ts";

describe("measuring and removing an output folder", () => {
  let tmp: string;
  let root: string;
  let guard: PathGuard;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "fp4kit-output-folder-"));
    root = join(tmp, "data");
    mkdirSync(join(root, "out", "nested"), { recursive: true });
    writeFileSync(join(root, "out", "model-00001.safetensors"), Buffer.alloc(1000));
    writeFileSync(join(root, "out", "nested", "config.json"), "{}");
    mkdirSync(join(tmp, "elsewhere"));
    writeFileSync(join(tmp, "elsewhere", "keep.bin"), Buffer.alloc(10));
    symlinkSync(join(tmp, "elsewhere"), join(root, "link-out"));
    guard = await PathGuard.create([root]);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("measures without following symlinks out of the root", async () => {
    const reply = await outputFolder(guard, { path: join(root, "out"), remove: false, confirmedBytes: null });
    expect(reply).toEqual({
      path: join(root, "out"),
      exists: true,
      sizeBytes: 1002,
      fileCount: 2,
      removed: false,
    });
    await expect(
      outputFolder(guard, { path: join(root, "link-out"), remove: true, confirmedBytes: 10 }),
    ).rejects.toThrow(/outside the allowed data roots/);
    expect(existsSync(join(tmp, "elsewhere", "keep.bin"))).toBe(true);
  });

  it("refuses the root itself, paths outside it, and a size that changed since it was confirmed", async () => {
    await expect(outputFolder(guard, { path: root, remove: true, confirmedBytes: 1002 })).rejects.toThrow(
      /is a data root of this agent/,
    );
    await expect(
      outputFolder(guard, { path: join(root, "..", "elsewhere"), remove: true, confirmedBytes: 10 }),
    ).rejects.toThrow(/outside the allowed data roots/);
    await expect(
      outputFolder(guard, { path: join(root, "out"), remove: true, confirmedBytes: 999 }),
    ).rejects.toThrow(/now holds 1002 bytes, not the 999 confirmed/);
    expect(existsSync(join(root, "out", "model-00001.safetensors"))).toBe(true);
  });

  it("removes the folder with the confirmed size; a missing folder is reported as such", async () => {
    const reply = await outputFolder(guard, { path: join(root, "out"), remove: true, confirmedBytes: 1002 });
    expect(reply.removed).toBe(true);
    expect(existsSync(join(root, "out"))).toBe(false);
    expect(existsSync(root)).toBe(true);
    const again = await outputFolder(guard, { path: join(root, "out"), remove: false, confirmedBytes: null });
    expect(again).toMatchObject({ exists: false, removed: false });
  });
});
