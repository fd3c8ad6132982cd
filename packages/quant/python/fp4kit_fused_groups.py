"""The groups of Linears that engines fuse into one GEMM, for fp4kit's Python scripts.

The TypeScript presets (packages/quant/src/rules) decide the groups a conversion uses; this is the
Python scripts' copy of the same patterns, kept in one place for the verify script and the numpy
benchmark. Each regex maps a module name to its group key.
"""

import re

FUSED_GROUPS = [
    re.compile(r"^(.*\.mlp\.experts\.\d+)\.(?:gate|up)_proj$"),
    re.compile(r"^(.*\.mlp\.shared_experts)\.(?:gate|up)_proj$"),
    re.compile(r"^(.*\.mlp)\.(?:gate|up)_proj$"),
    re.compile(r"^(.*\.self_attn)\.(?:q_a_proj|kv_a_proj_with_mqa)$"),
    re.compile(r"^(.*\.ffn\.experts\.\d+)\.w[13]$"),
    re.compile(r"^(.*\.ffn\.shared_experts)\.w[13]$"),
    re.compile(r"^(.*\.attn)\.(?:wq_a|wkv)$"),
    re.compile(r"^(.*\.compressor)\.(?:wkv|wgate)$"),
]


def fused_group_key(module):
    """The group key of a module that engines fuse with others, or None."""
    for pattern in FUSED_GROUPS:
        m = pattern.match(module)
        if m:
            return m.group(1)
    return None
