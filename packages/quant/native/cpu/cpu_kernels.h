// Multi-threaded CPU implementation of the NVFP4 kernels. Results are bit-identical to the
// TypeScript reference for any thread count: threads own disjoint row ranges, and everything
// order-dependent (the float64 stats) is combined in row order on the calling thread.
#pragma once

#include "../common/tensor_view.h"

namespace nvfp4 {

// Work is split over at most `threads` threads, and only as many as give each at least
// `min_elements_per_thread` elements (thread start-up is not free). Results never depend on either.
struct CpuThreading {
  int threads = 1;
  int64_t min_elements_per_thread = 1 << 16;
};

AmaxResult cpu_amax(const Fp8TensorView& t, const CpuThreading& threading);

// cols must be a multiple of 16; gs a normal float32 (checked by the JS wrapper).
// packed: rows*cols/2 bytes, block_scales: rows*cols/16 bytes.
QuantizeStats cpu_quantize(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales,
                           const CpuThreading& threading);

}  // namespace nvfp4
