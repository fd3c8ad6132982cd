// The kernels' benchmark harness (bench.cu), on the host API's device and workspace.
#pragma once

#include <string>

#include "../common/tensor_view.h"

namespace nvfp4 {
namespace gpu {

struct BenchmarkResult {
  // quantize_ms: launches that overlap the previous one's end (programmatic dependent launch);
  // quantize_serial_ms: launches that start after it; quantize_lanes_ms: launches dealt over three
  // streams, as the pipeline's lanes of one GPU make them.
  double amax_ms = 0, quantize_ms = 0, quantize_serial_ms = 0, quantize_lanes_ms = 0, upload_ms = 0, download_ms = 0;
  int iterations = 0;
};

// Kernel-only timing on device-resident copies of t (iterations ≥ 1).
std::string benchmark(const Fp8TensorView& t, float gs, int iterations, BenchmarkResult& out);

}  // namespace gpu
}  // namespace nvfp4
