/**
 * Where a conversion's CPU time goes, for `npm run bench`: runs a command under Linux `perf record`
 * (all threads: main, SHA-256 worker, libuv pool, the C++ kernel's workers; user and kernel space)
 * and sorts the samples taken while the NVFP4 kernel runs (first to last kernel sample, so Node's
 * start-up and the final small files are left out) into a few buckets by the function sampled.
 * Undefined where perf is missing or not allowed.
 */
import { spawnSync } from "node:child_process";
import { rm } from "node:fs/promises";

const SAMPLE_HZ = 499;

export interface ProfileBucket {
  name: string;
  cpuSeconds: number;
  share: number;
}

export interface ConvertProfile {
  /** Wall time from the first to the last kernel sample. */
  windowSeconds: number;
  /** CPU seconds sampled in that window, all threads. */
  cpuSeconds: number;
  buckets: ProfileBucket[];
}

/** First match wins; `site` is "symbol (binary)" as perf prints it. */
const BUCKETS: { name: string; test: (site: string) => boolean }[] = [
  { name: "NVFP4 kernel (C++ addon: amax + quantize)", test: (s) => s.includes("fp4kit_cpu.node") },
  { name: "SHA-256 of the output (worker thread)", test: (s) => /sha256/i.test(s) },
  {
    name: "reading the source (Linux page-cache copies)",
    test: (s) => /kallsyms/.test(s) && /copy_to_iter|copy_page_to_iter|filemap_/.test(s),
  },
  {
    name: "copies in user space (outputs not quantized in place)",
    test: (s) => !/kallsyms/.test(s) && /memmove|memcpy/.test(s),
  },
  { name: "Linux, other (page faults, scheduling, direct-I/O writes)", test: (s) => /kallsyms/.test(s) },
  { name: "Node.js (JavaScript, GC, libuv)", test: () => true },
];

export function perfAvailable(): boolean {
  return spawnSync("perf", ["--version"]).status === 0;
}

export async function profileCommand(
  command: string,
  args: string[],
  dataFile: string,
): Promise<ConvertProfile | undefined> {
  const record = spawnSync(
    "perf",
    ["record", "-F", String(SAMPLE_HZ), "-o", dataFile, "--", command, ...args],
    {
      stdio: ["ignore", "ignore", "pipe"],
      encoding: "utf8",
    },
  );
  try {
    if (record.status !== 0) return undefined;
    const script = spawnSync("perf", ["script", "-i", dataFile, "-F", "time,ip,sym,dso"], {
      encoding: "utf8",
      maxBuffer: 1 << 30,
    });
    if (script.status !== 0) return undefined;
    return summarise(script.stdout);
  } finally {
    await rm(dataFile, { force: true });
  }
}

/** Lines look like ` 6344.572120:   7fbc7f0552a1 quantize_row_avx2 (/path/fp4kit_cpu.node)`. */
function summarise(script: string): ConvertProfile | undefined {
  const samples: { time: number; site: string }[] = [];
  for (const line of script.split("\n")) {
    const match = /^\s*([\d.]+):\s+\S+\s+(.*)$/.exec(line);
    if (match !== null) samples.push({ time: Number(match[1]), site: match[2] as string });
  }
  const kernelTimes = samples.filter((s) => s.site.includes("fp4kit_cpu.node")).map((s) => s.time);
  if (kernelTimes.length === 0) return undefined;
  const first = Math.min(...kernelTimes);
  const last = Math.max(...kernelTimes);
  const counts = new Map<string, number>();
  let total = 0;
  for (const s of samples) {
    if (s.time < first || s.time > last) continue;
    const bucket = BUCKETS.find((b) => b.test(s.site)) as (typeof BUCKETS)[number];
    counts.set(bucket.name, (counts.get(bucket.name) ?? 0) + 1);
    total += 1;
  }
  return {
    windowSeconds: last - first,
    cpuSeconds: total / SAMPLE_HZ,
    buckets: BUCKETS.map((b) => ({
      name: b.name,
      cpuSeconds: (counts.get(b.name) ?? 0) / SAMPLE_HZ,
      share: (counts.get(b.name) ?? 0) / total,
    })),
  };
}
