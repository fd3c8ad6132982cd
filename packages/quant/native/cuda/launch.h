// The launch layer of the CUDA NVFP4 kernels (launch.cu): the device workspace, each launch's grid
// and arguments, and the host's share of the results (the blocks' partial stats combined in the
// reference's order). The host API (host_api.cu, in fp4kit_cuda.node) and the benchmark harness
// (bench.cu, in fp4kit_cuda_bench.node) build on it.
#pragma once

#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include <mutex>
#include <string>

#include "../common/tensor_view.h"

namespace nvfp4 {
namespace gpu {
namespace detail {

// The amax pass's results, zeroed by one memset before each launch. The maximum is published with
// atomicMax on its bit pattern (valid because it is ≥ 0), the lowest bad index as ~index, so that
// atomicMax keeps the lowest and 0 means none.
struct DeviceScalars {
  unsigned int amax_bits;
  unsigned int pad;
  unsigned long long not_first_bad;
};

struct DeviceBuffer {
  void* ptr = nullptr;
  size_t capacity = 0;
  cudaError_t reserve(size_t bytes) {
    if (bytes <= capacity) return cudaSuccess;
    if (ptr != nullptr) cudaFree(ptr);
    ptr = nullptr;
    capacity = 0;
    const size_t rounded = (bytes + (1u << 20) - 1) & ~static_cast<size_t>((1u << 20) - 1);
    const cudaError_t e = cudaMalloc(&ptr, rounded);
    if (e == cudaSuccess) capacity = rounded;
    return e;
  }
  void release() {
    if (ptr != nullptr) cudaFree(ptr);
    ptr = nullptr;
    capacity = 0;
  }
};

// Where a quantize launch writes: packed codes, scale bytes and its stats scratch.
struct QuantizeOutputs {
  DeviceBuffer packed, block_scales, stats;
  std::string reserve(const Fp8TensorView& t);
  void release() {
    packed.release();
    block_scales.release();
    stats.release();
  }
};

struct Workspace {
  DeviceBuffer data, scale, scalars;
  QuantizeOutputs out;
  void release() {
    data.release();
    scale.release();
    scalars.release();
    out.release();
  }
};

// Quantize scratch: the chunk sums (err, then ref: 2·C floats, C = rows · chunks per row), the
// blocks' max |es| (one float per block, at most C: every block has a chunk), then, 8-aligned,
// their lowest bad index (at most C). The host reads the chunk sums and the maxima in one copy.
struct StatsScratch {
  float* chunk_err;
  float* chunk_ref;
  float* block_max;
  unsigned long long* block_bad;
};

// The device all calls of the host API use, and its properties; the workspace. Guarded by g_mutex.
extern std::mutex g_mutex;
extern int g_device;
extern int g_sm_count;
extern int g_quantize_blocks_per_sm;  // resident blocks of quantize_kernel per SM (occupancy API)
extern Workspace g_ws;

std::string ensure_device();

int64_t stats_chunks(const Fp8TensorView& t);
size_t stats_scratch_bytes(const Fp8TensorView& t);
StatsScratch stats_layout(const Fp8TensorView& t, void* base);

// An amax launch on nothing: whether the binary has code for the current GPU.
std::string launch_probe(DeviceScalars* d_scalars);
std::string launch_amax(const Fp8TensorView& t, DeviceScalars* d_scalars);
// d_stats: stats_scratch_bytes(t) of scratch. `blocks` gets the grid size (0: nothing launched),
// which finish_quantize needs.
std::string launch_quantize(const Fp8TensorView& t, float gs, uint8_t* d_packed, uint8_t* d_scales, void* d_stats,
                            int& blocks, cudaStream_t stream, bool overlap_previous);
std::string finish_amax(const Fp8TensorView& t_dev, DeviceScalars* d_scalars, AmaxResult& out);
std::string finish_quantize(const Fp8TensorView& t_dev, float gs, void* d_stats, int blocks, QuantizeStats& out);
// Uploads t into the workspace and returns a view of the device copy.
std::string upload(const Fp8TensorView& t, Fp8TensorView& t_dev);

}  // namespace detail
}  // namespace gpu
}  // namespace nvfp4
