#!/usr/bin/env python3
"""Checks an NVFP4 checkpoint with a reader fp4kit did not write (safetensors + torch).

One script for `fp4kit verify` and the fp4kit agent's VERIFY job (JSON lines on stdout, see
fp4kit_jsonl.py). Steps:

1. Layout: the index names existing shards, every shard is opened with `safetensors.safe_open` and
   every tensor is read; the index's total_size equals the tensor bytes.
2. NaN/Inf in every floating tensor (scales, global scales, kept tensors).
3. Every quantized Linear (or a sample, --max-tensors) is dequantized the way engines do it:
   E2M1 code (low nibble = even element) x FP8 E4M3 group scale of 16 x global scale, where
   compressed-tensors stores 1/gs (`weight_global_scale`) and ModelOpt gs (`weight_scale_2`).
   With --reference (the FP8 source) each is compared with the source dequantized with its block
   scales (F32 or E8M0, `<m>.weight_scale_inv` or V4's `<m>.scale`; block from the source's
   config.json, ragged edges handled): relative RMS error. NVFP4 on Gaussian-like weights gives
   about 0.09-0.10; a swapped nibble order or a wrong scale relation gives more than 1. Above 0.2
   fails. A weight that was MXFP4 in the source (packed E2M1 + E8M0 per 32, original V4 releases)
   must equal its source element by element in every 32-element block whose scale 2^e E4M3 can
   express under the output's global scale (2^e / gs >= 2^-9); in the other blocks no element may
   be further from its source value than that value itself (never worse than zero).
4. Engine-fused groups (expert gate/up = w1/w3, shared experts, V3 q_a_proj + kv_a_proj_with_mqa,
   V4 wq_a + wkv, compressor wkv + wgate) share one global scale.
5. With --reference: tensors kept as they were are bit-identical to the source; FP8 weights kept as
   FP8 block carry the source's scale (renamed `weight_scale`, float32); FP8 weights written as BF16
   match the dequantized source.
6. One MoE expert block forward with NVFP4 vs FP8 weights.
7. With --reference and transformers installed: the forward check (forward_check.py), the first
   --forward-layers decoder layers of both checkpoints in transformers' own DeepSeek modeling code
   on fixed tokens, logits compared (cosine, top-1 agreement).
8. A few tokens with vLLM if installed.

    python verify_nvfp4.py DeepSeek-V4-Pro-NVFP4 --reference DeepSeek-V4-Pro-FP8 --max-tensors 0
"""

import argparse
import json
import math
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fp4kit_checkpoint import (  # noqa: E402
    E2M1_VALUES,
    MXFP4_BLOCK,
    Checkpoint,
    CheckpointError,
    decode_fp8,
    decode_mxfp4,
    decode_nvfp4,
    fp8_scale_name,
    unpack_fp4,
)
from fp4kit_fused_groups import fused_group_key  # noqa: E402
from fp4kit_jsonl import (  # noqa: E402
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    artifact,
    fail,
    has_package,
    log,
    metric,
    require_packages,
    result,
)

# NVFP4 on Gaussian-like weights lands near 0.09-0.10; far above means a format bug.
ERROR_WARN = 0.15
ERROR_FAIL = 0.20
# An expert block chains three NVFP4 GEMMs (gate, up, down): its output error is about sqrt(3) times
# a weight's (about 0.17 here), so it gets its own bound.
FORWARD_FAIL = 0.35
GAUSSIAN_BAND = (0.085, 0.105)
DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "I16": 2, "U16": 2,
    "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="NVFP4 checkpoint folder")
    p.add_argument("--reference", help="the FP8 checkpoint it was made from")
    p.add_argument("--max-tensors", type=int, default=32,
                   help="quantized weights to dequantize and compare (0: all)")
    p.add_argument("--expect-gaussian", action="store_true",
                   help="fail unless the median relative RMS error is in the NVFP4 band for Gaussian-like "
                        f"weights ({GAUSSIAN_BAND[0]}-{GAUSSIAN_BAND[1]}), e.g. for fp4kit's synthetic checkpoints")
    p.add_argument("--forward-layers", type=int, default=1,
                   help="decoder layers run in the model-code forward check (0: skip it, -1: all)")
    p.add_argument("--generate-tokens", type=int, default=16, help="tokens to generate with vLLM (0: skip)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--trust-remote-code", action="store_true",
                   help="let vLLM run Python files shipped in the checkpoint folder (off by default)")
    return p.parse_args()


