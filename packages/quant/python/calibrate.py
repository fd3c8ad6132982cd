#!/usr/bin/env python3
"""Calibrates activation input scales for W4A4 NVFP4: the largest |input| of every Linear of an
FP8 DeepSeek V3 / V4 checkpoint over a calibration text, measured in transformers' own modeling
code, written as the calibration file `fp4kit convert --calibration-file` takes
({"format": "fp4kit-calibration", "version": 1, "kind": "amax", "modules": {...}}).

Layer by layer: the model is built with its decoder layers left out (only embeddings and the
model's own prologue: masks, rotary tables, mHC streams), the calibration batches' inputs to layer 0
are captured, then each decoder layer in turn is built, loaded from the FP8 checkpoint (decoded
to --dtype), run on every batch, and freed, so one layer's weights are on the device at a time.

Every routed expert is calibrated: before each MoE layer's natural forward, its experts module is
run once more on every token with every expert (as ModelOpt's MoE calibration does), so an expert
that natural routing rarely or never picks still gets its own down-projection amax; the natural
routing's token counts are reported. Modules the model code never runs (MTP layers, which
transformers does not instantiate) get the fallback: the largest amax of the same projection
kind (e.g. `ffn.experts.*.w2`) over the decoder layers, and are listed as such. Members of a fused
group (w1+w3, q_a+kv_a, wq_a+wkv, compressor wkv+wgate) read the same input and get one value, the
group's largest.

    python calibrate.py --src DeepSeek-V4-Pro-FP8 --out calibration.json [--text FILE]
"""

import argparse
import gc
import json
import os
import re
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fp4kit_checkpoint import Checkpoint, CheckpointError  # noqa: E402
from fp4kit_fused_groups import fused_group_key  # noqa: E402
from fp4kit_jsonl import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, artifact, fail, log, metric, require_packages, result  # noqa: E402
from fp4kit_model import EXPERT, NameMap, WeightIndex, build_config, linear_inputs, model_type, state_dict  # noqa: E402

DEFAULT_TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "calibration", "fp4kit-calibration.txt")
LAYER = re.compile(r"^(?:model\.)?layers\.(\d+)\.")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", required=True, help="FP8 checkpoint folder")
    p.add_argument("--out", required=True, help="calibration file to write (JSON)")
    p.add_argument("--text", default=DEFAULT_TEXT, help="calibration text (UTF-8; default: the one shipped)")
    p.add_argument("--seq-len", type=int, default=512, help="tokens per sequence")
    p.add_argument("--max-tokens", type=int, default=65536, help="calibration tokens at most")
    p.add_argument("--batch", type=int, default=8, help="sequences per forward")
    p.add_argument("--tokenizer", default="auto", choices=["auto", "bytes"],
                   help="auto: the checkpoint's tokenizer; bytes: UTF-8 bytes as token ids (models without one)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"])
    p.add_argument("--trust-remote-code", action="store_true",
                   help="let the tokenizer run Python files shipped in the checkpoint folder (the model is "
                        "always transformers' own code)")
    return p.parse_args()


def check_out(path):
    """--out may be written: its folder exists, and it is no other file (a calibration file is replaced)."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        fail(f"--out {path}: the folder {folder} does not exist", EXIT_USAGE)
    if os.path.isdir(path):
        fail(f"--out {path} is a folder; give the calibration file's path (e.g. {path}/calibration.json)", EXIT_USAGE)
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as f:
                existing = json.load(f)
        except (OSError, ValueError):
            existing = None
        if not isinstance(existing, dict) or existing.get("format") != "fp4kit-calibration":
            fail(f"--out {path} exists and is not an fp4kit calibration file: not overwritten", EXIT_USAGE)


def token_ids(torch, args, config):
    try:
        with open(args.text, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as err:
        fail(f"--text {args.text}: cannot read it as UTF-8 text ({err})", EXIT_USAGE)
    if args.tokenizer == "bytes" or (args.tokenizer == "auto" and not has_tokenizer(args.src)):
        if config.get("vocab_size", 0) < 256:
            fail(f"--tokenizer bytes needs a vocabulary of at least 256 tokens ({config.get('vocab_size')})", EXIT_USAGE)
        ids = list(text.encode("utf-8"))
        how = "UTF-8 bytes as token ids"
    else:
        from transformers import AutoTokenizer

        # verbose=False: the whole text is longer than the model's context on purpose; it is cut below.
        tokenizer = AutoTokenizer.from_pretrained(args.src, trust_remote_code=args.trust_remote_code)
        ids = tokenizer.encode(text, add_special_tokens=False, verbose=False)
        how = "the checkpoint's tokenizer"
    ids = ids[: args.max_tokens]
    usable = len(ids) // args.seq_len * args.seq_len
    if usable == 0:
        fail(f"{args.text}: {len(ids)} tokens, fewer than one sequence of --seq-len {args.seq_len}", EXIT_USAGE)
    return torch.tensor(ids[:usable]).reshape(-1, args.seq_len), how


def has_tokenizer(folder):
    return any(os.path.exists(os.path.join(folder, f)) for f in ("tokenizer.json", "tokenizer.model"))


class Captured(Exception):
    """Raised by the stand-in for layer 0 once it has the layer's inputs."""

    def __init__(self, args, kwargs):
        super().__init__("captured")
        self.args = args
        self.kwargs = kwargs


