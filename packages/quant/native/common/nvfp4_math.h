// NVFP4 math shared by the C++ CPU addon (native/cpu) and the CUDA kernels (native/cuda).
//
// This is the native twin of the TypeScript reference (src/nvfp4/reference.ts, src/codecs/*) and
// must stay bit-identical to it: every float32 operation below is one IEEE round-to-nearest
// operation, in the order written in docs/nvfp4-math.md. To keep compilers from changing that:
//  - host: -ffp-contract=off (no FMA fusion), no -ffast-math, SSE math (x86-64 default);
//  - device: explicit __fmul_rn/__fdiv_rn/__dadd_rn/... (never contracted) and nvcc
//    --fmad=false --ftz=false --prec-div=true.
#pragma once

#include <stdint.h>

#if defined(__CUDACC__)
#define NVFP4_HD __host__ __device__ __forceinline__
#else
#define NVFP4_HD inline
#endif

#if defined(__CUDACC__)
#define NVFP4_UNROLL _Pragma("unroll")
#elif defined(__GNUC__) && !defined(__clang__)
#define NVFP4_UNROLL _Pragma("GCC unroll 16")
#else
#define NVFP4_UNROLL
#endif

namespace nvfp4 {

constexpr int kGroupSize = 16;
// Groups per stats chunk = CUDA warp width; the stats summation tree is defined on it.
constexpr int kStatsChunkGroups = 32;
constexpr float kFloat32Max = 3.40282346638528859812e+38f;

// ---- exact single/double operations -------------------------------------------------------
NVFP4_HD float mul_f32(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
NVFP4_HD float div_f32(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
NVFP4_HD double add_f64(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
NVFP4_HD double sub_f64(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}
NVFP4_HD double mul_f64(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

NVFP4_HD uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  __builtin_memcpy(&u, &f, 4);
  return u;
#endif
}
NVFP4_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  __builtin_memcpy(&f, &u, 4);
  return f;
#endif
}
NVFP4_HD float abs_f32(float x) { return bits_float(float_bits(x) & 0x7fffffffu); }
// NaN and ±Inf are the only values that fail this (NaN compares false).
NVFP4_HD bool is_finite_f32(float x) { return abs_f32(x) <= kFloat32Max; }

// ---- E4M3 (e4m3fn) ------------------------------------------------------------------------
// Exact decode: subnormals man·2^-9; normals built from bits; 0x7f/0xff → NaN. Same values as
// E4M3_TO_FLOAT in src/codecs/e4m3.ts.
NVFP4_HD float decode_e4m3(uint32_t byte) {
  const uint32_t sign = (byte & 0x80u) << 24;
  const uint32_t exp = (byte >> 3) & 0x0fu;
  const uint32_t man = byte & 0x07u;
  float mag;
  if (exp == 0x0f && man == 0x07) {
    mag = bits_float(0x7fc00000u);
  } else if (exp == 0) {
    mag = static_cast<float>(man) * 0.001953125f;  // man · 2^-9, exact
  } else {
    mag = bits_float(((exp + 120u) << 23) | (man << 20));  // (8+man)·2^(exp-10)
  }
  return bits_float(float_bits(mag) | sign);
}

// Round a finite or infinite float ≥ 0 (or NaN) to E4M3: RNE, saturating to 448 (satfinite).
// Twin of floatToE4M3 (src/codecs/e4m3.ts); used only on non-negative scale ratios.
NVFP4_HD uint32_t encode_e4m3_nonneg(float a) {
  if (!(a == a)) return 0x7fu;                 // NaN
  if (a >= 448.0f) return 0x7eu;               // saturate (also +Inf)
  if (a < 0.015625f) {                         // below 2^-6: subnormal quantum 2^-9
    // a · 512 is exact; round it to an integer, ties to even, from the float bits.
    const float scaled = mul_f32(a, 512.0f);
    const uint32_t sbits = float_bits(scaled);
    const int e = static_cast<int>((sbits >> 23) & 0xffu) - 127;  // scaled < 8 → e ≤ 2
    if (e < -1) return 0u;                     // scaled < 0.5 (incl. 0 and subnormals) → 0
    // integer part and fraction of scaled = 1.m · 2^e with e in [-1, 2]
    const uint32_t mant = (sbits & 0x7fffffu) | 0x800000u;  // 24-bit significand
    const int shift = 23 - e;                  // bits below the integer point
    const uint32_t ip = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1);
    return ip + ((rem > half || (rem == half && (ip & 1u))) ? 1u : 0u);
  }
  const uint32_t bits = float_bits(a);
  const uint32_t e = (bits >> 23) & 0xffu;    // biased, a in [2^-6, 448) → e in [121, 135]
  const uint32_t mant = bits & 0x7fffffu;
  uint32_t m3 = mant >> 20;                    // top 3 mantissa bits
  const uint32_t rem = mant & 0xfffffu;
  if (rem > 0x80000u || (rem == 0x80000u && (m3 & 1u))) m3 += 1u;  // may carry into exponent
  return ((e - 120u) << 3) + m3;
}

// ---- E2M1 ---------------------------------------------------------------------------------
// Magnitude code with RNE ties (0.25→0, 0.75→2, 1.25→2, 1.75→4, 2.5→4, 3.5→6, 5→6), >5 → 7,
// NaN → 7. Twin of e2m1MagnitudeCode (src/codecs/e2m1.ts).
NVFP4_HD uint32_t e2m1_magnitude_code(float a) {
  if (a <= 0.25f) return 0u;
  if (a < 0.75f) return 1u;
  if (a <= 1.25f) return 2u;
  if (a < 1.75f) return 3u;
  if (a <= 2.5f) return 4u;
  if (a < 3.5f) return 5u;
  if (a <= 5.0f) return 6u;
  return 7u;
}
// Sign bit iff q < 0 (ModelOpt's rule: -0 → +0).
NVFP4_HD uint32_t encode_e2m1(float q) { return (q < 0.0f ? 8u : 0u) | e2m1_magnitude_code(abs_f32(q)); }

NVFP4_HD float decode_e2m1(uint32_t code) {
  const uint32_t m = code & 7u;
  const float mag = m < 4u ? 0.5f * static_cast<float>(m) : (m == 7u ? 6.0f : static_cast<float>(m - 2u));
  return (code & 8u) ? -mag : mag;
}

// ---- one 16-element group -----------------------------------------------------------------
struct GroupResult {
  uint32_t scale_byte;
  // 16 codes, code j in bits 4j..4j+3: stored little-endian this is exactly the packed layout
  // (element 2k in the low nibble of byte k, element 2k+1 in its high nibble).
  uint64_t codes;
  double sum_sq_error;   // halving fold of the 16 squared errors
  double sum_sq_ref;     // halving fold of the 16 squared source values
  double max_abs_error;
};

// Error of the value an engine reconstructs, (code · scale_fp8) (exact) · gs, against the source.
NVFP4_HD double element_error(uint32_t code, float scale_value, float gs, float v) {
  return sub_f64(static_cast<double>(mul_f32(mul_f32(decode_e2m1(code), scale_value), gs)), static_cast<double>(v));
}

// v: the 16 dequantized float32 values (all finite). gs: global scale; six_gs = fround(6·gs).
// The stats use the halving fold (s[i] += s[i+8], then +4, +2, +1). Elements j and j+8 are handled
// together so only 8 partial sums are live at once (fewer registers on the GPU); the first fold
// level is then computed as soon as both are known: same operations, same order as the reference.
NVFP4_HD void quantize_group(const float* v, float gs, float six_gs, GroupResult& out) {
  float group_amax = 0.0f;
NVFP4_UNROLL
  for (int j = 0; j < kGroupSize; j++) {
    const float a = abs_f32(v[j]);
    group_amax = a > group_amax ? a : group_amax;
  }
  const uint32_t scale_byte = group_amax == 0.0f ? 0u : encode_e4m3_nonneg(div_f32(group_amax, six_gs));
  const float scale_value = decode_e4m3(scale_byte);
  const float denom = mul_f32(scale_value, gs);
  uint64_t codes = 0;
  double err[kGroupSize / 2];
  double ref[kGroupSize / 2];
  double max_err = 0.0;
NVFP4_UNROLL
  for (int j = 0; j < kGroupSize / 2; j++) {
    const float lo = v[j];
    const float hi = v[j + kGroupSize / 2];
    uint32_t c_lo = 0u, c_hi = 0u;
    if (scale_byte != 0u) {
      c_lo = encode_e2m1(div_f32(lo, denom));
      c_hi = encode_e2m1(div_f32(hi, denom));
    }
    codes |= static_cast<uint64_t>(c_lo) << (4 * j);
    codes |= static_cast<uint64_t>(c_hi) << (4 * (j + kGroupSize / 2));
    const double e_lo = element_error(c_lo, scale_value, gs, lo);
    const double e_hi = element_error(c_hi, scale_value, gs, hi);
    err[j] = add_f64(mul_f64(e_lo, e_lo), mul_f64(e_hi, e_hi));
    ref[j] = add_f64(mul_f64(static_cast<double>(lo), static_cast<double>(lo)),
                     mul_f64(static_cast<double>(hi), static_cast<double>(hi)));
    const double a_lo = e_lo < 0.0 ? -e_lo : e_lo;
    const double a_hi = e_hi < 0.0 ? -e_hi : e_hi;
    max_err = a_lo > max_err ? a_lo : max_err;
    max_err = a_hi > max_err ? a_hi : max_err;
  }
NVFP4_UNROLL
  for (int half = kGroupSize / 4; half >= 1; half >>= 1) {
NVFP4_UNROLL
    for (int i = 0; i < half; i++) {
      err[i] = add_f64(err[i], err[i + half]);
      ref[i] = add_f64(ref[i], ref[i + half]);
    }
  }
  out.scale_byte = scale_byte;
  out.codes = codes;
  out.sum_sq_error = err[0];
  out.sum_sq_ref = ref[0];
  out.max_abs_error = max_err;
}

// Halving fold of b[0..width) (width a power of two), the tree a CUDA warp's xor-shuffle
// reduction computes in lane 0. Twin of foldSum in src/nvfp4/reference.ts.
NVFP4_HD double fold_sum(double* b, int width) {
  for (int half = width >> 1; half >= 1; half >>= 1) {
    for (int i = 0; i < half; i++) b[i] = add_f64(b[i], b[i + half]);
  }
  return b[0];
}

// Global scale: fround(amax / 2688); 0 → 1; below 2^-126 → 2^-126. Twin of nvfp4GlobalScale.
NVFP4_HD float global_scale(float amax) {
  if (amax == 0.0f) return 1.0f;
  const float gs = div_f32(amax, 2688.0f);
  const float min_normal = bits_float(0x00800000u);
  return gs < min_normal ? min_normal : gs;
}

}  // namespace nvfp4
