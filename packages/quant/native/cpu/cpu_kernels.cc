#include "cpu_kernels.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NVFP4_AVX2_KERNEL 1
// Compiled for AVX2 + FMA (x86-64-v3's vector part) next to the x86-64-v2 baseline and picked at
// run time. -ffp-contract=off still forbids the compiler to fuse anything: every lane op is the
// scalar code's IEEE operation, and the one explicit FMA is used where it is exact (see below).
#define NVFP4_AVX2 __attribute__((target("avx2,fma")))
#endif

#include "../common/nvfp4_math.h"

namespace nvfp4 {
namespace {

// Decoded E4M3 bytes for the scalar paths; same values as decode_e4m3.
struct E4m3Table {
  float value[256];
  E4m3Table() {
    for (int b = 0; b < 256; b++) value[b] = decode_e4m3(static_cast<uint32_t>(b));
  }
};
const E4m3Table kE4m3;

// ---- persistent worker pool ----------------------------------------------------------------
// Threads are started once and reused: a converter calls the kernels for thousands of tensors,
// and starting threads per call would cost more than quantizing a small one. Several callers (the
// libuv pool runs async calls concurrently) share the workers; each caller also works on its own
// job, so a job always progresses even when every worker is busy elsewhere.
class WorkerPool {
 public:
  static WorkerPool& get() {
    static WorkerPool* pool = new WorkerPool();  // never destroyed: its detached workers outlive main()
    return *pool;
  }

  // Calls body(i) for every i in [0, tasks), on this thread and on up to `helpers` workers.
  void run(int64_t tasks, int helpers, const std::function<void(int64_t)>& body) {
    helpers = static_cast<int>(std::min<int64_t>(helpers, tasks - 1));
    if (helpers <= 0) {
      for (int64_t i = 0; i < tasks; i++) body(i);
      return;
    }
    auto job = std::make_shared<Job>(tasks, helpers, &body);
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (; started_ < std::min(helpers, kMaxWorkers); started_++) std::thread([this] { loop(); }).detach();
      queue_.push_back(job);
    }
    cv_.notify_all();
    job->work();
    job->wait();
    std::lock_guard<std::mutex> lock(mu_);
    queue_.erase(std::remove(queue_.begin(), queue_.end(), job), queue_.end());
  }

 private:
  static constexpr int kMaxWorkers = 255;

  struct Job {
    Job(int64_t n, int helpers, const std::function<void(int64_t)>* fn) : tasks(n), seats(helpers), body(fn) {}
    const int64_t tasks;
    std::atomic<int> seats;  // workers that may still join
    const std::function<void(int64_t)>* body;
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::mutex m;
    std::condition_variable finished;

    void work() {
      for (int64_t i = next.fetch_add(1); i < tasks; i = next.fetch_add(1)) {
        (*body)(i);
        if (done.fetch_add(1) + 1 == tasks) {
          std::lock_guard<std::mutex> lock(m);
          finished.notify_all();
        }
      }
    }
    void wait() {
      std::unique_lock<std::mutex> lock(m);
      finished.wait(lock, [this] { return done.load() == tasks; });
    }
  };

  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return !queue_.empty(); });
      std::shared_ptr<Job> job = queue_.front();
      // A job with all its tasks handed out, or all its seats taken, is done with the pool.
      if (job->next.load() >= job->tasks || job->seats.fetch_sub(1) <= 0) {
        if (!queue_.empty() && queue_.front() == job) queue_.pop_front();
        continue;
      }
      lock.unlock();
      job->work();  // body is only called for unclaimed tasks, so never after run() returned
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  int started_ = 0;
};

// How the rows are cut into tiles that threads take one at a time (dynamic: a core slowed down by
// other work just takes fewer tiles). Results do not depend on it.
struct Plan {
  int workers = 1;
  int64_t tile_rows = 0;
  int64_t tiles = 0;
};

