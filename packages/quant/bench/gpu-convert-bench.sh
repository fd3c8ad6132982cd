#!/bin/bash
# Issues 7 and 8 on the GPU machine (results: BENCHMARKS.md, "CUDA end-to-end conversion").
#  1. the CUDA pipeline in memory (no disk), per GPU count, bytes checked against the CPU kernel;
#  2. byte identity of converted checkpoints: CPU kernel vs --gpus N, on a small checkpoint;
#  3. a synthetic DeepSeek-V4 checkpoint of SIZE on the machine's disk: read it, cp -r it (+ sync),
#     and convert it with --gpus N for each N, page cache dropped before each; SHA-256 of every
#     output file compared across GPU counts.
# Needs, carried from the repo root: .device/node.xz (xz -6 -c $(which node)) and .device/pipeline
# (npm run device:bundle -w @fp4kit/quant, then build/device/* copied there). Run from the repo root:
#   bash packages/quant/bench/gpu-convert-bench.sh [SIZE=20GB] ["GPU counts"="4 2 1"]
set -u
SIZE=${1:-20GB}
GPUS=${2:-"4 2 1"}
OUT=${OUT:-/tmp/fp4kit-out}
W=${WORK:-/root/fp4kit-bench}
mkdir -p "$W" "$OUT"
xz -dc .device/node.xz > "$W/node" && chmod +x "$W/node"
export FP4KIT_NATIVE_DIR=$PWD/.device/pipeline/native UV_THREADPOOL_SIZE=64
F=("$W/node" .device/pipeline/fp4kit-device.mjs)
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
gbps() { python3 -c "print(f'{$1 / ($3 - $2) / 1e9:.3f}')"; }
drop() { sync; if echo 3 > /proc/sys/vm/drop_caches; then echo "page cache dropped"; else echo "could not drop the page cache"; fi; }
digest() { (cd "$1" && find . -type f | sort | xargs sha256sum); }
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

{ nvidia-smi -L; nproc; free -g; df -hT / "$W"; uname -r; } 2>&1 | tee "$OUT/machine.txt"

echo "== 1. pipeline in memory"
"${F[@]}" pipeline-bench --gpus 1,2,4 --rounds 10 --out "$OUT" 2>&1 | tee "$OUT/pipeline.log"

echo "== 2. byte identity, small checkpoint"
"${F[@]}" synth "$W/small" --family deepseek-v4 --size 2GB --seed 7 2>&1 | tail -1
"${F[@]}" convert --src "$W/small" --dst "$W/small-cpu" --kernel cpu --json > "$OUT/small-cpu.json" 2> "$OUT/small-cpu.err"
digest "$W/small-cpu" > "$OUT/small-cpu.sha"
for g in $GPUS; do
  "${F[@]}" convert --src "$W/small" --dst "$W/small-g$g" --gpus "$g" --json > "$OUT/small-g$g.json" 2> "$OUT/small-g$g.err"
  if digest "$W/small-g$g" | cmp -s - "$OUT/small-cpu.sha"; then say "small: --gpus $g IDENTICAL to --kernel cpu"; else say "small: --gpus $g DIFFERS from --kernel cpu"; fi
done

echo "== 3. $SIZE checkpoint on disk"
t0=$(now); "${F[@]}" synth "$W/src" --family deepseek-v4 --size "$SIZE" 2>&1 | tail -1; sync; t1=$(now)
BYTES=$(du -sb "$W/src" | cut -f1)
say "source: $BYTES bytes; synth + sync $(secs $t0 $t1) s"
drop
t0=$(now); cat "$W"/src/* > /dev/null; t1=$(now)
say "read (cat > /dev/null): $(secs $t0 $t1) s, $(gbps $BYTES $t0 $t1) GB/s"
drop
t0=$(now); cp -r "$W/src" "$W/copy"; sync; t1=$(now)
say "copy (cp -r + sync): $(secs $t0 $t1) s, $(gbps $BYTES $t0 $t1) GB/s"
rm -rf "$W/copy"
for g in $GPUS; do
  drop
  t0=$(now)
  "${F[@]}" convert --src "$W/src" --dst "$W/out-g$g" --gpus "$g" --json > "$OUT/convert-g$g.json" 2> "$OUT/convert-g$g.err"
  rc=$?; t1=$(now)
  say "convert --gpus $g: rc $rc, wall $(secs $t0 $t1) s, $(gbps $BYTES $t0 $t1) GB/s of source; $(grep -o 'peak RSS.*' "$OUT/convert-g$g.err")"
  digest "$W/out-g$g" > "$OUT/out-g$g.sha"
done
first=$(set -- $GPUS; echo "$1")
for g in $GPUS; do
  if cmp -s "$OUT/out-g$g.sha" "$OUT/out-g$first.sha"; then say "big: --gpus $g output IDENTICAL to --gpus $first"; else say "big: --gpus $g output DIFFERS from --gpus $first"; fi
done
python3 - "$OUT" <<'PY'
import json, sys, glob, os
for f in sorted(glob.glob(os.path.join(sys.argv[1], "convert-g*.json"))):
    try:
        r = json.load(open(f))
    except Exception as e:
        print(f, "unreadable:", e); continue
    s = r.get("summary", {})
    print(os.path.basename(f), "kernel:", s.get("kernel"), "| convert seconds:", round(s.get("seconds", 0), 2),
          "| GB/s:", round(s.get("throughputBytesPerSec", 0) / 1e9, 3), "| out bytes:", r.get("outputBytes"))
PY
echo "== summary"; cat "$SUMMARY"
