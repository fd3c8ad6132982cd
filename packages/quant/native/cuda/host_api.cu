// The host API of the CUDA NVFP4 kernels (cuda_kernels.h): the single-GPU calls, which serialize
// on g_mutex and one workspace, and the pipeline's calls, which run on the calling thread's device
// and stream.
#include <cuda_runtime.h>

#include <functional>
#include <mutex>

#include "../common/nvfp4_math.h"
#include "cuda_kernels.h"
#include "cuda_status.h"
#include "launch.h"

namespace nvfp4 {
namespace gpu {

using namespace detail;

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
  NVFP4_RETURN_IF(launch_probe(static_cast<DeviceScalars*>(g_ws.scalars.ptr)));
  NVFP4_CUDA_TRY(cudaDeviceSynchronize());
  info.device = device;
  info.name = prop.name;
  info.cc_major = prop.major;
  info.cc_minor = prop.minor;
  info.multi_processors = prop.multiProcessorCount;
  info.total_memory = prop.totalGlobalMem;
  return "";
}

std::string warm_up(int gpus) {
  int count = 0;
  NVFP4_CUDA_TRY(cudaGetDeviceCount(&count));
  for (int d = 0; d < gpus && d < count; ++d) {
    NVFP4_CUDA_TRY(cudaSetDevice(d));
    NVFP4_CUDA_TRY(cudaFree(nullptr));
  }
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
  NVFP4_CUDA_TRY(g_ws.out.stats.reserve(stats_scratch_bytes(t)));
  void* row_stats = g_ws.out.stats.ptr;
  int blocks = 0;
  NVFP4_RETURN_IF(launch_quantize(t, gs, d_packed, d_block_scales, row_stats, blocks, cudaStreamPerThread, true));
  return finish_quantize(t, gs, row_stats, blocks, out);
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
  NVFP4_RETURN_IF(g_ws.out.reserve(t));
  void* row_stats = g_ws.out.stats.ptr;
  auto* d_packed = static_cast<uint8_t*>(g_ws.out.packed.ptr);
  auto* d_scales = static_cast<uint8_t*>(g_ws.out.block_scales.ptr);
  int blocks = 0;
  NVFP4_RETURN_IF(launch_quantize(t_dev, gs, d_packed, d_scales, row_stats, blocks, cudaStreamPerThread, true));
  NVFP4_RETURN_IF(finish_quantize(t_dev, gs, row_stats, blocks, out));
  if (out.non_finite.index >= 0) return "";
  const size_t n = static_cast<size_t>(t.rows * t.cols);
  if (n > 0) {
    NVFP4_CUDA_TRY(cudaMemcpy(packed, d_packed, n / 2, cudaMemcpyDeviceToHost));
    NVFP4_CUDA_TRY(cudaMemcpy(block_scales, d_scales, n / kGroupSize, cudaMemcpyDeviceToHost));
  }
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
// Scratch layout: the amax pass's DeviceScalars at 0, the quantize pass's stats scratch from
// kPipelineStatsOffset.
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
                                       void* d_scratch, QuantizeStats& out) {
  void* stats = static_cast<uint8_t*>(d_scratch) + kPipelineStatsOffset;
  int blocks = 0;
  NVFP4_RETURN_IF(
      launch_with_sm_count([&] { return launch_quantize(t, gs, d_packed, d_block_scales, stats, blocks, cudaStreamPerThread, true); }));
  return finish_quantize(t, gs, stats, blocks, out);
}

}  // namespace gpu
}  // namespace nvfp4