Plan make_plan(const Fp8TensorView& t, const CpuOptions& o) {
  Plan p;
  const int64_t elements = t.rows * t.cols;
  const int64_t by_size = std::max<int64_t>(1, elements / std::max<int64_t>(o.min_elements_per_thread, 1));
  p.workers = static_cast<int>(std::min<int64_t>({std::max(o.threads, 1), by_size, std::max<int64_t>(t.rows, 1)}));
  // About 8 tiles per thread, each at most ~1 MB of input.
  const int64_t by_count = (t.rows + 8 * p.workers - 1) / (8 * p.workers);
  const int64_t by_bytes = std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(t.cols, 1));
  p.tile_rows = p.workers == 1 ? std::max<int64_t>(t.rows, 1) : std::max<int64_t>(1, std::min(by_count, by_bytes));
  p.tiles = (t.rows + p.tile_rows - 1) / p.tile_rows;
  return p;
}

template <typename Fn>
void for_tiles(const Plan& p, int64_t rows, Fn&& fn) {
  const std::function<void(int64_t)> body = [&](int64_t i) {
    const int64_t begin = i * p.tile_rows;
    fn(i, begin, std::min(rows, begin + p.tile_rows));
  };
  WorkerPool::get().run(p.tiles, p.workers - 1, body);
}

NonFinite lowest(const std::vector<NonFinite>& found) {
  NonFinite best;
  for (const auto& f : found) {
    if (f.index >= 0 && (best.index < 0 || f.index < best.index)) best = f;
  }
  return best;
}

// Rows at or after the lowest bad row found so far need no work: the call fails with that index.
void note_bad_row(std::atomic<int64_t>& first_bad_row, int64_t r) {
  int64_t cur = first_bad_row.load();
  while (r < cur && !first_bad_row.compare_exchange_weak(cur, r)) {
  }
}

// The lowest non-finite dequantized value of row r, scanning as the reference does (index -1: none).
NonFinite scan_row(const Fp8TensorView& t, int64_t r) {
  const float* srow = t.scale + (r / t.block_rows) * t.scale_cols();
  const uint8_t* row = t.data + r * t.cols;
  NonFinite nf;
  for (int64_t c = 0; c < t.cols; c++) {
    const float v = mul_f32(kE4m3.value[row[c]], srow[c / t.block_cols]);
    if (!is_finite_f32(v)) {
      nf.index = r * t.cols + c;
      nf.is_nan = v != v;
      break;
    }
  }
  return nf;
}

// ---- quantize: one row ------------------------------------------------------------------------
struct QuantizeContext {
  const Fp8TensorView* t;
  int64_t scale_cols;
  int64_t groups;          // per row
  bool uniform;            // every group lies inside one scale block (block_cols % 16 == 0)
  float gs, six_gs;
  const ScaleEntry* table;  // make_scale_table(gs)
  const ScaleRow* rows;     // make_scale_rows(table, gs)
  const ScaleUnitCuts* cuts;  // the table's cuts in stats units
  FastConstants fast;       // make_fast_constants(gs)
  uint8_t* packed;
  uint8_t* block_scales;
};

// A row's sums of its chunks (float64, in chunk order), in stats units.
struct RowStats {
  double err = 0.0, ref = 0.0;
};

// Returns false when the row holds a non-finite value (its outputs are then meaningless).
// max_err: the largest |es| so far, in stats units.
using RowKernel = bool (*)(const QuantizeContext&, int64_t, RowStats&, float&);

