"""DeepSeek V3 / V4 checkpoints in transformers' own modeling code, for the forward check and calibrate.

A checkpoint (the FP8 source, or fp4kit's NVFP4 output in either format) is decoded weight by
weight and loaded into transformers' `DeepseekV3ForCausalLM` / `DeepseekV4ForCausalLM`, so the
forward pass is the model's own code, not ours. Names go from the checkpoint's to the model's with
transformers' own renaming rules (`conversion_mapping.get_checkpoint_conversion_mapping`, the
rules `from_pretrained` applies to DeepSeek's V4 layout; V3's HF layout already uses the model's
names). Routed experts are one stacked parameter per layer in the model
(`experts.gate_up_proj[E, 2I, H]`, `experts.down_proj[E, H, I]`): expert E's gate (`w1` /
`gate_proj`) fills rows [0, I) of `gate_up_proj[E]`, its up (`w3` / `up_proj`) rows [I, 2I), its
down (`w2` / `down_proj`) `down_proj[E]`, as transformers' MergeModulelist + Concatenate do.

Engines run a fused group (expert w1+w3, shared experts, V3 q_a_proj+kv_a_proj_with_mqa, V4
wq_a+wkv, compressor wkv+wgate) as one GEMM with one weight global scale and one activation scale,
so the loader does the same (`engine_group_scales`): a group whose members were quantized with
different global scales is decoded wrong here, as it would be there. W4A4 outputs run with their
activations quantized to NVFP4 the way the engines do (`quantized_activations`).
"""

import contextlib
import re
from collections import defaultdict

from fp4kit_checkpoint import CheckpointError, decode_fp8, decode_mxfp4, decode_nvfp4, fp8_scale_name
from fp4kit_fused_groups import fused_group_key

FAMILIES = {"deepseek_v3": "deepseek-v3", "deepseek_v4": "deepseek-v4"}
EXPERT = re.compile(r"^(?P<experts>.*\.experts)\.(?P<index>\d+)\.(?P<proj>w1|w2|w3|gate_proj|up_proj|down_proj)$")
# Each layout names its routed experts' projections in its own vocabulary.
EXPERT_PROJECTIONS = {"deepseek_v3": ("gate_proj", "up_proj", "down_proj"), "deepseek_v4": ("w1", "w3", "w2")}
GATE, UP = ("w1", "gate_proj"), ("w3", "up_proj")
E2M1_BOUNDS = (0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0)


def model_type(config):
    kind = config.get("model_type")
    if kind not in FAMILIES:
        raise CheckpointError(
            f"config.json model_type {kind!r}: the model-code check runs {', '.join(sorted(FAMILIES))}")
    return kind


def build_config(config, max_layers=None):
    """transformers' config from a checkpoint's config.json, without its quantization_config (the
    loader decodes the weights itself), eager attention and experts, optionally the first layers only."""
    from transformers import AutoConfig

    fields = {k: v for k, v in config.items() if k not in ("quantization_config", "architectures", "auto_map")}
    kind = model_type(fields)
    fields.pop("model_type")
    if max_layers is not None and max_layers < fields["num_hidden_layers"]:
        fields["num_hidden_layers"] = max_layers
        for key in ("layer_types", "mlp_layer_types", "compress_ratios"):
            if isinstance(fields.get(key), list):
                fields[key] = fields[key][:max_layers]
    cfg = AutoConfig.for_model(kind, **fields)
    cfg._attn_implementation = "eager"
    cfg._experts_implementation = "eager"
    return cfg


def build_model(config, torch, dtype, device, max_layers=None):
    from transformers import AutoModelForCausalLM

    cfg = build_config(config, max_layers)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
    return model.eval()


class NameMap:
    """Checkpoint tensor names -> the model's parameter names, with transformers' rules."""

    def __init__(self, kind, num_layers):
        from transformers.conversion_mapping import get_checkpoint_conversion_mapping

        self.kind = kind
        self.num_layers = num_layers
        rules = get_checkpoint_conversion_mapping(kind) or []
        self.renames = [r for r in rules if type(r).__name__ == "WeightRenaming"]
        self.layer = re.compile(r"^(?:model\.)?layers\.(\d+)\.")

    def model_name(self, name):
        """The model's name for a checkpoint tensor name (experts still per expert)."""
        for rule in self.renames:
            name, _ = rule.rename_source_key(name)
        if self.kind == "deepseek_v4" and name != "lm_head.weight" and not name.startswith("model."):
            name = "model." + name
        return name

    def not_run(self, name):
        """Why a checkpoint tensor has no place in the model run, or None when it must have one."""
        if self.kind == "deepseek_v4" and name.startswith("mtp."):
            return "MTP (transformers' DeepSeek-V4 does not instantiate it)"
        m = self.layer.match(name)
        if m and int(m.group(1)) >= self.num_layers:
            return "a layer past the ones run (V3's MTP layer, or --max-layers)"
        return None


