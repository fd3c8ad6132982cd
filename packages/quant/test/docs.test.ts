/** The docs promise to describe every preset rule and every report field: keep them honest. */
import { readFile } from "node:fs/promises";
import { InspectReportSchema } from "@fp4kit/protocol";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { SOURCES } from "../src/engines/sources.ts";
import { buildPreset } from "../src/rules/presets/index.ts";
import { MODEL_FAMILIES } from "../src/rules/types.ts";

const doc = (name: string) => readFile(new URL(`../docs/${name}`, import.meta.url), "utf8");

/** Every object key anywhere in a zod schema. */
function schemaKeys(schema: z.ZodType, out = new Set<string>()): Set<string> {
  if (schema instanceof z.ZodObject) {
    for (const [key, value] of Object.entries(schema.shape)) {
      out.add(key);
      schemaKeys(value as z.ZodType, out);
    }
  } else if (schema instanceof z.ZodArray) {
    schemaKeys(schema.element as z.ZodType, out);
  } else if (schema instanceof z.ZodNullable || schema instanceof z.ZodOptional) {
    schemaKeys(schema.unwrap() as z.ZodType, out);
  }
  return out;
}

describe("docs", () => {
  it("inspect-schema.md documents every field of InspectReportSchema", async () => {
    const text = await doc("inspect-schema.md");
    const keys = [...schemaKeys(InspectReportSchema)];
    expect(keys.length).toBeGreaterThan(40);
    for (const key of keys) expect(text, key).toMatch(new RegExp(`[\`{ ,]${key}[\`} ,:]`));
  });

  it("engines.md cites every engine source the contracts were read from, by file and commit", async () => {
    const text = await doc("engines.md");
    for (const [key, source] of Object.entries(SOURCES)) {
      expect(text, key).toContain(source.path.split("/").at(-1));
      if (/^[0-9a-f]{40}$/.test(source.commit)) expect(text, key).toContain(source.commit.slice(0, 8));
    }
  });

  it("presets.md names every rule of every preset", async () => {
    const text = await doc("presets.md");
    for (const family of MODEL_FAMILIES) {
      for (const rule of buildPreset(family).rules)
        expect(text, `${family}: ${rule.name}`).toContain(`\`${rule.name}\``);
    }
  });
});
