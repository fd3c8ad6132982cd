#include "cpu_kernels.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

#include "../common/nvfp4_math.h"

namespace nvfp4 {
namespace {

// Decoded E4M3 bytes; a table is faster than decode_e4m3 on the CPU and holds the same values.
struct E4m3Table {
  float value[256];
  E4m3Table() {
    for (int b = 0; b < 256; b++) value[b] = decode_e4m3(static_cast<uint32_t>(b));
  }
};
const E4m3Table kE4m3;

int effective_threads(const Fp8TensorView& t, const CpuThreading& threading) {
  const int64_t by_size = std::max<int64_t>(1, (t.rows * t.cols) / std::max<int64_t>(threading.min_elements_per_thread, 1));
  const int64_t n = std::min<int64_t>({static_cast<int64_t>(std::max(threading.threads, 1)), by_size, std::max<int64_t>(t.rows, 1)});
  return static_cast<int>(n);
}

// Runs fn(row_begin, row_end, worker) over contiguous row ranges, worker 0 on this thread.
template <typename Fn>
void for_row_ranges(int64_t rows, int workers, Fn&& fn) {
  if (workers <= 1) {
    fn(int64_t{0}, rows, 0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  const int64_t per = (rows + workers - 1) / workers;
  for (int w = 1; w < workers; w++) {
    const int64_t begin = std::min(rows, per * w);
    const int64_t end = std::min(rows, begin + per);
    pool.emplace_back([&fn, begin, end, w] { fn(begin, end, w); });
  }
  fn(int64_t{0}, std::min(rows, per), 0);
  for (auto& th : pool) th.join();
}

NonFinite lowest(const std::vector<NonFinite>& found) {
  NonFinite best;
  for (const auto& f : found) {
    if (f.index >= 0 && (best.index < 0 || f.index < best.index)) best = f;
  }
  return best;
}

}  // namespace

AmaxResult cpu_amax(const Fp8TensorView& t, const CpuThreading& threading) {
  const int workers = effective_threads(t, threading);
  std::vector<float> partial(workers, 0.0f);
  std::vector<NonFinite> bad(workers);
  const int64_t scale_cols = t.scale_cols();
  for_row_ranges(t.rows, workers, [&](int64_t begin, int64_t end, int w) {
    float amax = 0.0f;
    for (int64_t r = begin; r < end; r++) {
      const float* scale_row = t.scale + (r / t.block_rows) * scale_cols;
      const uint8_t* row = t.data + r * t.cols;
      for (int64_t c0 = 0; c0 < t.cols; c0 += t.block_cols) {
        const float s = scale_row[c0 / t.block_cols];
        const int64_t c_end = std::min(c0 + t.block_cols, t.cols);
        float seg_max = 0.0f;
        bool seg_bad = false;
        // Branch-free body so the compiler can vectorise it; the rare NaN/Inf case is re-scanned.
        for (int64_t c = c0; c < c_end; c++) {
          const float a = abs_f32(mul_f32(kE4m3.value[row[c]], s));
          seg_bad |= !(a <= kFloat32Max);
          seg_max = a > seg_max ? a : seg_max;
        }
        if (seg_bad) {
          for (int64_t c = c0; c < c_end; c++) {
            const float v = mul_f32(kE4m3.value[row[c]], s);
            if (!is_finite_f32(v)) {
              bad[w].index = r * t.cols + c;
              bad[w].is_nan = v != v;
              partial[w] = amax;
              return;
            }
          }
        }
        amax = seg_max > amax ? seg_max : amax;
      }
    }
    partial[w] = amax;
  });
  AmaxResult result;
  result.non_finite = lowest(bad);
  for (float p : partial) result.amax = p > result.amax ? p : result.amax;
  return result;
}

QuantizeStats cpu_quantize(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales,
                           const CpuThreading& threading) {
  const int workers = effective_threads(t, threading);
  const int64_t groups_per_row = t.cols / kGroupSize;
  const int64_t scale_cols = t.scale_cols();
  const float six_gs = mul_f32(6.0f, gs);
  const bool uniform_group_scale = t.block_cols % kGroupSize == 0;
  std::vector<double> row_err(t.rows, 0.0), row_ref(t.rows, 0.0);
  std::vector<double> max_err(workers, 0.0);
  std::vector<NonFinite> bad(workers);

  for_row_ranges(t.rows, workers, [&](int64_t begin, int64_t end, int w) {
    double chunk_err[kStatsChunkGroups];
    double chunk_ref[kStatsChunkGroups];
    float v[kGroupSize];
    double local_max = 0.0;
    for (int64_t r = begin; r < end; r++) {
      const float* scale_row = t.scale + (r / t.block_rows) * scale_cols;
      const uint8_t* row = t.data + r * t.cols;
      double acc_err = 0.0, acc_ref = 0.0;
      for (int64_t first = 0; first < groups_per_row; first += kStatsChunkGroups) {
        const int64_t last = std::min(first + kStatsChunkGroups, groups_per_row);
        std::fill(chunk_err, chunk_err + kStatsChunkGroups, 0.0);
        std::fill(chunk_ref, chunk_ref + kStatsChunkGroups, 0.0);
        for (int64_t g = first; g < last; g++) {
          const int64_t c0 = g * kGroupSize;
          if (uniform_group_scale) {
            const float s = scale_row[c0 / t.block_cols];
            for (int j = 0; j < kGroupSize; j++) v[j] = mul_f32(kE4m3.value[row[c0 + j]], s);
          } else {
            for (int j = 0; j < kGroupSize; j++) v[j] = mul_f32(kE4m3.value[row[c0 + j]], scale_row[(c0 + j) / t.block_cols]);
          }
          bool group_bad = false;
          for (int j = 0; j < kGroupSize; j++) group_bad |= !is_finite_f32(v[j]);
          if (group_bad) {
            for (int j = 0; j < kGroupSize; j++) {
              if (!is_finite_f32(v[j])) {
                bad[w].index = r * t.cols + c0 + j;
                bad[w].is_nan = v[j] != v[j];
                break;
              }
            }
            max_err[w] = local_max;
            return;  // rows after the first bad value are irrelevant: the call fails
          }
          GroupResult res;
          quantize_group(v, gs, six_gs, res);
          block_scales[r * groups_per_row + g] = static_cast<uint8_t>(res.scale_byte);
          uint8_t bytes[8];
          for (int k = 0; k < 8; k++) bytes[k] = static_cast<uint8_t>(res.codes >> (8 * k));
          std::memcpy(packed + (r * t.cols + c0) / 2, bytes, 8);
          chunk_err[g - first] = res.sum_sq_error;
          chunk_ref[g - first] = res.sum_sq_ref;
          local_max = res.max_abs_error > local_max ? res.max_abs_error : local_max;
        }
        acc_err = add_f64(acc_err, fold_sum(chunk_err, kStatsChunkGroups));
        acc_ref = add_f64(acc_ref, fold_sum(chunk_ref, kStatsChunkGroups));
      }
      row_err[r] = acc_err;
      row_ref[r] = acc_ref;
    }
    max_err[w] = local_max;
  });

  QuantizeStats stats;
  stats.non_finite = lowest(bad);
  if (stats.non_finite.index >= 0) return stats;
  for (int64_t r = 0; r < t.rows; r++) {
    stats.sum_sq_error = add_f64(stats.sum_sq_error, row_err[r]);
    stats.sum_sq_ref = add_f64(stats.sum_sq_ref, row_ref[r]);
  }
  for (double m : max_err) stats.max_abs_error = m > stats.max_abs_error ? m : stats.max_abs_error;
  return stats;
}

}  // namespace nvfp4
