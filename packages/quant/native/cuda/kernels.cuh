// The CUDA kernels of FP8-block → NVFP4: device code only, compiled into launch.cu (which plans
// and launches them) and nowhere else.
//
// Glossary (the words the kernels, their comments and docs/nvfp4-math.md use):
//   element      one FP8 E4M3 byte of the source weight, row-major, `cols` to a row.
//   block        a source scale block, block_rows × block_cols elements sharing one float scale
//                (128 × 128 in DeepSeek's checkpoints; V4's MXFP4-sourced scales are powers of two).
//   group        16 consecutive elements of a row: one E4M3 scale byte and eight bytes of packed
//                E2M1 codes (two codes a byte, low nibble first) in the output.
//   gs           the global scale of the tensor or of its fused group, amax / (6 · 448); the scale
//                bytes are relative to it.
//   scale byte   a group's E4M3 scale; the search rows and cuts are per-byte tables built in shared
//                memory by every block (ScaleRow, ScaleUnitCuts).
//   stats        Σ error², Σ reference² and max |error| of the tensor, for the quality report, in
//                "stats units" (a power of two of gs) and summed in the reference's tree.
//   es           one element's error in stats units: reconstructed value minus source value.
//   chunk        32 groups of a row (512 elements): the unit of the stats' 32-wide fold and of the
//                quantize kernel's work; a row's last chunk may be partial.
//   item         the amax pass's unit: one row's 512-byte chunk, one warp, 16 bytes a lane.
//   team         32/G lanes of a warp taking one chunk together, G groups a lane (G = 4, 2, 1).
//   phase        the rounds in which the grid's warps take chunks with teams of one size; the host
//                plans them (PhasePlan) so that every warp gets the same work and the grid ends
//                together.
//   fast path    codes from a rounded estimate of |v|/d and the search rows (no division, no table
//                load per element); it declines a group it cannot settle exactly.
//   general path exact comparisons for every code, for any layout (ChunkLayout::kMixedScales) and
//                for chunks the fast path declined (marked -1 in chunk_err, redone after the loop).
//   bad          the lowest index of a non-finite source value; the host reads it back and tells
//                NaN from Inf.
//
// CUDA kernels for FP8-block → NVFP4. Bit-identical to the TypeScript reference: the math is the
// shared native/common/nvfp4_math.h, compiled for the device with explicit round-to-nearest
// intrinsics, and the stats use the reference's summation tree (a warp's xor-shuffle fold over 32
// groups is the reference's 32-wide halving fold).
//
// amax: work items are (row, 512-byte chunk), one warp per item, one lane per 16 bytes (one
// 128-bit load); block max → atomicMax on the float bits (valid because all values are ≥ 0); a
// generic flat kernel handles cols that are not a multiple of 16. quantize: a team of 8 lanes takes
// a chunk of 32 groups (the stats chunk) at a time, each lane four 16-element groups (128-bit
// loads, 64-bit stores of packed codes, 1 byte of scale each); the last chunks go to teams of 16
// and then to whole warps. Codes come from a rounded estimate of |v|/d (no division, no table load
// per element; see "No comparison at all, almost always" in docs/nvfp4-math.md), the scale byte
// from one 32-byte row of a per-block table in shared memory (which also holds the byte's factors
// for the codes and the stats).
// The chunk's float32 stats are folded into lane 0 and stored; the host adds each row's chunks in
// order and the rows in order. A quantize launch that follows a quantize launch on the stream
// overlaps its end (programmatic dependent launch, sm_90+): about 2.4 µs pass between one launch's
// end and the next one's start otherwise, a sixth of a 15 MB tensor's time on an H100.
#pragma once

#include <cuda_runtime.h>

#include <climits>

#include "../common/nvfp4_math.h"
#include "launch.h"

