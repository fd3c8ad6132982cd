import { describe, expect, it } from "vitest";
import { ackSchema, engineFormat, JobSchema, RunArtifactSchema, RunEventsAckSchema } from "../src/index.ts";

describe("socket protocol schemas", () => {
  it("tells a successful ack from a refusal", () => {
    const ack = ackSchema(RunEventsAckSchema);
    expect(ack.parse({ ok: true, ackedSeq: 4 })).toEqual({ ok: true, ackedSeq: 4 });
    expect(ack.parse({ ok: false, code: "NOT_HELD", error: "lost" })).toMatchObject({
      ok: false,
      code: "NOT_HELD",
    });
    expect(ack.safeParse({ ok: true }).success).toBe(false);
  });

  it("fills a job's option defaults and refuses options of another kind", () => {
    const base = {
      runId: "r1",
      attempt: 1,
      sourcePath: "/data/m",
      destPath: "/data/o",
      leaseSeconds: 60,
      ackedSeq: 0,
    };
    const job = JobSchema.parse({ ...base, kind: "CONVERT", options: {} });
    // The engine defaults to vLLM; no format is stored, the engine's profile picks compressed-tensors.
    expect(job.kind === "CONVERT" && job.options).toMatchObject({ engine: "vllm", force: false });
    expect(job.kind === "CONVERT" && job.options.format).toBeUndefined();
    expect(job.kind === "CONVERT" && engineFormat(job.options.engine, job.options.format)).toBe(
      "compressed-tensors",
    );
    expect(JobSchema.safeParse({ ...base, kind: "INSPECT", options: { format: "modelopt" } }).success).toBe(
      false,
    );
  });

  it("requires an artifact to carry a JSON document", () => {
    expect(
      RunArtifactSchema.safeParse({ runId: "r", kind: "SHARD_LIST", json: null, markdown: null }).success,
    ).toBe(false);
    expect(
      RunArtifactSchema.safeParse({ runId: "r", kind: "SHARD_LIST", json: [{ file: "a" }], markdown: null })
        .success,
    ).toBe(true);
  });
});
