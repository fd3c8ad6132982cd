// CUDA kernels for FP8-block → NVFP4. Bit-identical to the TypeScript reference: the math is the
// shared native/common/nvfp4_math.h, compiled for the device with explicit round-to-nearest
// intrinsics, and the stats use the reference's summation tree (a warp's xor-shuffle fold over 32
// groups is the reference's 32-wide halving fold).
//
// Layout: work items are (row, 512-byte chunk); one warp per item, one lane per 16 bytes (one
// 128-bit load). amax: warp max → atomicMax on the float bits (valid because all values are ≥ 0);
// a generic flat kernel handles cols that are not a multiple of 16. quantize: one lane per
// 16-element group (64-bit store of packed codes, 1 byte of scale). Codes come from comparing |v|
// with the group's precomputed cuts (no division per element, see "Codes without division" in
// docs/nvfp4-math.md), from a per-call table of all 128 scale bytes kept in shared memory. The
// chunk's stats are folded across the warp into lane 0; the warp that finishes a row's last chunk
// adds the row's chunks in order, and the host adds the rows in order.
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <functional>
#include <mutex>

#include "../common/nvfp4_math.h"
#include "cuda_kernels.h"

namespace nvfp4 {
namespace gpu {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kFullMask = 0xffffffffu;

// Zeroed by one memset before each pass. Maxima are published with atomicMax on the bit patterns
// (valid because they are ≥ 0); the lowest bad index as ~index, so that atomicMax keeps the lowest
// and 0 means none.
struct DeviceScalars {
  unsigned int amax_bits;
  unsigned int pad;
  unsigned long long not_first_bad;
  unsigned long long max_err_bits;
};

__device__ __forceinline__ int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }

__device__ __forceinline__ uint32_t byte_of(const uint4& q, int j) {
  const uint32_t w = j < 4 ? q.x : j < 8 ? q.y : j < 12 ? q.z : q.w;
  return (w >> (8 * (j & 3))) & 0xffu;
}

// Block-wide max / min of per-thread values, then ONE atomic per block: same-address atomics from
// every warp serialise in L2 and cost more than the whole tensor pass. Valid for the non-negative
// float/double maxima (their bit patterns order like the values) and for indices.
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

// Called by all threads of the block, after their loops.
__device__ __forceinline__ void block_publish(float amax, double max_err, unsigned long long bad,
                                              DeviceScalars* __restrict__ out) {
  __shared__ float s_amax[kThreads / 32];
  __shared__ double s_err[kThreads / 32];
  __shared__ unsigned long long s_bad[kThreads / 32];
  amax = warp_max(amax);
  max_err = warp_max(max_err);
  bad = warp_min(bad);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    s_amax[warp] = amax;
    s_err[warp] = max_err;
    s_bad[warp] = bad;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < kThreads / 32; w++) {
      amax = s_amax[w] > amax ? s_amax[w] : amax;
      max_err = s_err[w] > max_err ? s_err[w] : max_err;
      bad = s_bad[w] < bad ? s_bad[w] : bad;
    }
    if (amax > 0.0f) atomicMax(&out->amax_bits, __float_as_uint(amax));
    if (max_err > 0.0) atomicMax(&out->max_err_bits, static_cast<unsigned long long>(__double_as_longlong(max_err)));
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
  block_publish(m, 0.0, bad, out);
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
  block_publish(m, 0.0, bad, out);
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

struct QuantizeArgs {
  const uint8_t* data;
  const float* scale;
  uint8_t* packed;
  uint8_t* block_scales;
  double* chunk_err;   // rows · chunks_per_row
  double* chunk_ref;
  double* row_err;     // rows
  double* row_ref;
  unsigned int* row_done;  // rows completion counters, 0 between launches
  DeviceScalars* out;
  int32_t rows, cols, groups, chunks_per_row, scale_cols, block_cols;
  FastDiv by_block_rows, by_block_cols;
  float gs, six_gs;
};

// Work items are (row, chunk of 32 groups = 512 bytes), one warp per item, one lane per 16-element
// group; each warp walks items total_warps apart, loading the next item's bytes before working on
// the current one. Lane 0 writes the chunk's stats (the reference's 32-wide fold); the warp that
// completes a row (per-row counter, reset by that warp for the next launch) adds the row's chunks
// in order into row_err/row_ref. At most 80 registers: 3 blocks (24 warps) per SM to hide latency.
__global__ void __launch_bounds__(kThreads, 3) quantize_kernel(const QuantizeArgs a) {
  __shared__ ScaleEntry table[kScaleBytes];
  for (int i = threadIdx.x; i < kScaleBytes; i += blockDim.x) make_scale_entry(static_cast<uint32_t>(i), a.gs, table[i]);
  __syncthreads();

  const int lane = threadIdx.x & 31;
  const int32_t total_warps = static_cast<int32_t>(gridDim.x * (blockDim.x >> 5));
  const int32_t step_rows = total_warps / a.chunks_per_row, step_chunks = total_warps % a.chunks_per_row;
  const bool uniform_scale = a.block_cols % kGroupSize == 0;
  double local_max = 0.0;
  unsigned long long bad = ULLONG_MAX;

  const int32_t first_item = static_cast<int32_t>(blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5));
  int32_t row = first_item / a.chunks_per_row;
  int32_t chunk = first_item - row * a.chunks_per_row;
  auto group_of = [&](int32_t c) { return c * kStatsChunkGroups + lane; };
  auto load = [&](int32_t r, int32_t c) {
    const int32_t g = group_of(c);
    if (r >= a.rows || g >= a.groups) return make_uint4(0, 0, 0, 0);
    return __ldg(reinterpret_cast<const uint4*>(a.data + static_cast<int64_t>(r) * a.cols + g * kGroupSize));
  };
  uint4 q = load(row, chunk);
  while (row < a.rows) {
    int32_t next_row = row + step_rows, next_chunk = chunk + step_chunks;
    if (next_chunk >= a.chunks_per_row) {
      next_chunk -= a.chunks_per_row;
      next_row++;
    }
    const uint4 q_next = load(next_row, next_chunk);
    const int32_t g = group_of(chunk);
    double ge = 0.0, gr = 0.0;
    if (g < a.groups) {
      const int32_t c0 = g * kGroupSize;
      const int64_t base = static_cast<int64_t>(row) * a.cols + c0;
      const float* srow = a.scale + static_cast<int64_t>(fast_div(static_cast<uint32_t>(row), a.by_block_rows)) * a.scale_cols;
      FastGroupResult f;
      const uint32_t w[4] = {q.x, q.y, q.z, q.w};
      if (uniform_scale &&
          quantize_group_fast(w, srow[fast_div(static_cast<uint32_t>(c0), a.by_block_cols)], table, a.six_gs, a.gs, f)) {
        a.block_scales[base / kGroupSize] = static_cast<uint8_t>(f.scale_byte);
        *reinterpret_cast<uint2*>(a.packed + base / 2) = make_uint2(f.codes_lo, f.codes_hi);
        ge = f.sum_sq_error;
        gr = f.sum_sq_ref;
        const double m = static_cast<double>(f.max_abs_error);
        local_max = m > local_max ? m : local_max;
      } else {
        // General path: per-element scales, non-finite values, |s| ≥ 2^8, amax above exact_max.
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
        quantize_group(v, table, a.six_gs, res);
        a.block_scales[base / kGroupSize] = static_cast<uint8_t>(res.scale_byte);
        *reinterpret_cast<unsigned long long*>(a.packed + base / 2) = res.codes;
        ge = res.sum_sq_error;
        gr = res.sum_sq_ref;
        local_max = res.max_abs_error > local_max ? res.max_abs_error : local_max;
      }
    }
    // Lane 0 ends with the reference's halving fold over the 32 group sums (lanes past the end of
    // the row add 0.0, which is exact).
#pragma unroll
    for (int off = 16; off >= 1; off >>= 1) {
      ge = add_f64(ge, __shfl_xor_sync(kFullMask, ge, off));
      gr = add_f64(gr, __shfl_xor_sync(kFullMask, gr, off));
    }
    if (lane == 0) {
      const int64_t first = static_cast<int64_t>(row) * a.chunks_per_row;
      a.chunk_err[first + chunk] = ge;
      a.chunk_ref[first + chunk] = gr;
      __threadfence();
      if (atomicAdd(&a.row_done[row], 1u) == static_cast<unsigned int>(a.chunks_per_row - 1)) {
        // Every chunk of the row is written (and fenced): add them in order, as the reference.
        __threadfence();
        double re = 0.0, rr = 0.0;
        for (int32_t k = 0; k < a.chunks_per_row; k++) {
          re = add_f64(re, __ldcg(a.chunk_err + first + k));
          rr = add_f64(rr, __ldcg(a.chunk_ref + first + k));
        }
        a.row_err[row] = re;
        a.row_ref[row] = rr;
        a.row_done[row] = 0u;  // ready for the next launch
      }
    }
    row = next_row;
    chunk = next_chunk;
    q = q_next;
  }
  block_publish(0.0f, local_max, bad, a.out);
}