def check_layout(ckpt):
    """Every shard opens, every tensor reads, and the index agrees with the shards."""
    problems = []
    total = 0
    count = 0
    in_shards = {}
    for file in ckpt.shards():
        path = os.path.join(ckpt.folder, file)
        if not os.path.exists(path):
            problems.append(f"index names {file}, which does not exist")
            continue
        handle = ckpt.handle(file)
        for name in handle.keys():
            sl = handle.get_slice(name)
            numel = math.prod(sl.get_shape())
            dtype = sl.get_dtype()
            total += numel * DTYPE_BYTES.get(dtype, 0)
            handle.get_tensor(name)
            in_shards[name] = file
            count += 1
    for name, file in ckpt.files.items():
        if in_shards.get(name) != file:
            problems.append(f"index maps {name} to {file}, but that shard does not hold it")
    for name in in_shards:
        if name not in ckpt.files:
            problems.append(f"{name} is in a shard but not in the index")
    declared = ((ckpt.index or {}).get("metadata") or {}).get("total_size")
    if ckpt.index is not None and declared != total:
        problems.append(f"index total_size {declared} != {total} tensor bytes in the shards")
    return {"shards": len(ckpt.shards()), "tensors": count, "tensorBytes": total}, problems


def detect_format(ckpt):
    names = ckpt.files
    if any(n.endswith(".weight_packed") for n in names):
        return "compressed-tensors"
    if any(n.endswith(".weight_scale_2") for n in names):
        return "modelopt"
    fail("no NVFP4 tensors found (neither *.weight_packed nor *.weight_scale_2): is this an NVFP4 checkpoint?")


def quantized_modules(ckpt, fmt):
    suffix = ".weight_packed" if fmt == "compressed-tensors" else ".weight_scale_2"
    return sorted(n[: -len(suffix)] for n in ckpt.files if n.endswith(suffix))


def nvfp4_tensor_names(module, fmt):
    if fmt == "compressed-tensors":
        # input_global_scale: the W4A4 variant's activation global scale (absent in NVFP4A16).
        return [
            f"{module}.weight_packed",
            f"{module}.weight_scale",
            f"{module}.weight_global_scale",
            f"{module}.input_global_scale",
        ]
    return [f"{module}.weight", f"{module}.weight_scale", f"{module}.weight_scale_2", f"{module}.input_scale"]


def global_scale(ckpt, fmt, module):
    """gs, the factor applied after E2M1 x E4M3 (compressed-tensors stores its reciprocal)."""
    if fmt == "compressed-tensors":
        return 1.0 / ckpt.get(module + ".weight_global_scale").float().reshape(-1)[0].item()
    return ckpt.get(module + ".weight_scale_2").float().reshape(-1)[0].item()


def dequantize_nvfp4(torch, ckpt, fmt, module, device):
    packed = ckpt.get(module + (".weight_packed" if fmt == "compressed-tensors" else ".weight"))
    return decode_nvfp4(torch, packed, ckpt.get(module + ".weight_scale"), global_scale(ckpt, fmt, module), device)



def is_mxfp4(torch, ckpt, module):
    """Packed E2M1 (U8/I8) with an E8M0 scale per 32 elements: the original V4 releases' experts."""
    weight = ckpt.get(module + ".weight")
    scale_name = fp8_scale_name(ckpt, module)
    return (weight.dtype in (torch.uint8, torch.int8) and scale_name is not None
            and ckpt.get(scale_name).dtype == torch.float8_e8m0fnu)


def mxfp4_block_exponents(torch, ckpt, module, device):
    """The E8M0 block exponents (byte - 127) as integers, [rows, cols/32]."""
    scale = ckpt.get(fp8_scale_name(ckpt, module))
    return scale.view(torch.uint8).to(device).long() - 127


def dequantize_mxfp4(torch, ckpt, module, device):
    return decode_mxfp4(torch, ckpt.get(module + ".weight"), ckpt.get(fp8_scale_name(ckpt, module)), device)


def dequantize_reference(torch, ckpt, module, device):
    """The source weight's values: FP8 x block scale, or MXFP4 codes x E8M0 scales."""
    if is_mxfp4(torch, ckpt, module):
        return dequantize_mxfp4(torch, ckpt, module, device), None
    return dequantize_fp8(torch, ckpt, module, device)


