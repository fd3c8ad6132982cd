// The kernels' benchmark harness (bench.h): kernel-only timings on device-resident copies, for
// scripts/gpu-check.ts. Linked into fp4kit_cuda_bench.node only (bench_addon.cc), never into the
// addon conversions load.
#include <cuda_runtime.h>

#include <mutex>

#include "../common/nvfp4_math.h"
#include "bench.h"
#include "cuda_status.h"
#include "launch.h"

namespace nvfp4 {
namespace gpu {

using namespace detail;

namespace {

// The pipeline's default lanes per GPU (DEFAULT_LANES_PER_GPU, src/nvfp4/cuda-pipeline.ts).
constexpr int kBenchmarkLanes = 3;

// Milliseconds from e0, recorded earlier, to the end of the work enqueued so far on the per-thread
// stream (waits for it).
std::string elapsed_ms(cudaEvent_t e0, cudaEvent_t e1, float& ms) {
  NVFP4_CUDA_TRY(cudaEventRecord(e1, cudaStreamPerThread));
  NVFP4_CUDA_TRY(cudaEventSynchronize(e1));
  NVFP4_CUDA_TRY(cudaEventElapsedTime(&ms, e0, e1));
  return "";
}

// A stream with its own outputs, like one of the pipeline's lanes.
struct BenchmarkLane {
  cudaStream_t stream = nullptr;
  cudaEvent_t done = nullptr;
  QuantizeOutputs out;
  ~BenchmarkLane() {
    if (done != nullptr) cudaEventDestroy(done);
    if (stream != nullptr) cudaStreamDestroy(stream);
    out.release();
  }
};

// Milliseconds a launch, of `iterations` launches dealt round-robin over kBenchmarkLanes streams:
// a lane's launch waits for its own previous one only, as the pipeline's concurrent lanes' do.
std::string time_quantize_on_lanes(const Fp8TensorView& t_dev, float gs, int iterations, cudaEvent_t e0, cudaEvent_t e1,
                                   double& ms_per_launch) {
  BenchmarkLane lanes[kBenchmarkLanes];
  for (BenchmarkLane& l : lanes) {
    NVFP4_CUDA_TRY(cudaStreamCreateWithFlags(&l.stream, cudaStreamNonBlocking));
    NVFP4_CUDA_TRY(cudaEventCreateWithFlags(&l.done, cudaEventDisableTiming));
    NVFP4_RETURN_IF(l.out.reserve(t_dev));
  }
  NVFP4_CUDA_TRY(cudaEventRecord(e0, cudaStreamPerThread));
  for (BenchmarkLane& l : lanes) NVFP4_CUDA_TRY(cudaStreamWaitEvent(l.stream, e0, 0));
  int blocks = 0;
  for (int i = 0; i < iterations; i++) {
    BenchmarkLane& l = lanes[i % kBenchmarkLanes];
    NVFP4_RETURN_IF(launch_quantize(t_dev, gs, static_cast<uint8_t*>(l.out.packed.ptr),
                                    static_cast<uint8_t*>(l.out.block_scales.ptr), l.out.stats.ptr, blocks, l.stream,
                                    false));
  }
  for (BenchmarkLane& l : lanes) {
    NVFP4_CUDA_TRY(cudaEventRecord(l.done, l.stream));
    NVFP4_CUDA_TRY(cudaStreamWaitEvent(cudaStreamPerThread, l.done, 0));
  }
  float ms = 0.0f;
  NVFP4_RETURN_IF(elapsed_ms(e0, e1, ms));
  ms_per_launch = ms / iterations;
  return "";
}

}  // namespace

std::string benchmark(const Fp8TensorView& t, float gs, int iterations, BenchmarkResult& out) {
  std::lock_guard<std::mutex> lock(g_mutex);
  NVFP4_RETURN_IF(ensure_device());
  if (iterations < 1) iterations = 1;
  cudaEvent_t e0, e1;
  NVFP4_CUDA_TRY(cudaEventCreate(&e0));
  NVFP4_CUDA_TRY(cudaEventCreate(&e1));
  float ms = 0.0f;
  Fp8TensorView t_dev;
  NVFP4_RETURN_IF(g_ws.out.reserve(t));
  NVFP4_CUDA_TRY(cudaEventRecord(e0));
  NVFP4_RETURN_IF(upload(t, t_dev));
  NVFP4_RETURN_IF(elapsed_ms(e0, e1, ms));
  out.upload_ms = ms;
  auto* scalars = static_cast<DeviceScalars*>(g_ws.scalars.ptr);
  void* row_stats = g_ws.out.stats.ptr;
  auto* d_packed = static_cast<uint8_t*>(g_ws.out.packed.ptr);
  auto* d_scales = static_cast<uint8_t*>(g_ws.out.block_scales.ptr);
  // Warm-up (first launch loads the module).
  int blocks = 0;
  NVFP4_RETURN_IF(launch_amax(t_dev, scalars));
  NVFP4_RETURN_IF(launch_quantize(t_dev, gs, d_packed, d_scales, row_stats, blocks, cudaStreamPerThread, false));
  NVFP4_CUDA_TRY(cudaDeviceSynchronize());
  NVFP4_CUDA_TRY(cudaEventRecord(e0));
  for (int i = 0; i < iterations; i++) NVFP4_RETURN_IF(launch_amax(t_dev, scalars));
  NVFP4_RETURN_IF(elapsed_ms(e0, e1, ms));
  out.amax_ms = ms / iterations;
  // Back to back, each launch overlapping the previous one's end (as consecutive quantize
  // launches do), then each waiting for it (as a launch after a copy does).
  for (const bool overlap : {true, false}) {
    NVFP4_CUDA_TRY(cudaEventRecord(e0));
    for (int i = 0; i < iterations; i++) {
      NVFP4_RETURN_IF(launch_quantize(t_dev, gs, d_packed, d_scales, row_stats, blocks, cudaStreamPerThread, overlap));
    }
    NVFP4_RETURN_IF(elapsed_ms(e0, e1, ms));
    (overlap ? out.quantize_ms : out.quantize_serial_ms) = ms / iterations;
  }
  NVFP4_RETURN_IF(time_quantize_on_lanes(t_dev, gs, iterations, e0, e1, out.quantize_lanes_ms));
  // Download timing into a scratch host buffer (pageable, like quantize_host).
  const size_t n = static_cast<size_t>(t.rows * t.cols);
  const size_t stats_bytes = 2 * sizeof(float) * static_cast<size_t>(stats_chunks(t));
  uint8_t* host = new uint8_t[n / 2 + n / kGroupSize + stats_bytes + 1];
  cudaEventRecord(e0);
  cudaError_t e = cudaMemcpy(host, d_packed, n / 2, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess) e = cudaMemcpy(host + n / 2, d_scales, n / kGroupSize, cudaMemcpyDeviceToHost);
  if (e == cudaSuccess) {
    e = cudaMemcpy(host + n / 2 + n / kGroupSize, stats_layout(t_dev, row_stats).chunk_err, stats_bytes,
                   cudaMemcpyDeviceToHost);
  }
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

}  // namespace gpu
}  // namespace nvfp4