// ---- host side --------------------------------------------------------------------------------

std::mutex g_mutex;
int g_device = 0;
int g_sm_count = 0;
int g_quantize_blocks_per_sm = 0;  // resident blocks of quantize_kernel per SM (occupancy API)

struct DeviceBuffer {
  void* ptr = nullptr;
  size_t capacity = 0;
  // New memory is zeroed: the quantize kernel's per-row counters start at 0 and are left at 0.
  cudaError_t reserve(size_t bytes) {
    if (bytes <= capacity) return cudaSuccess;
    if (ptr != nullptr) cudaFree(ptr);
    ptr = nullptr;
    capacity = 0;
    const size_t rounded = (bytes + (1u << 20) - 1) & ~static_cast<size_t>((1u << 20) - 1);
    cudaError_t e = cudaMalloc(&ptr, rounded);
    if (e == cudaSuccess) e = cudaMemset(ptr, 0, rounded);
    if (e == cudaSuccess) capacity = rounded;
    return e;
  }
  void release() {
    if (ptr != nullptr) cudaFree(ptr);
    ptr = nullptr;
    capacity = 0;
  }
};

struct Workspace {
  // row_done: the quantize kernel's per-row completion counters, always 0 between launches (its own
  // buffer, so no other data ever lands where a counter is expected).
  DeviceBuffer data, scale, packed, block_scales, row_stats, row_done, scalars;
  void release() {
    data.release();
    scale.release();
    packed.release();
    block_scales.release();
    row_stats.release();
    row_done.release();
    scalars.release();
  }
};
Workspace g_ws;

