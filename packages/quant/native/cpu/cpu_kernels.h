// Multi-threaded CPU implementation of the NVFP4 kernels. Results are bit-identical to the
// TypeScript reference for any thread count and either instruction set: row tiles are handed out
// dynamically to a persistent worker pool, per-row float64 sums are kept per row and combined in
// row order on the calling thread, and maxima/lowest indices do not depend on order.
#pragma once

#include "../common/tensor_view.h"

namespace nvfp4 {

// Work is split over at most `threads` threads (the caller plus pool workers), and only over as
// many as give each at least `min_elements_per_thread` elements. `simd` false forces the portable
// code even where AVX2 is available (tests compare both). Results never depend on any of these.
struct CpuOptions {
  int threads = 1;
  int64_t min_elements_per_thread = 1 << 16;
  bool simd = true;
};

// "avx2" when this CPU runs the AVX2 kernels (x86-64 with AVX2), else "generic".
const char* cpu_simd_name(bool simd);

AmaxResult cpu_amax(const Fp8TensorView& t, const CpuOptions& options);

// cols must be a multiple of 16; gs a normal float32 (checked by the JS wrapper).
// packed: rows*cols/2 bytes, block_scales: rows*cols/16 bytes.
QuantizeStats cpu_quantize(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales,
                           const CpuOptions& options);

}  // namespace nvfp4
