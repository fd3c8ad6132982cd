#!/bin/bash
# The converter against copies of the same bytes on the GPU machine's disk, page cache dropped
# before each timed step: a synthetic DeepSeek-V4 checkpoint of SIZE is read (`cat`), copied
# (`cp -r` + `sync`, and one `cp` per file at once + `sync`) and converted with --gpus N; the
# outputs' SHA-256 are compared across GPU counts. Results: BENCHMARKS.md, "Conversion at storage
# speed". Needs, carried from the repo root: .device/node.xz (xz -6 -c $(which node)) and
# .device/pipeline (npm run device:bundle -w @fp4kit/quant, then build/device/* copied there).
# Run from the repo root:
#   bash packages/quant/bench/gpu-convert-bench.sh [SIZE=20GB] ["GPU counts"="1"]
# Env: BASE=<older fp4kit-device.mjs> converts with that build too (same addons).
set -u
SIZE=${1:-20GB}
GPUS=${2:-"1"}
OUT=${OUT:-/tmp/fp4kit-out}
W=${WORK:-/root/fp4kit-bench}
mkdir -p "$W" "$OUT"
xz -dc .device/node.xz > "$W/node" && chmod +x "$W/node"
export FP4KIT_NATIVE_DIR=$PWD/.device/pipeline/native UV_THREADPOOL_SIZE=64
F=("$W/node" .device/pipeline/fp4kit-device.mjs)
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }
gbps() { python3 -c "print(f'{$1 / ($3 - $2) / 1e9:.3f}')"; }
drop() { sync; echo 3 > /proc/sys/vm/drop_caches || echo "could not drop the page cache"; }
digest() { (cd "$1" && find . -type f | sort | xargs sha256sum); }
SUMMARY=$OUT/disk-summary.txt
: > "$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }

say "$(date -u +%FT%TZ); $(nvidia-smi -L | head -1); $(nproc) cores; $(df -hT "$W" | tail -1)"
t0=$(now); "${F[@]}" synth "$W/src" --family deepseek-v4 --size "$SIZE" > /dev/null 2>&1; sync; t1=$(now)
BYTES=$(du -sb "$W/src" | cut -f1)
say "source: $BYTES bytes in $(ls "$W/src" | wc -l) files; synth + sync $(secs "$t0" "$t1") s"
drop
t0=$(now); cat "$W"/src/* > /dev/null; t1=$(now)
say "read (cat > /dev/null): $(secs "$t0" "$t1") s, $(gbps "$BYTES" "$t0" "$t1") GB/s"
drop
t0=$(now); cp -r "$W/src" "$W/copy"; sync; t1=$(now)
say "cp -r + sync: $(secs "$t0" "$t1") s, $(gbps "$BYTES" "$t0" "$t1") GB/s"
rm -rf "$W/copy"; mkdir "$W/copy"
drop
t0=$(now); ls "$W/src" | xargs -P 64 -I{} cp "$W/src/{}" "$W/copy/"; sync; t1=$(now)
say "parallel cp (one per file) + sync: $(secs "$t0" "$t1") s, $(gbps "$BYTES" "$t0" "$t1") GB/s"
rm -rf "$W/copy"
convert() {  # label, node script, convert flags...
  local label=$1 script=$2; shift 2
  drop
  local t0 t1 rc; t0=$(now)
  "$W/node" "$script" convert --src "$W/src" --dst "$W/$label" --json "$@" > "$OUT/disk-$label.json" 2> "$OUT/disk-$label.err"
  rc=$?; t1=$(now)
  say "convert $label ($*): rc $rc, wall $(secs "$t0" "$t1") s, $(gbps "$BYTES" "$t0" "$t1") GB/s of source; $(grep -o 'peak RSS.*' "$OUT/disk-$label.err")"
  digest "$W/$label" > "$OUT/disk-$label.sha"
  rm -rf "$W/$label"
}
for g in $GPUS; do convert "g$g" .device/pipeline/fp4kit-device.mjs --gpus "$g"; done
[ -n "${BASE:-}" ] && convert base "$BASE" --gpus "$(set -- $GPUS; echo "$1")"
first=$(set -- $GPUS; echo "$1")
for f in "$OUT"/disk-*.sha; do
  if cmp -s "$f" "$OUT/disk-g$first.sha"; then say "$(basename "$f"): IDENTICAL to --gpus $first"; else say "$(basename "$f"): DIFFERS from --gpus $first"; fi
done
rm -rf "$W/src"
echo "== summary"; cat "$SUMMARY"