#define NVFP4_CUDA_TRY(expr)                                   \
  do {                                                         \
    const cudaError_t err_ = (expr);                           \
    if (err_ != cudaSuccess) return std::string(cudaGetErrorString(err_)); \
  } while (0)

std::string ensure_device() {
  NVFP4_CUDA_TRY(cudaSetDevice(g_device));
  if (g_sm_count == 0) NVFP4_CUDA_TRY(cudaDeviceGetAttribute(&g_sm_count, cudaDevAttrMultiProcessorCount, g_device));
  return "";
}

size_t scale_count(const Fp8TensorView& t) {
  return static_cast<size_t>((t.rows + t.block_rows - 1) / t.block_rows) * static_cast<size_t>(t.scale_cols());
}

// Host copy of the value at a flagged index, to tell NaN from Inf (the kernels only record where).
std::string classify_bad(const Fp8TensorView& t_dev, int64_t index, NonFinite& nf) {
  uint8_t byte = 0;
  float s = 0.0f;
  const int64_t r = index / t_dev.cols, c = index % t_dev.cols;
  NVFP4_CUDA_TRY(cudaMemcpy(&byte, t_dev.data + index, 1, cudaMemcpyDeviceToHost));
  NVFP4_CUDA_TRY(cudaMemcpy(&s, t_dev.scale + (r / t_dev.block_rows) * t_dev.scale_cols() + c / t_dev.block_cols,
                            sizeof(float), cudaMemcpyDeviceToHost));
  const float v = mul_f32(decode_e4m3(byte), s);
  nf.index = index;
  nf.is_nan = v != v;
  return "";
}

