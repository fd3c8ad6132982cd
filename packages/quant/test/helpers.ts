/** Test helpers: temp dirs and hand-built (possibly malformed) safetensors files. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIo } from "../src/cli/io.ts";
import type { Dtype } from "../src/safetensors/dtypes.ts";
import { SafetensorsWriter } from "../src/safetensors/writer.ts";

/** A fresh temp dir and a function that removes it. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `fp4kit-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes `<8-byte length><header padded to 8><data>` exactly as given: for malformed files. */
export async function writeRawSafetensors(
  path: string,
  header: string | object,
  data = new Uint8Array(0),
): Promise<void> {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, 0x20);
  json.copy(padded);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length));
  await writeFile(path, Buffer.concat([prefix, padded, data]));
}

export interface TestTensor {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Bytes; zero-filled when omitted. */
  data?: Uint8Array;
}

/** A single-file checkpoint from explicit tensors plus an optional config.json. */
export async function writeSingleFileCheckpoint(
  dir: string,
  tensors: TestTensor[],
  config?: object,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const writer = await SafetensorsWriter.create(join(dir, "model.safetensors"), tensors);
  for (const t of tensors) {
    const bytes = t.data ?? new Uint8Array(byteLength(t));
    if (bytes.length > 0) await writer.write(t.name, bytes);
  }
  await writer.finish();
  if (config !== undefined) await writeFile(join(dir, "config.json"), JSON.stringify(config));
}

function byteLength(t: TestTensor): number {
  const sizes: Partial<Record<Dtype, number>> = { F32: 4, BF16: 2, F16: 2, I32: 4, I64: 8, F64: 8 };
  return t.shape.reduce((a, b) => a * b, 1) * (sizes[t.dtype] ?? 1);
}

/** Captures CLI output in memory. */
export function memoryIo(cwd: string): CliIo & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    stderrIsTTY: false,
    cwd,
    out: () => out,
    err: () => err,
  };
}
