#!/bin/bash
# The converter against copies of the same bytes with storage out of the way: source and output on
# tmpfs, so reads and writes cost memory copies only. Timed side by side in one run: `cp -r`, a
# parallel copy (one `cp` per file, all at once: the ceiling of moving these bytes), and
# `fp4kit convert` with the GPUs and with `--kernel cpu`; before that, the CUDA pipeline alone in
# memory and the byte identity of outputs (CPU kernel, GPU, one shard in flight, a run killed and
# resumed, and optionally an older build). Carried from the repo root, as for gpu-convert-bench.sh:
# .device/node.xz and .device/pipeline (bundle + addons). Run from the repo root:
#   bash packages/quant/bench/gpu-convert-ceiling.sh [SIZE=40GB] [GPUS=1]
# Env: BASE=<older fp4kit-device.mjs> times that build beside this one (same addons);
#      SHM=<tmpfs dir> (default /dev/shm/fp4kit, grown to 100G when possible);
#      PROFILE=1 also writes a V8 CPU profile of the default GPU run's main thread into $OUT;
#      KEEP=1 leaves the source checkpoint in $S/src for further runs;
#      THREADS=1 samples the default GPU run's threads (top -H, every 0.5 s) and lists the busiest;
#      SHORT=1 leaves out the runs with 1 and 4 shards in flight;
#      REPEAT=<n> runs the default GPU conversion (and BASE's, alternating) n times in all.
# Each conversion's line splits the wall clock: the converter's timings (start-up of the process,
# planning, the kernel's set-up, and the finishing part of its own timer).
set -u
SIZE=${1:-40GB}
GPUS=${2:-1}
OUT=${OUT:-/tmp/fp4kit-out}
S=${SHM:-/dev/shm/fp4kit}
L=$OUT/logs
mkdir -p "$S" "$L" "$OUT"
[ -z "${SHM:-}" ] && mount -o remount,size=100G /dev/shm 2>/dev/null
xz -dc .device/node.xz > "$S/node" && chmod +x "$S/node"
export FP4KIT_NATIVE_DIR=$PWD/.device/pipeline/native UV_THREADPOOL_SIZE=64
F=("$S/node" .device/pipeline/fp4kit-device.mjs)
now() { date +%s.%N; }
gbps() { python3 -c "print(f'{$1 / ($3 - $2) / 1e9:.3f} GB/s ({$3 - $2:.2f} s)')"; }
own() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); s=r['summary']; t=r.get('timings'); print(f\"{s['throughputBytesPerSec']/1e9:.3f} GB/s ({s['seconds']:.2f} s) by its own timer\" + ('' if t is None else f\"; start-up {t['startup']:.2f} s, planning {t['planning']:.2f} s, kernel set-up {t['kernelSetup']:.2f} s, finishing {t['finishing']:.2f} s\"))" "$1" 2>/dev/null; }
digest() { (cd "$1" && find . -type f | sort | xargs sha256sum); }
SUMMARY=$OUT/summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

say "$(date -u +%FT%TZ); $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1) x $(nvidia-smi -L | wc -l); $(nproc) cores; $(free -g | awk '/Mem/{print $2}') GiB RAM; kernel $(uname -r); tmpfs $(df -h --output=size "$S" | tail -1)"
say "openssl sha256, 16 MiB blocks: $(openssl speed -evp sha256 -bytes 16777216 -seconds 1 2>/dev/null | tail -1)"

echo "== the pipeline in memory"
"${F[@]}" pipeline-bench --gpus "$GPUS" --rounds 5 --out "$OUT" > "$L/pipeline.log" 2>&1
grep "GB/s\|IDENTICAL\|DIFFERENT\|PROBLEMS\|host buffers" "$L/pipeline.log" | tee -a "$SUMMARY"