namespace nvfp4 {
namespace gpu {
namespace detail {
namespace {

constexpr int kThreads = 256;
// One block of 20 warps per SM: each block builds the scale tables in shared memory, so fewer,
// larger blocks build them fewer times (on an H100, 4 blocks of 256 threads were 3–10% slower).
// 20 warps leave each thread 96 registers: a lane's four groups of the fast path need about 80,
// and with them 640 threads were 2–6% faster than 768 (80 registers) and 1024 (64, spilling).
constexpr int kQuantizeThreads = 640;
constexpr int kQuantizeBlocksPerSm = 1;
constexpr int kMaxWarpsPerBlock = 32;  // block_max_min's slots
// Groups a lane takes at a time on the fast path, in its main phase (see TeamLoad).
constexpr int kTeamGroups = 4;
constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

__device__ __forceinline__ uint32_t byte_of(const uint4& q, int j) {
  const uint32_t w = j < 4 ? q.x : j < 8 ? q.y : j < 12 ? q.z : q.w;
  return (w >> (8 * (j & 3))) & 0xffu;
}

// Valid for non-negative float/double maxima (their bit patterns order like the values) and for
// indices.
template <typename T>
__device__ __forceinline__ T warp_max(T v) {
  for (int off = 16; off >= 1; off >>= 1) {
    const T o = __shfl_xor_sync(kFullMask, v, off);
    v = o > v ? o : v;
  }
  return v;
}
template <typename T>
__device__ __forceinline__ T warp_min(T v) {
  for (int off = 16; off >= 1; off >>= 1) {
    const T o = __shfl_xor_sync(kFullMask, v, off);
    v = o < v ? o : v;
  }
  return v;
}

// Block-wide max of `mx` and min of `mn`, valid in thread 0 on return. Every thread of the block
// calls it, after its loop (it holds a barrier). One result per block, not per warp: same-address
// atomics from every warp serialise in L2 and cost more than the whole tensor pass.
template <typename M>
__device__ __forceinline__ void block_max_min(M& mx, unsigned long long& mn) {
  __shared__ M s_max[kMaxWarpsPerBlock];
  __shared__ unsigned long long s_min[kMaxWarpsPerBlock];
  mx = warp_max(mx);
  mn = warp_min(mn);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    s_max[warp] = mx;
    s_min[warp] = mn;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < static_cast<int>(blockDim.x >> 5); w++) {
      mx = s_max[w] > mx ? s_max[w] : mx;
      mn = s_min[w] < mn ? s_min[w] : mn;
    }
  }
}

__device__ __forceinline__ void amax_publish(float amax, unsigned long long bad, DeviceScalars* __restrict__ out) {
  block_max_min(amax, bad);
  if (threadIdx.x == 0) {
    if (amax > 0.0f) atomicMax(&out->amax_bits, __float_as_uint(amax));
    if (bad != ULLONG_MAX) atomicMax(&out->not_first_bad, ~bad);
  }
}

__global__ void __launch_bounds__(kThreads) amax_kernel(const uint8_t* __restrict__ data, int64_t n, int64_t cols,
                                                        const float* __restrict__ scale, int64_t scale_cols,
                                                        int64_t block_rows, int64_t block_cols,
                                                        DeviceScalars* __restrict__ out) {
  float m = 0.0f;
  unsigned long long bad = ULLONG_MAX;
  const int64_t chunks = (n + 15) / 16;
  for (int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; ch < chunks;
       ch += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i0 = ch * 16;
    uint4 q;
    if (i0 + 16 <= n) {
      q = __ldg(reinterpret_cast<const uint4*>(data + i0));
    } else {
      // Tail of the tensor (n not a multiple of 16): byte loads; unrolled so w stays in registers.
      uint32_t w[4] = {0, 0, 0, 0};
#pragma unroll
      for (int j = 0; j < 16; j++) {
        if (i0 + j < n) w[j >> 2] |= static_cast<uint32_t>(data[i0 + j]) << (8 * (j & 3));
      }
      q = make_uint4(w[0], w[1], w[2], w[3]);
    }
    // Walk (row, col, scale column) incrementally: a 16-byte chunk may cross block and row edges.
    int64_t r = i0 / cols;
    int64_t c = i0 - r * cols;
    int64_t bcol = c / block_cols;
    int64_t next_edge = min_i64((bcol + 1) * block_cols, cols);
    const float* srow = scale + (r / block_rows) * scale_cols;
#pragma unroll
    for (int j = 0; j < 16; j++) {
      if (i0 + j < n) {
        const float a = abs_f32(mul_f32(decode_e4m3(byte_of(q, j)), srow[bcol]));
        if (a <= kFloat32Max) {
          m = a > m ? a : m;
        } else if (static_cast<unsigned long long>(i0 + j) < bad) {
          bad = static_cast<unsigned long long>(i0 + j);
        }
        if (++c == cols) {
          c = 0;
          ++r;
          bcol = 0;
          next_edge = min_i64(block_cols, cols);
          srow = scale + (r / block_rows) * scale_cols;
        } else if (c == next_edge) {
          ++bcol;
          next_edge = min_i64(next_edge + block_cols, cols);
        }
      }
    }
  }
  amax_publish(m, bad, out);
}

__global__ void __launch_bounds__(kThreads) amax_rows_kernel(const uint8_t* __restrict__ data, int64_t rows,
                                                             int32_t cols, const float* __restrict__ scale,
                                                             int32_t scale_cols, int32_t block_rows,
                                                             int32_t block_cols, DeviceScalars* __restrict__ out) {
  const int lane = threadIdx.x & 31;
  const int32_t chunks_per_row = (cols + 511) / 512;
  // 32-bit item/row arithmetic (the host checks rows · chunks < 2^30): 64-bit integer division
  // is a long instruction sequence on the GPU and dominated this kernel.
  const int32_t items = static_cast<int32_t>(rows) * chunks_per_row;
  const int32_t total_warps = static_cast<int32_t>(gridDim.x * (blockDim.x >> 5));
  const bool uniform_scale = block_cols % 16 == 0;
  float m = 0.0f;
  unsigned long long bad = ULLONG_MAX;
  for (int32_t item = static_cast<int32_t>(blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5)); item < items;
       item += total_warps) {
    const int32_t row = item / chunks_per_row;
    const int32_t c0 = (item - row * chunks_per_row) * 512 + lane * 16;
    if (c0 >= cols) continue;
    const uint4 q = __ldg(reinterpret_cast<const uint4*>(data + static_cast<int64_t>(row) * cols + c0));
    const float* srow = scale + static_cast<int64_t>(row / block_rows) * scale_cols;
    if (uniform_scale) {
      // One scale for all 16 bytes: |e4m3| grows with (byte & 0x7f) and round-to-nearest is
      // monotonic, so max_j |fround(e4m3(b_j)·s)| = |fround(e4m3(max_j (b_j & 0x7f))·s)| exactly.
      // A NaN byte (0x7f), a NaN scale or an overflow makes that non-finite: then scan the 16
      // values for the lowest bad index below.
      const float sc = srow[c0 / block_cols];
      const uint32_t k = 0x7f7f7f7fu;
      uint32_t mx = __vmaxu4(__vmaxu4(q.x & k, q.y & k), __vmaxu4(q.z & k, q.w & k));
      mx = __vmaxu4(mx, mx >> 16);
      mx = __vmaxu4(mx, mx >> 8) & 0xffu;
      const float a = abs_f32(mul_f32(decode_e4m3(mx), sc));
      if (a <= kFloat32Max) {
        m = a > m ? a : m;
        continue;
      }
    }
    float v[16];
#pragma unroll
    for (int j = 0; j < 16; j++) v[j] = mul_f32(decode_e4m3(byte_of(q, j)), srow[(c0 + j) / block_cols]);
#pragma unroll
    for (int j = 15; j >= 0; j--) {
      const float a = abs_f32(v[j]);
      if (a <= kFloat32Max) {
        m = a > m ? a : m;
      } else {
        const unsigned long long idx = static_cast<unsigned long long>(static_cast<int64_t>(row) * cols + c0 + j);
        bad = idx < bad ? idx : bad;
      }
    }
  }
  amax_publish(m, bad, out);
}

// ---- quantize -----------------------------------------------------------------------------

// n / d for 0 ≤ n < 2^31 by a multiply-high (Granlund–Montgomery, round-up variant): integer
// division is a long instruction sequence on the GPU and ran per lane and per item.
struct FastDiv {
  uint32_t magic;
  uint32_t shift;
};
FastDiv make_fast_div(uint32_t d) {
  uint32_t l = 0;
  while ((uint64_t{1} << l) < d) l++;
  const uint64_t magic = ((uint64_t{1} << 32) * ((uint64_t{1} << l) - d)) / d + 1;
  return FastDiv{static_cast<uint32_t>(magic), l};
}
__device__ __forceinline__ uint32_t fast_div(uint32_t n, FastDiv d) { return (__umulhi(n, d.magic) + n) >> d.shift; }

// A phase of the fast path's chunk walk, planned on the host (plan_phases): in round r < rounds,
// team t of warp w takes chunk start + G·(r·W + w) + t, G = kTeamGroups >> (phase index), W the
// grid's warps. Every phase but the last takes whole rounds of G·W chunks; the last (G = 1) the
// fewer than 2W chunks left, one a warp, so that warp w takes start + w and start + w + W where
// they are below the total. step_rows, step_chunks: G·W's quotient and remainder by
// chunks_per_row (the cursor's step). Planned once a launch: integer divisions are long on the GPU.
struct PhasePlan {
  int32_t start, rounds, step_rows, step_chunks;
};
__host__ __device__ constexpr int log2_of(int n) { return n <= 1 ? 0 : 1 + log2_of(n / 2); }
constexpr int kPhases = log2_of(kTeamGroups) + 1;
__host__ __device__ constexpr int phase_index(int g) { return log2_of(kTeamGroups) - log2_of(g); }

struct QuantizeArgs {
  const uint8_t* data;
  const float* scale;
  uint8_t* packed;
  uint8_t* block_scales;
  float* chunk_err;                     // rows · chunks_per_row, in stats units; -1: redo
  float* chunk_ref;
  float* block_max_err;                 // gridDim.x: max |es|
  unsigned long long* block_first_bad;  // gridDim.x; ULLONG_MAX: none
  int32_t rows, cols, groups, chunks_per_row, scale_cols;
  int32_t warps;  // of the grid
  PhasePlan phases[kPhases];
  FastDiv by_block_rows, by_block_cols, by_chunks_per_row;
  float six_gs;
  FastConstants fast;
  // ScaleEntry::amax_min of every byte: a bisection of 31 divisions each, computed on the host once
  // per gs. The rest of the per-byte data each block computes (the search rows), or the rare
  // paths compute where they need it.
  float amax_min[kScaleBytes];
};

// What one lane computed for one group: its stats (0 past the end of the row: the fold pads
// with 0), and whether the fast path declined it (its chunk then goes to the general path).
struct LaneGroup {
  float err = 0.0f, ref = 0.0f;
  bool declined = false;
};

// The block's scale tables, built by each block at its start. At namespace scope, so that the fast
// path indexes the shared array itself: through a pointer argument, the compiler re-derived the
// shared window's base (four instructions) for every group.
__shared__ ScaleRow g_scale_rows[kScaleRows];
__shared__ ScaleUnitCuts g_scale_cuts[kScaleBytes];  // for codes by comparison (E8M0 scales, near codes)

// quantize_group_fast's view of the search rows.
struct SharedScaleRows {
  __device__ __forceinline__ ScaleRow operator[](uint32_t i) const { return g_scale_rows[i]; }
};

// The group's outputs are stored whether the fast path took it or not, with no branch around the
// stores: a declined group's chunk is marked and rewritten by the general path.
__device__ __forceinline__ LaneGroup quantize_group_on_fast_path(const uint4 q, float s, const QuantizeArgs& a,
                                                                  bool compare_each, uint8_t* scale_out, uint2* codes_out,
                                                                  float& max_es) {
  const uint32_t w[4] = {q.x, q.y, q.z, q.w};
  FastGroupResult f;
  const bool taken = quantize_group_fast(w, s, SharedScaleRows{}, g_scale_cuts, a.fast, compare_each, f);
  *scale_out = static_cast<uint8_t>(f.scale_byte);
  *codes_out = make_uint2(f.codes_lo, f.codes_hi);
  LaneGroup r;
  r.err = f.sum_sq_error;
  r.ref = f.sum_sq_ref;
  r.declined = !taken;
  if (taken) max_es = max_f32(max_es, f.max_abs_error);
  return r;
}

// The general path of group g of `row`: per-element scales, non-finite values and every case the
// fast path declines. Exact for every group; run after the main loop on the chunks that need it.
__device__ __forceinline__ LaneGroup quantize_group_on_general_path(int32_t row, int32_t g, const QuantizeArgs& a,
                                                                     float& max_es, unsigned long long& bad) {
  LaneGroup r;
  if (g >= a.groups) return r;
  const float* srow = a.scale + static_cast<int64_t>(fast_div(static_cast<uint32_t>(row), a.by_block_rows)) * a.scale_cols;
  const int32_t c0 = g * kGroupSize;
  const int64_t base = static_cast<int64_t>(row) * a.cols + c0;
  const uint4 q = __ldg(reinterpret_cast<const uint4*>(a.data + base));
  float v[kGroupSize];
#pragma unroll
  for (int j = 0; j < kGroupSize; j++) {
    v[j] = mul_f32(decode_e4m3(byte_of(q, j)), srow[fast_div(static_cast<uint32_t>(c0 + j), a.by_block_cols)]);
  }
  int first_bad_j = kGroupSize;
#pragma unroll
  for (int j = kGroupSize - 1; j >= 0; j--) {
    if (!is_finite_f32(v[j])) {
      first_bad_j = j;
      v[j] = 0.0f;  // keep the math defined; the call fails anyway
    }
  }
  if (first_bad_j < kGroupSize) {
    const unsigned long long idx = static_cast<unsigned long long>(base + first_bad_j);
    bad = idx < bad ? idx : bad;
  }
  GroupResult res;
  const uint32_t scale_byte = group_scale_byte(group_amax_of(v), a.six_gs);
  ScaleEntry e;
  make_scale_entry(scale_byte, a.fast.gs, 0.0f, e);
  quantize_group_with_entry(v, scale_byte, e, res);
  a.block_scales[base / kGroupSize] = static_cast<uint8_t>(res.scale_byte);
  *reinterpret_cast<unsigned long long*>(a.packed + base / 2) = res.codes;
  r.err = res.sum_sq_error;
  r.ref = res.sum_sq_ref;
  max_es = max_f32(max_es, res.max_abs_error);
  return r;
}

// The chunk's 32-wide halving fold, in lane 0: xor-shuffles 16, 8, 4, 2, 1 (lane p holds group p).
__device__ __forceinline__ float chunk_fold(float v) {
#pragma unroll
  for (int off = 16; off >= 1; off >>= 1) v = add_f32(v, __shfl_xor_sync(kFullMask, v, off));
  return v;
}

// How the kernel reads a tensor, from the most general layout to the most specialised.
enum class ChunkLayout {
  kMixedScales,  // block_cols % 16 ≠ 0: a group can straddle scale blocks; the general path only
  kUniform,      // one scale per group (the fast path); a row's last chunk may be partial
  kWhole,        // and every chunk holds 32 groups (cols % 512 == 0): no bounds checks
  kBlocks128,    // and the scale blocks are 128 columns wide (DeepSeek's): group g's scale is g/8
};

// A warp's walk over its chunks f = w, w + W, …: (row, chunk in row) advanced by adding W's
// quotient and remainder by chunks_per_row, instead of dividing at every step.
struct ChunkCursor {
  int32_t f, row, chunk;
};

__device__ __forceinline__ ChunkCursor chunk_cursor(int32_t f, const QuantizeArgs& a) {
  const int32_t row = static_cast<int32_t>(fast_div(static_cast<uint32_t>(f), a.by_chunks_per_row));
  return ChunkCursor{f, row, f - row * a.chunks_per_row};
}

__device__ __forceinline__ void advance(ChunkCursor& c, int32_t step, int32_t step_rows, int32_t step_chunks,
                                        const QuantizeArgs& a) {
  c.f += step;
  c.row += step_rows;
  c.chunk += step_chunks;
  if (c.chunk >= a.chunks_per_row) {
    c.chunk -= a.chunks_per_row;
    c.row++;
  }
}

// The rounds of phase p for warp w0 (only the last phase's depend on the warp).
template <int G>
__device__ __forceinline__ int32_t phase_rounds(const PhasePlan& p, int32_t w0, const QuantizeArgs& a) {
  if (G > 1) return p.rounds;
  const int32_t left = a.rows * a.chunks_per_row - p.start - w0;  // < 2W
  return left > a.warps ? 2 : left > 0 ? 1 : 0;
}

// The fast path works by teams: a team of 32/G lanes takes one chunk, lane p of the team groups
// p + (32/G)·k, k < G, so a warp of G teams takes G chunks a step. The more groups a lane holds,
// the less of each step's work (addresses, the fold's shuffles, the votes, the loop) falls on a
// group.
template <int G>
struct TeamLoad {
  static constexpr int kLanes = kStatsChunkGroups / G;
  static_assert(kLanes >= 4, "load_team's offsets of 128-column scale blocks");
  uint4 q[G];
  float s[G];
  int64_t group;    // row-major index of the lane's group k = 0
  uint32_t in_row;  // bit k: group k lies inside its row
};

// The lane's groups of the chunk at c: their bytes and block scales, loaded ahead of use.
template <int G, ChunkLayout kLayout>
__device__ __forceinline__ TeamLoad<G> load_team(const ChunkCursor& c, const QuantizeArgs& a) {
  constexpr int kLanes = TeamLoad<G>::kLanes;
  TeamLoad<G> l;
  const int32_t group = c.chunk * kStatsChunkGroups + static_cast<int32_t>(threadIdx.x & (kLanes - 1));
  const float* srow = a.scale + static_cast<int64_t>(fast_div(static_cast<uint32_t>(c.row), a.by_block_rows)) * a.scale_cols;
  // 128-column blocks: group g's scale is column g/8, and with group = 32·chunk + p, p < kLanes,
  // (group + kLanes·k)/8 = group/8 + (kLanes·k)/8 (kLanes ≥ 4: p and kLanes·k mod 8 never carry
  // past 8), so the G scales lie at constant offsets from one address.
  const float* s128 = srow + (group >> 3);
  l.group = static_cast<int64_t>(c.row) * a.groups + group;
  l.in_row = 0u;
#pragma unroll
  for (int k = 0; k < G; k++) {
    const int32_t gk = group + kLanes * k;
    l.q[k] = make_uint4(0, 0, 0, 0);
    l.s[k] = 0.0f;
    if (kLayout >= ChunkLayout::kWhole || gk < a.groups) {
      l.in_row |= 1u << k;
      l.q[k] = __ldg(reinterpret_cast<const uint4*>(a.data) + l.group + kLanes * k);
      l.s[k] = kLayout == ChunkLayout::kBlocks128
                   ? __ldg(s128 + kLanes * k / 8)
                   : __ldg(srow + fast_div(static_cast<uint32_t>(gk * kGroupSize), a.by_block_cols));
    }
  }
  return l;
}

// The chunk's 32-wide halving fold (the reference's tree) for a team whose lane p holds groups
// p + (32/G)·k in v[k]: the levels 16, …, 32/G are the lane's own additions, xor-shuffles inside
// the team do the rest, and the team's first lane ends with the sum. Every lane of the warp calls it.
template <int G>
__device__ __forceinline__ float team_fold(float (&v)[G]) {
#pragma unroll
  for (int width = G / 2; width >= 1; width /= 2) {
#pragma unroll
    for (int k = 0; k < width; k++) v[k] = add_f32(v[k], v[k + width]);
  }
#pragma unroll
  for (int off = TeamLoad<G>::kLanes / 2; off >= 1; off >>= 1) v[0] = add_f32(v[0], __shfl_xor_sync(kFullMask, v[0], off));
  return v[0];
}

// Chunk f of this lane's team with the fast path; the other teams' chunks are processed in the
// same steps. The chunk's sums are folded into the team's first lane and stored, or, where the
// fast path declined a group of any team, every team's chunk is marked (-1: sums of squares are
// ≥ 0) for the general path; returns whether it did (warp-uniform).
// The step's mode, warp-uniform too: codes from rounded estimates, redone by comparisons for the
// rare group near a rounding midpoint; or, where a block scale of the step is a power of two (as
// DeepSeek-V4's E8M0 scales are), comparisons for every code, since such scales make exact
// midpoints common (13% of groups). Same results either way.
template <int G>
__device__ __forceinline__ bool quantize_team_chunk_on_fast_path(int32_t f, const TeamLoad<G>& l, const QuantizeArgs& a,
                                                                 float& max_es) {
  constexpr int kLanes = TeamLoad<G>::kLanes;
  bool power_of_two = false;
#pragma unroll
  for (int k = 0; k < G; k++) power_of_two |= ((l.in_row >> k) & 1u) != 0u && (float_bits(l.s[k]) & 0x7fffffu) == 0u;
  const bool compare_each = __any_sync(kFullMask, power_of_two);
  float err[G], ref[G];
  bool declined = false;
#pragma unroll
  for (int k = 0; k < G; k++) {
    LaneGroup g;
    if ((l.in_row >> k) & 1u) {
      const int64_t group = l.group + kLanes * k;
      g = quantize_group_on_fast_path(l.q[k], l.s[k], a, compare_each, a.block_scales + group,
                                      reinterpret_cast<uint2*>(a.packed) + group, max_es);
    }
    err[k] = g.err;
    ref[k] = g.ref;
    declined |= g.declined;
  }
  const bool lead = (threadIdx.x & (kLanes - 1)) == 0;
  if (!__any_sync(kFullMask, declined)) {
    const float e = team_fold<G>(err);
    const float r = team_fold<G>(ref);
    if (lead) {
      a.chunk_err[f] = e;
      a.chunk_ref[f] = r;
    }
    return false;
  }
  if (lead) a.chunk_err[f] = -1.0f;
  return true;
}

// Chunk f with the general path (every group exact, whatever its scales and values).
__device__ __forceinline__ void quantize_chunk_on_general_path(int32_t f, const QuantizeArgs& a, float& max_es,
                                                               unsigned long long& bad) {
  const int32_t row = static_cast<int32_t>(fast_div(static_cast<uint32_t>(f), a.by_chunks_per_row));
  const int32_t group = (f - row * a.chunks_per_row) * kStatsChunkGroups + static_cast<int32_t>(threadIdx.x & 31);
  const LaneGroup g = quantize_group_on_general_path(row, group, a, max_es, bad);
  const float err = chunk_fold(g.err);
  const float ref = chunk_fold(g.ref);
  __syncwarp();  // every lane has read the chunk's mark before lane 0 overwrites it
  if ((threadIdx.x & 31) == 0) {
    a.chunk_err[f] = err;
    a.chunk_ref[f] = ref;
  }
}

// The fast path by phases of G = kTeamGroups, kTeamGroups/2, …, 1 groups a lane (PhasePlan).
template <int G, ChunkLayout kLayout>
__device__ __forceinline__ void quantize_phases_on_fast_path(int32_t w0, const QuantizeArgs& a, bool& deferred,
                                                             float& max_es) {
  const PhasePlan& p = a.phases[phase_index(G)];
  const int32_t rounds = phase_rounds<G>(p, w0, a);
  const int32_t team = static_cast<int32_t>(threadIdx.x & 31) / TeamLoad<G>::kLanes;
  ChunkCursor c = chunk_cursor(p.start + G * w0 + team, a);
  for (int32_t r = 0; r < rounds; r++) {
    const TeamLoad<G> l = load_team<G, kLayout>(c, a);
    const int32_t f = c.f;
    advance(c, G * a.warps, p.step_rows, p.step_chunks, a);
    deferred |= quantize_team_chunk_on_fast_path<G>(f, l, a, max_es);
  }
  if constexpr (G > 1) quantize_phases_on_fast_path<G / 2, kLayout>(w0, a, deferred, max_es);
}

// The marked chunks of the phases, warp by warp, with the general path.
template <int G>
__device__ __forceinline__ void redo_phases_on_general_path(int32_t w0, const QuantizeArgs& a, float& max_es,
                                                            unsigned long long& bad) {
  const PhasePlan& p = a.phases[phase_index(G)];
  const int32_t rounds = phase_rounds<G>(p, w0, a);
  for (int32_t r = 0; r < rounds; r++) {
    for (int32_t t = 0; t < G; t++) {
      const int32_t f = p.start + G * (r * a.warps + w0) + t;
      if (a.chunk_err[f] < 0.0f) quantize_chunk_on_general_path(f, a, max_es, bad);
    }
  }
  if constexpr (G > 1) redo_phases_on_general_path<G / 2>(w0, a, max_es, bad);
}

// The chunks are dealt over the whole grid (W warps) in phases (quantize_phases_on_fast_path):
// full rounds of 4W chunks (teams of 8 lanes, four groups a lane), then at most one of 2W (teams
// of 16, two groups a lane), then the fewer than 2W left, one a warp (one group a lane), so that
// the grid's last step is short, every warp gets the same work, give or take a chunk, and the
// grid ends together.
// Uniform layouts (block_cols % 16 == 0, one scale per group) take the fast path; otherwise
// every chunk takes the general path. A chunk the fast path declines is redone after the loop.
// The host adds each row's chunk sums in order (float64) and the rows in order; each block writes
// its max |es| and lowest bad index to its own slot. No atomics, no fences, no memsets.
template <ChunkLayout kLayout>
__global__ void __launch_bounds__(kQuantizeThreads, kQuantizeBlocksPerSm) quantize_kernel(const QuantizeArgs a) {
  constexpr bool kFast = kLayout != ChunkLayout::kMixedScales;
  // Programmatic dependent launch (launch_quantize): the next launch on the stream may be set up
  // now, and its blocks take each SM as this grid's block there exits, so its launch and its
  // table build overlap this grid's last warps instead of following them.
  asm volatile("griddepcontrol.launch_dependents;");
  if (kFast) {
    // The cuts one a thread (8 per scale byte, in stats units as scale_unit_cuts_of makes them),
    // the rows on the last threads besides (which have one cut fewer where the cuts do not divide
    // evenly), the +Inf ninth cuts on the first. Cut k of byte i % 128 for i = 128·k + byte: a
    // warp computes one k, so scale_cut's choice of bound does not diverge (with the bytes of a
    // warp consecutive instead, the eight bounds ran one after another: 1.1 µs a launch).
    // Not unrolled: the loop is short, and the unrolled copies only lengthened the code every
    // launch starts with (+2% on the 15 MB tensor, H100).
    static_assert(kScaleBytes % 32 == 0, "one k a warp");
#pragma unroll 1
    for (int i = static_cast<int>(threadIdx.x); i < 8 * kScaleBytes; i += kQuantizeThreads) {
      const int k = i / kScaleBytes, byte = i % kScaleBytes;
      g_scale_cuts[byte].cut[k] = mul_f32(scale_cut(static_cast<uint32_t>(byte), a.fast.gs, k), a.fast.per_unit);
    }
    static_assert(kQuantizeThreads >= kScaleBytes, "a ninth cut and a row per thread");
    if (threadIdx.x < kScaleBytes) g_scale_cuts[threadIdx.x].cut[8] = bits_float(0x7f800000u);
    const int i = static_cast<int>(threadIdx.x) - (kQuantizeThreads - kScaleRows);
    if (i >= 0) g_scale_rows[i] = make_scale_row(static_cast<uint32_t>(i), a.amax_min[i + 1], a.fast.gs);
    __syncthreads();
  }
  // Everything above reads only the arguments; from here on the kernel reads and writes global
  // memory, which the stream's previous kernel may still be writing or reading: wait for it to end.
  asm volatile("griddepcontrol.wait;" ::: "memory");

  const int32_t total = a.rows * a.chunks_per_row;
  const int32_t warps = a.warps;
  // Warps are numbered across the blocks first, so that the last, partial step's chunks (on the
  // warps numbered below the rest) are spread over every SM instead of piling onto the first.
  const int32_t w0 = static_cast<int32_t>((threadIdx.x >> 5) * gridDim.x + blockIdx.x);
  float max_es = 0.0f;
  unsigned long long bad = ULLONG_MAX;
  if (!kFast) {
    for (int32_t f = w0; f < total; f += warps) quantize_chunk_on_general_path(f, a, max_es, bad);
  } else {
    bool deferred = false;  // warp-uniform: some chunk of this warp awaits the general path
    quantize_phases_on_fast_path<kTeamGroups, kLayout>(w0, a, deferred, max_es);
    if (deferred) {
      __syncwarp();  // the marks written by the lead lanes are visible to the warp
      redo_phases_on_general_path<kTeamGroups>(w0, a, max_es, bad);
    }
  }
  block_max_min(max_es, bad);
  if (threadIdx.x == 0) {
    a.block_max_err[blockIdx.x] = max_es;
    a.block_first_bad[blockIdx.x] = bad;
  }
}

}  // namespace
}  // namespace detail
}  // namespace gpu
}  // namespace nvfp4