def check_mxfp4(torch, reference, module, w, exact, gs, device):
    """The re-expression contract of an MXFP4-sourced weight (see the module docstring)."""
    exponents = mxfp4_block_exponents(torch, reference, module, device)
    reach = (torch.ldexp(torch.ones_like(exponents, dtype=torch.float64), exponents) / gs) >= 2.0 ** -9
    in_range = reach.repeat_interleave(MXFP4_BLOCK, dim=1)[:, : w.shape[1]]
    differ = w != exact
    problems = []
    bad = int((differ & in_range).sum().item())
    if bad:
        problems.append(f"{module}: {bad} elements differ from the MXFP4 source in blocks E4M3 can express exactly")
    worse = int(((w - exact).abs() > exact.abs()).sum().item())
    if worse:
        problems.append(f"{module}: {worse} elements are further from the MXFP4 source than zero would be")
    return {"blocks": int(reach.numel()), "blocksBelowRange": int((~reach).sum().item()),
            "differingElements": int(differ.sum().item())}, problems


def dequantize_fp8(torch, ckpt, module, device):
    """FP8 E4M3 weight x its block scale (F32, or E8M0 exponents in original V4 releases)."""
    weight = ckpt.get(module + ".weight")
    scale_name = fp8_scale_name(ckpt, module)
    if weight.dtype != torch.float8_e4m3fn:
        return None, f"reference {module}.weight is {weight.dtype}, neither FP8 E4M3 nor MXFP4: not compared"
    if scale_name is None:
        return None, f"reference {module} has no block scale companion"
    return decode_fp8(torch, weight, ckpt.get(scale_name), ckpt.fp8_block(), device), None


def torch_fp4_crosscheck(torch, ckpt, fmt, module):
    """Unpacks one packed weight with torch's own float4_e2m1fn_x2 dtype, when torch can convert it:
    an E2M1 decoding and nibble order fp4kit did not write. None (with the reason) when unsupported.
    On the CPU only: on CUDA (torch 2.11) the cast hits a device-side assert that poisons the context."""
    if not hasattr(torch, "float4_e2m1fn_x2"):
        return None, f"torch {torch.__version__} has no float4_e2m1fn_x2"
    device = "cpu"
    packed = ckpt.get(module + (".weight_packed" if fmt == "compressed-tensors" else ".weight"))
    try:
        values = packed.view(torch.float4_e2m1fn_x2).to(torch.float32)
    except Exception as err:  # conversion kernels for the packed dtype are not everywhere
        return None, f"torch cannot convert float4_e2m1fn_x2 to float32 here ({type(err).__name__}: {err})"
    codes = unpack_fp4(torch, packed, device)
    table = torch.tensor(E2M1_VALUES, dtype=torch.float32, device=device)[codes]
    if values.numel() != table.numel():
        return None, f"torch's float4_e2m1fn_x2 conversion gave {list(values.shape)} for {list(packed.shape)} bytes"
    return bool(torch.equal(values.reshape(table.shape), table)), None


def relative_rms_error(torch, approx, exact):
    denominator = torch.linalg.vector_norm(exact).item()
    if denominator == 0:
        return 0.0 if torch.count_nonzero(approx).item() == 0 else float("inf")
    return torch.linalg.vector_norm(approx - exact).item() / denominator


def check_finite(torch, ckpt):
    """NaN/Inf in scales, global scales and every floating tensor the converter kept."""
    bad = []
    checked = 0
    for name in ckpt.names():
        tensor = ckpt.get(name)
        if not tensor.is_floating_point():
            continue  # packed FP4 codes (uint8) cannot be NaN
        checked += 1
        if not torch.isfinite(tensor.float()).all().item():
            bad.append(name)
    return checked, bad


def check_fused_groups(ckpt, fmt, modules):
    groups = {}
    for module in modules:
        key = fused_group_key(module)
        if key is not None:
            groups.setdefault(key, []).append(module)
    problems = []
    checked = 0
    for key, members in sorted(groups.items()):
        if len(members) < 2:
            continue
        checked += 1
        scales = {m: global_scale(ckpt, fmt, m) for m in members}
        if len(set(scales.values())) != 1:
            problems.append(f"fused group {key}: global scales differ {scales}")
    return checked, problems


def as_bytes(torch, tensor):
    return tensor.contiguous().reshape(-1).view(torch.uint8)