bool quantize_row_generic(const QuantizeContext& q, int64_t r, RowStats& out, float& max_err) {
  const Fp8TensorView& t = *q.t;
  const float* srow = t.scale + (r / t.block_rows) * q.scale_cols;
  const uint8_t* row = t.data + r * t.cols;
  float chunk_err[kStatsChunkGroups];
  float chunk_ref[kStatsChunkGroups];
  float v[kGroupSize];
  for (int64_t first = 0; first < q.groups; first += kStatsChunkGroups) {
    const int64_t last = std::min<int64_t>(first + kStatsChunkGroups, q.groups);
    std::fill(chunk_err, chunk_err + kStatsChunkGroups, 0.0f);
    std::fill(chunk_ref, chunk_ref + kStatsChunkGroups, 0.0f);
    for (int64_t g = first; g < last; g++) {
      const int64_t c0 = g * kGroupSize;
      uint8_t* codes = q.packed + (r * t.cols + c0) / 2;
      // The GPU's fast path (same function), for groups inside one scale block, in its two modes
      // in turn (rounded estimates, comparisons): the results are the same, and the tests check
      // both on any machine.
      if (q.uniform) {
        uint32_t w[4];
        std::memcpy(w, row + c0, sizeof w);  // little-endian words, as the GPU loads them
        FastGroupResult f;
        if (quantize_group_fast(w, srow[c0 / t.block_cols], q.rows, q.cuts, q.fast, (g & 1) != 0, f)) {
          q.block_scales[r * q.groups + g] = static_cast<uint8_t>(f.scale_byte);
          std::memcpy(codes, &f.codes_lo, 4);
          std::memcpy(codes + 4, &f.codes_hi, 4);
          chunk_err[g - first] = f.sum_sq_error;
          chunk_ref[g - first] = f.sum_sq_ref;
          max_err = max_f32(max_err, f.max_abs_error);
          continue;
        }
      }
      for (int j = 0; j < kGroupSize; j++) v[j] = mul_f32(kE4m3.value[row[c0 + j]], srow[(c0 + j) / t.block_cols]);
      bool group_bad = false;
      for (int j = 0; j < kGroupSize; j++) group_bad |= !is_finite_f32(v[j]);
      if (group_bad) return false;
      GroupResult res;
      quantize_group(v, q.table, q.six_gs, res);
      q.block_scales[r * q.groups + g] = static_cast<uint8_t>(res.scale_byte);
      for (int k = 0; k < 8; k++) codes[k] = static_cast<uint8_t>(res.codes >> (8 * k));
      chunk_err[g - first] = res.sum_sq_error;
      chunk_ref[g - first] = res.sum_sq_ref;
      max_err = max_f32(max_err, res.max_abs_error);
    }
    out.err = add_f64(out.err, static_cast<double>(fold_sum_f32(chunk_err, kStatsChunkGroups)));
    out.ref = add_f64(out.ref, static_cast<double>(fold_sum_f32(chunk_ref, kStatsChunkGroups)));
  }
  return true;
}

#if defined(NVFP4_AVX2_KERNEL)
// The same row in AVX2, 8 elements per vector, a chunk of 32 groups at a time in three passes so
// that no long dependency chain runs per group:
//  1. decode: |v| = fl(e4m3(|b|)·|s|) for the chunk (a shift and exact multiplications), kept in L1;
//  2. scale bytes of 8 groups at once: group amax, one vector division, vector E4M3 rounding;
//  3. per group: codes by comparing |v| with the group's 8 cuts (no division), the reconstructed
//     magnitude by a permute, packing, and the error terms es and xs of its 16 elements;
//  4. the stats of 8 groups at once: their es (and xs) transposed so that lane g holds group g,
//     then one fused multiply-add per element in element order, the scalar code's chain.
// Every lane operation is the scalar code's IEEE operation, so the bits are the same.

