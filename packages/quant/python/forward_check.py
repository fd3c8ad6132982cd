#!/usr/bin/env python3
"""Runs an NVFP4 checkpoint and its FP8 source in transformers' own DeepSeek modeling code and
compares the logits on fixed tokens.

Both checkpoints are decoded as engines decode them (fp4kit_model.py: one global scale and one
input scale per fused GEMM; W4A4 outputs with activations quantized to NVFP4 from their input
scales) and loaded into the same DeepseekV3ForCausalLM / DeepseekV4ForCausalLM. Passes when every
logit is finite, the mean cosine similarity of the logits per token is at least --min-cosine and
the share of tokens whose top-1 token agrees is at least --min-top1. JSON lines (fp4kit_jsonl.py).

    python forward_check.py OUT --reference SRC                 # a whole (small) model
    python forward_check.py OUT --reference SRC --max-layers 1  # the first block of a real one
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fp4kit_checkpoint import Checkpoint, CheckpointError  # noqa: E402
from fp4kit_jsonl import EXIT_FAILED, artifact, fail, log, metric, require_packages, result  # noqa: E402
from fp4kit_model import (  # noqa: E402
    NameMap,
    build_model,
    linear_inputs,
    load_checkpoint,
    model_type,
    quantized_activations,
)

# Bounds (justified in docs/forward-check.md): on the tests' tiny random models, correct NVFP4
# outputs give a mean logit cosine of 0.945-0.975 and top-1 agreement of 0.58-0.71 (W4A16 and W4A4,
# V3 and V4); every planted defect gives at most 0.70 and 0.19.
DEFAULT_MIN_COSINE = 0.90
DEFAULT_MIN_TOP1 = 0.40
FORMATS = {"compressed-tensors": "compressed-tensors", "modelopt": "modelopt", "fp8": "fp8"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="NVFP4 checkpoint folder (fp4kit convert's output)")
    p.add_argument("--reference", required=True, help="the FP8 checkpoint it was converted from")
    p.add_argument("--tokens", type=int, default=128, help="tokens per sequence")
    p.add_argument("--batch", type=int, default=2, help="sequences")
    p.add_argument("--seed", type=int, default=0, help="seed of the fixed token ids")
    p.add_argument("--max-layers", type=int, default=None, help="run only the first N decoder layers")
    p.add_argument("--min-cosine", type=float, default=DEFAULT_MIN_COSINE)
    p.add_argument("--min-top1", type=float, default=DEFAULT_MIN_TOP1)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"],
                   help="compute dtype (auto: float32 on the CPU, bfloat16 on CUDA)")
    return p.parse_args()


def quant_method(ckpt):
    """compressed-tensors, modelopt or fp8. NVIDIA's V4 ModelOpt layout keeps the source's FP8
    quantization_config and marks its NVFP4 experts with moe_quant_algo (docs/output-formats.md)."""
    config = ckpt.config.get("quantization_config") or {}
    method = config.get("quant_method")
    if method not in FORMATS:
        raise CheckpointError(f"{ckpt.folder}/config.json: quantization_config.quant_method {method!r}, "
                              f"expected one of {', '.join(FORMATS)}")
    if method == "fp8" and config.get("moe_quant_algo") == "NVFP4":
        return "modelopt"
    return FORMATS[method]


def same_model(ref, out):
    """The architecture fields of both config.json files agree (quantization_config aside)."""
    # expert_dtype: V4's precision of the routed experts ("fp4" in NVIDIA's NVFP4 layout), not architecture.
    skip = {"quantization_config", "torch_dtype", "dtype", "transformers_version", "expert_dtype"}
    a = {k: v for k, v in ref.config.items() if k not in skip}
    b = {k: v for k, v in out.config.items() if k not in skip}
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    if diff:
        raise CheckpointError(f"config.json of {out.folder} and {ref.folder} differ in {', '.join(diff[:5])}")


def run(torch, model, tokens, index=None):
    """The logits; with the index of a W4A4 checkpoint, its Linears' inputs quantized to NVFP4."""
    with torch.no_grad():
        if index is None:
            return model(tokens, use_cache=False).logits.float()
        with linear_inputs(torch, model, index, lambda members, x: quantized_activations(torch, members, x)):
            return model(tokens, use_cache=False).logits.float()


