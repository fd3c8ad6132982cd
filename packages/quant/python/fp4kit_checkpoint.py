"""Reading safetensors checkpoints and decoding their weights, for fp4kit's Python scripts.

One reader for the FP8 sources fp4kit converts and the NVFP4 checkpoints it writes, written from
the formats' descriptions (packages/quant/docs/output-formats.md, nvfp4-math.md), not from
fp4kit's TypeScript:

- FP8 source: `<m>.weight` F8_E4M3 with a block scale, `<m>.weight_scale_inv` (HF layout) or
  `<m>.scale` (DeepSeek V4 layout), F32 or F8_E8M0, block from config.json's
  `quantization_config.weight_block_size` (ragged edges covered by the last block).
- compressed-tensors NVFP4: `<m>.weight_packed` (U8, two E2M1 codes a byte, element 2k in the low
  nibble), `<m>.weight_scale` (E4M3 per 16 inputs), `<m>.weight_global_scale` (1/gs) and, for
  W4A4, `<m>.input_global_scale` (1/input_scale); an FP8 weight kept as FP8 block carries
  `<m>.weight_scale` as F32.
- ModelOpt NVFP4: `<m>.weight` (U8 codes), `<m>.weight_scale` (E4M3), `<m>.weight_scale_2` (gs),
  `<m>.input_scale`.
- MXFP4 source (the original DeepSeek V4 releases' routed experts): `<m>.weight` packed E2M1 (U8 or
  I8, element 2k in the low nibble) with `<m>.scale` F8_E8M0, one per 32 inputs.
"""

import json
import os

E2M1_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0]
GROUP = 16
MXFP4_BLOCK = 32
# E2M1's largest magnitude times E4M3's: a global scale maps a tensor's amax onto this.
NVFP4_RANGE = 6.0 * 448.0


class CheckpointError(Exception):
    """A checkpoint that cannot be read as the format it claims to be; the message names the tensor."""


class Checkpoint:
    """Tensor name -> shard file of a safetensors checkpoint (sharded with an index, or single)."""

    def __init__(self, folder):
        from safetensors import safe_open

        self.folder = folder
        self.index = None
        index = os.path.join(folder, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index, encoding="utf-8") as f:
                self.index = json.load(f)
            self.files = dict(self.index["weight_map"])
        elif os.path.exists(os.path.join(folder, "model.safetensors")):
            with safe_open(os.path.join(folder, "model.safetensors"), framework="pt") as f:
                self.files = {name: "model.safetensors" for name in f.keys()}
        else:
            raise CheckpointError(f"{folder} has neither model.safetensors.index.json nor model.safetensors")
        self._open = {}
        config_path = os.path.join(folder, "config.json")
        self.config = {}
        if os.path.exists(config_path):
            with open(config_path, encoding="utf-8") as f:
                self.config = json.load(f)

    def __contains__(self, name):
        return name in self.files

    def names(self):
        return sorted(self.files)

    def shards(self):
        return sorted(set(self.files.values()))

    def handle(self, file):
        from safetensors import safe_open

        if file not in self._open:
            self._open[file] = safe_open(os.path.join(self.folder, file), framework="pt")
        return self._open[file]

    def get(self, name):
        return self.handle(self.files[name]).get_tensor(name)

    def fp8_block(self):
        block = (self.config.get("quantization_config") or {}).get("weight_block_size") or [128, 128]
        return int(block[0]), int(block[1])


def unpack_fp4(torch, packed, device):
    """uint8 [rows, cols/2] -> codes [rows, cols]; element 2k is the low nibble, 2k+1 the high one."""
    packed = packed.to(device)
    low = packed & 0x0F
    high = packed >> 4
    return torch.stack([low, high], dim=-1).reshape(packed.shape[0], packed.shape[1] * 2).long()


def decode_nvfp4(torch, packed, scales, global_scale, device):
    """E2M1 code x E4M3 group scale x gs, float32 [rows, cols]."""
    codes = unpack_fp4(torch, packed, device)
    values = torch.tensor(E2M1_VALUES, dtype=torch.float32, device=device)[codes]
    group_scale = scales.to(device).float().repeat_interleave(GROUP, dim=1)[:, : values.shape[1]]
    return values * group_scale * global_scale


def decode_mxfp4(torch, packed, scale, device):
    """e2m1(code) x 2^(e8m0 - 127), float32 [rows, cols]; an E8M0 0xff (NaN) stays NaN."""
    values = torch.tensor(E2M1_VALUES, dtype=torch.float32, device=device)[
        unpack_fp4(torch, packed.view(torch.uint8), device)]
    return values * scale.to(device).float().repeat_interleave(MXFP4_BLOCK, dim=1)[:, : values.shape[1]]


def expand_block_scale(scale, rows, cols, block):
    """[ceil(rows/br), ceil(cols/bc)] -> [rows, cols]; a [1, 1] scale covers the whole tensor."""
    if scale.numel() == 1:
        return scale.reshape(1, 1).expand(rows, cols)
    br, bc = block
    return scale.repeat_interleave(br, dim=0)[:rows].repeat_interleave(bc, dim=1)[:, :cols]


def fp8_scale_name(ckpt, module):
    """The block-scale companion of an FP8 source weight, or None."""
    for suffix in (".weight_scale_inv", ".scale"):
        if module + suffix in ckpt:
            return module + suffix
    return None


def decode_fp8(torch, weight, scale, block, device):
    """FP8 E4M3 weight x its block scale (F32, or E8M0 exponents), float32."""
    w = weight.to(device).float()
    return w * expand_block_scale(scale.to(device).float(), w.shape[0], w.shape[1], block)