constexpr int64_t kWarpsPerBlock = kThreads / 32;

// The (row, chunk) kernels use 32-bit column arithmetic and whole 16-byte groups.
bool fits_rows_kernels(const Fp8TensorView& t) {
  const int64_t limit = int64_t{1} << 30;
  const int64_t items = t.rows * ((t.cols + 511) / 512);
  return t.cols % 16 == 0 && t.cols < limit && t.block_cols < limit && t.block_rows < limit && items < limit;
}

int64_t stats_chunks_per_row(const Fp8TensorView& t) {
  return (t.cols / kGroupSize + kStatsChunkGroups - 1) / kStatsChunkGroups;
}

// Stats scratch: row sums (err, then ref: 2 · rows doubles), then chunk partials (2 · rows · chunks).
size_t stats_scratch_bytes(const Fp8TensorView& t) {
  return sizeof(double) * 2 * static_cast<size_t>(t.rows) * static_cast<size_t>(stats_chunks_per_row(t) + 1) + 16;
}

std::string launch_amax(const Fp8TensorView& t, DeviceScalars* d_scalars) {
  const int64_t n = t.rows * t.cols;
  NVFP4_CUDA_TRY(cudaMemsetAsync(d_scalars, 0, sizeof(DeviceScalars)));
  if (n == 0) return "";
  if (fits_rows_kernels(t)) {
    const int64_t items = t.rows * ((t.cols + 511) / 512);
    const int64_t blocks = std::min<int64_t>((items + kWarpsPerBlock - 1) / kWarpsPerBlock, static_cast<int64_t>(g_sm_count) * 8);
    amax_rows_kernel<<<static_cast<unsigned>(blocks), kThreads>>>(
        t.data, t.rows, static_cast<int32_t>(t.cols), t.scale, static_cast<int32_t>(t.scale_cols()),
        static_cast<int32_t>(t.block_rows), static_cast<int32_t>(t.block_cols), d_scalars);
  } else {
    const int64_t chunks = (n + 15) / 16;
    const int64_t blocks = std::min<int64_t>((chunks + kThreads - 1) / kThreads, static_cast<int64_t>(g_sm_count) * 16);
    amax_kernel<<<static_cast<unsigned>(blocks), kThreads>>>(t.data, n, t.cols, t.scale, t.scale_cols(), t.block_rows,
                                                              t.block_cols, d_scalars);
  }
  NVFP4_CUDA_TRY(cudaGetLastError());
  return "";
}

