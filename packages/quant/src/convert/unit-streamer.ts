/**
 * Writes the units whose output is (mostly) source bytes as they are: tensors copied unchanged, and
 * FP8 weights kept as FP8 (weight as is, block scale as F32). They are not produced ahead like
 * computed units: the source bytes are read straight into the writer's staging blocks when their
 * turn comes, so they take no pooled memory and are copied once (page cache → staging).
 *
 * FP8 weights and block scales kept as they are get the check quantized ones get: a NaN FP8 byte or
 * a NaN/Inf scale is refused (an engine would compute with it), naming the tensor and the element.
 */
import { E4M3_NAN_BYTES } from "../codecs/e4m3.ts";
import type { TensorPlan } from "../rules/types.ts";
import type { Dtype } from "../safetensors/dtypes.ts";
import type { SafetensorsWriter } from "../safetensors/writer.ts";
import { ConvertError } from "./errors.ts";
import type { CopyUnit, KeepFp8Unit, OutputTensor, OutputUnit } from "./output-layout.ts";
import type { SourceReader } from "./source-reader.ts";

export type StreamedUnit = CopyUnit | KeepFp8Unit;

/** Scale dtypes the reader decodes (SourceReader.readScale); others are copied unchecked. */
const DECODED_SCALES = new Set<Dtype>(["F32", "F8_E8M0"]);

export function isStreamed(unit: OutputUnit): unit is StreamedUnit {
  return unit.kind === "copy" || unit.kind === "keep-fp8";
}

export async function streamUnit(
  reader: SourceReader,
  unit: StreamedUnit,
  writer: SafetensorsWriter,
): Promise<void> {
  if (unit.kind === "copy") {
    for (const [k, source] of unit.sources.entries()) {
      // A scale companion copied as stored: checked as decoded values before its bytes go out.
      if (source.role === "scale" && DECODED_SCALES.has(source.dtype))
        checkScale(reader, source, await reader.readScale(source));
      await copyTensor(reader, source, unit.outputs[k] as OutputTensor, writer);
    }
    return;
  }
  const [weightOut, scaleOut] = unit.outputs as [OutputTensor, OutputTensor];
  await copyTensor(reader, unit.weight, weightOut, writer);
  // compressed-tensors FP8 block scales are float32; E8M0 exponents convert exactly.
  const scale = await reader.readScale(unit.scale);
  checkScale(reader, unit.scale, scale);
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
  const fp8 = source.sourceFormat === "fp8-block";
  await writer.writeFrom(output.name, source.bytes, async (target, offset) => {
    await reader.readInto(source, offset, target);
    // One byte per element, so a chunk's offset is its first element's index.
    if (fp8) checkFp8Bytes(reader, source, target, offset);
  });
}

function checkFp8Bytes(reader: SourceReader, tensor: TensorPlan, bytes: Uint8Array, offset: number): void {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = E4M3_NAN_BYTES.map((b) => view.indexOf(b)).filter((i) => i >= 0);
  if (found.length === 0) return;
  const index = offset + Math.min(...found);
  const byte = view[index - offset] as number;
  throw new ConvertError(
    "SOURCE_TENSOR",
    `${reader.pathOf(tensor)}: tensor "${tensor.name}", kept as FP8, holds NaN (FP8 byte 0x${byte.toString(16)}) at ${at(tensor, index)}; expected finite values (an engine would compute with the NaN): fix the source tensor`,
    { tensor: tensor.name, file: reader.pathOf(tensor) },
  );
}

function checkScale(reader: SourceReader, scale: TensorPlan, values: Float32Array): void {
  const index = values.findIndex((v) => !Number.isFinite(v));
  if (index < 0) return;
  const what = Number.isNaN(values[index]) ? "NaN" : "infinite";
  throw new ConvertError(
    "SOURCE_TENSOR",
    `${reader.pathOf(scale)}: block scale "${scale.name}" of a weight kept as it is is ${what} at ${at(scale, index)}; expected finite scales (an engine would compute with them): fix the source tensor`,
    { tensor: scale.name, file: reader.pathOf(scale) },
  );
}

/** `[row, col]` of a row-major element index (`[i]` for a vector). */
function at(tensor: TensorPlan, index: number): string {
  const cols = tensor.shape.length < 2 ? 0 : (tensor.shape[tensor.shape.length - 1] as number);
  return cols === 0 ? `[${index}]` : `[${Math.floor(index / cols)}, ${index % cols}]`;
}
