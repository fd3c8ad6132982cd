import { execFile } from "node:child_process";
import { statfs } from "node:fs/promises";
import { cpus, hostname, platform, release } from "node:os";
import { promisify } from "node:util";
import { type AgentCapabilities, AgentCapabilitiesSchema, PythonCapabilitiesSchema } from "@fp4kit/protocol";
import { selectKernel } from "@fp4kit/quant/nvfp4";
import { findCheckpoints } from "./checkpoints.ts";
import { AGENT_VERSION } from "./version.ts";

const run = promisify(execFile);

export interface GpuReading {
  index: number;
  name: string;
  memoryTotalBytes: number;
  memoryUsedBytes: number;
  /** 0..1 */
  utilization: number;
}

const MIB = 1024 * 1024;

/** GPUs as nvidia-smi reports them, or [] when there is no nvidia-smi / no driver. */
export async function queryGpus(): Promise<GpuReading[]> {
  try {
    const { stdout } = await run(
      "nvidia-smi",
      ["--query-gpu=index,name,memory.total,memory.used,utilization.gpu", "--format=csv,noheader,nounits"],
      { timeout: 10_000 },
    );
    return stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [index, name, total, used, util] = line.split(",").map((f) => f.trim());
        return {
          index: Number(index),
          name: name ?? "unknown GPU",
          memoryTotalBytes: Number(total) * MIB || 0,
          memoryUsedBytes: Number(used) * MIB || 0,
          utilization: Math.min(1, Math.max(0, Number(util) / 100 || 0)),
        };
      });
  } catch {
    return [];
  }
}

/** Finds packages without importing them (importing vLLM or torch takes seconds and may touch the GPU). */
const PYTHON_PROBE = `
import importlib.util, importlib.metadata, json, platform
def version(module, dist):
    try:
        if importlib.util.find_spec(module) is None:
            return None
    except Exception:
        return None
    try:
        return importlib.metadata.version(dist)
    except Exception:
        return "unknown"
print(json.dumps({"version": platform.python_version(), "packages": {
    "torch": version("torch", "torch"),
    "llmcompressor": version("llmcompressor", "llmcompressor"),
    "vllm": version("vllm", "vllm"),
    "safetensors": version("safetensors", "safetensors"),
}}))
`;

export async function probePython(python: string): Promise<AgentCapabilities["python"]> {
  try {
    const { stdout } = await run(python, ["-c", PYTHON_PROBE], { timeout: 30_000 });
    return PythonCapabilitiesSchema.parse(JSON.parse(stdout));
  } catch {
    return { version: null, packages: { torch: null, llmcompressor: null, vllm: null, safetensors: null } };
  }
}

async function probeRoot(path: string): Promise<AgentCapabilities["roots"][number]> {
  const s = await statfs(path);
  return { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

let kernelProbe: AgentCapabilities["kernel"] | null = null;

/** Which NVFP4 kernel a convert would use here (CUDA usable or not, and why); probed once per process. */
function probeKernel(): AgentCapabilities["kernel"] {
  if (!kernelProbe) {
    const selection = selectKernel();
    selection.kernel.dispose();
    kernelProbe = { name: selection.kernel.name, reason: selection.reason };
  }
  return kernelProbe;
}

export async function probeCapabilities(options: {
  roots: readonly string[];
  python: string;
}): Promise<AgentCapabilities> {
  const [gpus, roots, checkpoints, python] = await Promise.all([
    queryGpus(),
    Promise.all(options.roots.map(probeRoot)),
    findCheckpoints(options.roots),
    probePython(options.python),
  ]);
  return AgentCapabilitiesSchema.parse({
    hostname: hostname(),
    version: AGENT_VERSION,
    platform: `${platform()} ${release()}`,
    cpuCount: cpus().length,
    gpus: gpus.map((g) => ({ index: g.index, name: g.name, memoryTotalBytes: g.memoryTotalBytes })),
    kernel: probeKernel(),
    roots,
    checkpoints,
    python,
  });
}
