import { describe, expect, it } from "vitest";
import { INITIAL_FORM, parseNewRunForm } from "../../src/components/runs/new-run/form-state";

describe("parseNewRunForm", () => {
  it("builds a convert spec with the protocol's defaults and leaves attention to the preset", () => {
    const parsed = parseNewRunForm({
      ...INITIAL_FORM,
      agentId: "agent-1",
      kind: "CONVERT",
      sourcePath: " /data/DeepSeek-V3-FP8 ",
      destPath: "/data/DeepSeek-V3-NVFP4",
      shardSizeGb: "2.5",
      ignore: "mtp\\..*\n\n  lm_head  ",
    });
    expect(parsed).toEqual({
      spec: {
        agentId: "agent-1",
        kind: "CONVERT",
        sourcePath: "/data/DeepSeek-V3-FP8",
        destPath: "/data/DeepSeek-V3-NVFP4",
        options: {
          format: "compressed-tensors",
          workers: 0,
          gpus: 0,
          shardSizeBytes: 2_500_000_000,
          ignore: ["mtp\\..*", "lm_head"],
        },
      },
    });
  });

  it("reports field errors by path, then the cross-field rules", () => {
    const notANumber = parseNewRunForm({
      ...INITIAL_FORM,
      kind: "CONVERT",
      sourcePath: "/data/x",
      workers: "x",
    });
    expect(notANumber).toEqual({ errors: { "options.workers": "Enter a number" } });
    const noDestination = parseNewRunForm({ ...INITIAL_FORM, kind: "CONVERT", sourcePath: "/data/x" });
    expect(noDestination).toEqual({ errors: { destPath: "CONVERT runs need a destination" } });
    const noScales = parseNewRunForm({
      ...INITIAL_FORM,
      kind: "CONVERT",
      sourcePath: "/d/x",
      destPath: "/d/y",
      format: "modelopt",
    });
    expect(noScales).toHaveProperty(["errors", "options.format"]);
  });

  it("sends no destination for inspect runs and an explicit attention choice when made", () => {
    const inspect = parseNewRunForm({ ...INITIAL_FORM, sourcePath: "/data/x", destPath: "/left/over" });
    expect(inspect).toEqual({
      spec: { agentId: null, kind: "INSPECT", sourcePath: "/data/x", destPath: null, options: {} },
    });
    const convert = parseNewRunForm({
      ...INITIAL_FORM,
      kind: "CONVERT",
      sourcePath: "/d/a",
      destPath: "/d/b",
      quantizeAttention: "off",
    });
    expect(convert).toHaveProperty("spec.options.quantizeAttention", false);
  });
});
