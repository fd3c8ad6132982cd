#!/usr/bin/env python3
"""Writes a tiny random DeepSeek V3 or V4 model, built with transformers' own classes, as an FP8
checkpoint in the layout the real releases use, for the forward check and calibrate tests.

- deepseek-v3: HF layout (`model.layers.L.mlp.experts.E.gate_proj.weight`, ...), FP8 Linears
  with `<m>.weight_scale_inv` F32 128x128 block scales.
- deepseek-v4: DeepSeek's own layout (`layers.L.attn.wq_a.weight`, `layers.L.ffn.experts.E.w1.weight`,
  `hc_attn_fn`, `attn.indexer.compressor.wkv`, ...), FP8 Linears with `<m>.scale`, F32 or E8M0
  (`--scale e8m0`, powers of two as in the original releases). Compressor, indexer weights_proj,
  router and embeddings BF16; mHC, sinks, `ape` and router bias F32; `tid2eid` I32.

Names go from the model's to the checkpoint's with TO_CHECKPOINT (the inverse of transformers'
renaming rules, docs/forward-check.md), and every name is checked to map back with transformers'
own rules (fp4kit_model.NameMap). The model has a few layers of each kind V4 has (sliding window,
heavily compressed, compressed sparse with the lightning indexer; hash and top-k routed MoE; mHC
with 2 streams) and one MTP block (`mtp.0` in V4, `model.layers.<num_hidden_layers>` in V3), which
the model does not run but the converter converts and calibrate gives its fallback.

Weights (LINEAR_GAIN and below): every expert's w1, w3 and w2 get their own magnitude (x0.5 to
x2), as trained models have, so a checkpoint that mis-scales one member of a fused group changes
the output visibly.

    python tiny_checkpoint.py OUT --family deepseek-v4 --scale e8m0 --seed 0
"""

import argparse
import json
import math
import os
import re
import sys

# quant's Python scripts (packages/quant/python), whose name mapping the checkpoint is checked against.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from fp4kit_model import NameMap  # noqa: E402

FP8_MAX = 448.0
BLOCK = 128
# Linears draw std gain/sqrt(in): 0.3 keeps each block's contribution to the residual stream
# moderate, so NVFP4's error (about 0.095 relative RMS a Linear) adds up over the layers instead of
# being amplified chaotically, as it is at gain 1 in a random network; embeddings have norm about 1,
# so the residual stream is not dominated by the blocks. Router weights are larger so
# that routing decisions have margins (a trained router's are); logits have a standard deviation
# of about 3.
LINEAR_GAIN = 0.3
ROUTER_GAIN = 8.0
HEAD_GAIN = 3.0

V3_CONFIG = dict(
    vocab_size=512, hidden_size=256, intermediate_size=512, moe_intermediate_size=128, num_hidden_layers=3,
    first_k_dense_replace=1, num_attention_heads=4, num_key_value_heads=4, q_lora_rank=128, kv_lora_rank=64,
    qk_rope_head_dim=16, qk_nope_head_dim=32, v_head_dim=32, n_routed_experts=8, num_experts_per_tok=2,
    n_group=2, topk_group=1, n_shared_experts=1, routed_scaling_factor=1.0, max_position_embeddings=512,
    tie_word_embeddings=False,
)
V4_CONFIG = dict(
    vocab_size=512, hidden_size=256, moe_intermediate_size=128, num_hidden_layers=4, num_attention_heads=4,
    head_dim=64, q_lora_rank=128, num_experts_per_tok=2, n_routed_experts=8, n_shared_experts=1, o_groups=2,
    o_lora_rank=64, index_n_heads=2, index_head_dim=32, index_topk=4, sliding_window=8, hc_mult=2,
    layer_types=["sliding_attention", "heavily_compressed_attention", "compressed_sparse_attention",
                 "compressed_sparse_attention"],
    compress_rates={"compressed_sparse_attention": 4, "heavily_compressed_attention": 8},
    mlp_layer_types=["hash_moe", "moe", "moe", "moe"], max_position_embeddings=512, num_nextn_predict_layers=0,
    tie_word_embeddings=False,
)

