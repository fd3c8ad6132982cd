// Plain-C++ view of an FP8 block-scaled tensor (the native side of Fp8BlockScaledTensor).
#pragma once

#include <stdint.h>

namespace nvfp4 {

struct Fp8TensorView {
  const uint8_t* data;   // E4M3 bytes, row-major [rows, cols]
  int64_t rows;
  int64_t cols;
  const float* scale;    // [ceil(rows/block_rows), ceil(cols/block_cols)]
  int64_t block_rows;
  int64_t block_cols;
  int64_t scale_cols() const { return (cols + block_cols - 1) / block_cols; }
};

// No value found: index = -1. Otherwise the lowest row-major index of a NaN/Inf dequantized value.
struct NonFinite {
  int64_t index = -1;
  bool is_nan = false;
};

struct AmaxResult {
  float amax = 0.0f;
  NonFinite non_finite;
};

struct QuantizeStats {
  double sum_sq_error = 0.0;
  double sum_sq_ref = 0.0;
  double max_abs_error = 0.0;
  NonFinite non_finite;
};

}  // namespace nvfp4
