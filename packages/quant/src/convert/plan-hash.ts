/**
 * The identity of a conversion's output: a hash of everything that decides its bytes — the source
 * tensors (names, dtypes, shapes, offsets, shard sizes), its config.json, and the output layout with
 * every per-tensor decision (fused group, FP8 block, input scale), and the config and side files
 * written for the target engine. Workers, kernel and memory budget
 * are not in it: they never change the bytes. A destination holding a manifest with another hash
 * holds another conversion.
 */
import { createHash } from "node:crypto";
import type { QuantizationConfigs } from "../formats/types.ts";
import type { Checkpoint } from "../safetensors/checkpoint.ts";
import type { InputScales } from "./calibration.ts";
import type { OutputLayout } from "./output-layout.ts";

const HASH_VERSION = "fp4kit-convert/2";

export function computePlanHash(
  checkpoint: Checkpoint,
  configText: string,
  layout: OutputLayout,
  inputScales: InputScales | undefined,
  configs: QuantizationConfigs,
): string {
  const hash = createHash("sha256");
  const add = (value: unknown) => hash.update(`${JSON.stringify(value)}\n`);
  add(HASH_VERSION);
  for (const { file, header } of checkpoint.shards) {
    add([file, header.fileSize, header.tensors.map((t) => [t.name, t.dtype, t.shape, t.begin, t.end])]);
  }
  add(configText);
  add([layout.format, layout.totalSize, layout.modules]);
  for (const shard of layout.shards) {
    add(shard.file);
    for (const unit of shard.units) {
      const decision =
        unit.kind === "quantize"
          ? [
              unit.weight.fusedGroup ?? null,
              unit.weight.scale?.block,
              inputScales?.scaleOf(unit.module) ?? null,
            ]
          : unit.kind === "copy"
            ? null
            : unit.weight.scale?.block;
      add([
        unit.kind,
        unit.sources.map((s) => s.name),
        unit.outputs.map((o) => [o.name, o.dtype, o.shape]),
        decision,
      ]);
    }
  }
  add(configs);
  return hash.digest("hex");
}