# Model name -> DeepSeek V4 checkpoint name, applied in order (experts are split separately).
V4_TO_CHECKPOINT = [
    (r"^lm_head\.weight$", "head.weight"),
    (r"^model\.embed_tokens\.weight$", "embed.weight"),
    (r"^model\.hc_head\.hc_(fn|base|scale)$", r"hc_head_\1"),
    (r"^model\.", ""),
    (r"\.self_attn\.compressor\.indexer\.scorer\.weights_proj\.", ".attn.indexer.weights_proj."),
    (r"\.self_attn\.compressor\.indexer\.q_b_proj\.", ".attn.indexer.wq_b."),
    (r"\.self_attn\.compressor\.indexer\.", ".attn.indexer.compressor."),
    (r"\.self_attn\.", ".attn."),
    (r"\.mlp\.", ".ffn."),
    (r"\.compressor\.kv_norm\.", ".compressor.norm."),
    (r"\.compressor\.kv_proj\.", ".compressor.wkv."),
    (r"\.compressor\.gate_proj\.", ".compressor.wgate."),
    (r"\.compressor\.position_bias$", ".compressor.ape"),
    (r"\.q_a_proj\.", ".wq_a."),
    (r"\.q_a_norm\.", ".q_norm."),
    (r"\.q_b_proj\.", ".wq_b."),
    (r"\.kv_proj\.", ".wkv."),
    (r"\.o_a_proj\.", ".wo_a."),
    (r"\.o_b_proj\.", ".wo_b."),
    (r"\.sinks$", ".attn_sink"),
    (r"\.gate\.e_score_correction_bias$", ".gate.bias"),
    (r"\.shared_experts\.gate_proj\.", ".shared_experts.w1."),
    (r"\.shared_experts\.up_proj\.", ".shared_experts.w3."),
    (r"\.shared_experts\.down_proj\.", ".shared_experts.w2."),
    (r"\.input_layernorm\.", ".attn_norm."),
    (r"\.post_attention_layernorm\.", ".ffn_norm."),
    (r"\.attn_hc\.(fn|base|scale)$", r".hc_attn_\1"),
    (r"\.ffn_hc\.(fn|base|scale)$", r".hc_ffn_\1"),
]
EXPERT_NAMES = {"deepseek-v3": ("gate_proj", "up_proj", "down_proj"), "deepseek-v4": ("w1", "w3", "w2")}
# Which checkpoint weights are FP8 block-scaled, as in the real releases.
FP8_WEIGHTS = {
    "deepseek-v3": re.compile(r"\.(self_attn\.(q_proj|q_a_proj|q_b_proj|kv_a_proj_with_mqa|kv_b_proj|o_proj)|mlp\.(experts\.\d+\.|shared_experts\.)?(gate|up|down)_proj|eh_proj)\.weight$"),
    "deepseek-v4": re.compile(r"\.(attn\.(wq_a|wq_b|wkv|wo_a|wo_b|indexer\.wq_b)|ffn\.(experts\.\d+|shared_experts)\.w[123]|[eh]_proj)\.weight$"),
}
F32_TENSORS = re.compile(r"(hc_\w+|attn_sink|\.ape|\.gate\.bias|e_score_correction_bias)$")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", help="folder to write (created)")
    p.add_argument("--family", required=True, choices=sorted(EXPERT_NAMES))
    p.add_argument("--scale", default="f32", choices=["f32", "e8m0"], help="FP8 block scale dtype (E8M0: V4 only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--config", type=json.loads, default={},
                   help="JSON object of config fields over the tiny ones (e.g. a real model's dimensions, for benchmarks)")
    return p.parse_args()


def checkpoint_name(family, name):
    if family == "deepseek-v3":
        return name
    for pattern, replacement in V4_TO_CHECKPOINT:
        name = re.sub(pattern, replacement, name)
    return name


