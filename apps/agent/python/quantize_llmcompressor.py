#!/usr/bin/env python3
"""Path B: calibrated W4A4 NVFP4 with llm-compressor (compressed-tensors output).

Loads the FP8 checkpoint dequantized to BF16 (transformers' FineGrainedFP8Config(dequantize=True),
device_map="auto" with an NVMe offload folder), calibrates with `oneshot` using the sequential
pipeline (one decoder block on the GPU at a time) and `moe_calibrate_all_experts=True` (every
routed expert sees calibration tokens), and saves with `save_compressed=True`.

The modules left unquantized are the ones Path A preserves: the fp4kit agent derives them from
@fp4kit/quant's plan of the checkpoint and passes them with --ignore-file (exact module names);
--ignore adds names or "re:<regex>" patterns. Not resumable: a crash restarts calibration.

    python quantize_llmcompressor.py --src DeepSeek-V4-Pro-FP8 --dst DeepSeek-V4-Pro-NVFP4-llmcompressor \
        --num-samples 256 --max-seq-len 4096
"""

import argparse
import json
import os
import sys
import time

# The JSON-lines messages every fp4kit script prints: @fp4kit/quant's python folder, which the agent
# puts on PYTHONPATH (pythonScriptEnv of @fp4kit/quant/python).
from fp4kit_jsonl import EXIT_INTERRUPTED, EXIT_USAGE, fail, log, metric, require_packages, result


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", required=True, help="FP8 checkpoint folder")
    p.add_argument("--dst", required=True, help="output folder (compressed-tensors NVFP4)")
    p.add_argument("--num-samples", type=int, default=256)
    p.add_argument("--max-seq-len", type=int, default=4096)
    p.add_argument("--dataset", default="HuggingFaceH4/ultrachat_200k")
    p.add_argument("--dataset-split", default="train_sft")
    p.add_argument("--ignore", action="append", default=[], help="module name or re:<regex> to keep unquantized")
    p.add_argument("--ignore-file", help="JSON array of module names to keep unquantized (Path A's plan)")
    p.add_argument("--offload-folder", help="where device_map=auto offloads weights (default: <dst>.offload)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--trust-remote-code", action="store_true",
                   help="let transformers run Python files shipped in the checkpoint folder (off by default)")
    return p.parse_args()


def folder_bytes(path):
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def read_ignore(args):
    ignore = list(args.ignore)
    if args.ignore_file:
        with open(args.ignore_file, encoding="utf-8") as f:
            names = json.load(f)
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            fail(f"--ignore-file {args.ignore_file} must hold a JSON array of module names", EXIT_USAGE)
        ignore += names
    return ignore


def check_ignore_matches(model, ignore):
    """Path A's names come from checkpoint tensors; warn (or fail) when the model's modules differ."""
    import re

    import torch

    linear_names = {name for name, module in model.named_modules() if isinstance(module, torch.nn.Linear)}
    exact = [n for n in ignore if not n.startswith("re:")]
    unmatched = [n for n in exact if n not in linear_names]
    if exact and len(unmatched) == len(exact):
        fail(
            "none of the modules to keep unquantized exists in the loaded model "
            f"(e.g. {unmatched[0]!r}); its module names differ from the checkpoint's tensor names "
            "(DeepSeek V4 layouts are renamed by transformers): pass --ignore re:<regex> patterns instead"
        )
    if unmatched:
        log(f"{len(unmatched)} of {len(exact)} modules to ignore are not Linear modules of the model "
            f"(first: {unmatched[0]}); they are skipped", "warning")
    patterns = [re.compile(n[3:]) for n in ignore if n.startswith("re:")]
    kept = sum(1 for name in linear_names if name in set(exact) or any(p.search(name) for p in patterns))
    log(f"{len(linear_names)} Linear modules; {kept} kept unquantized, {len(linear_names) - kept} quantized to NVFP4")