class CheckpointLinear:
    """One Linear of a checkpoint as stored, decoded when placed (state_dict): NVFP4 packed codes,
    group scales and the scalars; FP8 or MXFP4 codes (weight) and their block scale (scales); or a plain
    weight."""

    def __init__(self, kind, weight=None, global_scale=None, input_scale=None, packed=None, scales=None):
        self.kind = kind  # "nvfp4" | "fp8" | "mxfp4" | "plain"
        self.weight = weight
        self.global_scale = global_scale
        self.input_scale = input_scale
        self.packed = packed
        self.scales = scales


def scalar(tensor):
    return tensor.float().reshape(-1)[0].item()


def read_checkpoint(torch, ckpt, name_map, names=None):
    """Every tensor the model run needs (of `names`, default all): {module: CheckpointLinear} for
    2-D weights and {name: tensor} for the rest, plus the names left out and why."""
    names = set(ckpt.names() if names is None else names)
    linears = {}
    others = {}
    skipped = {}
    used = set()
    for name in sorted(names):
        if name in used:
            continue
        why = name_map.not_run(name)
        if why is not None:
            skipped[name] = why
            continue
        if name.endswith(".weight_packed"):  # compressed-tensors NVFP4
            m = name[: -len(".weight_packed")]
            parts = [f"{m}.weight_packed", f"{m}.weight_scale", f"{m}.weight_global_scale"]
            require(ckpt, m, parts, "compressed-tensors NVFP4")
            inv = scalar(ckpt.get(f"{m}.weight_global_scale"))
            input_scale = None
            if f"{m}.input_global_scale" in names:
                parts.append(f"{m}.input_global_scale")
                input_scale = 1.0 / scalar(ckpt.get(f"{m}.input_global_scale"))
            linears[m] = CheckpointLinear("nvfp4", global_scale=1.0 / inv, input_scale=input_scale,
                                       packed=ckpt.get(parts[0]), scales=ckpt.get(parts[1]))
            used.update(parts)
        elif name.endswith(".weight_scale_2"):  # ModelOpt NVFP4
            m = name[: -len(".weight_scale_2")]
            parts = [f"{m}.weight", f"{m}.weight_scale", f"{m}.weight_scale_2", f"{m}.input_scale"]
            require(ckpt, m, parts, "ModelOpt NVFP4")
            linears[m] = CheckpointLinear("nvfp4", global_scale=scalar(ckpt.get(parts[2])),
                                       input_scale=scalar(ckpt.get(parts[3])),
                                       packed=ckpt.get(parts[0]), scales=ckpt.get(parts[1]))
            used.update(parts)
    for name in sorted(names - used):
        if name in skipped or not name.endswith(".weight"):
            continue
        m = name[: -len(".weight")]
        weight = ckpt.get(name)
        if weight.dtype == torch.float8_e4m3fn:
            scale = fp8_scale_name(ckpt, m) or (f"{m}.weight_scale" if f"{m}.weight_scale" in names else None)
            if scale is None:
                raise CheckpointError(f"{name} is FP8 E4M3 without a block scale "
                                      f"({m}.weight_scale_inv, {m}.scale or {m}.weight_scale)")
            linears[m] = CheckpointLinear("fp8", weight=weight, scales=ckpt.get(scale))
            used.update([name, scale])
        elif weight.dtype in (torch.uint8, torch.int8) and (scale := fp8_scale_name(ckpt, m)) is not None \
                and ckpt.get(scale).dtype == torch.float8_e8m0fnu:  # MXFP4 (the original V4 releases' experts)
            linears[m] = CheckpointLinear("mxfp4", weight=weight, scales=ckpt.get(scale))
            used.update([name, scale])
        elif weight.dtype == torch.uint8:
            raise CheckpointError(f"{name} is packed FP4 without NVFP4 scales ({m}.weight_scale_2 or "
                                  f"{m}.weight_packed naming): not a format this check reads")
        elif weight.dim() == 2 and not m.endswith(("embed", "embed_tokens", "head", "lm_head")) and \
                not m.endswith(".gate"):
            linears[m] = CheckpointLinear("plain", weight=weight)
            used.add(name)
    for name in sorted(names - used):
        if name not in skipped:
            others[name] = ckpt.get(name)
    return linears, others, skipped


def require(ckpt, module, parts, fmt):
    missing = [p for p in parts if p not in ckpt]
    if missing:
        raise CheckpointError(f"{module}: {fmt} needs {', '.join(parts)}; missing {', '.join(missing)}")