def random_model(torch, family, seed, overrides=None):
    from transformers import DeepseekV3Config, DeepseekV3ForCausalLM, DeepseekV4Config, DeepseekV4ForCausalLM

    torch.manual_seed(seed)
    if family == "deepseek-v3":
        model = DeepseekV3ForCausalLM(DeepseekV3Config(**{**V3_CONFIG, **(overrides or {})}))
    else:
        model = DeepseekV4ForCausalLM(DeepseekV4Config(**{**V4_CONFIG, **(overrides or {})}))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(("experts.gate_up_proj", "experts.down_proj")):
                p.normal_(0, LINEAR_GAIN / math.sqrt(p.shape[2]), generator=g)
                rows = p.shape[1] // 2
                for e in range(p.shape[0]):
                    if name.endswith("gate_up_proj"):
                        p[e, :rows] *= magnitude(torch, g)
                        p[e, rows:] *= magnitude(torch, g)
                    else:
                        p[e] *= magnitude(torch, g)
            elif name.endswith(".gate.weight"):
                p.normal_(0, ROUTER_GAIN / math.sqrt(p.shape[1]), generator=g)
            elif p.dim() == 2 and not name.endswith(("hc_fn", ".fn", "embed_tokens.weight", "lm_head.weight")):
                gain = 1.0 if ".compressor." in name else LINEAR_GAIN
                p.normal_(0, gain / math.sqrt(p.shape[1]), generator=g)
        embed = model.get_input_embeddings().weight
        embed.normal_(0, 1 / math.sqrt(embed.shape[1]), generator=g)
        model.lm_head.weight.normal_(0, HEAD_GAIN / math.sqrt(embed.shape[1]), generator=g)
        for name, b in model.named_buffers():
            if name.endswith("tid2eid"):
                experts = model.config.n_routed_experts
                b.copy_(torch.stack([torch.randperm(experts, generator=g)[: b.shape[1]] for _ in range(b.shape[0])]))
            elif name.endswith("e_score_correction_bias"):
                b.normal_(0, 0.01, generator=g)
    return model.eval()


def magnitude(torch, g):
    return 2.0 ** (torch.rand((), generator=g).item() * 2 - 1)


def quantize_fp8(torch, w, scale_kind):
    """128x128 block scales (amax/448; E8M0: the next power of two up) and E4M3 codes."""
    rows, cols = w.shape
    br, bc = math.ceil(rows / BLOCK), math.ceil(cols / BLOCK)
    padded = torch.zeros(br * BLOCK, bc * BLOCK)
    padded[:rows, :cols] = w
    blocks = padded.reshape(br, BLOCK, bc, BLOCK).abs().amax(dim=(1, 3))
    scale = (blocks / FP8_MAX).clamp(min=2.0 ** -30)
    if scale_kind == "e8m0":
        scale = torch.exp2(torch.ceil(torch.log2(scale)))
    expanded = scale.repeat_interleave(BLOCK, 0)[:rows].repeat_interleave(BLOCK, 1)[:, :cols]
    codes = (w / expanded).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)
    return codes, (scale.to(torch.float8_e8m0fnu) if scale_kind == "e8m0" else scale.float())


def checkpoint_tensors(torch, model, family, scale_kind):
    """(name, tensor) in checkpoint order: the model's state dict renamed, experts split, FP8 applied."""
    out = []
    expert = EXPERT_NAMES[family]
    for name, t in model.state_dict().items():
        t = t.detach().cpu()
        if name.endswith(("experts.gate_up_proj", "experts.down_proj")):
            prefix = checkpoint_name(family, name.rsplit(".", 1)[0])
            rows = t.shape[1] // 2
            for e in range(t.shape[0]):
                parts = [(expert[2], t[e])] if name.endswith("down_proj") else \
                    [(expert[0], t[e, :rows]), (expert[1], t[e, rows:])]
                for proj, w in parts:
                    out.append((f"{prefix}.{e}.{proj}.weight", w.contiguous()))
            continue
        out.append((checkpoint_name(family, name), t))
    out += mtp_tensors(torch, family, out)
    written = []
    scale_suffix = ".weight_scale_inv" if family == "deepseek-v3" else ".scale"
    for name, t in out:
        if FP8_WEIGHTS[family].search(name):
            codes, scale = quantize_fp8(torch, t.float(), scale_kind)
            written += [(name, codes), (name[: -len(".weight")] + scale_suffix, scale)]
        elif name.endswith("tid2eid"):
            written.append((name, t.to(torch.int32)))
        elif F32_TENSORS.search(name):
            written.append((name, t.float().contiguous()))
        else:
            written.append((name, t.to(torch.bfloat16).contiguous()))
    return written