// Max over the 8 lanes of each of m[0..7], as one vector (lane g = group g).
NVFP4_AVX2 inline __m256 lane_max8(const __m256* m) {
  __m256 t[4];
  for (int i = 0; i < 4; i++) {
    t[i] = _mm256_max_ps(_mm256_unpacklo_ps(m[2 * i], m[2 * i + 1]), _mm256_unpackhi_ps(m[2 * i], m[2 * i + 1]));
  }
  const __m256 u0 = _mm256_max_ps(_mm256_shuffle_ps(t[0], t[1], 0x44), _mm256_shuffle_ps(t[0], t[1], 0xee));
  const __m256 u1 = _mm256_max_ps(_mm256_shuffle_ps(t[2], t[3], 0x44), _mm256_shuffle_ps(t[2], t[3], 0xee));
  return _mm256_max_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// encode_e4m3_nonneg of 8 finite ratios a ≥ 0: RNE to 3 mantissa bits, saturating at 448 (0x7e).
NVFP4_AVX2 inline __m256i encode_e4m3_nonneg8(__m256 a) {
  a = _mm256_min_ps(a, _mm256_set1_ps(448.0f));
  const __m256i bits = _mm256_castps_si256(a);
  // Normal: (exponent, 3 mantissa bits) = bits >> 20, rounded half to even on the bits below.
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 20), _mm256_set1_epi32(1));
  const __m256i rounded = _mm256_add_epi32(bits, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7ffff)));
  const __m256i normal = _mm256_sub_epi32(_mm256_srli_epi32(rounded, 20), _mm256_set1_epi32(120 << 3));
  // Below 2^-6: multiples of 2^-9, i.e. a·512 (exact) rounded to an integer (MXCSR: nearest even).
  const __m256i sub = _mm256_cvtps_epi32(_mm256_mul_ps(a, _mm256_set1_ps(512.0f)));
  const __m256 is_sub = _mm256_cmp_ps(a, _mm256_set1_ps(0.015625f), _CMP_LT_OQ);
  return _mm256_blendv_epi8(normal, sub, _mm256_castps_si256(is_sub));
}

// In place: r[j] lane i ← r[i] lane j (8×8 floats).
NVFP4_AVX2 inline void transpose8(__m256* r) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; i++) {
    u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
    u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
  }
  for (int i = 0; i < 4; i++) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// The group sums of groups g0..g0+7 of a chunk: lane i = the fused multiply-add chain over the 16
// values of group g0 + i in element order (buf: 16 floats per group).
NVFP4_AVX2 inline __m256 chain_sums8(const float* buf) {
  __m256 acc = _mm256_setzero_ps();
  for (int half = 0; half < kGroupSize; half += 8) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_load_ps(buf + i * kGroupSize + half);
    transpose8(r);
    for (int j = 0; j < 8; j++) acc = _mm256_fmadd_ps(r[j], r[j], acc);
  }
  return acc;
}