def engine_group_scales(linears, fmt):
    """The one weight global scale and one input scale engines use per fused group of NVFP4 Linears.

    vLLM keeps w1's global scale for an expert's w13 GEMM (`w13_weight_global_scale[:, 0]`) and the
    smallest input global scale (largest input_scale) of w1/w3; for a merged Linear it keeps the
    largest stored global scale (compressed-tensors stores 1/gs, so the smallest gs; ModelOpt the
    largest gs) and the largest input_scale (vllm/model_executor/layers/quantization/
    compressed_tensors/compressed_tensors_moe.py, schemes/compressed_tensors_w4a4_nvfp4.py,
    modelopt.py)."""
    groups = defaultdict(list)
    for module, linear in linears.items():
        key = fused_group_key(module) if linear.kind == "nvfp4" else None
        if key is not None:
            groups[key].append(module)
    chosen = {}
    for key, members in groups.items():
        gate = [m for m in members if m.endswith(GATE)]
        if EXPERT.match(members[0]) and gate:
            gs = linears[gate[0]].global_scale
        else:
            values = [linears[m].global_scale for m in members]
            gs = min(values) if fmt == "compressed-tensors" else max(values)
        inputs = [linears[m].input_scale for m in members if linears[m].input_scale is not None]
        for m in members:
            chosen[m] = (gs, max(inputs) if inputs else None)
    return chosen


def state_dict(torch, params, ckpt, fmt, name_map, dtype, names=None, device="cpu"):
    """The state dict of the model parameters `params` (name -> tensor, for shapes) from a checkpoint
    (its tensors `names`, default all), on `device` in `dtype`, and the checkpoint modules behind each
    weight. Each weight is decoded on the device in float32 and stored in `dtype` as it is placed, so
    one decoded float32 weight exists at a time (a V4-Pro layer's routed experts are 25 G parameters)."""
    linears, others, skipped = read_checkpoint(torch, ckpt, name_map, names)
    group = engine_group_scales(linears, fmt)
    block = ckpt.fp8_block()

    def decode(module, linear):
        if linear.kind == "nvfp4":
            gs, input_scale = group.get(module, (linear.global_scale, linear.input_scale))
            return decode_nvfp4(torch, linear.packed, linear.scales, gs, device), input_scale
        if linear.kind == "fp8":
            return decode_fp8(torch, linear.weight, linear.scales, block, device), None
        if linear.kind == "mxfp4":
            return decode_mxfp4(torch, linear.weight, linear.scales, device), None
        return linear.weight.to(device), None

    out = {}
    inputs = {}
    experts = []
    for module, linear in linears.items():
        target = name_map.model_name(module + ".weight")
        m = EXPERT.match(name_map.model_name(module))
        if m and m.group("proj") not in EXPERT_PROJECTIONS[name_map.kind]:
            raise CheckpointError(f"{module}.weight: {name_map.kind} names its routed experts' projections "
                                  f"{', '.join(EXPERT_PROJECTIONS[name_map.kind])}, not {m.group('proj')}")
        if m:
            experts.append((m.group("experts"), int(m.group("index")), m.group("proj"), module, linear))
            continue
        weight, input_scale = decode(module, linear)
        place(out, params, target, weight.to(dtype), module + ".weight")
        inputs[target] = [(module, input_scale)]
    for prefix, index, proj, module, linear in sorted(experts, key=lambda e: e[:3]):
        stacked = f"{prefix}.down_proj" if proj in ("w2", "down_proj") else f"{prefix}.gate_up_proj"
        if stacked not in params:
            raise CheckpointError(f"{module}.weight: the model has no {stacked} for it")
        if stacked not in out:
            out[stacked] = torch.zeros(params[stacked].shape, dtype=dtype, device=device)
        rows = params[stacked].shape[1] // 2
        target = out[stacked][index] if stacked.endswith("down_proj") else \
            out[stacked][index, :rows] if proj in GATE else out[stacked][index, rows:]
        weight, input_scale = decode(module, linear)
        if tuple(target.shape) != tuple(weight.shape):
            raise CheckpointError(f"{module}.weight: shape {list(weight.shape)}, the model's slot of "
                                  f"{stacked} is {list(target.shape)}")
        target.copy_(weight)
        inputs.setdefault((stacked, index), []).append((module, input_scale))
    for name, tensor in others.items():
        tensor = tensor.to(device)
        place(out, params, name_map.model_name(name), tensor.to(dtype) if tensor.is_floating_point() else tensor, name)
    missing = sorted(set(params) - set(out))
    if missing:
        raise CheckpointError(f"the model's {missing[0]} has no tensor in {ckpt.folder}"
                              + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))
    return out, inputs, skipped


