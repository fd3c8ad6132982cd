#!/usr/bin/env bash
# The independent check of fp4kit's NVFP4 output (docs/verification.md), in two halves:
#   device-check.sh make  DIR   (here, with Node)   synthetic FP8 checkpoints + their conversions
#   device-check.sh check DIR   (where torch is)    verify_nvfp4.py on each, JSON lines to $OUT or DIR
# Cases: every family and layout, both output formats, E8M0 scales, MXFP4 experts, fused attention.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="${1:?usage: device-check.sh make|check DIR}"
dir="${2:?usage: device-check.sh make|check DIR}"
# name | source family | variant | convert options
cases=(
  "v3-ct|deepseek-v3|fp8|"
  "v32-ct|deepseek-v3.2|fp8|"
  "v4-ct|deepseek-v4|fp8|"
  "v4-mxfp4-ct|deepseek-v4|mxfp4|"
  "v4-attn-ct|deepseek-v4|fp8|--quantize-attention"
  "v3-modelopt|deepseek-v3|fp8|--format modelopt --input-scale 0.01"
  "v4-modelopt|deepseek-v4|fp8|--format modelopt --input-scale 0.02"
)

if [[ "$mode" == make ]]; then
  fp4kit=(node "$here/../bin/fp4kit.js")
  rm -rf "$dir" && mkdir -p "$dir"
  for c in "${cases[@]}"; do
    IFS='|' read -r name family variant options <<<"$c"
    src="$dir/src-$family-$variant"
    [[ -d "$src" ]] || "${fp4kit[@]}" synth "$src" --family "$family" --variant "$variant" --shards 2 >/dev/null
    # shellcheck disable=SC2086 # options are words
    "${fp4kit[@]}" convert --src "$src" --dst "$dir/$name" --shard-size 1MiB $options >/dev/null 2>&1
    echo "$name <- $src ($options)"
  done
elif [[ "$mode" == check ]]; then
  out="${OUT:-$dir}"
  status=0
  for c in "${cases[@]}"; do
    IFS='|' read -r name family variant _ <<<"$c"
    if python3 "$here/verify_nvfp4.py" "$dir/$name" --reference "$dir/src-$family-$variant" \
      --max-tensors 0 --expect-gaussian --generate-tokens 0 >"$out/$name.jsonl"; then
      echo "PASS $name"
    else
      echo "FAIL $name: $(grep '"type": "error"' "$out/$name.jsonl" | tail -1)"
      status=1
    fi
  done
  exit "$status"
else
  echo "usage: device-check.sh make|check DIR" >&2
  exit 2
fi