// d_stats: stats_scratch_bytes(t) of scratch; row sums end at d_stats (err) and d_stats + rows (ref).
// d_row_done: rows completion counters, 0 between launches; nullptr = the workspace's (the pipeline
// passes each lane's own, on that lane's device).
std::string launch_quantize(const Fp8TensorView& t, float gs, uint8_t* d_packed, uint8_t* d_scales, double* d_stats,
                            DeviceScalars* d_scalars, unsigned int* d_row_done = nullptr) {
  NVFP4_CUDA_TRY(cudaMemsetAsync(d_scalars, 0, sizeof(DeviceScalars)));
  if (t.rows == 0 || t.cols == 0) return "";
  if (!fits_rows_kernels(t)) return "tensor too large for the CUDA kernels (cols, block size or rows·cols/512 ≥ 2^30)";
  if (d_row_done == nullptr) {
    NVFP4_CUDA_TRY(g_ws.row_done.reserve(sizeof(unsigned int) * static_cast<size_t>(t.rows)));
    d_row_done = static_cast<unsigned int*>(g_ws.row_done.ptr);
  }
  const int64_t cpr = stats_chunks_per_row(t);
  const int64_t items = t.rows * cpr;
  QuantizeArgs a;
  a.data = t.data;
  a.scale = t.scale;
  a.packed = d_packed;
  a.block_scales = d_scales;
  a.row_err = d_stats;
  a.row_ref = d_stats + t.rows;
  a.chunk_err = d_stats + 2 * t.rows;
  a.chunk_ref = a.chunk_err + items;
  a.row_done = d_row_done;
  a.out = d_scalars;
  a.rows = static_cast<int32_t>(t.rows);
  a.cols = static_cast<int32_t>(t.cols);
  a.groups = static_cast<int32_t>(t.cols / kGroupSize);
  a.chunks_per_row = static_cast<int32_t>(cpr);
  a.scale_cols = static_cast<int32_t>(t.scale_cols());
  a.block_cols = static_cast<int32_t>(t.block_cols);
  a.by_block_rows = make_fast_div(static_cast<uint32_t>(t.block_rows));
  a.by_block_cols = make_fast_div(static_cast<uint32_t>(t.block_cols));
  a.gs = gs;
  a.six_gs = mul_f32(6.0f, gs);
  // One resident wave of blocks, grid-stride over the items: each block builds the scale-byte
  // table in shared memory once.
  if (g_quantize_blocks_per_sm == 0) {
    NVFP4_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&g_quantize_blocks_per_sm, quantize_kernel, kThreads, 0));
    g_quantize_blocks_per_sm = std::max(g_quantize_blocks_per_sm, 1);
  }
  const int64_t blocks = std::min<int64_t>((items + kWarpsPerBlock - 1) / kWarpsPerBlock,
                                           static_cast<int64_t>(g_sm_count) * g_quantize_blocks_per_sm);
  quantize_kernel<<<static_cast<unsigned>(blocks), kThreads>>>(a);
  NVFP4_CUDA_TRY(cudaGetLastError());
  return "";
}

std::string finish_amax(const Fp8TensorView& t_dev, DeviceScalars* d_scalars, AmaxResult& out) {
  DeviceScalars h;
  NVFP4_CUDA_TRY(cudaMemcpy(&h, d_scalars, sizeof h, cudaMemcpyDeviceToHost));
  out = AmaxResult();
  if (h.not_first_bad != 0) return classify_bad(t_dev, static_cast<int64_t>(~h.not_first_bad), out.non_finite);
  out.amax = bits_float(h.amax_bits);
  return "";
}

// Row stats are summed here, on the host, in row order — the reference's last summation level.
std::string finish_quantize(const Fp8TensorView& t_dev, const double* d_row_stats, DeviceScalars* d_scalars,
                            QuantizeStats& out) {
  DeviceScalars h;
  NVFP4_CUDA_TRY(cudaMemcpy(&h, d_scalars, sizeof h, cudaMemcpyDeviceToHost));
  out = QuantizeStats();
  if (h.not_first_bad != 0) return classify_bad(t_dev, static_cast<int64_t>(~h.not_first_bad), out.non_finite);
  if (t_dev.rows > 0) {
    double* host = new double[2 * t_dev.rows];
    const cudaError_t e = cudaMemcpy(host, d_row_stats, sizeof(double) * 2 * t_dev.rows, cudaMemcpyDeviceToHost);
    if (e == cudaSuccess) {
      for (int64_t r = 0; r < t_dev.rows; r++) {
        out.sum_sq_error = add_f64(out.sum_sq_error, host[r]);
        out.sum_sq_ref = add_f64(out.sum_sq_ref, host[t_dev.rows + r]);
      }
    }
    delete[] host;
    NVFP4_CUDA_TRY(e);
  }
  double m;
  static_assert(sizeof m == sizeof h.max_err_bits, "double is 64-bit");
  __builtin_memcpy(&m, &h.max_err_bits, sizeof m);
  out.max_abs_error = m;
  return "";
}