NVFP4_AVX2 bool quantize_row_avx2(const QuantizeContext& q, int64_t r, RowStats& out, float& max_err) {
  const Fp8TensorView& t = *q.t;
  const float* srow = t.scale + (r / t.block_rows) * q.scale_cols;
  const uint8_t* row = t.data + r * t.cols;
  uint8_t* prow = q.packed + r * t.cols / 2;
  uint8_t* sbrow = q.block_scales + r * q.groups;

  const __m128i k7f = _mm_set1_epi8(0x7f);
  // b << 20 puts E4M3's exponent and mantissa fields where float32 has them: read as a float32,
  // that is exactly e4m3(b)·2^-120 (E4M3 subnormals land on float32 subnormals), so a product
  // with 2^120 decodes b exactly. NaN bytes (0x7f) are caught by a compare instead.
  const __m256 k2p120 = _mm256_set1_ps(0x1p120f);
  const __m256 kAbsF = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 per_unit = _mm256_set1_ps(q.fast.per_unit);
  // e2m1(m) for m = 0..7, the codes' magnitudes.
  const __m256 e2m1_table = _mm256_setr_ps(0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f);
  __m128i nan_bytes = _mm_setzero_si128();
  __m256 not_finite = _mm256_setzero_ps();
  bool bad_scale = false;
  __m256 vmaxf = _mm256_setzero_ps();   // max |es|
  alignas(32) float xbuf[kStatsChunkGroups * kGroupSize];  // |v| of the chunk, then xs
  alignas(32) float ebuf[kStatsChunkGroups * kGroupSize];  // es of the chunk
  alignas(32) __m256 mbuf[kStatsChunkGroups];              // per group: max of its two vectors
  alignas(32) int32_t sbuf[kStatsChunkGroups];             // scale bytes
  alignas(32) int32_t negbuf[kStatsChunkGroups];           // per group: 0x80 when its scale is negative
  alignas(32) float chunk_err[kStatsChunkGroups];
  alignas(32) float chunk_ref[kStatsChunkGroups];
  // Uniform groups: the multiplier of the current scale block, set when c0 crosses a block edge.
  int64_t next_edge = 0;
  __m256 s_mul = _mm256_setzero_ps();
  bool s_split = false;
  int32_t s_neg = 0;

  for (int64_t first = 0; first < q.groups; first += kStatsChunkGroups) {
    const int n = static_cast<int>(std::min<int64_t>(kStatsChunkGroups, q.groups - first));
    // 1. Decode.
    for (int gi = 0; gi < n; gi++) {
      const int64_t c0 = (first + gi) * kGroupSize;
      const __m128i b7 = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + c0)), k7f);
      nan_bytes = _mm_or_si128(nan_bytes, _mm_cmpeq_epi8(b7, k7f));
      const __m256 m_lo = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu8_epi32(b7), 20));
      const __m256 m_hi = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(b7, 8)), 20));
      __m256 x_lo, x_hi;
      if (q.uniform) {
        if (c0 >= next_edge) {  // entering the next scale block (c0 moves by 16, edges are multiples of 16)
          const int64_t scale_col = c0 / t.block_cols;
          next_edge = (scale_col + 1) * t.block_cols;
          const uint32_t sb = float_bits(srow[scale_col]);
          const float s = bits_float(sb & 0x7fffffffu);
          bad_scale |= !(s <= kFloat32Max);
          s_neg = static_cast<int32_t>((sb >> 24) & 0x80u);
          // Below 2^8, s·2^120 is exact and fl(m·(s·2^120)) = fl((m·2^120)·s), the same real
          // product: one multiplication instead of two.
          s_split = !(s < 256.0f);
          s_mul = _mm256_set1_ps(s_split ? s : s * 0x1p120f);
        }
        negbuf[gi] = s_neg;
        if (s_split) {
          x_lo = _mm256_mul_ps(_mm256_mul_ps(m_lo, k2p120), s_mul);
          x_hi = _mm256_mul_ps(_mm256_mul_ps(m_hi, k2p120), s_mul);
        } else {
          x_lo = _mm256_mul_ps(m_lo, s_mul);
          x_hi = _mm256_mul_ps(m_hi, s_mul);
        }
      } else {
        // Groups straddling scale blocks: per-element scales. Their signs go with the bytes in
        // pass 3 (negbuf = -1 marks this case).
        alignas(32) float sa[kGroupSize];
        for (int j = 0; j < kGroupSize; j++) {
          const float s = abs_f32(srow[(c0 + j) / t.block_cols]);
          bad_scale |= !(s <= kFloat32Max);
          sa[j] = s;
        }
        negbuf[gi] = -1;
        x_lo = _mm256_mul_ps(_mm256_mul_ps(m_lo, k2p120), _mm256_load_ps(sa));
        x_hi = _mm256_mul_ps(_mm256_mul_ps(m_hi, k2p120), _mm256_load_ps(sa + 8));
      }
      _mm256_store_ps(xbuf + gi * kGroupSize, x_lo);
      _mm256_store_ps(xbuf + gi * kGroupSize + 8, x_hi);
      mbuf[gi] = _mm256_max_ps(x_lo, x_hi);
    }
    // 2. Scale bytes, 8 groups per step (lanes past the chunk's end compute a scale nobody stores).
    for (int gi = n; gi < ((n + 7) & ~7); gi++) mbuf[gi] = _mm256_setzero_ps();
    for (int gi = 0; gi < n; gi += 8) {
      const __m256 gmax = lane_max8(mbuf + gi);
      // Overflow to Inf shows in the group max (the scale itself was checked above).
      not_finite = _mm256_or_ps(not_finite, _mm256_cmp_ps(gmax, _mm256_set1_ps(kFloat32Max), _CMP_NLE_UQ));
      const __m256i enc = encode_e4m3_nonneg8(_mm256_div_ps(gmax, _mm256_set1_ps(q.six_gs)));
      const __m256i sbytes = _mm256_andnot_si256(
          _mm256_castps_si256(_mm256_cmp_ps(gmax, _mm256_setzero_ps(), _CMP_EQ_OQ)), enc);  // amax 0 → 0
      _mm256_store_si256(reinterpret_cast<__m256i*>(sbuf + gi), sbytes);
    }
    for (int gi = 0; gi < n; gi++) sbrow[first + gi] = static_cast<uint8_t>(sbuf[gi]);
    // 3. Codes and error terms.
    for (int gi = 0; gi < n; gi++) {
      const int64_t c0 = (first + gi) * kGroupSize;
      const ScaleEntry& e = q.table[sbuf[gi] & 0x7f];
      const __m256i xb_lo = _mm256_load_si256(reinterpret_cast<const __m256i*>(xbuf + gi * kGroupSize));
      const __m256i xb_hi = _mm256_load_si256(reinterpret_cast<const __m256i*>(xbuf + gi * kGroupSize + 8));
      // Magnitude = number of cuts below |v| (non-negative floats compare like their bits); bit 3
      // = fl(|v|/d) ≠ 0, kept where v < 0 below.
      __m256i mg_lo = _mm256_setzero_si256();
      __m256i mg_hi = _mm256_setzero_si256();
      for (int k = 1; k < 8; k++) {
        const __m256i cut = _mm256_set1_epi32(static_cast<int>(float_bits(e.cut[k])));
        mg_lo = _mm256_sub_epi32(mg_lo, _mm256_cmpgt_epi32(xb_lo, cut));
        mg_hi = _mm256_sub_epi32(mg_hi, _mm256_cmpgt_epi32(xb_hi, cut));
      }
      const __m256i cut0 = _mm256_set1_epi32(static_cast<int>(float_bits(e.cut[0])));
      const __m256i k8 = _mm256_set1_epi32(8);
      const __m256i code_lo = _mm256_or_si256(mg_lo, _mm256_and_si256(_mm256_cmpgt_epi32(xb_lo, cut0), k8));
      const __m256i code_hi = _mm256_or_si256(mg_hi, _mm256_and_si256(_mm256_cmpgt_epi32(xb_hi, cut0), k8));
      // To bytes c0..c15, keep bit 3 only where v < 0 (byte sign XOR scale sign), then nibbles.
      const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packus_epi32(code_lo, code_hi), 0xd8);
      __m128i c8 = _mm_packus_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
      __m128i neg = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + c0));
      if (negbuf[gi] >= 0) {
        neg = _mm_xor_si128(neg, _mm_set1_epi8(static_cast<char>(negbuf[gi])));
      } else {
        alignas(16) uint8_t sn[kGroupSize];
        for (int j = 0; j < kGroupSize; j++) sn[j] = static_cast<uint8_t>((float_bits(srow[(c0 + j) / t.block_cols]) >> 24) & 0x80u);
        neg = _mm_xor_si128(neg, _mm_load_si128(reinterpret_cast<const __m128i*>(sn)));
      }
      const __m128i keep = _mm_or_si128(_mm_and_si128(_mm_srli_epi16(neg, 4), _mm_set1_epi8(0x08)), _mm_set1_epi8(0x07));
      c8 = _mm_and_si128(c8, keep);
      const __m128i nib = _mm_and_si128(_mm_or_si128(c8, _mm_srli_epi16(c8, 4)), _mm_set1_epi16(0x00ff));
      _mm_storel_epi64(reinterpret_cast<__m128i*>(prow + c0 / 2), _mm_packus_epi16(nib, nib));

      // In stats units: xs = fl(|v|·P), es = fl(e2m1(m)·fl(d·P) − xs), one rounding.
      const __m256 d_units = _mm256_set1_ps(e.d_units);
      float* xg = xbuf + gi * kGroupSize;
      float* eg = ebuf + gi * kGroupSize;
      const __m256 xs_lo = _mm256_mul_ps(_mm256_castsi256_ps(xb_lo), per_unit);
      const __m256 xs_hi = _mm256_mul_ps(_mm256_castsi256_ps(xb_hi), per_unit);
      const __m256 es_lo = _mm256_fmsub_ps(_mm256_permutevar8x32_ps(e2m1_table, mg_lo), d_units, xs_lo);
      const __m256 es_hi = _mm256_fmsub_ps(_mm256_permutevar8x32_ps(e2m1_table, mg_hi), d_units, xs_hi);
      vmaxf = _mm256_max_ps(vmaxf, _mm256_max_ps(_mm256_and_ps(es_lo, kAbsF), _mm256_and_ps(es_hi, kAbsF)));
      _mm256_store_ps(xg, xs_lo);
      _mm256_store_ps(xg + 8, xs_hi);
      _mm256_store_ps(eg, es_lo);
      _mm256_store_ps(eg + 8, es_hi);
    }
    // 4. Group sums, 8 groups per step (lanes past the chunk's end sum stale values nobody uses).
    for (int gi = 0; gi < n; gi += 8) {
      _mm256_store_ps(chunk_err + gi, chain_sums8(ebuf + gi * kGroupSize));
      _mm256_store_ps(chunk_ref + gi, chain_sums8(xbuf + gi * kGroupSize));
    }
    for (int gi = n; gi < kStatsChunkGroups; gi++) chunk_err[gi] = chunk_ref[gi] = 0.0f;
    out.err = add_f64(out.err, static_cast<double>(fold_sum_f32(chunk_err, kStatsChunkGroups)));
    out.ref = add_f64(out.ref, static_cast<double>(fold_sum_f32(chunk_ref, kStatsChunkGroups)));
  }
  if (bad_scale || _mm_movemask_epi8(nan_bytes) != 0 || _mm256_movemask_ps(not_finite) != 0) return false;
  __m128 mf = _mm_max_ps(_mm256_castps256_ps128(vmaxf), _mm256_extractf128_ps(vmaxf, 1));
  mf = _mm_max_ps(mf, _mm_movehl_ps(mf, mf));
  mf = _mm_max_ss(mf, _mm_shuffle_ps(mf, mf, 1));
  max_err = max_f32(max_err, _mm_cvtss_f32(mf));
  return true;
}

bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#endif

RowKernel pick_row_kernel(bool simd) {
#if defined(NVFP4_AVX2_KERNEL)
  if (simd && cpu_has_avx2()) return quantize_row_avx2;
#else
  (void)simd;
#endif
  return quantize_row_generic;
}

}  // namespace

const char* cpu_simd_name(bool simd) { return pick_row_kernel(simd) == quantize_row_generic ? "generic" : "avx2"; }

AmaxResult cpu_amax(const Fp8TensorView& t, const CpuOptions& options) {
  const Plan plan = make_plan(t, options);
  std::vector<float> tile_amax(plan.tiles, 0.0f);
  std::vector<NonFinite> bad(plan.tiles);
  std::atomic<int64_t> first_bad_row{INT64_MAX};
  const int64_t scale_cols = t.scale_cols();
  for_tiles(plan, t.rows, [&](int64_t tile, int64_t begin, int64_t end) {
    float amax = 0.0f;
    for (int64_t r = begin; r < end && r < first_bad_row.load(std::memory_order_relaxed); r++) {
      const float* scale_row = t.scale + (r / t.block_rows) * scale_cols;
      const uint8_t* row = t.data + r * t.cols;
      for (int64_t c0 = 0; c0 < t.cols; c0 += t.block_cols) {
        const int64_t c_end = std::min(c0 + t.block_cols, t.cols);
        // One scale covers the segment, |e4m3| grows with (b & 0x7f) and rounding is monotonic,
        // so max |fl(e4m3(b)·s)| = |fl(e4m3(max (b & 0x7f))·s)| exactly: a byte max (vectorised
        // by the compiler) and one multiplication. A non-finite result means the segment holds a
        // NaN byte, a non-finite scale or an overflow: then find the lowest bad index by scanning.
        uint8_t mx = 0;
        for (int64_t c = c0; c < c_end; c++) mx = std::max<uint8_t>(mx, row[c] & 0x7f);
        const float a = abs_f32(mul_f32(kE4m3.value[mx], scale_row[c0 / t.block_cols]));
        if (!(a <= kFloat32Max)) {
          bad[tile] = scan_row(t, r);
          note_bad_row(first_bad_row, r);
          tile_amax[tile] = amax;
          return;
        }
        amax = a > amax ? a : amax;
      }
    }
    tile_amax[tile] = amax;
  });
  AmaxResult result;
  result.non_finite = lowest(bad);
  for (float p : tile_amax) result.amax = p > result.amax ? p : result.amax;
  return result;
}

