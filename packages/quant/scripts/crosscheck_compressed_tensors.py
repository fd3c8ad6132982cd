#!/usr/bin/env python3
"""Reads a compressed-tensors output with compressed-tensors itself and compares it with its source.

Where compressed-tensors is importable (it is not installable from every package index, so this is
not part of `npm test`; docs/engines.md says which version it was run with and what it found):

1. config.json's `quantization_config` is parsed by compressed-tensors' own `QuantizationConfig`
   (its pydantic model and validators).
2. Every Linear of the output (checkpoint names: `<m>.weight_packed`, or a 2-D `<m>.weight`) is
   matched with compressed-tensors' own `match_name` against every group's targets and `ignore`:
   NVFP4 modules must match exactly one group, in `nvfp4-pack-quantized`; FP8 modules exactly one
   `float-quantized` group; BF16 modules no group, or ignore.
3. NVFP4 modules are decompressed with compressed-tensors' registered compressor, FP8 block ones with
   its `dequantize` under the group's weight args, and compared with the source dequantized here
   independently (FP8 x block scale; MXFP4: E2M1 code, low nibble first, x 2^(E8M0 - 127)).

    python crosscheck_compressed_tensors.py SOURCE_DIR OUTPUT_DIR     # one JSON line; exit 1 on problems
"""

import glob
import json
import sys

import torch
from compressed_tensors.compressors.base import BaseCompressor
from compressed_tensors.quantization import QuantizationConfig
from compressed_tensors.quantization.lifecycle.forward import dequantize
from compressed_tensors.utils.match import match_name
from safetensors import safe_open

E2M1 = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])


class Tensors:
    """Every tensor of a checkpoint folder, read on demand."""

    def __init__(self, folder):
        self.handles = {}
        for path in sorted(glob.glob(f"{folder}/*.safetensors")):
            handle = safe_open(path, "pt")
            for name in handle.keys():
                self.handles[name] = handle

    def __contains__(self, name):
        return name in self.handles

    def names(self):
        return self.handles.keys()

    def get(self, name):
        return self.handles[name].get_tensor(name)

    def header(self, name):
        s = self.handles[name].get_slice(name)
        return s.get_dtype(), s.get_shape()


def e2m1(codes):
    sign = torch.where(codes & 8 != 0, -1.0, 1.0)
    return sign * E2M1[(codes & 7).long()]


def source_value(source, module, block):
    """The source weight in float32: FP8 x block scale (ragged edges), or MXFP4 codes x 2^(e - 127)."""
    weight = source.get(f"{module}.weight")
    scale_name = next(n for n in (f"{module}.weight_scale_inv", f"{module}.scale") if n in source)
    scale = source.get(scale_name).float()
    rows = weight.shape[0]
    if weight.dtype in (torch.int8, torch.uint8):
        packed = weight.view(torch.uint8)
        codes = torch.stack([packed & 0x0F, packed >> 4], dim=-1).reshape(rows, -1)
        return e2m1(codes) * scale.repeat_interleave(32, 1)[:, : codes.shape[1]]
    cols = weight.shape[1]
    grid = scale.repeat_interleave(block[0], 0)[:rows].repeat_interleave(block[1], 1)[:, :cols]
    return weight.float() * grid


def crosscheck(source_dir, output_dir):
    config = json.load(open(f"{output_dir}/config.json"))
    qc = QuantizationConfig.model_validate(config["quantization_config"])
    source, output = Tensors(source_dir), Tensors(output_dir)
    source_qc = json.load(open(f"{source_dir}/config.json")).get("quantization_config") or {}
    block = source_qc.get("weight_block_size") or [128, 128]
    stored = {}
    for name in output.names():
        if name.endswith(".weight_packed"):
            stored[name.removesuffix(".weight_packed")] = "nvfp4"
        elif name.endswith(".weight") and "embed" not in name:
            dtype, shape = output.header(name)
            if len(shape) == 2:
                stored[name.removesuffix(".weight")] = "fp8" if dtype == "F8_E4M3" else "unquantized"

    problems = []
    nvfp4_worst_rel_rms = 0.0
    fp8_exact = 0
    from_mxfp4 = [0, 0]
    for module, storage in sorted(stored.items()):
        ignored = any(match_name(module, entry) for entry in qc.ignore)
        groups = [g for g, s in qc.config_groups.items() if any(match_name(module, t) for t in s.targets)]
        if storage == "unquantized":
            if groups and not ignored:
                problems.append(f"{module}: BF16 in the output but targeted by {groups}")
            continue
        if ignored or len(groups) != 1:
            problems.append(f"{module}: {storage} in the output; ignored={ignored}, groups={groups}")
            continue
        scheme = qc.config_groups[groups[0]]
        want = "nvfp4-pack-quantized" if storage == "nvfp4" else "float-quantized"
        if scheme.format != want:
            problems.append(f"{module}: {storage} in the output, its group's format is {scheme.format}")
            continue
        reference = source_value(source, module, block)
        if storage == "nvfp4":
            compressor = BaseCompressor.get_value_from_registry(scheme.format)
            state = {
                n: output.get(f"{module}.{n}")
                for n in compressor.compression_param_names(scheme)
                if f"{module}.{n}" in output
            }
            value = compressor.decompress(state, scheme)["weight"].float()
        else:
            # compressed-tensors' model-free decompress infers the block from the scale's shape and
            # takes a one-column block grid (in_features <= 128) for per-channel: pass the args.
            value = dequantize(
                x_q=output.get(f"{module}.weight"),
                scale=output.get(f"{module}.weight_scale"),
                args=scheme.weights,
            ).float()
        if value.shape != reference.shape:
            problems.append(f"{module}: decompressed {tuple(value.shape)}, source {tuple(reference.shape)}")
        elif storage == "fp8":
            if torch.equal(value, reference):
                fp8_exact += 1
            else:
                problems.append(f"{module}: FP8 block weight differs from its source")
        else:
            rms = (value - reference).pow(2).mean().sqrt() / reference.pow(2).mean().sqrt().clamp_min(1e-30)
            nvfp4_worst_rel_rms = max(nvfp4_worst_rel_rms, float(rms))
            # NVFP4 of Gaussian-like weights: about 0.1; a wrong scale or nibble order: above 1.
            if rms > 0.2:
                problems.append(f"{module}: relative RMS error {float(rms):.3f} against its source")
            if source.header(f"{module}.weight")[0] in ("I8", "U8"):
                from_mxfp4[0] += int((value == reference).sum())
                from_mxfp4[1] += reference.numel()
    return {
        "output": output_dir,
        "modules": {s: sum(1 for v in stored.values() if v == s) for s in ("nvfp4", "fp8", "unquantized")},
        "nvfp4WorstRelRmsVsSource": round(nvfp4_worst_rel_rms, 5),
        "fp8BlockExact": fp8_exact,
        "mxfp4ElementsEqualToSource": f"{from_mxfp4[0]}/{from_mxfp4[1]}",
        "problems": problems,
    }


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    result = crosscheck(sys.argv[1], sys.argv[2])
    print(json.dumps(result))
    sys.exit(1 if result["problems"] else 0)