// Uploads t into the workspace and returns a view of the device copy.
std::string upload(const Fp8TensorView& t, Fp8TensorView& t_dev) {
  const size_t n = static_cast<size_t>(t.rows * t.cols);
  const size_t ns = scale_count(t);
  NVFP4_CUDA_TRY(g_ws.data.reserve(n + 16));
  NVFP4_CUDA_TRY(g_ws.scale.reserve(ns * sizeof(float) + 16));
  NVFP4_CUDA_TRY(g_ws.scalars.reserve(sizeof(DeviceScalars)));
  if (n > 0) NVFP4_CUDA_TRY(cudaMemcpy(g_ws.data.ptr, t.data, n, cudaMemcpyHostToDevice));
  if (ns > 0) NVFP4_CUDA_TRY(cudaMemcpy(g_ws.scale.ptr, t.scale, ns * sizeof(float), cudaMemcpyHostToDevice));
  t_dev = t;
  t_dev.data = static_cast<const uint8_t*>(g_ws.data.ptr);
  t_dev.scale = static_cast<const float*>(g_ws.scale.ptr);
  return "";
}

std::string reserve_outputs(const Fp8TensorView& t) {
  const size_t n = static_cast<size_t>(t.rows * t.cols);
  NVFP4_CUDA_TRY(g_ws.packed.reserve(n / 2 + 16));
  NVFP4_CUDA_TRY(g_ws.block_scales.reserve(n / kGroupSize + 16));
  NVFP4_CUDA_TRY(g_ws.row_stats.reserve(stats_scratch_bytes(t)));
  return "";
}

#define NVFP4_RETURN_IF(expr)            \
  do {                                   \
    std::string e_ = (expr);             \
    if (!e_.empty()) return e_;          \
  } while (0)

}  // namespace

std::string probe(int device, DeviceInfo& info) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_CUDA_TRY(cudaGetDeviceCount(&info.device_count));
  if (device < 0 || device >= info.device_count) return "no CUDA device " + std::to_string(device);
  cudaDeviceProp prop;
  NVFP4_CUDA_TRY(cudaGetDeviceProperties(&prop, device));
  if (prop.major < 9) return std::string(prop.name) + " is sm_" + std::to_string(prop.major * 10 + prop.minor) +
                             "; the kernels are built for sm_90 and sm_100+";
  g_device = device;
  g_sm_count = 0;
  g_quantize_blocks_per_sm = 0;
  NVFP4_RETURN_IF(ensure_device());
  // Launch a kernel on nothing to be sure the binary has code for this GPU.
  NVFP4_CUDA_TRY(g_ws.scalars.reserve(sizeof(DeviceScalars)));
  amax_kernel<<<1, kThreads>>>(nullptr, 0, 16, nullptr, 1, 1, 16, static_cast<DeviceScalars*>(g_ws.scalars.ptr));
  NVFP4_CUDA_TRY(cudaGetLastError());
  NVFP4_CUDA_TRY(cudaDeviceSynchronize());
  info.device = device;
  info.name = prop.name;
  info.cc_major = prop.major;
  info.cc_minor = prop.minor;
  info.multi_processors = prop.multiProcessorCount;
  info.total_memory = prop.totalGlobalMem;
  return "";
}

std::string amax_device(const Fp8TensorView& t, AmaxResult& out) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  NVFP4_CUDA_TRY(g_ws.scalars.reserve(sizeof(DeviceScalars)));
  auto* scalars = static_cast<DeviceScalars*>(g_ws.scalars.ptr);
  NVFP4_RETURN_IF(launch_amax(t, scalars));
  return finish_amax(t, scalars, out);
}

std::string quantize_device(const Fp8TensorView& t, float gs, uint8_t* d_packed, uint8_t* d_block_scales,
                            QuantizeStats& out) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  NVFP4_CUDA_TRY(g_ws.scalars.reserve(sizeof(DeviceScalars)));
  NVFP4_CUDA_TRY(g_ws.row_stats.reserve(stats_scratch_bytes(t)));
  auto* scalars = static_cast<DeviceScalars*>(g_ws.scalars.ptr);
  auto* row_stats = static_cast<double*>(g_ws.row_stats.ptr);
  NVFP4_RETURN_IF(launch_quantize(t, gs, d_packed, d_block_scales, row_stats, scalars));
  return finish_quantize(t, row_stats, scalars, out);
}

