#!/usr/bin/env python3
"""Times `fp4kit calibrate` (python/calibrate.py) on a GPU host, on synthetic DeepSeek V4 checkpoints
with DeepSeek-V4-Pro's layer dimensions and fewer routed experts, and projects V4-Pro.

Each checkpoint (test/python/tiny_checkpoint.py with V4-Pro's dimensions: hidden 7168, 128 heads of
512, q LoRA 1536, 16 output groups of LoRA 1024, indexer 64 x 128, mHC 4, vocabulary 129280, experts
of 3072, top-6) has --layers decoder layers (one compressed sparse, one heavily compressed, ...) and
E routed experts for each E of --experts. calibrate.py runs every expert on every token, so a
layer's time is a + b * E (attention, loading and routing, plus the experts); the fit over the
expert counts gives the time of a layer with V4-Pro's 384 experts, times its 61 layers.

Prints one JSON object per measurement and one with the projection.

    python3 bench/calibrate_bench.py /tmp/calib-bench --experts 16,48 --layers 2
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TINY_CHECKPOINT = os.path.join(HERE, "..", "test", "python", "tiny_checkpoint.py")
CALIBRATE = os.path.join(HERE, "..", "python", "calibrate.py")
V4_PRO = dict(
    vocab_size=129280, hidden_size=7168, moe_intermediate_size=3072, num_attention_heads=128, head_dim=512,
    q_lora_rank=1536, num_experts_per_tok=6, n_shared_experts=1, o_groups=16, o_lora_rank=1024,
    index_n_heads=64, index_head_dim=128, index_topk=512, sliding_window=128, hc_mult=4,
    compress_rates={"compressed_sparse_attention": 4, "heavily_compressed_attention": 128},
)
V4_PRO_LAYERS = 61
V4_PRO_EXPERTS = 384


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", help="working folder (checkpoints are written here)")
    p.add_argument("--experts", default="16,48", help="routed expert counts to time, comma-separated")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--max-tokens", type=int, default=65536, help="calibration tokens (calibrate's default)")
    p.add_argument("--seq-len", type=int, default=512)
    p.add_argument("--device", default="cuda", help="torch device calibrate runs on (cpu: a dry run of this script)")
    return p.parse_args()


def main():
    args = parse_args()
    kinds = ["compressed_sparse_attention", "heavily_compressed_attention"]
    points = []
    for experts in [int(e) for e in args.experts.split(",")]:
        folder = os.path.join(args.dir, f"v4pro-{args.layers}l-{experts}e")
        config = {**V4_PRO, "n_routed_experts": experts, "num_hidden_layers": args.layers,
                  "layer_types": [kinds[i % 2] for i in range(args.layers)],
                  "mlp_layer_types": ["moe"] * args.layers}
        started = time.time()
        if not os.path.exists(os.path.join(folder, "config.json")):
            subprocess.run([sys.executable, TINY_CHECKPOINT, folder, "--family", "deepseek-v4",
                            "--config", json.dumps(config)], check=True)
        made = time.time() - started
        started = time.time()
        run = subprocess.run([sys.executable, CALIBRATE, "--src", folder, "--out", folder + ".calibration.json",
                              "--device", args.device, "--tokenizer", "bytes", "--max-tokens", str(args.max_tokens),
                              "--seq-len", str(args.seq_len)], capture_output=True, text=True)
        total = time.time() - started
        layer_seconds = [float(m.group(1)) for m in re.finditer(r"layer \d+/\d+: ([\d.]+) s", run.stdout)]
        point = {"experts": experts, "layers": args.layers, "tokens": args.max_tokens, "generateSeconds": round(made, 1),
                 "calibrateSeconds": round(total, 1), "layerSeconds": layer_seconds, "exit": run.returncode}
        if run.returncode != 0:
            point["tail"] = (run.stdout + run.stderr)[-2000:]
        print(json.dumps(point), flush=True)
        if layer_seconds:
            points.append((experts, sum(layer_seconds) / len(layer_seconds)))
    if len(points) >= 2:
        (e0, t0), (e1, t1) = points[0], points[-1]
        per_expert = (t1 - t0) / (e1 - e0)
        fixed = t0 - per_expert * e0
        layer = fixed + per_expert * V4_PRO_EXPERTS
        print(json.dumps({"projection": "DeepSeek-V4-Pro, one GPU", "secondsPerLayer": round(layer, 1),
                          "fixedSecondsPerLayer": round(fixed, 2), "secondsPerExpertPerLayer": round(per_expert, 3),
                          "minutes": round(layer * V4_PRO_LAYERS / 60, 1)}), flush=True)


if __name__ == "__main__":
    main()