def main():
    args = parse_args()
    require_packages(
        "Path B calibration (llm-compressor)",
        {"torch": "torch", "transformers": "transformers", "datasets": "datasets",
         "llmcompressor": "llmcompressor", "compressed_tensors": "compressed-tensors"},
    )
    import torch
    from datasets import load_dataset
    from llmcompressor import oneshot
    from llmcompressor.modifiers.quantization import QuantizationModifier
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not os.path.isdir(args.src):
        fail(f"--src {args.src} is not a folder", EXIT_USAGE)
    if not torch.cuda.is_available():
        fail("Path B needs a CUDA GPU: torch.cuda.is_available() is False")
    os.makedirs(args.dst, exist_ok=True)
    ignore = read_ignore(args)
    started = time.time()

    with open(os.path.join(args.src, "config.json"), encoding="utf-8") as f:
        source_config = json.load(f)
    source_quant = (source_config.get("quantization_config") or {}).get("quant_method")

    log(f"loading {args.src} (source quantization: {source_quant or 'none'}) with device_map=auto")
    metric(progress=0.02)
    load_kwargs = {
        "dtype": torch.bfloat16,
        "device_map": "auto",
        "offload_folder": args.offload_folder or f"{args.dst.rstrip('/')}.offload",
        "trust_remote_code": args.trust_remote_code,
    }
    if source_quant == "fp8":
        # Calibration runs on BF16 weights: dequantize the FP8 blocks while loading.
        from transformers import FineGrainedFP8Config

        load_kwargs["quantization_config"] = FineGrainedFP8Config(dequantize=True)
    model = AutoModelForCausalLM.from_pretrained(args.src, **load_kwargs)
    tokenizer = AutoTokenizer.from_pretrained(args.src, trust_remote_code=args.trust_remote_code)
    moe_classes = sorted({type(m).__name__ for m in model.modules() if type(m).__name__.lower().endswith("moe")})
    log(f"model loaded in {time.time() - started:.0f} s; MoE block classes: {', '.join(moe_classes) or 'none found'}")
    check_ignore_matches(model, ignore)
    metric(progress=0.1)

    log(f"calibration data: {args.num_samples} samples of {args.dataset} [{args.dataset_split}], "
        f"max {args.max_seq_len} tokens")
    try:
        ds = load_dataset(args.dataset, split=f"{args.dataset_split}[:{args.num_samples}]")
    except Exception as err:  # offline hosts: the dataset must be in the HF cache
        fail(f"cannot load calibration dataset {args.dataset}: {err}. On an offline host, download it "
             "into the Hugging Face cache first (HF_HOME) or pass --dataset with a local path")
    ds = ds.shuffle(seed=args.seed)

    def to_text(example):
        if "messages" in example:
            return {"text": tokenizer.apply_chat_template(example["messages"], tokenize=False)}
        return {"text": example["text"]}

    def tokenize(sample):
        return tokenizer(sample["text"], padding=False, max_length=args.max_seq_len,
                         truncation=True, add_special_tokens=False)

    ds = ds.map(to_text)
    ds = ds.map(tokenize, remove_columns=ds.column_names)
    metric(progress=0.15)

    recipe = QuantizationModifier(targets="Linear", scheme="NVFP4", ignore=ignore)
    log("calibrating: oneshot, sequential pipeline, all experts calibrated (this takes hours on a large MoE)")
    oneshot(
        model=model,
        dataset=ds,
        recipe=recipe,
        max_seq_length=args.max_seq_len,
        num_calibration_samples=args.num_samples,
        pipeline="sequential",
        moe_calibrate_all_experts=True,
    )
    metric(progress=0.9)

    log(f"saving compressed-tensors NVFP4 to {args.dst}")
    model.save_pretrained(args.dst, save_compressed=True)
    tokenizer.save_pretrained(args.dst)
    output_bytes = folder_bytes(args.dst)
    metric(progress=1.0, outputBytes=output_bytes)
    result(
        summary={"numSamples": args.num_samples, "maxSeqLen": args.max_seq_len, "dataset": args.dataset,
                 "ignored": len(ignore), "seconds": round(time.time() - started)},
        input_bytes=folder_bytes(args.src),
        output_bytes=output_bytes,
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted: calibration is not resumable, the output folder is incomplete", "warning")
        sys.exit(EXIT_INTERRUPTED)
