// Launches of the CUDA NVFP4 kernels (kernels.cuh) and the workspace they run in: grid sizes,
// per-launch arguments planned on the host, and the host's share of each pass's results.
#include <algorithm>
#include <climits>
#include <vector>

#include "../common/nvfp4_math.h"
#include "cuda_status.h"
#include "kernels.cuh"
#include "launch.h"

namespace nvfp4 {
namespace gpu {
namespace detail {

std::mutex g_mutex;
int g_device = 0;
int g_sm_count = 0;
int g_quantize_blocks_per_sm = 0;  // resident blocks of quantize_kernel per SM (occupancy API)
Workspace g_ws;

namespace {

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

size_t stats_bad_offset(const Fp8TensorView& t) { return (12 * static_cast<size_t>(stats_chunks(t)) + 7) & ~size_t{7}; }

// The per-gs part of the launch, computed with the device's IEEE arithmetic: the scale bytes'
// amax thresholds (a bisection of 31 divisions each) and the fast path's constants. Cached for
// the last gs (the caller holds g_mutex; converters quantize tensors of one gs in a row).
void fill_gs_constants(float gs, QuantizeArgs& a) {
  static float cached_gs = 0.0f;  // no valid gs is 0
  static float amax_min[kScaleBytes];
  static FastConstants fast;
  if (float_bits(gs) != float_bits(cached_gs)) {
    for (uint32_t b = 0; b < static_cast<uint32_t>(kScaleBytes); b++) amax_min[b] = scale_amax_min(b, a.six_gs);
    make_fast_constants(gs, fast);
    cached_gs = gs;
  }
  std::copy(amax_min, amax_min + kScaleBytes, a.amax_min);
  a.fast = fast;
}

void plan_phases(QuantizeArgs& a) {
  const int32_t total = a.rows * a.chunks_per_row;
  int32_t start = 0;
  for (int i = 0; i < kPhases; i++) {
    const int32_t g = kTeamGroups >> i;
    const int32_t step = g * a.warps;
    a.phases[i] = PhasePlan{start, g > 1 ? (total - start) / step : 0, step / a.chunks_per_row, step % a.chunks_per_row};
    start += g * a.phases[i].rounds * a.warps;
  }
}
}  // namespace

std::string ensure_device() {
  NVFP4_CUDA_TRY(cudaSetDevice(g_device));
  if (g_sm_count == 0) NVFP4_CUDA_TRY(cudaDeviceGetAttribute(&g_sm_count, cudaDevAttrMultiProcessorCount, g_device));
  return "";
}
int64_t stats_chunks(const Fp8TensorView& t) { return t.rows * stats_chunks_per_row(t); }

size_t stats_scratch_bytes(const Fp8TensorView& t) { return stats_bad_offset(t) + 8 * static_cast<size_t>(stats_chunks(t)) + 16; }

// base: 8-byte aligned.
StatsScratch stats_layout(const Fp8TensorView& t, void* base) {
  const int64_t c = stats_chunks(t);
  auto* f = static_cast<float*>(base);
  return StatsScratch{f, f + c, f + 2 * c,
                      reinterpret_cast<unsigned long long*>(static_cast<uint8_t*>(base) + stats_bad_offset(t))};
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

std::string launch_probe(DeviceScalars* d_scalars) {
  amax_kernel<<<1, kThreads>>>(nullptr, 0, 16, nullptr, 1, 1, 16, d_scalars);
  NVFP4_CUDA_TRY(cudaGetLastError());
  return "";
}

std::string launch_quantize(const Fp8TensorView& t, float gs, uint8_t* d_packed, uint8_t* d_scales, void* d_stats,
                            int& blocks, cudaStream_t stream, bool overlap_previous) {
  blocks = 0;
  if (t.rows == 0 || t.cols == 0) return "";
  if (!fits_rows_kernels(t)) return "tensor too large for the CUDA kernels (cols, block size or rows·cols/512 ≥ 2^30)";
  const int64_t cpr = stats_chunks_per_row(t);
  // One resident wave: each block builds the scale tables in shared memory once.
  if (g_quantize_blocks_per_sm == 0) {
    NVFP4_CUDA_TRY(
        cudaOccupancyMaxActiveBlocksPerMultiprocessor(&g_quantize_blocks_per_sm, quantize_kernel<ChunkLayout::kUniform>, kQuantizeThreads, 0));
    g_quantize_blocks_per_sm = std::max(g_quantize_blocks_per_sm, 1);
  }
  blocks = static_cast<int>(std::min<int64_t>(stats_chunks(t), static_cast<int64_t>(g_sm_count) * g_quantize_blocks_per_sm));
  const StatsScratch st = stats_layout(t, d_stats);
  QuantizeArgs a;
  a.data = t.data;
  a.scale = t.scale;
  a.packed = d_packed;
  a.block_scales = d_scales;
  a.chunk_err = st.chunk_err;
  a.chunk_ref = st.chunk_ref;
  a.block_max_err = st.block_max;
  a.block_first_bad = st.block_bad;
  a.rows = static_cast<int32_t>(t.rows);
  a.cols = static_cast<int32_t>(t.cols);
  a.groups = static_cast<int32_t>(t.cols / kGroupSize);
  a.chunks_per_row = static_cast<int32_t>(cpr);
  a.scale_cols = static_cast<int32_t>(t.scale_cols());
  a.by_block_rows = make_fast_div(static_cast<uint32_t>(t.block_rows));
  a.by_block_cols = make_fast_div(static_cast<uint32_t>(t.block_cols));
  a.by_chunks_per_row = make_fast_div(static_cast<uint32_t>(cpr));
  a.warps = blocks * (kQuantizeThreads / 32);
  plan_phases(a);
  a.six_gs = mul_f32(6.0f, gs);
  fill_gs_constants(gs, a);
  // Launched as a programmatic dependent of the stream's previous kernel, if that is what comes
  // before it (otherwise the attribute changes nothing): the kernel waits for it (griddepcontrol)
  // before touching global memory, but its launch and its table build need not.
  cudaLaunchAttribute overlap;
  overlap.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  overlap.val.programmaticStreamSerializationAllowed = overlap_previous ? 1 : 0;
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(static_cast<unsigned>(blocks));
  config.blockDim = dim3(kQuantizeThreads);
  config.stream = stream;
  config.attrs = &overlap;
  config.numAttrs = 1;
  if (t.block_cols % kGroupSize != 0) {
    NVFP4_CUDA_TRY(cudaLaunchKernelEx(&config, quantize_kernel<ChunkLayout::kMixedScales>, a));
  } else if (a.groups % kStatsChunkGroups != 0) {
    NVFP4_CUDA_TRY(cudaLaunchKernelEx(&config, quantize_kernel<ChunkLayout::kUniform>, a));
  } else if (t.block_cols != 128) {
    NVFP4_CUDA_TRY(cudaLaunchKernelEx(&config, quantize_kernel<ChunkLayout::kWhole>, a));
  } else {
    NVFP4_CUDA_TRY(cudaLaunchKernelEx(&config, quantize_kernel<ChunkLayout::kBlocks128>, a));
  }
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

// The blocks' maxima and lowest bad index are combined here (order-free); each row's chunk sums
// are added in chunk order and the rows in row order, in float64: the reference's last two levels.
std::string finish_quantize(const Fp8TensorView& t_dev, float gs, void* d_stats, int blocks, QuantizeStats& out) {
  out = QuantizeStats();
  if (blocks == 0) return "";
  const int64_t chunks = stats_chunks(t_dev), cpr = stats_chunks_per_row(t_dev);
  const StatsScratch st = stats_layout(t_dev, d_stats);
  std::vector<float> host(2 * static_cast<size_t>(chunks) + static_cast<size_t>(blocks));
  std::vector<unsigned long long> bad_slots(static_cast<size_t>(blocks));
  NVFP4_CUDA_TRY(cudaMemcpy(host.data(), st.chunk_err, sizeof(float) * host.size(), cudaMemcpyDeviceToHost));
  NVFP4_CUDA_TRY(cudaMemcpy(bad_slots.data(), st.block_bad, sizeof(unsigned long long) * bad_slots.size(),
                            cudaMemcpyDeviceToHost));
  float max_es = 0.0f;
  unsigned long long bad = ULLONG_MAX;
  for (int b = 0; b < blocks; b++) {
    max_es = max_f32(max_es, host[2 * chunks + b]);
    bad = bad_slots[b] < bad ? bad_slots[b] : bad;
  }
  if (bad != ULLONG_MAX) return classify_bad(t_dev, static_cast<int64_t>(bad), out.non_finite);
  for (int64_t r = 0; r < t_dev.rows; r++) {
    double err = 0.0, ref = 0.0;
    for (int64_t k = r * cpr; k < (r + 1) * cpr; k++) {
      err = add_f64(err, static_cast<double>(host[k]));
      ref = add_f64(ref, static_cast<double>(host[chunks + k]));
    }
    out.sum_sq_error = add_f64(out.sum_sq_error, err);
    out.sum_sq_ref = add_f64(out.sum_sq_ref, ref);
  }
  scale_stats_to_values(gs, max_es, out);
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

std::string QuantizeOutputs::reserve(const Fp8TensorView& t) {
  const size_t n = static_cast<size_t>(t.rows * t.cols);
  NVFP4_CUDA_TRY(packed.reserve(n / 2 + 16));
  NVFP4_CUDA_TRY(block_scales.reserve(n / kGroupSize + 16));
  NVFP4_CUDA_TRY(stats.reserve(stats_scratch_bytes(t)));
  return "";
}

}  // namespace detail
}  // namespace gpu
}  // namespace nvfp4
