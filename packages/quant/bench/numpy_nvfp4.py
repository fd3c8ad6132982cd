#!/usr/bin/env python3
"""The FP8 block-scaled -> NVFP4 math of fp4kit, vectorised with numpy: the baseline of `npm run bench`.

Same operations, in float32, in the same order as the TypeScript reference
(packages/quant/src/nvfp4/reference.ts, docs/nvfp4-math.md):
  v       = e4m3(byte) * block_scale                       (ragged edge blocks handled)
  gs      = amax(|v|) / 2688                               (6 * 448; 1 for an all-zero tensor)
  scale   = e4m3_rne_satfinite(group_amax / (6 * gs))      per 16 elements along the input dim
  code    = e2m1_rne(v / (e4m3(scale) * gs))               0 where the scale byte is 0
  packed  = code[2k] | code[2k+1] << 4                     plus the error statistics
so with --compare DIR (a compressed-tensors output of fp4kit) the bytes must be equal.

Reads safetensors with numpy.memmap (no torch, no safetensors package). Quantizes every F8_E4M3
weight that has an F32 block-scale companion (`.weight_scale_inv` or `.scale`), in file order, until
--max-bytes of FP8 input; prints one JSON object: bytes, seconds, throughput.
"""

import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from fp4kit_fused_groups import fused_group_key  # noqa: E402

GROUP = 16
E2M1 = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0], dtype=np.float32)
E2M1_TIES = np.array([0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0], dtype=np.float32)


def e4m3_table():
    table = np.zeros(256, dtype=np.float32)
    for b in range(256):
        sign = -1.0 if b & 0x80 else 1.0
        exp, man = (b >> 3) & 0xF, b & 0x7
        if exp == 0xF and man == 0x7:
            table[b] = np.nan
        elif exp == 0:
            table[b] = sign * man * 2.0**-9
        else:
            table[b] = sign * (8 + man) * 2.0 ** (exp - 10)
    return table


def group_of(module):
    """Engine-fused groups share one global scale; other modules are their own group."""
    return fused_group_key(module) or module


E4M3 = e4m3_table()
# Positive finite E4M3 values by code 0..126 (ascending) and the midpoints between neighbours.
E4M3_POS = E4M3[:127]
E4M3_MID = ((E4M3_POS[:-1].astype(np.float64) + E4M3_POS[1:]) / 2).astype(np.float64)


def encode_e4m3(x):
    """Non-negative float32 -> E4M3 byte, round to nearest, ties to even code, saturate at 448."""
    x = x.astype(np.float64)
    code = np.searchsorted(E4M3_MID, x, side="left")  # ties land on the lower code
    tie = (code < len(E4M3_MID)) & (x == E4M3_MID[np.minimum(code, len(E4M3_MID) - 1)])
    code = code + (tie & (code % 2 == 1))
    return np.minimum(code, 126).astype(np.uint8)


def encode_e2m1_magnitude(a):
    """|q| -> E2M1 magnitude index 0..7, round to nearest, ties to the even index, above 5 -> 6."""
    idx = np.searchsorted(E2M1_TIES, a, side="left")
    tie = (idx < len(E2M1_TIES)) & (a == E2M1_TIES[np.minimum(idx, len(E2M1_TIES) - 1)])
    return (idx + (tie & (idx % 2 == 1))).astype(np.uint8)


def read_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    return 8 + n, header


def tensors_of(folder):
    """name -> (path, data_start, entry) over all shards of a checkpoint folder."""
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for file in files:
        path = os.path.join(folder, file)
        start, header = read_header(path)
        for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
            out[name] = (path, start, entry)
    return out


def load(t, dtype):
    path, start, entry = t
    begin, end = entry["data_offsets"]
    return np.memmap(path, dtype=dtype, mode="r", offset=start + begin, shape=tuple(entry["shape"]))


def dequantize(w_bytes, scale, block):
    rows, cols = w_bytes.shape
    br, bc = block
    s = np.repeat(np.repeat(scale, br, axis=0)[:rows], bc, axis=1)[:, :cols]
    v = E4M3[w_bytes] * s  # float32 * float32 -> float32, like fround(e4m3 * scale)
    if not np.isfinite(v).all():
        raise ValueError("non-finite value")
    return v