echo "== byte identity, 2 GB checkpoint"
"${F[@]}" synth "$S/small" --family deepseek-v4 --size 2GB --seed 7 > /dev/null 2>&1
small() {  # label, convert flags...
  local label=$1; shift
  "${F[@]}" convert --src "$S/small" --dst "$S/small-$label" --json "$@" > "$L/small-$label.json" 2> "$L/small-$label.err"
  echo "rc $?"
}
say "small cpu: $(small cpu --kernel cpu)"
digest "$S/small-cpu" > "$OUT/small-cpu.sha"
same() { if digest "$S/small-$1" | cmp -s - "$OUT/small-cpu.sha"; then echo IDENTICAL; else echo DIFFERENT; fi; }
say "small --gpus $GPUS: $(small gpu --gpus "$GPUS"); $(same gpu) to --kernel cpu"
say "small --gpus $GPUS --shards-in-flight 1: $(small one --gpus "$GPUS" --shards-in-flight 1); $(same one) to --kernel cpu"
# Killed mid-run, then resumed: the bytes of an uninterrupted run.
timeout -s KILL 1.5 "${F[@]}" convert --src "$S/small" --dst "$S/small-resumed" --gpus "$GPUS" > /dev/null 2>&1
say "small killed after 1.5 s, then resumed: $(small resumed --gpus "$GPUS"); $(same resumed) to --kernel cpu"
if [ -n "${BASE:-}" ]; then
  "$S/node" "$BASE" convert --src "$S/small" --dst "$S/small-base" --gpus "$GPUS" --json > "$L/small-base.json" 2> "$L/small-base.err"
  say "small, older build --gpus $GPUS: rc $?; $(same base) to --kernel cpu"
fi
rm -rf "$S"/small*

echo "== $SIZE on tmpfs"
"${F[@]}" synth "$S/src" --family deepseek-v4 --size "$SIZE" > /dev/null 2>&1
BYTES=$(du -sb "$S/src" | cut -f1)
say "source on tmpfs: $BYTES bytes in $(ls "$S/src" | wc -l) files"
t0=$(now); cp -r "$S/src" "$S/copy"; t1=$(now); say "cp -r: $(gbps "$BYTES" "$t0" "$t1")"; rm -rf "$S/copy"
mkdir "$S/copy"
t0=$(now); ls "$S/src" | xargs -P 64 -I{} cp "$S/src/{}" "$S/copy/"; t1=$(now)
say "parallel cp (one per file): $(gbps "$BYTES" "$t0" "$t1")"; rm -rf "$S/copy"
run() {  # label, node script, convert flags...
  local label=$1 script=$2; shift 2
  local t0 t1 rc prof=(); t0=$(now)
  [ "$label" = gpu ] && [ -n "${PROFILE:-}" ] && prof=(--cpu-prof --cpu-prof-dir "$OUT/profile")
  "$S/node" "${prof[@]}" "$script" convert --src "$S/src" --dst "$S/$label" --json "$@" > "$L/$label.json" 2> "$L/$label.err" &
  local pid=$! top=
  if [ "$label" = gpu ] && [ -n "${THREADS:-}" ]; then top -H -b -d 0.5 -p $pid > "$L/$label.top" 2>/dev/null & top=$!; fi
  wait $pid; rc=$?; t1=$(now)
  if [ -n "$top" ]; then
    kill $top
    # CPU seconds of each thread (id, name) over the run, busiest first, and its highest sample.
    awk '$1 ~ /^[0-9]+$/ && NF >= 12 {n = $1 " " $12; c[n] += $9; if ($9 > m[n]) m[n] = $9}
      END {for (n in c) printf "  thread %-24s %7.2f CPU-s, at most %5.1f%%\n", n, c[n] / 200, m[n]}' "$L/$label.top" |
      sort -k4 -nr | head -12 | tee -a "$SUMMARY"
  fi
  say "convert $label ($*): rc $rc, $(gbps "$BYTES" "$t0" "$t1") wall, $(own "$L/$label.json"); $(grep -o 'peak RSS.*' "$L/$label.err")"
  if [ "$label" != gpu ]; then
    cmp -s "$S/$label/fp4kit-manifest.json" "$OUT/gpu-manifest.json" && say "  shards' SHA-256 identical to gpu" || say "  shards' SHA-256 DIFFER from gpu"
  else
    cp "$S/$label/fp4kit-manifest.json" "$OUT/gpu-manifest.json"
  fi
  rm -rf "$S/$label"
}
P=.device/pipeline/fp4kit-device.mjs
run gpu "$P" --gpus "$GPUS"
[ -n "${BASE:-}" ] && run gpu-base "$BASE" --gpus "$GPUS"
for ((i = 2; i <= ${REPEAT:-1}; i++)); do
  run "gpu-again-$i" "$P" --gpus "$GPUS"
  [ -n "${BASE:-}" ] && run "gpu-base-again-$i" "$BASE" --gpus "$GPUS"
done
if [ -z "${SHORT:-}" ]; then
  run gpu-one-shard "$P" --gpus "$GPUS" --shards-in-flight 1
  run gpu-4-shards "$P" --gpus "$GPUS" --shards-in-flight 4
fi
run cpu "$P" --kernel cpu
[ -z "${KEEP:-}" ] && rm -rf "$S/src"
echo "== summary"; cat "$SUMMARY"