def place(out, params, target, tensor, source):
    if target not in params:
        raise CheckpointError(f"{source}: the model has no parameter {target} for it (a name the model does not know)")
    if target in out:
        raise CheckpointError(f"{source}: {target} is filled twice")
    want = tuple(params[target].shape)
    if tuple(tensor.shape) != want:
        raise CheckpointError(f"{source}: shape {list(tensor.shape)}, the model's {target} is {list(want)}")
    out[target] = tensor


def load_checkpoint(torch, model, ckpt, fmt, name_map, dtype, device):
    """Loads a checkpoint into the model; returns the input scales keyed by weight storage."""
    sd, inputs, skipped = state_dict(torch, dict(model.state_dict()), ckpt, fmt, name_map, dtype, device=device)
    model.load_state_dict(sd, strict=True)
    model.to(device)
    return WeightIndex(torch, model, inputs), skipped


class WeightIndex:
    """The checkpoint modules behind each weight an F.linear call receives (by storage and offset),
    so a torch function mode can act on a Linear's input: an nn.Linear's weight, or one expert's
    slice of a stacked expert parameter."""

    def __init__(self, torch, model, inputs, prefix=""):
        params = {prefix + name: p for name, p in model.named_parameters()}
        self.by_key = {}
        for target, members in inputs.items():
            if isinstance(target, tuple):
                stacked, index = target
                p = params[stacked]
                key = (p.untyped_storage().data_ptr(), p.storage_offset() + index * p.stride(0))
            else:
                p = params[target]
                key = (p.untyped_storage().data_ptr(), p.storage_offset())
            self.by_key.setdefault(key, []).extend(members)

    def members(self, weight):
        return self.by_key.get((weight.untyped_storage().data_ptr(), weight.storage_offset()))


def quantize_activations_nvfp4(torch, x, input_scale):
    """x as NVFP4 activations with global scale 1/input_scale, the engines' dynamic quantization:
    per 16 values an E4M3 scale of amax/6 x gs (saturated at 448), E2M1 codes rounded to nearest
    (ties to even), decoded back (vLLM `scaled_fp4_quant`, FlashInfer `fp4_quantize`)."""
    shape = x.shape
    xf = x.float().reshape(-1, shape[-1] // 16, 16)
    gs = 1.0 / input_scale
    amax = xf.abs().amax(dim=-1, keepdim=True)
    scale = (amax * gs / 6.0).clamp(max=448.0).to(torch.float8_e4m3fn).float()
    safe = torch.where(scale == 0, torch.ones_like(scale), scale)
    y = (xf * gs / safe).abs().clamp(max=6.0)
    grid = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0], device=x.device)
    bounds = torch.tensor(E2M1_BOUNDS, device=x.device)
    # Ties to even: at 0.25, 1.25, 2.5 and 5 round down (bucketize right=False), 0.75, 1.75, 3.5 up.
    idx = torch.bucketize(y, bounds, right=False)
    up_ties = torch.isin(y, torch.tensor([0.75, 1.75, 3.5], device=x.device))
    idx = torch.where(up_ties, torch.bucketize(y, bounds, right=True), idx)
    q = grid[idx] * torch.sign(xf) * torch.where(scale == 0, torch.zeros_like(scale), scale) / gs
    return q.reshape(shape).to(x.dtype)


@contextlib.contextmanager
def linear_inputs(torch, root, index, on_input):
    """Within it, every Linear input under `root` whose weight the index knows is handed to
    on_input(members, x) and the Linear runs on what it returns: F.linear calls (nn.Linear, and the
    routed experts' slices of their stacked parameters) through a torch function mode, Linears that
    compute with another op (V4's grouped wo_a: bmm) through a forward pre-hook."""
    from torch.overrides import TorchFunctionMode

    linear = torch.nn.functional.linear

    class Mode(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func is linear:
                members = index.members(args[1])
                if members is not None:
                    args = (on_input(members, args[0]), *args[1:])
            return func(*args, **kwargs)

    def pre_hook(members):
        return lambda module, args: (on_input(members, args[0]), *args[1:])

    hooks = []
    for module in root.modules():
        if isinstance(module, torch.nn.Linear) and type(module).forward is not torch.nn.Linear.forward:
            members = index.members(module.weight)
            if members is not None:
                hooks.append(module.register_forward_pre_hook(pre_hook(members)))
    try:
        with Mode():
            yield
    finally:
        for hook in hooks:
            hook.remove()


def quantized_activations(torch, members, x):
    """W4A4: the input of an NVFP4 Linear with an input scale, quantized as the engine does with
    its fused group's scale; other Linears' inputs as they are."""
    scales = [s for _, s in members if s is not None]
    return quantize_activations_nvfp4(torch, x, max(scales)) if scales else x
