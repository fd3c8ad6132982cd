/**
 * Writes the units whose output is (mostly) source bytes as they are: tensors copied unchanged, and
 * FP8 weights kept as FP8 (weight as is, block scale as F32). They are not produced ahead like
 * computed units: the source bytes are read straight into the writer's staging blocks when their
 * turn comes, so they take no pooled memory and are copied once (page cache → staging).
 */
import type { TensorPlan } from "../rules/types.ts";
import type { SafetensorsWriter } from "../safetensors/writer.ts";
import type { CopyUnit, KeepFp8Unit, OutputTensor, OutputUnit } from "./output-layout.ts";
import type { SourceReader } from "./source-reader.ts";

export type StreamedUnit = CopyUnit | KeepFp8Unit;

export function isStreamed(unit: OutputUnit): unit is StreamedUnit {
  return unit.kind === "copy" || unit.kind === "keep-fp8";
}

export async function streamUnit(
  reader: SourceReader,
  unit: StreamedUnit,
  writer: SafetensorsWriter,
): Promise<void> {
  if (unit.kind === "copy") {
    for (const [k, source] of unit.sources.entries())
      await copyTensor(reader, source, unit.outputs[k] as OutputTensor, writer);
    return;
  }
  const [weightOut, scaleOut] = unit.outputs as [OutputTensor, OutputTensor];
  await copyTensor(reader, unit.weight, weightOut, writer);
  // compressed-tensors FP8 block scales are float32; E8M0 exponents convert exactly.
  const scale = await reader.readScale(unit.scale);
  await writer.write(scaleOut.name, new Uint8Array(scale.buffer, scale.byteOffset, scale.byteLength));
}

async function copyTensor(
  reader: SourceReader,
  source: TensorPlan,
  output: OutputTensor,
  writer: SafetensorsWriter,
): Promise<void> {
  // A zero-length tensor has nothing to write (the writer moves past it by itself).
  if (source.bytes === 0) return;
  await writer.writeFrom(output.name, source.bytes, (target, offset) =>
    reader.readInto(source, offset, target),
  );
}