def compare(torch, logits, ref):
    a = logits.reshape(-1, logits.shape[-1])
    b = ref.reshape(-1, ref.shape[-1])
    cosine = torch.nn.functional.cosine_similarity(a, b, dim=-1)
    top1 = (a.argmax(dim=-1) == b.argmax(dim=-1)).float()
    rel = (torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b)).item()
    return {
        "finite": bool(torch.isfinite(a).all().item()),
        "cosineMean": cosine.mean().item(),
        "cosineMin": cosine.min().item(),
        "top1Agreement": top1.mean().item(),
        "relRmsError": rel,
        "tokens": a.shape[0],
    }


def forward_check(torch, checkpoint, reference, tokens=128, batch=2, seed=0, max_layers=None, device="cpu",
                  dtype=None, min_cosine=DEFAULT_MIN_COSINE, min_top1=DEFAULT_MIN_TOP1):
    """Runs both checkpoints in the model code on the same fixed tokens; returns the report.
    Raises CheckpointError when either cannot be loaded into the model."""
    import transformers

    dtype = dtype or (torch.bfloat16 if device == "cuda" else torch.float32)
    started = time.time()
    ref = Checkpoint(reference)
    out = Checkpoint(checkpoint)
    kind = model_type(ref.config)
    same_model(ref, out)
    ref_format, out_format = quant_method(ref), quant_method(out)
    torch.manual_seed(seed)
    model = build_model(ref.config, torch, dtype, device, max_layers)
    layers = model.config.num_hidden_layers
    names = NameMap(kind, layers)
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, model.config.vocab_size, (batch, tokens), generator=generator).to(device)
    log(f"forward check: {kind} in transformers {transformers.__version__} ({layers} layers, {dtype}, {device}); "
        f"{batch}x{tokens} fixed tokens (seed {seed})")
    index, skipped = load_checkpoint(torch, model, ref, ref_format, names, dtype, device)
    if skipped:
        first = next(iter(skipped))
        log(f"{len(skipped)} tensors not run (e.g. {first}: {skipped[first]})")
    ref_logits = run(torch, model, ids)
    index, _ = load_checkpoint(torch, model, out, out_format, names, dtype, device)
    w4a4 = any(s is not None for members in index.by_key.values() for _, s in members)
    log(f"{checkpoint}: {out_format}" + (", W4A4: activations quantized to NVFP4 with the checkpoint's input "
                                         "scales" if w4a4 else ", weight-only"))
    stats = compare(torch, run(torch, model, ids, index if w4a4 else None), ref_logits)
    del model
    problems = []
    if not stats["finite"]:
        problems.append("logits have NaN/Inf")
    if not stats["cosineMean"] >= min_cosine:
        problems.append(f"mean cosine similarity of the logits {stats['cosineMean']:.4f} < {min_cosine}")
    if not stats["top1Agreement"] >= min_top1:
        problems.append(f"top-1 agreement {stats['top1Agreement']:.3f} < {min_top1}")
    log(f"logits vs FP8: cosine mean {stats['cosineMean']:.4f} (min {stats['cosineMin']:.4f}), "
        f"top-1 agreement {stats['top1Agreement']:.3f}, relative RMS {stats['relRmsError']:.4f}, "
        f"finite {stats['finite']}")
    return {
        "checkpoint": os.path.basename(os.path.normpath(checkpoint)),
        "reference": os.path.basename(os.path.normpath(reference)),
        "modelType": kind,
        "format": out_format,
        "w4a4": w4a4,
        "layers": layers,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "bounds": {"minCosine": min_cosine, "minTop1": min_top1},
        **stats,
        "problems": problems,
        "passed": not problems,
        "seconds": round(time.time() - started, 1),
    }


def main():
    args = parse_args()
    require_packages("the forward check",
                     {"torch": "torch", "safetensors": "safetensors", "transformers": "transformers"})
    import torch

    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else (
        "cpu" if args.device == "auto" else args.device)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}.get(args.dtype)
    try:
        report = forward_check(torch, args.checkpoint, args.reference, args.tokens, args.batch, args.seed,
                               args.max_layers, device, dtype, args.min_cosine, args.min_top1)
    except CheckpointError as err:
        fail(f"cannot load into transformers' model: {err}", EXIT_FAILED)
    metric(progress=1.0)
    artifact("QUALITY_REPORT", report)
    result(summary={k: report[k] for k in ("format", "w4a4", "cosineMean", "top1Agreement", "passed")})
    if report["problems"]:
        fail(f"forward check failed: {'; '.join(report['problems'])}", EXIT_FAILED)
    log("forward check passed")


if __name__ == "__main__":
    main()
