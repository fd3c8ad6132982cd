import { ArtifactKindSchema, LogStreamSchema, RunKindSchema, RunStatusSchema } from "@fp4kit/protocol";
import { describe, expect, it } from "vitest";
import { ArtifactKind, LogStream, RunKind, RunStatus } from "../src/index.ts";

describe("@fp4kit/protocol enums", () => {
  it.each([
    ["RunKind", RunKindSchema.options, RunKind],
    ["RunStatus", RunStatusSchema.options, RunStatus],
    ["LogStream", LogStreamSchema.options, LogStream],
    ["ArtifactKind", ArtifactKindSchema.options, ArtifactKind],
  ])("%s lists the same values as the Prisma enum", (_name, wire, database) => {
    expect([...wire]).toEqual(Object.values(database));
  });
});