std::string amax_host(const Fp8TensorView& t, AmaxResult& out) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  Fp8TensorView t_dev;
  NVFP4_RETURN_IF(upload(t, t_dev));
  auto* scalars = static_cast<DeviceScalars*>(g_ws.scalars.ptr);
  NVFP4_RETURN_IF(launch_amax(t_dev, scalars));
  return finish_amax(t_dev, scalars, out);
}

std::string quantize_host(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales,
                          QuantizeStats& out) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  Fp8TensorView t_dev;
  NVFP4_RETURN_IF(upload(t, t_dev));
  NVFP4_RETURN_IF(reserve_outputs(t));
  auto* scalars = static_cast<DeviceScalars*>(g_ws.scalars.ptr);
  auto* row_stats = static_cast<double*>(g_ws.row_stats.ptr);
  auto* d_packed = static_cast<uint8_t*>(g_ws.packed.ptr);
  auto* d_scales = static_cast<uint8_t*>(g_ws.block_scales.ptr);
  NVFP4_RETURN_IF(launch_quantize(t_dev, gs, d_packed, d_scales, row_stats, scalars));
  NVFP4_RETURN_IF(finish_quantize(t_dev, row_stats, scalars, out));
  if (out.non_finite.index >= 0) return "";
  const size_t n = static_cast<size_t>(t.rows * t.cols);
  if (n > 0) {
    NVFP4_CUDA_TRY(cudaMemcpy(packed, d_packed, n / 2, cudaMemcpyDeviceToHost));
    NVFP4_CUDA_TRY(cudaMemcpy(block_scales, d_scales, n / kGroupSize, cudaMemcpyDeviceToHost));
  }
  return "";
}

std::string benchmark(const Fp8TensorView& t, float gs, int iterations, BenchmarkResult& out) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  if (iterations < 1) iterations = 1;
  cudaEvent_t e0, e1;
  NVFP4_CUDA_TRY(cudaEventCreate(&e0));
  NVFP4_CUDA_TRY(cudaEventCreate(&e1));
  float ms = 0.0f;
  Fp8TensorView t_dev;
  NVFP4_RETURN_IF(reserve_outputs(t));
  NVFP4_CUDA_TRY(cudaEventRecord(e0));
  NVFP4_RETURN_IF(upload(t, t_dev));
  NVFP4_CUDA_TRY(cudaEventRecord(e1));
  NVFP4_CUDA_TRY(cudaEventSynchronize(e1));
  NVFP4_CUDA_TRY(cudaEventElapsedTime(&ms, e0, e1));
  out.upload_ms = ms;
  auto* scalars = static_cast<DeviceScalars*>(g_ws.scalars.ptr);
  auto* row_stats = static_cast<double*>(g_ws.row_stats.ptr);
  auto* d_packed = static_cast<uint8_t*>(g_ws.packed.ptr);
  auto* d_scales = static_cast<uint8_t*>(g_ws.block_scales.ptr);
  // Warm-up (first launch loads the module).
  NVFP4_RETURN_IF(launch_amax(t_dev, scalars));
  NVFP4_RETURN_IF(launch_quantize(t_dev, gs, d_packed, d_scales, row_stats, scalars));
  NVFP4_CUDA_TRY(cudaDeviceSynchronize());
  NVFP4_CUDA_TRY(cudaEventRecord(e0));
  for (int i = 0; i < iterations; i++) NVFP4_RETURN_IF(launch_amax(t_dev, scalars));
  NVFP4_CUDA_TRY(cudaEventRecord(e1));
  NVFP4_CUDA_TRY(cudaEventSynchronize(e1));
  NVFP4_CUDA_TRY(cudaEventElapsedTime(&ms, e0, e1));
  out.amax_ms = ms / iterations;
  NVFP4_CUDA_TRY(cudaEventRecord(e0));
  for (int i = 0; i < iterations; i++) NVFP4_RETURN_IF(launch_quantize(t_dev, gs, d_packed, d_scales, row_stats, scalars));
  NVFP4_CUDA_TRY(cudaEventRecord(e1));
  NVFP4_CUDA_TRY(cudaEventSynchronize(e1));
  NVFP4_CUDA_TRY(cudaEventElapsedTime(&ms, e0, e1));
  out.quantize_ms = ms / iterations;
  // Download timing into a scratch host buffer (pageable, like quantize_host).
  const size_t n = static_cast<size_t>(t.rows * t.cols);
  uint8_t* host = new uint8_t[n / 2 + n / kGroupSize + 16 * static_cast<size_t>(t.rows) + 1];
  cudaEventRecord(e0);
  cudaError_t e = cudaMemcpy(host, d_packed, n / 2, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess) e = cudaMemcpy(host + n / 2, d_scales, n / kGroupSize, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess) e = cudaMemcpy(host + n / 2 + n / kGroupSize, row_stats, 16 * static_cast<size_t>(t.rows), cudaMemcpyDeviceToHost);
  cudaEventRecord(e1);
  cudaEventSynchronize(e1);
  delete[] host;
  NVFP4_CUDA_TRY(e);
  NVFP4_CUDA_TRY(cudaEventElapsedTime(&ms, e0, e1));
  out.download_ms = ms;
  out.iterations = iterations;
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  return "";
}

