import { type AgentCapabilities, AgentCapabilitiesSchema } from "@fp4kit/protocol";
import { describe, expect, it } from "vitest";
import { agentBlockers, runPackages } from "../../src/lib/run-requirements";

const capabilities: AgentCapabilities = AgentCapabilitiesSchema.parse({
  hostname: "gpu-1",
  version: "0.1.0",
  platform: "linux",
  cpuCount: 16,
  gpus: [],
  kernel: { name: "cpu-native", reason: "no GPU" },
  roots: [{ path: "/data", freeBytes: 1e12, totalBytes: 2e12 }],
  python: {
    version: "3.12.3",
    packages: { torch: "2.13.0", llmcompressor: null, vllm: null, safetensors: "0.8.0" },
  },
});
const agent = { name: "gpu-1", revoked: false, capabilities };
const calibrate = (options: unknown) => ({
  kind: "CALIBRATE" as const,
  paths: [{ label: "Source", path: "/data/fp8" }],
  gpus: 0,
  packages: runPackages("CALIBRATE", options),
});

describe("what a calibrate run needs from its agent", () => {
  it("asks llm-compressor only of Path B: input scales run on torch and safetensors", () => {
    expect(agentBlockers(agent, calibrate({}))).toEqual([
      expect.stringMatching(/its Python lacks llmcompressor, which a calibrate job imports/),
    ]);
    expect(agentBlockers(agent, calibrate({ method: "input-scales" }))).toEqual([]);
    const noTorch = {
      ...agent,
      capabilities: {
        ...capabilities,
        python: { ...capabilities.python, packages: { ...capabilities.python.packages, torch: null } },
      },
    };
    expect(agentBlockers(noTorch, calibrate({ method: "input-scales" }))).toEqual([
      expect.stringMatching(/its Python lacks torch/),
    ]);
  });
});
