"""The same FP8-block -> NVFP4 math in plain PyTorch, on the GPU, for comparison with fp4kit's CUDA
kernels (run after build/gpu-check.mjs, which writes the tensors and its outputs to --work).

Follows ModelOpt's NVFP4QTensor (modelopt/torch/quantization/qtensor/nvfp4_tensor.py) op for op:
gs = amax / (6*448); scale = e4m3(block_amax / (6*gs)); codes = e2m1(x / (scale*gs)) with
searchsorted on the E2M1 bounds plus the odd-bound tie fix; sign bit = (x < 0). Differences,
as fp4kit's spec requires: the block-scale ratio is clamped to 448 before the cast (satfinite;
torch's cast would give NaN above 464) and an all-zero group keeps scale 0 / codes 0 (ModelOpt
writes scale 1.0 there), and gs is a true division (see nvfp4_torch). Every op is one IEEE float32
op, so the bytes must equal fp4kit's.
Writes $OUT/torch-bench.json.
"""
import argparse
import json
import os

import numpy as np
import torch


def nvfp4_torch(data_u8, scale, block_rows, block_cols):
    rows, cols = data_u8.shape
    x = data_u8.view(torch.float8_e4m3fn).to(torch.float32)
    s = scale.repeat_interleave(block_rows, 0)[:rows].repeat_interleave(block_cols, 1)[:, :cols]
    v = x * s
    amax = v.abs().max()
    # Divide by a device tensor: PyTorch turns `tensor / python_float` on CUDA into a multiplication
    # by the float32 reciprocal (1/2688 is inexact), which can differ from amax / 2688 by one ulp.
    gs = amax / torch.tensor(2688.0, device=v.device)
    six_gs = 6.0 * gs
    g = v.view(rows, cols // 16, 16)
    group_amax = g.abs().amax(-1)
    ratio = torch.clamp(group_amax / six_gs, max=448.0)
    scale_fp8 = ratio.to(torch.float8_e4m3fn)
    scale_f = scale_fp8.to(torch.float32)
    denom = (scale_f * gs).unsqueeze(-1)
    q = g / denom
    q = torch.where(scale_f.unsqueeze(-1) == 0, torch.zeros_like(q), q)
    a = q.abs()
    bounds = torch.tensor([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0], device=q.device)
    odd = torch.tensor([0.75, 1.75, 3.5], device=q.device)
    code = torch.searchsorted(bounds, a.contiguous()).to(torch.uint8)
    code = code + (a.unsqueeze(-1) == odd).any(-1).to(torch.uint8)
    code = code | ((q < 0).to(torch.uint8) << 3)
    code = code.view(rows, cols)
    packed = code[:, 0::2] | (code[:, 1::2] << 4)
    return amax, gs, packed, scale_fp8.view(torch.uint8)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--out", default=os.environ.get("OUT", "."))
    p.add_argument("--iterations", type=int, default=10)
    args = p.parse_args()
    cases = json.load(open(os.path.join(args.work, "cases.json")))
    dev = torch.device("cuda")
    results = []
    for c in cases:
        rows, cols, br, bc = c["rows"], c["cols"], c["blockRows"], c["blockCols"]
        base = c["base"]
        data = torch.from_numpy(np.fromfile(base + ".data.bin", dtype=np.uint8).reshape(rows, cols)).to(dev)
        sr, sc = -(-rows // br), -(-cols // bc)
        scale = torch.from_numpy(np.fromfile(base + ".scale.bin", dtype=np.float32).reshape(sr, sc)).to(dev)
        ours_packed = np.fromfile(base + ".packed.bin", dtype=np.uint8).reshape(rows, cols // 2)
        ours_scales = np.fromfile(base + ".scales.bin", dtype=np.uint8).reshape(rows, cols // 16)
        amax, gs, packed, scales = nvfp4_torch(data, scale, br, bc)
        torch.cuda.synchronize()
        packed_np, scales_np = packed.cpu().numpy(), scales.cpu().numpy()
        same_packed = bool((packed_np == ours_packed).all())
        same_scales = bool((scales_np == ours_scales).all())
        # Timing: the whole function (dequant, amax, scales, codes, pack), data already on the GPU.
        for _ in range(2):
            nvfp4_torch(data, scale, br, bc)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        for _ in range(args.iterations):
            nvfp4_torch(data, scale, br, bc)
        end.record()
        torch.cuda.synchronize()
        ms = start.elapsed_time(end) / args.iterations
        entry = {
            "label": c["label"], "rows": rows, "cols": cols,
            "torchMs": ms, "torchGBps": rows * cols / (ms * 1e-3) / 1e9,
            "amaxEqual": float(amax.item()) == c["amax"], "gsEqual": float(gs.item()) == c["gs"],
            "packedEqual": same_packed, "scalesEqual": same_scales,
            "packedMismatches": int((packed_np != ours_packed).sum()),
            "scalesMismatches": int((scales_np != ours_scales).sum()),
        }
        results.append(entry)
        print("[torch]", json.dumps(entry), flush=True)
    out = {"torch": torch.__version__, "device": torch.cuda.get_device_name(0), "results": results}
    with open(os.path.join(args.out, "torch-bench.json"), "w") as f:
        json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