def mtp_tensors(torch, family, tensors):
    """One MTP block in the release's layout, which transformers' model does not run: a MoE decoder
    layer's tensors (V4: without the compressor, MTP attention is sliding-window) under the MTP prefix,
    plus its own norms and input projection(s) (random, LINEAR_GAIN) and output head parts."""
    g = torch.Generator().manual_seed(1)
    by_name = dict(tensors)
    if family == "deepseek-v3":
        source, prefix = "model.layers.2.", "model.layers.3."
        hidden = by_name["model.norm.weight"].shape[0]
        extra = [
            ("embed_tokens.weight", by_name["model.embed_tokens.weight"]),
            ("enorm.weight", torch.ones(hidden)),
            ("hnorm.weight", torch.ones(hidden)),
            ("eh_proj.weight", torch.randn(hidden, 2 * hidden, generator=g) * LINEAR_GAIN / math.sqrt(2 * hidden)),
            ("shared_head.norm.weight", torch.ones(hidden)),
            ("shared_head.head.weight", by_name["lm_head.weight"]),
        ]
    else:
        source, prefix = "layers.1.", "mtp.0."
        hidden = by_name["norm.weight"].shape[0]
        extra = [
            ("enorm.weight", torch.ones(hidden)),
            ("hnorm.weight", torch.ones(hidden)),
            ("e_proj.weight", torch.randn(hidden, hidden, generator=g) * LINEAR_GAIN / math.sqrt(hidden)),
            ("h_proj.weight", torch.randn(hidden, hidden, generator=g) * LINEAR_GAIN / math.sqrt(hidden)),
            ("norm.weight", torch.ones(hidden)),
            *((f"hc_head_{k}", by_name[f"hc_head_{k}"]) for k in ("fn", "base", "scale")),
        ]
    block = [(prefix + name[len(source):], t.clone()) for name, t in tensors
             if name.startswith(source) and ".attn.compressor." not in name]
    return block + [(prefix + name, t.clone()) for name, t in extra]


def config_json(model, family, scale_kind):
    config = model.config.to_dict()
    for key in ("transformers_version", "dtype", "torch_dtype", "_name_or_path", "output_attentions",
                "output_hidden_states", "return_dict", "chunk_size_feed_forward", "is_encoder_decoder",
                "id2label", "label2id", "problem_type"):
        config.pop(key, None)
    config["architectures"] = [type(model).__name__]
    config["torch_dtype"] = "bfloat16"
    config["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                                     "weight_block_size": [BLOCK, BLOCK]}
    if scale_kind == "e8m0":
        config["quantization_config"]["scale_fmt"] = "ue8m0"
    config["num_nextn_predict_layers"] = 1
    return config


def write(torch, folder, tensors, config):
    from safetensors.torch import save_file

    os.makedirs(folder, exist_ok=True)
    halves = [tensors[: len(tensors) // 2], tensors[len(tensors) // 2:]]
    weight_map = {}
    total = 0
    for i, part in enumerate(halves):
        file = f"model-{i + 1:05d}-of-{len(halves):05d}.safetensors"
        save_file(dict(part), os.path.join(folder, file), metadata={"format": "pt"})
        for name, t in part:
            weight_map[name] = file
            total += t.numel() * t.element_size()
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(folder, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, indent=2)
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2)


def check_names_map_back(family, model, tensors):
    """Every checkpoint name maps back to the model's with transformers' own rules."""
    kind = family.replace("-", "_")
    names = NameMap(kind, model.config.num_hidden_layers)
    params = set(model.state_dict())
    for name, _ in tensors:
        if name.endswith((".scale", ".weight_scale_inv")) or names.not_run(name) is not None:
            continue
        target = names.model_name(name)
        target = re.sub(r"\.experts\.\d+\.(w1|w3|gate_proj|up_proj)\.weight$", ".experts.gate_up_proj", target)
        target = re.sub(r"\.experts\.\d+\.(w2|down_proj)\.weight$", ".experts.down_proj", target)
        if target not in params:
            raise SystemExit(f"{name} maps to {target} with transformers' rules, which the model does not have")


def main():
    args = parse_args()
    import torch

    if args.scale == "e8m0" and args.family != "deepseek-v4":
        raise SystemExit("--scale e8m0: E8M0 block scales are a DeepSeek V4 layout")
    model = random_model(torch, args.family, args.seed, args.config)
    tensors = checkpoint_tensors(torch, model, args.family, args.scale)
    check_names_map_back(args.family, model, tensors)
    write(torch, args.out, tensors, config_json(model, args.family, args.scale))
    print(f"{args.out}: {args.family} ({args.scale} scales), {len(tensors)} tensors, "
          f"{sum(t.numel() for _, t in tensors)} elements")


if __name__ == "__main__":
    main()