void release_workspace() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_ws.release();
}

std::string device_alloc(size_t bytes, void** ptr) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  NVFP4_CUDA_TRY(cudaMalloc(ptr, bytes == 0 ? 1 : bytes));
  return "";
}

std::string device_free(void* ptr) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_CUDA_TRY(cudaFree(ptr));
  return "";
}

std::string copy_to_device(void* dst, const void* src, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  NVFP4_CUDA_TRY(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  return "";
}

std::string copy_from_device(void* dst, const void* src, size_t bytes) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  NVFP4_CUDA_TRY(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  return "";
}

// ---- Entry points for the multi-GPU pipeline (pipeline.cu; declared in cuda_kernels.h) --------
// Scratch layout: DeviceScalars at 0, the stats scratch from kPipelineStatsOffset.
namespace {
constexpr size_t kPipelineStatsOffset = 256;

// The launch helpers size their grids from g_sm_count and cache occupancy in a static: both are
// set under g_mutex; only the launches hold it, the waits for results do not.
std::string launch_with_sm_count(const std::function<std::string()>& launch) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_sm_count == 0) {
    int device = 0;
    NVFP4_CUDA_TRY(cudaGetDevice(&device));
    NVFP4_CUDA_TRY(cudaDeviceGetAttribute(&g_sm_count, cudaDevAttrMultiProcessorCount, device));
  }
  return launch();
}
}  // namespace

size_t pipeline_scratch_bytes(const Fp8TensorView& t) { return kPipelineStatsOffset + stats_scratch_bytes(t); }

std::string amax_on_current_device(const Fp8TensorView& t, void* d_scratch, AmaxResult& out) {
  auto* scalars = static_cast<DeviceScalars*>(d_scratch);
  NVFP4_RETURN_IF(launch_with_sm_count([&] { return launch_amax(t, scalars); }));
  return finish_amax(t, scalars, out);
}

std::string quantize_on_current_device(const Fp8TensorView& t, float gs, uint8_t* d_packed, uint8_t* d_block_scales,
                                       void* d_scratch, unsigned int* d_row_done, QuantizeStats& out) {
  auto* scalars = static_cast<DeviceScalars*>(d_scratch);
  auto* stats = reinterpret_cast<double*>(static_cast<uint8_t*>(d_scratch) + kPipelineStatsOffset);
  NVFP4_RETURN_IF(launch_with_sm_count(
      [&] { return launch_quantize(t, gs, d_packed, d_block_scales, stats, scalars, d_row_done); }));
  return finish_quantize(t, stats, scalars, out);
}

}  // namespace gpu
}  // namespace nvfp4