def model_without_layers(torch, kind, config, dtype, device):
    """The model with stand-ins for its decoder layers (no weights), the layer class, and the
    module names of its embedding."""
    import importlib

    from transformers import AutoModelForCausalLM

    modeling = importlib.import_module(f"transformers.models.{kind}.modeling_{kind}")
    layer_class = next(getattr(modeling, n) for n in dir(modeling) if n.endswith("DecoderLayer"))

    class StandIn(torch.nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()

        def forward(self, *args, **kwargs):
            raise Captured(args, kwargs)

    setattr(modeling, layer_class.__name__, StandIn)
    try:
        with torch.device(device):
            model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    finally:
        setattr(modeling, layer_class.__name__, layer_class)
    return model.eval(), layer_class


class Amax:
    """Largest |input| seen per checkpoint module, and natural-routing token counts per expert."""

    def __init__(self):
        self.values = defaultdict(float)
        self.natural_tokens = defaultdict(int)
        self.all_experts = False

    def record(self, members, x):
        amax = x.detach().abs().max().item() if x.numel() else 0.0
        for module, _ in members:
            self.values[module] = max(self.values[module], amax)
            if not self.all_experts and EXPERT.match(module):
                self.natural_tokens[module] += x.shape[0]
        return x


def all_experts_hook(torch, amax):
    """Runs the experts module on every token with every expert before its natural forward."""

    def hook(experts, args):
        hidden, top_k_index, top_k_weights = args[:3]
        count = experts.num_experts
        every = torch.arange(count, device=hidden.device).expand(hidden.shape[0], count)
        ones = torch.ones(every.shape, dtype=top_k_weights.dtype, device=hidden.device)
        amax.all_experts = True
        try:
            experts.forward(hidden, every, ones)
        finally:
            amax.all_experts = False

    return hook


def layer_names(ckpt, index):
    return [n for n in ckpt.names() if (m := LAYER.match(n)) and int(m.group(1)) == index]


def projection_kind(module):
    """A module name with its layer and expert numbers folded: the fallback's key."""
    return re.sub(r"\.\d+\.", ".*.", re.sub(r"^(?:model\.)?(layers|mtp)\.\d+\.", r"\1.*.", module))


def fuse_groups(values):
    groups = defaultdict(list)
    for module in values:
        key = fused_group_key(module)
        if key is not None:
            groups[key].append(module)
    for members in groups.values():
        top = max(values[m] for m in members)
        for m in members:
            values[m] = top


def not_run_linears(ckpt, names):
    """FP8 Linears of the checkpoint outside the layers the model code runs (MTP)."""
    out = []
    for name in ckpt.names():
        if name.endswith(".weight") and names.not_run(name) is not None:
            t = ckpt.handle(ckpt.files[name]).get_slice(name)
            if t.get_dtype() == "F8_E4M3" and len(t.get_shape()) == 2:
                out.append(name[: -len(".weight")])
    return out


def markdown_report(report, out):
    lines = [
        f"# Calibration of {report['source']}",
        "",
        f"- model: {report['modelType']}, {report['layers']} decoder layers run in transformers' model code",
        f"- text: {report['tokens']} tokens ({report['tokenizer']})",
        f"- {report['modules']} Linears with an amax, {report['experts']} of them routed-expert projections, "
        f"every expert on every token (natural routing alone would have left "
        f"{report['expertsNaturalRoutingMissed']} gate/up projections without a token)",
        f"- {len(report['fallback'])} Linears the model code never runs (MTP) took the largest amax of the "
        "same projection in the decoder layers",
        f"- written to `{out}` in {report['seconds']} s: convert with `--calibration-file {out}`",
    ]
    return "\n".join(lines) + "\n"


def main():
    args = parse_args()
    require_packages("calibration", {"torch": "torch", "safetensors": "safetensors", "transformers": "transformers"})
    import torch

    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else (
        "cpu" if args.device == "auto" else args.device)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}.get(args.dtype) or (
        torch.bfloat16 if device == "cuda" else torch.float32)
    started = time.time()
    try:
        ckpt = Checkpoint(args.src)
        kind = model_type(ckpt.config)
        quantization = ckpt.config.get("quantization_config") or {}
        method = quantization.get("quant_method")
        if method != "fp8" or "moe_quant_algo" in quantization:
            found = json.dumps(method) + (f" with moe_quant_algo {json.dumps(quantization['moe_quant_algo'])}"
                                          if "moe_quant_algo" in quantization else "")
            raise CheckpointError(f"{args.src}: calibrate reads the FP8 source checkpoint "
                                  f"(quantization_config.quant_method \"fp8\"), found {found}")
    except CheckpointError as err:
        fail(str(err), EXIT_USAGE)
    check_out(args.out)
    config = build_config(ckpt.config)
    layers = config.num_hidden_layers
    names = NameMap(kind, layers)
    batches, how = token_ids(torch, args, ckpt.config)
    log(f"calibrating {kind} ({layers} layers) on {batches.numel()} tokens of {args.text} ({how}), "
        f"{batches.shape[0]} sequences of {args.seq_len}; {dtype} on {device}, one layer at a time")

    model, layer_class = model_without_layers(torch, kind, config, dtype, device)
    prologue = [n for n in ckpt.names() if not LAYER.match(n) and not names.not_run(n)]
    params = dict(model.state_dict())
    sd, _, _ = state_dict(torch, params, ckpt, "fp8", names, dtype,
                          names=[n for n in prologue if names.model_name(n) in params], device=device)
    model.load_state_dict(sd, strict=False)
    inputs = []
    with torch.no_grad():
        for batch in batches.split(args.batch):
            try:
                model(batch.to(device), use_cache=False)
            except Captured as captured:
                inputs.append((list(captured.args), captured.kwargs))
    del model, sd
    metric(progress=0.02)

    amax = Amax()
    layers_started = time.time()
    for index in range(layers):
        layer_started = time.time()
        with torch.device(device):
            layer = layer_class(config, index).to(dtype).eval()
        prefix = f"model.layers.{index}."
        lparams = {prefix + k: v for k, v in layer.state_dict().items()}
        sd, weights, _ = state_dict(torch, lparams, ckpt, "fp8", names, dtype, names=layer_names(ckpt, index),
                                    device=device)
        layer.load_state_dict({k[len(prefix):]: v for k, v in sd.items()}, strict=True)
        weight_index = WeightIndex(torch, layer, weights, prefix=prefix)
        hooks = [m.register_forward_pre_hook(all_experts_hook(torch, amax))
                 for m in layer.modules() if type(m).__name__.endswith("Experts")]
        with torch.no_grad(), linear_inputs(torch, layer, weight_index, amax.record):
            for i, (layer_args, kwargs) in enumerate(inputs):
                out = layer(*layer_args, **kwargs)
                layer_args[0] = out[0] if isinstance(out, tuple) else out
        for h in hooks:
            h.remove()
        del layer, sd, weight_index
        gc.collect()
        if device == "cuda":
            torch.cuda.empty_cache()
        seconds = time.time() - layer_started
        log(f"layer {index + 1}/{layers}: {seconds:.1f} s")
        # The agent's metric fields (MetricValuesSchema): progress, and the remaining layers at this pace.
        per_layer = (time.time() - layers_started) / (index + 1)
        metric(progress=round(0.02 + 0.93 * (index + 1) / layers, 4), etaSeconds=round(per_layer * (layers - index - 1), 1))

    values = dict(amax.values)
    fallback = {}
    by_kind = defaultdict(float)
    for module, value in values.items():
        by_kind[projection_kind(module)] = max(by_kind[projection_kind(module)], value)
    no_value = []
    for module in not_run_linears(ckpt, names):
        key = projection_kind(module).replace("mtp.*.", "layers.*.")
        if by_kind.get(key):
            values[module] = by_kind[key]
            fallback[module] = key
        else:
            no_value.append(module)
    if no_value:
        # e.g. MTP's input projections, which every preset keeps unquantized; a conversion that
        # would quantize one stops and names it.
        log(f"{len(no_value)} Linears the model code never runs have no counterpart in the decoder layers and "
            f"get no value: {', '.join(no_value[:4])}{' ...' if len(no_value) > 4 else ''}")
    fuse_groups(values)
    experts = [m for m in values if EXPERT.match(m) and m not in fallback]
    unrouted = sorted(m for m in experts if amax.natural_tokens.get(m, 0) == 0 and not m.endswith(("w2", "down_proj")))
    zero = sorted(m for m, v in values.items() if v <= 0)
    if zero:
        fail(f"{len(zero)} modules saw only zeros (first: {zero[0]}): the calibration text reaches no signal there",
             EXIT_FAILED)
    document = {"format": "fp4kit-calibration", "version": 1, "kind": "amax", "modules": dict(sorted(values.items()))}
    tmp = f"{args.out}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, args.out)
    metric(progress=1.0)
    report = {
        "source": os.path.basename(os.path.normpath(args.src)),
        "modelType": kind,
        "layers": layers,
        "tokens": int(batches.numel()),
        "tokenizer": how,
        "modules": len(values),
        "experts": len(experts),
        "expertsNaturalRoutingMissed": len(unrouted),
        "fallback": fallback,
        "seconds": round(time.time() - started, 1),
    }
    log(f"{len(values)} modules calibrated ({len(experts)} routed-expert projections, all on every token; natural "
        f"routing alone would have left {len(unrouted)} gate/up projections without tokens); "
        f"{len(fallback)} never run by the model code took the fallback; written to {args.out}")
    artifact("QUALITY_REPORT", report, markdown_report(report, args.out))
    result(summary={k: v for k, v in report.items() if k != "fallback"})


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted", "warning")
        sys.exit(EXIT_INTERRUPTED)