def global_scale(amax):
    amax = np.float32(amax)
    return np.float32(1.0) if amax == 0 else max(np.float32(amax / np.float32(2688)), np.float32(2.0**-126))


def quantize(v, gs):
    rows, cols = v.shape
    g = v.reshape(rows, cols // GROUP, GROUP)
    gamax = np.abs(g).max(axis=2)
    six_gs = np.float32(6) * gs
    scale_byte = np.where(gamax == 0, 0, encode_e4m3((gamax / six_gs).astype(np.float32))).astype(np.uint8)
    denom = (E4M3[scale_byte] * gs).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (g / denom[:, :, None]).astype(np.float32)
    mag = encode_e2m1_magnitude(np.abs(q))
    # Sign bit for q < 0 (not for -0.0), as the reference does.
    codes = np.where(scale_byte[:, :, None] == 0, 0, mag | ((q < 0).astype(np.uint8) << 3)).astype(np.uint8)
    codes = codes.reshape(rows, cols)
    packed = codes[:, 0::2] | (codes[:, 1::2] << 4)
    recon = (E2M1[codes & 7] * np.where(codes & 8, -1, 1)).astype(np.float32)
    recon = (recon.reshape(rows, cols // GROUP, GROUP) * E4M3[scale_byte][:, :, None]).astype(np.float32) * gs
    err = recon.reshape(rows, cols).astype(np.float64) - v
    stats = (float((err * err).sum()), float((v.astype(np.float64) ** 2).sum()), float(np.abs(err).max()))
    return packed, scale_byte, stats


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src", help="FP8 checkpoint folder")
    p.add_argument("--max-bytes", type=float, default=float("inf"), help="stop after this many FP8 input bytes")
    p.add_argument("--block", type=int, default=128, help="FP8 block side (weight_block_size)")
    p.add_argument("--compare", help="fp4kit compressed-tensors output of the same source: check bytes are equal")
    args = p.parse_args()

    source = tensors_of(args.src)
    output = tensors_of(args.compare) if args.compare else None
    work = []  # (module, weight, scale, block) in file order, up to --max-bytes
    total = 0
    for name, t in source.items():
        if t[2]["dtype"] != "F8_E4M3" or not name.endswith(".weight") or len(t[2]["shape"]) != 2:
            continue
        module = name[: -len(".weight")]
        companion = next((source[module + s] for s in (".weight_scale_inv", ".scale") if module + s in source), None)
        if companion is None or companion[2]["dtype"] != "F32" or t[2]["shape"][1] % GROUP != 0:
            continue
        if output is not None and module + ".weight_packed" not in output:
            continue  # kept by fp4kit's rules: nothing to compare
        if total >= args.max_bytes:
            break
        scale = np.asarray(load(companion, np.float32))
        block = tuple(t[2]["shape"]) if scale.size == 1 else (args.block, args.block)
        work.append((module, t, scale, block))
        total += math.prod(t[2]["shape"])

    mismatches = []
    started = time.perf_counter()
    # Pass 1: amax of every tensor, then one global scale per fused group (as fp4kit does).
    group_amax = {}
    for module, t, scale, block in work:
        amax = np.abs(dequantize(np.asarray(load(t, np.uint8)), scale, block)).max()
        key = group_of(module)
        group_amax[key] = max(group_amax.get(key, np.float32(0)), amax)
    # Pass 2: quantize with the group's global scale.
    for module, t, scale, block in work:
        gs = global_scale(group_amax[group_of(module)])
        # The error statistics (third value) are computed as fp4kit computes them, and not used here.
        packed, scale_byte, _ = quantize(dequantize(np.asarray(load(t, np.uint8)), scale, block), gs)
        if output is not None:
            stored = np.asarray(load(output[module + ".weight_global_scale"], np.float32))[0]
            same = (
                stored == np.float32(1) / gs
                and np.array_equal(packed, np.asarray(load(output[module + ".weight_packed"], np.uint8)))
                and np.array_equal(scale_byte, np.asarray(load(output[module + ".weight_scale"], np.uint8)))
            )
            if not same:
                mismatches.append(module)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "bytes": total,
        "tensors": len(work),
        "seconds": seconds,
        "throughputBytesPerSec": total / seconds if seconds > 0 else 0,
        "numpy": np.__version__,
        "python": sys.executable,
        "compared": None if output is None else len(work),
        "mismatches": mismatches[:10],
    }))
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