def check_kept(torch, ckpt, reference, fmt, modules, device):
    """Tensors the converter kept: identical to the source, or the same values in another encoding."""
    produced = {name for m in modules for name in nvfp4_tensor_names(m, fmt)}
    problems = []
    identical = 0
    reencoded = 0
    for name in ckpt.names():
        if name in produced:
            continue
        out = ckpt.get(name)
        if name in reference:
            ref = reference.get(name)
            if out.dtype == ref.dtype:
                if out.shape != ref.shape or not torch.equal(as_bytes(torch, out), as_bytes(torch, ref)):
                    problems.append(f"{name}: kept tensor differs from the source")
                else:
                    identical += 1
            elif ref.dtype == torch.float8_e4m3fn and out.dtype == torch.bfloat16:
                module = name[: -len(".weight")]
                exact, why = dequantize_fp8(torch, reference, module, device)
                if exact is None:
                    problems.append(f"{name}: {why}")
                    continue
                err = relative_rms_error(torch, out.to(device).float(), exact)
                if err > 2.0 ** -8:
                    problems.append(f"{name}: BF16 copy of the FP8 source is off by {err:.2e} (relative RMS)")
                reencoded += 1
            else:
                problems.append(f"{name}: dtype {out.dtype}, source {ref.dtype}")
        elif name.endswith(".weight_scale") and fmt == "compressed-tensors":
            # An FP8 weight kept as FP8 block: compressed-tensors' `weight_scale` is the source scale.
            module = name[: -len(".weight_scale")]
            source = fp8_scale_name(reference, module)
            if source is None:
                problems.append(f"{name}: no scale companion in the source for {module}")
                continue
            src = reference.get(source).float()
            if out.dtype != torch.float32 or out.shape != src.shape or not torch.equal(out, src):
                problems.append(f"{name}: differs from the source's {source} ({src.dtype} {list(src.shape)})")
            else:
                reencoded += 1
        else:
            problems.append(f"{name}: not in the source and not an NVFP4 tensor")
    return {"identical": identical, "reencoded": reencoded}, problems


def pick_sample(modules, count):
    if count <= 0 or len(modules) <= count:
        return list(modules)
    step = len(modules) / count
    return [modules[int(i * step)] for i in range(count)]


EXPERT_PATTERNS = [
    # (regex on a module name, gate, up, down) in the HF (V3/V3.2) and DeepSeek (V4) layouts.
    (re.compile(r"^(.*\.mlp\.experts\.\d+)\.gate_proj$"), "gate_proj", "up_proj", "down_proj"),
    (re.compile(r"^(.*\.ffn\.experts\.\d+)\.w1$"), "w1", "w3", "w2"),
    (re.compile(r"^(.*\.mlp\.shared_experts)\.gate_proj$"), "gate_proj", "up_proj", "down_proj"),
    (re.compile(r"^(.*\.ffn\.shared_experts)\.w1$"), "w1", "w3", "w2"),
    (re.compile(r"^(.*\.mlp)\.gate_proj$"), "gate_proj", "up_proj", "down_proj"),
]


def find_expert(modules):
    quantized = set(modules)
    for pattern, gate, up, down in EXPERT_PATTERNS:
        for name in modules:
            m = pattern.match(name)
            if m and f"{m.group(1)}.{up}" in quantized and f"{m.group(1)}.{down}" in quantized:
                prefix = m.group(1)
                return prefix, (f"{prefix}.{gate}", f"{prefix}.{up}", f"{prefix}.{down}")
    return None, None


def expert_forward(torch, weights, x):
    gate, up, down = weights
    hidden = torch.nn.functional.silu(x @ gate.T) * (x @ up.T)
    return hidden @ down.T


def try_vllm(args, torch):
    if args.generate_tokens == 0:
        return {"ran": False, "reason": "skipped (--generate-tokens 0)"}
    if not has_package("vllm"):
        log("vLLM is not installed: skipping token generation (pip install vllm to include it)", "warning")
        return {"ran": False, "reason": "vLLM is not installed"}
    from vllm import LLM, SamplingParams

    gpus = max(1, torch.cuda.device_count())
    log(f"generating {args.generate_tokens} tokens with vLLM (tensor parallel {gpus})")
    llm = LLM(model=args.checkpoint, tensor_parallel_size=gpus, trust_remote_code=args.trust_remote_code)
    prompt = "The capital of France is"
    output = llm.generate([prompt], SamplingParams(max_tokens=args.generate_tokens, temperature=0))[0]
    text = output.outputs[0].text
    log(f"vLLM: {prompt!r} -> {text!r}")
    return {"ran": True, "prompt": prompt, "text": text}


