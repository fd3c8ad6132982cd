#!/bin/bash
# The converter's own ceiling on the GPU machine, with storage out of the way: source and output
# on tmpfs (/dev/shm), so reads and writes cost memory copies only. Per GPU count: wall time and the
# manifest (SHA-256 of every shard) compared across counts; tmpfs-to-tmpfs cp and OpenSSL's
# SHA-256 rate for context; the pipeline benchmark with per-GPU counters; one V8 CPU profile of
# the converter's main thread (with the largest GPU count). Same carried files as gpu-convert-bench.sh:
#   bash packages/quant/bench/gpu-convert-ceiling.sh [SIZE=21GB] ["GPU counts"="1 2 4"]
set -u
SIZE=${1:-21GB}
GPUS=${2:-"1 2 4"}
OUT=${OUT:-/tmp/fp4kit-out}
S=${SHM:-/dev/shm/fp4kit}
L=$S/logs
mkdir -p "$S" "$L" "$OUT"
xz -dc .device/node.xz > "$S/node" && chmod +x "$S/node"
export FP4KIT_NATIVE_DIR=$PWD/.device/pipeline/native UV_THREADPOOL_SIZE=64
F=("$S/node" .device/pipeline/fp4kit-device.mjs)
now() { date +%s.%N; }
gbps() { python3 -c "print(f'{$1 / ($3 - $2) / 1e9:.3f} GB/s ({$3 - $2:.2f} s)')"; }
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

"${F[@]}" pipeline-bench --gpus "$(echo $GPUS | tr ' ' ',')" --rounds 10 --out "$OUT" > "$L/pipeline.log" 2>&1
grep "GB/s\|IDENTICAL\|PROBLEMS" "$L/pipeline.log" | tee -a "$SUMMARY"
say "openssl sha256, 16 MiB blocks: $(openssl speed -evp sha256 -bytes 16777216 -seconds 2 2>/dev/null | tail -1)"
"${F[@]}" synth "$S/src" --family deepseek-v4 --size "$SIZE" > /dev/null 2>&1
BYTES=$(du -sb "$S/src" | cut -f1)
say "source on tmpfs: $BYTES bytes"
t0=$(now); cp -r "$S/src" "$S/copy"; t1=$(now); say "cp -r tmpfs→tmpfs: $(gbps $BYTES $t0 $t1)"; rm -rf "$S/copy"
run() {  # label, extra node flags, convert flags...
  local label=$1 node_flags=$2; shift 2
  local t0 t1 rc; t0=$(now)
  "$S/node" $node_flags .device/pipeline/fp4kit-device.mjs convert --src "$S/src" --dst "$S/$label" --json "$@" > "$L/$label.json" 2> "$L/$label.err"
  rc=$?; t1=$(now)
  say "convert $label ($*): rc $rc, $(gbps $BYTES $t0 $t1) wall; $(grep -o 'peak RSS.*' "$L/$label.err")"
  cmp -s "$S/$label/fp4kit-manifest.json" "$S/g1/fp4kit-manifest.json" 2>/dev/null && say "  manifest (shard SHA-256s) identical to g1" || say "  manifest differs from g1 (or g1 missing)"
  rm -rf "$S/$label"/*.safetensors
}
for g in $GPUS; do run "g$g" "" --gpus "$g"; done
MAX=$(echo $GPUS | tr ' ' '\n' | sort -n | tail -1)
run "g$MAX-budget2g" "" --gpus "$MAX" --memory-budget 2GiB
run "g$MAX-prof" "--cpu-prof --cpu-prof-dir=$OUT" --gpus "$MAX"
tar czf "$OUT/logs.tgz" -C "$S" logs
ls "$OUT"
echo "== summary"; cat "$SUMMARY"