QuantizeStats cpu_quantize(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales,
                           const CpuOptions& options) {
  ScaleEntry table[kScaleBytes];
  make_scale_table(gs, table);
  ScaleRow rows[kScaleRows];
  make_scale_rows(table, gs, rows);
  ScaleUnitCuts cuts[kScaleBytes];
  for (int b = 0; b < kScaleBytes; b++) cuts[b] = scale_unit_cuts_of(table[b]);
  QuantizeContext q;
  q.t = &t;
  q.scale_cols = t.scale_cols();
  q.groups = t.cols / kGroupSize;
  q.uniform = t.block_cols % kGroupSize == 0;
  q.gs = gs;
  q.six_gs = mul_f32(6.0f, gs);
  q.table = table;
  q.rows = rows;
  q.cuts = cuts;
  make_fast_constants(gs, q.fast);
  q.packed = packed;
  q.block_scales = block_scales;
  const RowKernel kernel = pick_row_kernel(options.simd);

  const Plan plan = make_plan(t, options);
  std::vector<RowStats> row_stats(t.rows);
  std::vector<float> tile_max(plan.tiles, 0.0f);
  std::vector<NonFinite> bad(plan.tiles);
  std::atomic<int64_t> first_bad_row{INT64_MAX};
  for_tiles(plan, t.rows, [&](int64_t tile, int64_t begin, int64_t end) {
    float max_err = 0.0f;
    for (int64_t r = begin; r < end && r < first_bad_row.load(std::memory_order_relaxed); r++) {
      if (!kernel(q, r, row_stats[r], max_err)) {
        bad[tile] = scan_row(t, r);
        note_bad_row(first_bad_row, r);
        break;
      }
    }
    tile_max[tile] = max_err;
  });

  QuantizeStats stats;
  stats.non_finite = lowest(bad);
  if (stats.non_finite.index >= 0) return stats;
  for (int64_t r = 0; r < t.rows; r++) {
    stats.sum_sq_error = add_f64(stats.sum_sq_error, row_stats[r].err);
    stats.sum_sq_ref = add_f64(stats.sum_sq_ref, row_stats[r].ref);
  }
  float max_err = 0.0f;
  for (float m : tile_max) max_err = max_f32(max_err, m);
  scale_stats_to_values(gs, max_err, stats);
  return stats;
}

}  // namespace nvfp4
