import { describe, expect, it } from "vitest";
import { CALIBRATE_DEFAULTS, CalibrateOptionsSchema, calibrateSettings } from "../src/index.ts";

describe("calibrate options", () => {
  it("keeps Path B for options that name no method, with its dataset and sizes", () => {
    expect(CALIBRATE_DEFAULTS.method).toBe("llm-compressor");
    expect(calibrateSettings(CalibrateOptionsSchema.parse({}))).toEqual({
      numSamples: 256,
      maxSeqLen: 4096,
      dataset: "HuggingFaceH4/ultrachat_200k",
    });
  });

  it("gives input-scales its own defaults: the shipped text, 128 sequences of 512 tokens", () => {
    const o = CalibrateOptionsSchema.parse({ method: "input-scales" });
    expect(calibrateSettings(o)).toEqual({ numSamples: 128, maxSeqLen: 512, dataset: null });
    expect(calibrateSettings({ ...o, maxSeqLen: 1024, dataset: "/data/text.txt" })).toEqual({
      numSamples: 128,
      maxSeqLen: 1024,
      dataset: "/data/text.txt",
    });
  });

  it("refuses a Hub dataset and ignore patterns for input-scales, saying why", () => {
    const hub = CalibrateOptionsSchema.safeParse({
      method: "input-scales",
      dataset: "HuggingFaceH4/ultrachat_200k",
    });
    expect(hub.success).toBe(false);
    expect(hub.error?.issues[0]).toMatchObject({
      path: ["dataset"],
      message: expect.stringMatching(
        /a text file on the agent's host .* Hub datasets are for llm-compressor/,
      ),
    });
    const ignore = CalibrateOptionsSchema.safeParse({ method: "input-scales", ignore: ["lm_head"] });
    expect(ignore.error?.issues[0]).toMatchObject({ path: ["ignore"] });
    expect(
      CalibrateOptionsSchema.safeParse({ method: "input-scales", dataset: "/data/text.txt" }).success,
    ).toBe(true);
  });
});