def markdown_report(report):
    lines = [f"# NVFP4 verification: {report['checkpoint']}", "",
             f"- format: **{report['format']}**, {report['quantizedModules']} quantized Linears",
             f"- layout: {report['layout']['shards']} shards, {report['layout']['tensors']} tensors read with "
             f"safetensors {report['versions']['safetensors']} / torch {report['versions']['torch']}",
             f"- NaN/Inf: {report['finite']['checked']} floating tensors checked, "
             f"{len(report['finite']['bad'])} with NaN/Inf",
             f"- fused groups with one global scale: {report['fusedGroups']}",
             f"- verdict: **{'pass' if report['passed'] else 'FAIL'}**", ""]
    if report["kept"] is not None:
        lines.insert(-2, f"- kept tensors: {report['kept']['identical']} bit-identical to the source, "
                         f"{report['kept']['reencoded']} re-encoded (FP8 scale as F32, FP8 as BF16) and equal")
    if report["mxfp4"] is not None:
        m = report["mxfp4"]
        lines.insert(-2, f"- MXFP4 sources: {m['weights']} weights equal to the source in every block E4M3 reaches; "
                         f"{m['blocksBelowRange']} of {m['blocks']} blocks below its range, "
                         f"{m['differingElements']} elements differ there")
    if report["errors"] is not None:
        e = report["errors"]
        lines.insert(-2, f"- relative RMS error vs FP8: median {e['median']:.4f}, max {e['max']:.4f} "
                         f"over {e['count']} tensors")
    if report["tensors"]:
        lines += ["| tensor | shape | rel. RMS error vs the source | finite |", "| --- | --- | --- | --- |"]
        for t in report["tensors"][:64]:
            err = "n/a" if t["relRmsError"] is None else f"{t['relRmsError']:.4f}"
            lines.append(f"| `{t['name']}` | {t['shape']} | {err} | {t['finite']} |")
        if len(report["tensors"]) > 64:
            lines.append(f"| ... {len(report['tensors']) - 64} more in the JSON report | | | |")
        lines.append("")
    fwd = report["forward"]
    if fwd:
        err = "n/a" if fwd["relRmsError"] is None else f"{fwd['relRmsError']:.4f}"
        lines.append(f"Block forward (`{fwd['block']}`, {fwd['tokens']} tokens): output rel. RMS error {err}, "
                     f"finite: {fwd['finite']}")
    mf = report["modelForward"]
    if mf:
        lines.append(f"Model-code forward ({mf['modelType']} in transformers {mf['transformers']}, {mf['layers']} "
                     f"layers{', W4A4' if mf['w4a4'] else ''}): logit cosine {mf['cosineMean']:.4f}, top-1 agreement "
                     f"{mf['top1Agreement']:.3f}, finite: {mf['finite']}")
    gen = report["generation"]
    lines.append(f"Generation: {gen.get('text')!r}" if gen["ran"] else f"Generation: {gen['reason']}")
    if report["problems"]:
        lines += ["", "Problems:"] + [f"- {p}" for p in report["problems"]]
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    require_packages("NVFP4 verification", {"torch": "torch", "safetensors": "safetensors"})
    import safetensors
    import torch

    if not hasattr(torch, "float8_e4m3fn"):
        fail(f"torch {torch.__version__} has no float8_e4m3fn: verification needs torch >= 2.1")
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else ("cpu" if args.device == "auto" else args.device)
    torch.manual_seed(args.seed)
    started = time.time()

    try:
        ckpt = Checkpoint(args.checkpoint)
        reference = Checkpoint(args.reference) if args.reference else None
    except CheckpointError as err:
        fail(str(err), EXIT_USAGE)
    fmt = detect_format(ckpt)
    modules = quantized_modules(ckpt, fmt)
    log(f"{args.checkpoint}: {fmt} NVFP4, {len(modules)} quantized Linears, {len(ckpt.files)} tensors; device {device}; "
        f"safetensors {safetensors.__version__}, torch {torch.__version__}")
    if reference is None:
        log("no --reference: weights are checked for NaN/Inf only, not compared with the FP8 source", "warning")

    layout, problems = check_layout(ckpt)
    log(f"layout: {layout['shards']} shards opened with safe_open, {layout['tensors']} tensors read, "
        f"{layout['tensorBytes']} tensor bytes" + ("" if not problems else f"; {len(problems)} problems"))
    metric(progress=0.1)

    checked, bad = check_finite(torch, ckpt)
    if bad:
        problems.append(f"{len(bad)} tensors contain NaN/Inf (first: {bad[0]})")
    log(f"NaN/Inf scan: {checked} floating tensors, {len(bad)} bad")
    metric(progress=0.3, tensorsDone=checked)

    groups_checked, group_problems = check_fused_groups(ckpt, fmt, modules)
    problems += group_problems
    log(f"fused groups: {groups_checked} checked, {len(group_problems)} with different global scales")

    kept = None
    if reference is not None:
        kept, kept_problems = check_kept(torch, ckpt, reference, fmt, modules, device)
        problems += kept_problems
        log(f"kept tensors: {kept['identical']} bit-identical to the source, {kept['reencoded']} re-encoded and equal, "
            f"{len(kept_problems)} problems")

    block_prefix, block_modules = find_expert(modules)
    sample = pick_sample(modules, args.max_tensors)
    for name in block_modules or ():
        if name not in sample:
            sample.append(name)
    tensors = []
    nvfp4_weights = {}
    fp8_weights = {}
    mxfp4 = {"weights": 0, "blocks": 0, "blocksBelowRange": 0, "differingElements": 0}
    for i, module in enumerate(sample):
        w = dequantize_nvfp4(torch, ckpt, fmt, module, device)
        finite = bool(torch.isfinite(w).all().item())
        error = None
        source = None
        if reference is not None and module + ".weight" not in reference:
            problems.append(f"{module}: the reference has no {module}.weight (a name the source does not have)")
        elif reference is not None:
            exact, why_not = dequantize_reference(torch, reference, module, device)
            if exact is None:
                log(why_not, "warning")
            elif exact.shape != w.shape:
                problems.append(f"{module}: shape {list(w.shape)} differs from the reference {list(exact.shape)}")
            else:
                error = relative_rms_error(torch, w, exact)
                source = "fp8"
                if is_mxfp4(torch, reference, module):
                    source = "mxfp4"
                    counts, mxfp4_problems = check_mxfp4(
                        torch, reference, module, w, exact, global_scale(ckpt, fmt, module), device)
                    problems += mxfp4_problems
                    mxfp4["weights"] += 1
                    for key, value in counts.items():
                        mxfp4[key] += value
                if block_modules and module in block_modules:
                    fp8_weights[module] = exact
        if block_modules and module in block_modules:
            nvfp4_weights[module] = w
        if not finite:
            problems.append(f"{module}: dequantized weight has NaN/Inf")
        if error is not None and error > ERROR_FAIL:
            problems.append(f"{module}: relative RMS error {error:.3f} > {ERROR_FAIL} (nibble order or scale relation wrong?)")
        elif error is not None and error > ERROR_WARN:
            log(f"{module}: relative RMS error {error:.3f} is high", "warning")
        tensors.append({"name": module, "shape": list(w.shape), "source": source, "relRmsError": error,
                        "finite": finite})
        metric(progress=0.3 + 0.5 * (i + 1) / len(sample), tensorsDone=checked + i + 1, tensorsTotal=checked + len(sample))

    fp4_check = None
    if modules:
        same, why_not = torch_fp4_crosscheck(torch, ckpt, fmt, modules[0])
        if same is None:
            log(f"torch float4_e2m1fn_x2 cross-check skipped: {why_not}")
        else:
            fp4_check = same
            log(f"torch float4_e2m1fn_x2 decodes {modules[0]} " + ("exactly like the E2M1 table (low nibble first)"
                                                                   if same else "DIFFERENTLY from the E2M1 table"))
            if not same:
                problems.append(f"{modules[0]}: torch's float4_e2m1fn_x2 decoding differs from the low-nibble-first table")

    if mxfp4["weights"]:
        log(f"MXFP4 sources: {mxfp4['weights']} weights, {mxfp4['blocksBelowRange']} of {mxfp4['blocks']} blocks "
            f"below E4M3's range under the global scale, {mxfp4['differingElements']} elements differ from the source")
    # The FP8 quantization error; MXFP4 sources are re-expressed, not quantized, and checked above.
    errors = [t["relRmsError"] for t in tensors if t["relRmsError"] is not None and t["source"] == "fp8"]
    summary_errors = None
    if errors:
        summary_errors = {"count": len(errors), "median": statistics.median(errors), "max": max(errors),
                          "mean": sum(errors) / len(errors)}
        log(f"relative RMS error vs FP8 over {len(errors)} tensors: median {summary_errors['median']:.4f}, "
            f"mean {summary_errors['mean']:.4f}, max {summary_errors['max']:.4f}")
        if args.expect_gaussian and not GAUSSIAN_BAND[0] <= summary_errors["median"] <= GAUSSIAN_BAND[1]:
            problems.append(f"median relative RMS error {summary_errors['median']:.4f} is outside the NVFP4 band "
                            f"{GAUSSIAN_BAND} for Gaussian-like weights")
    elif args.expect_gaussian:
        problems.append("--expect-gaussian needs --reference and at least one FP8-sourced quantized tensor")

    forward = None
    if block_modules:
        gate = nvfp4_weights[block_modules[0]]
        x = torch.randn(8, gate.shape[1], device=device)
        y = expert_forward(torch, [nvfp4_weights[m] for m in block_modules], x)
        out_finite = bool(torch.isfinite(y).all().item())
        out_error = None
        if all(m in fp8_weights for m in block_modules):
            y_ref = expert_forward(torch, [fp8_weights[m] for m in block_modules], x)
            out_error = relative_rms_error(torch, y, y_ref)
        forward = {"block": block_prefix, "tokens": x.shape[0], "finite": out_finite, "relRmsError": out_error}
        if not out_finite:
            problems.append(f"block forward through {block_prefix} produced NaN/Inf")
        if out_error is not None and out_error > FORWARD_FAIL:
            problems.append(f"block forward through {block_prefix}: output relative RMS error {out_error:.3f} > {FORWARD_FAIL}")
        log(f"block forward {block_prefix}: finite={out_finite}" +
            ("" if out_error is None else f", output rel. RMS error vs FP8 {out_error:.4f}"))
    else:
        log("no quantized MLP/expert block found for the forward check", "warning")
    metric(progress=0.85)

    model_forward = None
    if args.forward_layers != 0 and reference is not None:
        if not has_package("transformers"):
            log("transformers is not installed: skipping the model-code forward check", "warning")
        else:
            from forward_check import forward_check

            try:
                model_forward = forward_check(torch, args.checkpoint, args.reference, tokens=32, batch=1,
                                              seed=args.seed, device=device,
                                              max_layers=None if args.forward_layers < 0 else args.forward_layers)
                problems += model_forward["problems"]
            except CheckpointError as err:
                problems.append(f"the model-code forward check cannot load it: {err}")
    metric(progress=0.95)

    generation = try_vllm(args, torch)
    metric(progress=1.0)

    report = {
        "checkpoint": os.path.basename(os.path.normpath(args.checkpoint)),
        "format": fmt,
        "quantizedModules": len(modules),
        "reference": os.path.basename(os.path.normpath(args.reference)) if args.reference else None,
        "versions": {"torch": torch.__version__, "safetensors": safetensors.__version__},
        "layout": layout,
        "finite": {"checked": checked, "bad": bad},
        "fusedGroups": groups_checked,
        "torchFp4Decode": fp4_check,
        "kept": kept,
        "mxfp4": mxfp4 if mxfp4["weights"] else None,
        "errors": summary_errors,
        "tensors": tensors,
        "maxRelRmsError": max(errors) if errors else None,
        "meanRelRmsError": sum(errors) / len(errors) if errors else None,
        "forward": forward,
        "modelForward": model_forward,
        "generation": generation,
        "problems": problems,
        "passed": not problems,
        "seconds": round(time.time() - started, 1),
    }
    artifact("QUALITY_REPORT", report, markdown_report(report))
    result(summary={k: report[k] for k in ("format", "quantizedModules", "maxRelRmsError", "meanRelRmsError", "passed")})
    if problems:
        fail(f"verification failed: {'; '.join(problems[:5])}", EXIT_FAILED)
    log("verification passed")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted", "warning")
        sys.exit(EXIT_INTERRUPTED)
