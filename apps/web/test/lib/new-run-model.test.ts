import { describe, expect, it } from "vitest";
import { INITIAL_FORM } from "../../src/components/runs/new-run/form-state";
import {
  initialForm,
  rootErrors,
  submitNewRun,
  suggestDestination,
} from "../../src/components/runs/new-run/new-run-model";

const convert = {
  ...INITIAL_FORM,
  agentId: "agent-1",
  kind: "CONVERT" as const,
  sourcePath: "/data/DeepSeek-V3-FP8",
  destPath: "/data/DeepSeek-V3-NVFP4",
};
const gpuA = { name: "gpu-a", roots: ["/data"] };

describe("initialForm", () => {
  it("starts from the URL's kind and paths, ignoring an unknown kind", () => {
    const params = new URLSearchParams("kind=VERIFY&agent=a1&source=/data/x&reference=/data/ref");
    expect(initialForm(params)).toMatchObject({
      kind: "VERIFY",
      agentId: "a1",
      sourcePath: "/data/x",
      destPath: "",
      referencePath: "/data/ref",
    });
    expect(initialForm(new URLSearchParams("kind=BAKE")).kind).toBe(INITIAL_FORM.kind);
  });
});

describe("suggestDestination", () => {
  it("replaces the last FP8 of the folder name, or appends the format", () => {
    expect(suggestDestination("/data/fp8/DeepSeek-V3-FP8/", "CONVERT", false)).toBe(
      "/data/fp8/DeepSeek-V3-NVFP4",
    );
    expect(suggestDestination("/data/model", "CONVERT", false)).toBe("/data/model-NVFP4");
    expect(suggestDestination("/data/DeepSeek-V3-FP8", "CALIBRATE", false)).toBe(
      "/data/DeepSeek-V3-NVFP4-calibrated",
    );
    expect(suggestDestination("  ", "CONVERT", false)).toBe("");
  });

  it("puts an input-scales calibration file beside the source", () => {
    expect(suggestDestination("/data/DeepSeek-V3-FP8", "CALIBRATE", true)).toBe(
      "/data/DeepSeek-V3-FP8.calibration.json",
    );
  });
});

describe("rootErrors", () => {
  it("flags paths outside the agent's roots, the destination only where the kind writes one", () => {
    const outside = "Not under gpu-a's roots: /data";
    expect(rootErrors({ ...convert, sourcePath: "/etc/x", destPath: "/tmp/y" }, gpuA)).toEqual({
      sourcePath: outside,
      destPath: outside,
    });
    expect(rootErrors({ ...convert, kind: "INSPECT", destPath: "/tmp/y" }, gpuA)).toEqual({});
    expect(rootErrors({ ...convert, sourcePath: "/etc/x" }, undefined)).toEqual({});
    expect(rootErrors({ ...convert, sourcePath: "/etc/x" }, { name: "gpu-b", roots: [] })).toEqual({});
  });
});

describe("submitNewRun", () => {
  it("queues a valid spec, asks before an overwrite, and otherwise lists the errors", () => {
    const queued = submitNewRun(convert, gpuA);
    expect(queued.action).toBe("queue");
    expect("spec" in queued && queued.spec.sourcePath).toBe("/data/DeepSeek-V3-FP8");

    expect(submitNewRun({ ...convert, overwrite: true }, gpuA).action).toBe("confirm-overwrite");

    const outside = submitNewRun({ ...convert, overwrite: true, sourcePath: "/etc/x" }, gpuA);
    expect(outside).toEqual({ action: "fix", errors: { sourcePath: "Not under gpu-a's roots: /data" } });

    const blank = submitNewRun({ ...INITIAL_FORM }, gpuA);
    expect(blank.action).toBe("fix");
    expect("errors" in blank && Object.keys(blank.errors)).toContain("sourcePath");
  });
});
