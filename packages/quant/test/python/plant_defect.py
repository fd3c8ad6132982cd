#!/usr/bin/env python3
"""Plants one converter defect into an NVFP4 checkpoint, in place, for the forward check's tests.

  nibbles       every packed FP4 byte has its two codes swapped (high nibble first)
  global-scale  every global scale written in the other format's convention (gs <-> 1/gs)
  unfused       each routed expert's gate projection (w1 / gate_proj) gets a global scale 4x its
                up projection's, its E4M3 group scales divided by 4: each tensor alone decodes to
                the same values, but the fused w1+w3 GEMM runs with w1's global scale (vLLM), so
                w3 comes out 4x too large
  names         routed experts named in the other layout's vocabulary (w1 <-> gate_proj, ...)

    python plant_defect.py OUT nibbles
"""

import json
import os
import re
import sys

import torch
from safetensors.torch import load_file, save_file

OTHER_NAME = {"w1": "gate_proj", "w3": "up_proj", "w2": "down_proj",
              "gate_proj": "w1", "up_proj": "w3", "down_proj": "w2"}
EXPERT = re.compile(r"^(.*\.experts\.\d+)\.(w1|w2|w3|gate_proj|up_proj|down_proj)\.(.+)$")
GATE = re.compile(r"^.*\.experts\.\d+\.(w1|gate_proj)\.(weight_global_scale|weight_scale_2|weight_scale)$")


def plant(name, tensor, defect, fmt):
    if defect == "nibbles" and tensor.dtype == torch.uint8:
        return name, ((tensor & 0x0F) << 4) | (tensor >> 4)
    if defect == "global-scale" and name.endswith((".weight_global_scale", ".weight_scale_2")):
        return name, 1.0 / tensor
    if defect == "unfused" and GATE.match(name):
        if name.endswith(".weight_scale"):
            return name, (tensor.float() / 4).to(torch.float8_e4m3fn)
        # compressed-tensors stores 1/gs, ModelOpt gs.
        return name, tensor / 4 if fmt == "compressed-tensors" else tensor * 4
    if defect == "names":
        m = EXPERT.match(name)
        if m:
            return f"{m.group(1)}.{OTHER_NAME[m.group(2)]}.{m.group(3)}", tensor
    return name, tensor


def main():
    folder, defect = sys.argv[1], sys.argv[2]
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        fmt = json.load(f)["quantization_config"]["quant_method"]
    index_path = os.path.join(folder, "model.safetensors.index.json")
    with open(index_path, encoding="utf-8") as f:
        index = json.load(f)
    weight_map = {}
    for file in sorted(set(index["weight_map"].values())):
        path = os.path.join(folder, file)
        tensors = dict(plant(n, t, defect, fmt) for n, t in load_file(path).items())
        save_file(tensors, path, metadata={"format": "pt"})
        weight_map.update({n: file for n in tensors})
    index["weight_map"] = dict(sorted(weight_map.items()))
    with open(index_path, "w", encoding="utf-8") as f:
        json.dump(index, f, indent=2)


if __name__ == "__main__":
    main()
