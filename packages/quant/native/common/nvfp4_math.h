// NVFP4 math shared by the C++ CPU addon (native/cpu) and the CUDA kernels (native/cuda).
//
// This is the native twin of the TypeScript reference (src/nvfp4/reference.ts, src/codecs/*) and
// must stay bit-identical to it: every float32 operation below is one IEEE round-to-nearest
// operation, either the reference's own, in the order written in docs/nvfp4-math.md, or part of an
// exact shortcut proven where it is used ("Codes without division" there). To keep compilers from
// changing that:
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

NVFP4_HD float sub_f32(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
// fl(a² + b²) for a, b that are float32 values: their squares are exact in float64, so one fused
// multiply-add (device) and a product then a sum (host) round the same exact value once.
NVFP4_HD double sum_of_squares(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __fma_rn(a, a, __dmul_rn(b, b));
#else
  return a * a + b * b;
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
NVFP4_HD float abs_f32(float x) {
#if defined(__CUDA_ARCH__)
  return fabsf(x);  // clears the sign bit too; an operand modifier rather than an instruction
#else
  return bits_float(float_bits(x) & 0x7fffffffu);
#endif
}
// max(a, b) for values that are never NaN (the GPU's FMNMX; a compare and select otherwise).
NVFP4_HD float max_f32(float a, float b) {
#if defined(__CUDA_ARCH__)
  return fmaxf(a, b);
#else
  return a > b ? a : b;
#endif
}

// PTX prmt.b32 in its generic mode: byte k of the result is byte (sel >> 4k) & 7 of the 8 bytes
// (b:a), or, when bit 3 of that selector nibble is set, that byte's top bit copied into all 8 bits.
// (CUDA's __byte_perm ignores bit 3, hence the inline PTX.)
NVFP4_HD uint32_t prmt(uint32_t a, uint32_t b, uint32_t sel) {
#if defined(__CUDA_ARCH__)
  uint32_t r;
  asm("prmt.b32 %0, %1, %2, %3;" : "=r"(r) : "r"(a), "r"(b), "r"(sel));
  return r;
#else
  const uint64_t ab = (static_cast<uint64_t>(b) << 32) | a;
  uint32_t r = 0;
  for (int k = 0; k < 4; k++) {
    const uint32_t n = (sel >> (4 * k)) & 0xfu;
    uint32_t byte = static_cast<uint32_t>(ab >> (8 * (n & 7u))) & 0xffu;
    if (n & 8u) byte = (byte & 0x80u) ? 0xffu : 0u;
    r |= byte << (8 * k);
  }
  return r;
#endif
}
// Unsigned max of the two 16-bit halves of a and b (one VIMNMX on sm_90, PTX max.u16x2).
NVFP4_HD uint32_t max_u16x2(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __vmaxu2(a, b);
#else
  const uint32_t lo = (a & 0xffffu) > (b & 0xffffu) ? (a & 0xffffu) : (b & 0xffffu);
  const uint32_t hi = (a >> 16) > (b >> 16) ? (a >> 16) : (b >> 16);
  return lo | (hi << 16);
#endif
}
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
NVFP4_HD float decode_e2m1_magnitude(uint32_t m) {
  return m < 4u ? 0.5f * static_cast<float>(m) : (m == 7u ? 6.0f : static_cast<float>(m - 2u));
}

// ---- code selection without division ------------------------------------------------------
// (docs/nvfp4-math.md, "Codes without division", has the same argument in prose.)
// The reference computes code = e2m1_rne(fl(v / d)), d = fl(scale_value · gs), with a true IEEE
// division. Division is correctly rounded and monotonic, so the code only depends on where the
// exact real |v|/d lies against fixed boundaries: e2m1 rounds fl(q) at 0.25/0.75/1.25/1.75/2.5/
// 3.5/5 (ties to the even code), and fl(q) lands on such a value exactly when q is within half an
// ulp of it (ties to even: all seven have an even float32 significand, so the halfway point rounds
// onto them). Hence, for the exact quotient x = |v|/d:
//   code ≥ 1  ⟺  fl(x) >  0.25  ⟺  x >  0.25 + 2^-26        code ≥ 2  ⟺  x ≥ 0.75 - 2^-25
//   code ≥ 3  ⟺  x >  1.25 + 2^-24                          code ≥ 4  ⟺  x ≥ 1.75 - 2^-24
//   code ≥ 5  ⟺  x >  2.5  + 2^-23                          code ≥ 6  ⟺  x ≥ 3.5  - 2^-23
//   code ≥ 7  ⟺  x >  5    + 2^-22                          fl(x) ≠ 0 ⟺  x > 2^-150 (sign bit)
// Each of the seven bounds B is N·2^-k with N odd and 2^24 < N < 2^25, and d has at most 24
// significant bits, so B·d is exact in float64 and never a float32 (its odd part needs 25 bits
// or more): ">" and "≥" coincide, and for a float32 |v|, |v| > B·d ⟺ |v| > round_down_f32(B·d).
// 2^-150·d can be a float32, and that comparison is strict, which round_down also gives.
// So every decision is one float32 comparison "|v| > cut[k]" against 8 cuts that depend only on
// the scale byte (and gs): ScaleEntry, precomputed once per call for every scale byte.
constexpr int kScaleBytes = 128;

struct alignas(16) ScaleEntry {
  // cut[0]: fl(|v|/d) ≠ 0 iff |v| > cut[0]; cut[k], k = 1..7: magnitude code ≥ k iff |v| > cut[k].
  // All FLT_MAX for scale byte 0 (every code 0) and 0x7f, so no finite |v| passes.
  float cut[8];
  // deq[m] = fl(fl(e2m1(m) · scale_value) · gs): the magnitude an engine reconstructs for code m.
  float deq[8];
  // A group whose amax is ≤ exact_max has every error deq[m] − |v| exactly representable in
  // float32, so fl32(deq[m] − |v|) converted to float64 is the reference's float64 difference.
  // Why: for d = fl(scale_value·gs) ≥ 2^-124, deq[m] = e2m1(m)·d exactly when e2m1(m) is a power
  // of two, and within 2 ulp of it otherwise; the rounding interval of each code then keeps
  // |v| within [deq[m]/2, 2·deq[m]] (Sterbenz: the difference is exact), except code 7, whose
  // interval is open above: there |v| ≤ 2·deq[7] is the condition. Code 0 gives -|v|, exact.
  // -1 (no group) when d < 2^-124; FLT_MAX when every group qualifies (scale byte 0, or 2·deq[7]
  // above FLT_MAX). Infinite deq[m] give an infinite difference both ways.
  float exact_max;
  // 2^-6/d rounded where d ≥ 2^-124 is finite, else 0 (scale byte 0: the fast path then picks code
  // 0; it never uses entries with 0 < d < 2^-124). Scaled by |s|, it turns the E4M3 bits of a byte
  // into ≈ (|v|/d)·2^-126 (quantize_group_fast).
  float inv_d64;
  // The smallest float32 group amax whose scale byte (group_scale_byte) is ≥ this byte: 0 for byte
  // 0, +Inf for 0x7f and for bytes no finite amax reaches. The scale byte is monotonic in the
  // group amax (a correctly rounded division, then a monotonic rounding), so "scale byte ≥ b" is
  // exactly "amax ≥ amax_min of b" (quantize_group_fast picks the byte with one such compare).
  float amax_min;
  // fl(1 / fl(6·gs)), the same in every entry (quantize_group_fast's estimate of the scale byte).
  float inv_six_gs;  // 80 bytes in all: 16-byte aligned rows for vector loads
};

// Scale byte of a group: e4m3_rne_satfinite(fl(group_amax / fl(6·gs))), 0 for an all-zero group.
NVFP4_HD uint32_t group_scale_byte(float group_amax, float six_gs) {
  return group_amax == 0.0f ? 0u : encode_e4m3_nonneg(div_f32(group_amax, six_gs));
}

// ScaleEntry::amax_min by bisection over the float32 bit patterns (they order like the values for
// g ≥ 0), with the reference's own division and encoder: exact by construction. 31 steps, once per
// scale byte and global scale.
NVFP4_HD float scale_amax_min(uint32_t scale_byte, float six_gs) {
  if (scale_byte == 0u) return 0.0f;
  const float inf = bits_float(0x7f800000u);
  if (scale_byte >= 0x7fu || group_scale_byte(kFloat32Max, six_gs) < scale_byte) return inf;
  uint32_t lo = 0u, hi = float_bits(kFloat32Max);  // byte(lo) < scale_byte ≤ byte(hi)
  while (hi - lo > 1u) {
    const uint32_t mid = lo + ((hi - lo) >> 1);
    if (group_scale_byte(bits_float(mid), six_gs) >= scale_byte) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return bits_float(hi);
}

// Largest float32 ≤ t, for t ≥ 0 (FLT_MAX when t is above it).
NVFP4_HD float round_down_f32(double t) {
  if (!(t < static_cast<double>(kFloat32Max))) return kFloat32Max;
  float f = static_cast<float>(t);  // nearest; then step down if it went above
  if (static_cast<double>(f) > t) f = bits_float(float_bits(f) - 1u);
  return f;
}

// amax_min: scale_amax_min(scale_byte, fl(6·gs)), which the caller computes once per gs (the CUDA
// kernel gets it from the host: 31 divisions per byte in every block cost more than they save).
NVFP4_HD void make_scale_entry(uint32_t scale_byte, float gs, float amax_min, ScaleEntry& e) {
  const float scale_value = decode_e4m3(scale_byte);
  for (uint32_t m = 0; m < 8u; m++) e.deq[m] = mul_f32(mul_f32(decode_e2m1_magnitude(m), scale_value), gs);
  e.inv_d64 = 0.0f;
  e.amax_min = amax_min;
  e.inv_six_gs = div_f32(1.0f, mul_f32(6.0f, gs));
  if (scale_byte == 0u || scale_byte >= 0x7fu) {
    for (int k = 0; k < 8; k++) e.cut[k] = kFloat32Max;
    e.exact_max = kFloat32Max;
    return;
  }
  const float d32 = mul_f32(scale_value, gs);
  const float twice_deq7 = mul_f32(2.0f, e.deq[7]);  // exact, or +Inf
  e.exact_max = !(d32 >= 0x1p-124f) ? -1.0f : (twice_deq7 <= kFloat32Max ? twice_deq7 : kFloat32Max);
  if (d32 >= 0x1p-124f && d32 <= kFloat32Max) e.inv_d64 = div_f32(0x1p-6f, d32);
  const double d = static_cast<double>(d32);  // may be +Inf: then every code is 0
  // The bounds above, as exact hex literals.
  constexpr double kBound[8] = {0x1p-150,                   // 2^-150
                                0x1.000001p-2,              // 0.25 + 2^-26
                                0x1.7fffffp-1,              // 0.75 - 2^-25
                                0x1.400001p+0,              // 1.25 + 2^-24
                                0x1.bfffffp+0,              // 1.75 - 2^-24
                                0x1.400001p+1,              // 2.5  + 2^-23
                                0x1.bfffffp+1,              // 3.5  - 2^-23
                                0x1.400001p+2};             // 5    + 2^-22
NVFP4_UNROLL
  for (int k = 0; k < 8; k++) e.cut[k] = round_down_f32(mul_f64(kBound[k], d));
}

NVFP4_HD void make_scale_table(float gs, ScaleEntry* table) {
  const float six_gs = mul_f32(6.0f, gs);
  for (uint32_t s = 0; s < static_cast<uint32_t>(kScaleBytes); s++) {
    make_scale_entry(s, gs, scale_amax_min(s, six_gs), table[s]);
  }
}

// Magnitude code of x = |v| (finite): the number of cuts it is above.
NVFP4_HD uint32_t magnitude_code(float x, const ScaleEntry& e) {
  uint32_t m = 0;
NVFP4_UNROLL
  for (int k = 1; k < 8; k++) m += x > e.cut[k] ? 1u : 0u;
  return m;
}

// ---- one 16-element group (portable; the CPU fallback and the GPU's general path) ----------
struct GroupResult {
  uint32_t scale_byte;
  // 16 codes, code j in bits 4j..4j+3: stored little-endian this is exactly the packed layout
  // (element 2k in the low nibble of byte k, element 2k+1 in its high nibble).
  uint64_t codes;
  double sum_sq_error;   // halving fold of the 16 squared errors
  double sum_sq_ref;     // halving fold of the 16 squared source values
  double max_abs_error;
};

// v: the 16 dequantized float32 values (all finite). table: make_scale_table(gs). The code of v is
// sign | magnitude with sign = (v < 0 and fl(|v|/d) ≠ 0), as e2m1_rne(fl(v/d)) gives.
// Error of element j, as the reference defines it: (double)(±deq) − (double)v. Its square and
// absolute value equal those of deq[m] − |v| (same magnitudes), which is what is computed.
// The stats use the halving fold (s[i] += s[i+8], then +4, +2, +1). Elements j and j+8 are handled
// together so only 8 partial sums are live at once (fewer registers on the GPU); the first fold
// level is then computed as soon as both are known: same operations, same order as the reference.
NVFP4_HD void quantize_group(const float* v, const ScaleEntry* table, float six_gs, GroupResult& out) {
  float group_amax = 0.0f;
NVFP4_UNROLL
  for (int j = 0; j < kGroupSize; j++) {
    const float a = abs_f32(v[j]);
    group_amax = a > group_amax ? a : group_amax;
  }
  const uint32_t scale_byte = group_scale_byte(group_amax, six_gs);
  const ScaleEntry& e = table[scale_byte];
  uint64_t codes = 0;
  double err[kGroupSize / 2];
  double ref[kGroupSize / 2];
  double max_err = 0.0;
NVFP4_UNROLL
  for (int j = 0; j < kGroupSize / 2; j++) {
    const float x_lo = abs_f32(v[j]);
    const float x_hi = abs_f32(v[j + kGroupSize / 2]);
    const uint32_t m_lo = magnitude_code(x_lo, e);
    const uint32_t m_hi = magnitude_code(x_hi, e);
    const uint32_t c_lo = m_lo | (v[j] < 0.0f && x_lo > e.cut[0] ? 8u : 0u);
    const uint32_t c_hi = m_hi | (v[j + kGroupSize / 2] < 0.0f && x_hi > e.cut[0] ? 8u : 0u);
    codes |= static_cast<uint64_t>(c_lo) << (4 * j);
    codes |= static_cast<uint64_t>(c_hi) << (4 * (j + kGroupSize / 2));
    const double d_lo = static_cast<double>(x_lo);
    const double d_hi = static_cast<double>(x_hi);
    const double e_lo = sub_f64(static_cast<double>(e.deq[m_lo]), d_lo);
    const double e_hi = sub_f64(static_cast<double>(e.deq[m_hi]), d_hi);
    err[j] = add_f64(mul_f64(e_lo, e_lo), mul_f64(e_hi, e_hi));
    ref[j] = add_f64(mul_f64(d_lo, d_lo), mul_f64(d_hi, d_hi));
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

// ---- one 16-element group inside one scale block: the fast path ----------------------------
// The GPU's per-lane work and the CPU's portable code (which the tests run against the reference
// everywhere, so the GPU's arithmetic is checked on any machine).
struct FastGroupResult {
  uint32_t scale_byte;
  uint32_t codes_lo, codes_hi;  // elements 0..7 and 8..15, code j in bits 4j..4j+3
  double sum_sq_error, sum_sq_ref;
  float max_abs_error;          // exact: a float32 |e|
};

// Bit 7 of byte j: the sign bit of code j of one word of bytes, set iff v_j < 0 (byte sign XOR
// scale sign, flip = 0x80808080 for a negative scale) and (b_j & 0x7f) ≠ 0. The other bits are
// junk; sign_nibbles reads bit 7 only.
NVFP4_HD uint32_t sign_flags(uint32_t w, uint32_t flip) { return ((w & 0x7f7f7f7fu) + 0x7f7f7f7fu) & (w ^ flip); }
// The sign bits of 8 codes (bit 7 of the bytes of sign_flags a, then b) at bits 4j+3, as in the
// packed codes: one PRMT spreads the even codes' flags over whole bytes, another the odd codes';
// each packed byte takes its low nibble from the first and its high nibble from the second.
NVFP4_HD uint32_t sign_nibbles(uint32_t a, uint32_t b) {
  const uint32_t even = prmt(a, b, 0xeca8u), odd = prmt(a, b, 0xfdb9u);
  return ((even & 0x0f0f0f0fu) | (odd & 0xf0f0f0f0u)) & 0x88888888u;
}

// w: the group's 16 bytes (little-endian words), s: its scale (one block covers the group).
// Returns false, computing nothing, when the group needs quantize_group on its dequantized
// values: a NaN byte, a non-finite s, |s| ≥ 2^8, gs ≥ 2^120 (never from a finite amax), or a
// group amax above the scale byte's exact_max. Otherwise, the reference's results by cheaper
// exact steps:
// - |v| = fl(e4m3(b & 0x7f)·|s|) as fl((b << 20 read as float32, = e4m3·2^-120)·(|s|·2^120)):
//   |s|·2^120 is an exact float32 below 2^128 and the real product is the same;
// - group amax = the value of the largest b & 0x7f (|e4m3| grows with it, rounding is monotonic),
//   found with 16-bit-lane max instructions before any |v| is computed;
// - scale byte without a division or the E4M3 encoder: t = fl(fl(amax·fl(1/six_gs))·2^-120) is
//   r·2^-120, r = amax/six_gs the exact quotient, within a relative 2^-22.9 (two roundings; where
//   t or the inner product is subnormal, within 2^-150 absolutely, 2^-30 in units of r). The
//   float32 bits of t, shifted right by 20, are the index i of the largest E4M3 value ≤ t·2^120
//   (E4M3 is float32's fields with bias 7, subnormals included), capped at 0x7e (an overflow to
//   +Inf caps too; amax and 1/six_gs are finite, so t is never NaN). The reference rounds fl(r)
//   (within 2^-24 of r) to the E4M3 value just below or above it, i.e. i or i + 1, unless t and r
//   lie on either side of an E4M3 value; then r is within a relative 2^-22 (absolutely 2^-29)
//   of it, far from every rounding midpoint (2^-5 relative, 2^-10 absolute away), so the byte is
//   that value's index, i + 1 or i, again. And byte ≥ i + 1 iff amax ≥ amax_min of i + 1 (+Inf
//   for 0x7f). Two multiplies, a shift, a min, two shared-memory loads and a compare per group,
//   where the IEEE division and the encoder's branches cost about 35 instructions;
// - magnitude code m = number of cuts below |v|, from one compare: t = fl(fl(b << 20 read as
//   float32)·K) with K = fl(|s|·inv_d64) is (|v|/d)·2^-126 within a relative 2^-21 (four roundings;
//   where t is a subnormal, within 2^-149 absolutely, 2^-23 in units of |v|/d), and the float32
//   bits of t, shifted right by 22, are the E2M1 index of the largest E2M1 value ≤ t·2^126 (the
//   E4M3 trick in reverse: E2M1 is float32's fields with bias 1). Call it i, capped at 6. |v|/d
//   rounds (the reference's e2m1_rne) to the E2M1 value just below or just above it, so m is i or
//   i + 1, unless t and |v|/d lie on either side of an E2M1 value; then |v|/d is within a relative
//   2^-21 of that value, far from every rounding bound (0.25 and more away), so m is that value's
//   index, i + 1 or i, again. Hence m = i + (|v| > cut[i + 1]), exactly. (K = 0 for scale byte 0:
//   i = 0, cut[1] = FLT_MAX, m = 0.) One multiply, a shift, a min, a shared-memory load and a
//   compare per element, where the 7 compares of counting cost 14 instructions; sign bits from the bytes, because
//   fl(|v|/d) ≠ 0 exactly for the non-zero bytes here: a scale byte ≠ 0 gives d ≤ amax/3 (E4M3
//   rounding of amax/(6·gs) at most doubles it), and exact_max ≥ 0 needs d ≥ 2^-124, so
//   |s| ≥ 2^-132 and the smallest non-zero |v|, fl(2^-9·|s|) ≥ 2^-141, is far above
//   2^-150·d ≤ 2^-151·448·|s|;
// - deq = fl(fl(e2m1(m)·scale_value)·gs) as fl(fl((m << 22 read as float32, = e2m1(m)·2^-126)·
//   (scale_value·2^118))·(gs·2^8)): the inner product, e2m1(m)·scale_value·2^-8, has at most 6
//   significant bits and lies in {0} ∪ [2^-18, 10.5], so it is exact, as the reference's is; the
//   outer one rounds the same real number, once. (The E4M3 trick again: E2M1 codes are float32
//   fields with bias 1.)
// - e = deq − |v| in float32, exact below exact_max; squares of float32 values are exact in
//   float64, so the first fold level is sum_of_squares. The fold is the reference's: level 2
//   (s[i] += s[i+4]) is applied as soon as s[i+4] exists, keeping 4 partial sums live.
// (6·gs enters through the table: ScaleEntry::amax_min and inv_six_gs.)
NVFP4_HD bool quantize_group_fast(const uint32_t* w, float s, const ScaleEntry* table, float gs,
                                  FastGroupResult& out) {
  const float sa = abs_f32(s);
  const float gs256 = mul_f32(gs, 256.0f);
  if (!(sa < 256.0f) || !(gs256 <= kFloat32Max)) return false;
  const float s120 = mul_f32(sa, 0x1p120f);
  // The largest b & 0x7f: even bytes in one set of 16-bit lanes, odd bytes in another.
  uint32_t even = w[0] & 0x007f007fu, odd = w[0] & 0x7f007f00u;
NVFP4_UNROLL
  for (int i = 1; i < 4; i++) {
    even = max_u16x2(even, w[i] & 0x007f007fu);
    odd = max_u16x2(odd, w[i] & 0x7f007f00u);
  }
  uint32_t mx = max_u16x2(even, odd >> 8);
  mx = max_u16x2(mx, mx >> 16) & 0x7fu;
  if (mx == 0x7fu) return false;
  const float gamax = mul_f32(bits_float(mx << 20), s120);
  uint32_t scale_byte = float_bits(mul_f32(mul_f32(gamax, table[0].inv_six_gs), 0x1p-120f)) >> 20;
  scale_byte = scale_byte < 0x7eu ? scale_byte : 0x7eu;
  scale_byte += gamax >= table[scale_byte + 1].amax_min ? 1u : 0u;
  const ScaleEntry& e = table[scale_byte];
  if (!(gamax <= e.exact_max)) return false;
  const float sv118 = mul_f32(mul_f32(bits_float(scale_byte << 20), 0x1p120f), 0x1p118f);
  const float k_index = mul_f32(sa, e.inv_d64);
  uint32_t lo = 0, hi = 0;
  double err[kGroupSize / 4], ref[kGroupSize / 4];
  float max_e = 0.0f;
NVFP4_UNROLL
  for (int j = 0; j < kGroupSize / 2; j++) {
    // Elements j and j + 8: byte j % 4 of words j / 4 and j / 4 + 2.
    const int sh = 8 * (j & 3);
    const float b_lo = bits_float(((w[j >> 2] >> sh) & 0x7fu) << 20);
    const float b_hi = bits_float(((w[(j >> 2) + 2] >> sh) & 0x7fu) << 20);
    const float x_lo = mul_f32(b_lo, s120), x_hi = mul_f32(b_hi, s120);
    uint32_t i_lo = float_bits(mul_f32(b_lo, k_index)) >> 22, i_hi = float_bits(mul_f32(b_hi, k_index)) >> 22;
    i_lo = i_lo < 6u ? i_lo : 6u;
    i_hi = i_hi < 6u ? i_hi : 6u;
    const uint32_t m_lo = i_lo + (x_lo > e.cut[i_lo + 1] ? 1u : 0u);
    const uint32_t m_hi = i_hi + (x_hi > e.cut[i_hi + 1] ? 1u : 0u);
    lo += m_lo << (4 * j);  // the nibbles do not overlap: one shift-and-add each
    hi += m_hi << (4 * j);
    const float dq_lo = mul_f32(mul_f32(bits_float(m_lo << 22), sv118), gs256);
    const float dq_hi = mul_f32(mul_f32(bits_float(m_hi << 22), sv118), gs256);
    const float e_lo = sub_f32(dq_lo, x_lo);
    const float e_hi = sub_f32(dq_hi, x_hi);
    max_e = max_f32(max_e, max_f32(abs_f32(e_lo), abs_f32(e_hi)));
    const double pe = sum_of_squares(static_cast<double>(e_lo), static_cast<double>(e_hi));
    const double pr = sum_of_squares(static_cast<double>(x_lo), static_cast<double>(x_hi));
    if (j < kGroupSize / 4) {
      err[j] = pe;
      ref[j] = pr;
    } else {
      err[j - kGroupSize / 4] = add_f64(err[j - kGroupSize / 4], pe);
      ref[j - kGroupSize / 4] = add_f64(ref[j - kGroupSize / 4], pr);
    }
  }
  const uint32_t flip = float_bits(s) >> 31 ? 0x80808080u : 0u;
  const uint32_t keep = scale_byte != 0u ? 0xffffffffu : 0u;  // scale byte 0: every code is 0
  out.scale_byte = scale_byte;
  out.codes_lo = lo | (sign_nibbles(sign_flags(w[0], flip), sign_flags(w[1], flip)) & keep);
  out.codes_hi = hi | (sign_nibbles(sign_flags(w[2], flip), sign_flags(w[3], flip)) & keep);
  out.sum_sq_error = add_f64(add_f64(err[0], err[2]), add_f64(err[1], err[3]));
  out.sum_sq_ref = add_f64(add_f64(ref[0], ref[2]), add_f64(ref[1], ref[3]));
  out.max_abs_error = max_e;
  return true;
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
