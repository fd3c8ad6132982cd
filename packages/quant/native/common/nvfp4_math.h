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

#include <math.h>
#include <stdint.h>

#if defined(__CUDACC__)
#define NVFP4_HD __host__ __device__ __forceinline__
#else
#define NVFP4_HD inline
#endif

// Rare paths kept out of line on the GPU, so that their registers do not weigh on the hot loop.
#if defined(__CUDACC__)
#define NVFP4_HD_COLD inline __host__ __device__ __noinline__
#else
#define NVFP4_HD_COLD inline
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
NVFP4_HD double mul_f64(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

NVFP4_HD float add_f32(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
// fl(a·b + c) with one rounding (IEEE fusedMultiplyAdd). The host's fmaf is correctly rounded too
// (C99), in hardware where the caller is compiled with FMA (the AVX2 kernel), in libm otherwise.
NVFP4_HD float fma_f32(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return fmaf(a, b, c);
#endif
}
// a·b mod 2^32, one IMAD on the GPU. Opaque to the compiler there, so that a shift written as a
// multiply stays one (it would otherwise turn (x & c) << k into (x << k) & (c << k), a second
// mask on the integer pipe, which the FMA pipe's IMAD relieves).
NVFP4_HD uint32_t mul_lo_u32(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  uint32_t r;
  asm("mul.lo.u32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  return a * b;
#endif
}
// a & m, opaque to the compiler on the GPU, so that a later shift of the result stays one
// instruction on the masked value (the compiler turns (t & 0xffc00000) >> 20 into a shift and a
// second mask).
NVFP4_HD uint32_t and_u32(uint32_t a, uint32_t m) {
#if defined(__CUDA_ARCH__)
  uint32_t r;
  asm("and.b32 %0, %1, %2;" : "=r"(r) : "r"(a), "r"(m));
  return r;
#else
  return a & m;
#endif
}
// High 32 bits of a·b (one IMAD.HI on the GPU).
NVFP4_HD uint32_t mulhi_u32(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
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

// ---- error statistics: units -----------------------------------------------------------------
// Errors and values are squared in "stats units" u = 2^(E+8), E the exponent of gs
// (docs/nvfp4-math.md, "Error statistics"): every |v| of a tensor is at most amax ≈ 2688·gs < 2^5·u,
// so float32 squares and sums neither overflow nor, for any value that matters, underflow; and the
// reconstruction step d = fl(scale·gs) is below 896·2^E, so d/u < 4, which the GPU's fast path
// needs (quantize_group_fast). Twin of nvfp4StatsUnit in src/nvfp4/reference.ts.
NVFP4_HD int stats_unit_exponent(float gs) { return static_cast<int>((float_bits(gs) >> 23) & 0xffu) - 127 + 8; }
// P = 1/u as a float32, exact: 2^-(E+8) is normal for E ≤ 118 and a subnormal (down to 2^-135)
// above.
NVFP4_HD float stats_per_unit(float gs) {
  const int biased = 127 - stats_unit_exponent(gs);  // ≥ -8 for a finite gs
  return bits_float(biased >= 1 ? static_cast<uint32_t>(biased) << 23 : 0x00400000u >> -biased);
}

struct alignas(16) ScaleEntry {
  // cut[0]: fl(|v|/d) ≠ 0 iff |v| > cut[0]; cut[k], k = 1..7: magnitude code ≥ k iff |v| > cut[k].
  // All FLT_MAX for scale byte 0 (every code 0) and 0x7f, so no finite |v| passes.
  float cut[8];
  // fl(d·P), d = fl(scale_value·gs) the step the codes were chosen with: times e2m1(m), the
  // magnitude an engine reconstructs for code m, in stats units.
  float d_units;
  // The smallest float32 group amax whose scale byte (group_scale_byte) is ≥ this byte: 0 for byte
  // 0, +Inf for 0x7f and for bytes no finite amax reaches. The scale byte is monotonic in the
  // group amax (a correctly rounded division, then a monotonic rounding), so "scale byte ≥ b" is
  // exactly "amax ≥ amax_min of b" (quantize_group_fast picks the byte with one such compare).
  float amax_min;
  float per_unit;    // P = stats_per_unit(gs), the same in every entry
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
#if defined(__CUDA_ARCH__)
  // Rounding toward zero is rounding down for t ≥ 0, and gives FLT_MAX for any finite t above it;
  // the min caps +Inf.
  return fminf(__double2float_rz(t), kFloat32Max);
#else
  if (!(t < static_cast<double>(kFloat32Max))) return kFloat32Max;
  float f = static_cast<float>(t);  // nearest; then step down if it went above
  if (static_cast<double>(f) > t) f = bits_float(float_bits(f) - 1u);
  return f;
#endif
}

// fl(2^-6/d) where d ≥ 2^-124 is finite; 0 for scale byte 0, 0x7f and d = +Inf (every code 0);
// -1 where 0 < d < 2^-124 (quantize_group_fast then declines the group). Scaled by |s|, it turns
// the E4M3 bits of a byte into ≈ (|v|/d)·2^-126 (quantize_group_fast).
NVFP4_HD float scale_inv_d64(uint32_t scale_byte, float gs) {
  if (scale_byte == 0u || scale_byte >= 0x7fu) return 0.0f;
  const float d = mul_f32(decode_e4m3(scale_byte), gs);
  if (!(d <= kFloat32Max)) return 0.0f;
  return d >= 0x1p-124f ? div_f32(0x1p-6f, d) : -1.0f;
}

// ScaleEntry::cut[k] of a scale byte.
NVFP4_HD float scale_cut(uint32_t scale_byte, float gs, int k) {
  if (scale_byte == 0u || scale_byte >= 0x7fu) return kFloat32Max;
  // The bounds above, as exact hex literals (selected, not indexed: an indexed array would live in
  // the GPU's local memory).
  const double bound = k == 0   ? 0x1p-150        // 2^-150
                       : k == 1 ? 0x1.000001p-2   // 0.25 + 2^-26
                       : k == 2 ? 0x1.7fffffp-1   // 0.75 - 2^-25
                       : k == 3 ? 0x1.400001p+0   // 1.25 + 2^-24
                       : k == 4 ? 0x1.bfffffp+0   // 1.75 - 2^-24
                       : k == 5 ? 0x1.400001p+1   // 2.5  + 2^-23
                       : k == 6 ? 0x1.bfffffp+1   // 3.5  - 2^-23
                                : 0x1.400001p+2;  // 5    + 2^-22
  // d may be +Inf: then every cut is FLT_MAX and every code 0.
  return round_down_f32(mul_f64(bound, static_cast<double>(mul_f32(decode_e4m3(scale_byte), gs))));
}

// amax_min: scale_amax_min(scale_byte, fl(6·gs)), which the caller computes once per gs (0 where
// it is not needed).
NVFP4_HD void make_scale_entry(uint32_t scale_byte, float gs, float amax_min, ScaleEntry& e) {
  const float scale_value = scale_byte >= 0x7fu ? 0.0f : decode_e4m3(scale_byte);
  e.per_unit = stats_per_unit(gs);
  e.d_units = mul_f32(mul_f32(scale_value, gs), e.per_unit);
  e.amax_min = amax_min;
NVFP4_UNROLL
  for (int k = 0; k < 8; k++) e.cut[k] = scale_cut(scale_byte, gs, k);
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
  float sum_sq_error;   // in stats units: the fused multiply-add chain over j = 0..15 of es²
  float sum_sq_ref;     // ... of xs²
  float max_abs_error;  // max |es|
};

// v: the 16 dequantized float32 values (all finite). table: make_scale_table(gs). The code of v is
// sign | magnitude with sign = (v < 0 and fl(|v|/d) ≠ 0), as e2m1_rne(fl(v/d)) gives.
// Stats, in units u: xs = fl(|v|·P), es = fl(e2m1(m)·fl(d·P) − xs) with one rounding (the
// reference's e has the same magnitude), squared and summed by one fused multiply-add per element,
// in element order.
NVFP4_HD float group_amax_of(const float* v) {
  float group_amax = 0.0f;
NVFP4_UNROLL
  for (int j = 0; j < kGroupSize; j++) {
    const float a = abs_f32(v[j]);
    group_amax = a > group_amax ? a : group_amax;
  }
  return group_amax;
}

// The group with its scale byte already chosen (group_scale_byte) and e its ScaleEntry.
NVFP4_HD void quantize_group_with_entry(const float* v, uint32_t scale_byte, const ScaleEntry& e, GroupResult& out) {
  uint64_t codes = 0;
  float se = 0.0f, sr = 0.0f, max_e = 0.0f;
NVFP4_UNROLL
  for (int j = 0; j < kGroupSize; j++) {
    const float x = abs_f32(v[j]);
    const uint32_t m = magnitude_code(x, e);
    codes |= static_cast<uint64_t>(m | (v[j] < 0.0f && x > e.cut[0] ? 8u : 0u)) << (4 * j);
    const float xs = mul_f32(x, e.per_unit);
    const float es = fma_f32(decode_e2m1_magnitude(m), e.d_units, -xs);
    se = fma_f32(es, es, se);
    sr = fma_f32(xs, xs, sr);
    max_e = max_f32(max_e, abs_f32(es));
  }
  out.scale_byte = scale_byte;
  out.codes = codes;
  out.sum_sq_error = se;
  out.sum_sq_ref = sr;
  out.max_abs_error = max_e;
}

NVFP4_HD void quantize_group(const float* v, const ScaleEntry* table, float six_gs, GroupResult& out) {
  const uint32_t scale_byte = group_scale_byte(group_amax_of(v), six_gs);
  quantize_group_with_entry(v, scale_byte, table[scale_byte], out);
}

// ---- one 16-element group inside one scale block: the fast path ----------------------------
// The GPU's per-lane work and the CPU's portable code (which the tests run against the reference
// everywhere, so the GPU's arithmetic is checked on any machine).

// Row i of the scale-byte search (i = the estimate, 0..0x7e): what picking between bytes i and
// i + 1 needs, and what the picked byte's codes and stats need.
struct alignas(32) ScaleRow {
  float amax_min_next;  // ScaleEntry::amax_min of byte i + 1
  float inv_d64_lo;     // scale_inv_d64 of byte i
  float inv_d64_hi;     // ... of byte i + 1
  float d126_lo;        // scale_d126 of byte i
  float d126_hi;        // ... of byte i + 1
  float pad[3];
};
constexpr int kScaleRows = kScaleBytes - 1;

// The cuts of one scale byte in stats units, cut[k] = ScaleEntry::cut[k]·P (k < 8; exact for the
// scale bytes the fast path takes: every cut[k ≥ 1] is then a normal float above 2^-17), and
// cut[8] = +Inf: what the fast path's one-comparison rule compares xs = |v|·P with.
struct ScaleUnitCuts {
  float cut[9];
};

NVFP4_HD ScaleUnitCuts scale_unit_cuts_of(const ScaleEntry& e) {
  ScaleUnitCuts c;
  for (int k = 0; k < 8; k++) c.cut[k] = mul_f32(e.cut[k], e.per_unit);
  c.cut[8] = bits_float(0x7f800000u);
  return c;
}

// fl(d·P)·2^126, d = fl(scale_value·gs), P = stats_per_unit(gs): the factor that turns a code's
// bits m << 22 into its reconstructed magnitude in stats units (fast_element_stats). Exact for the
// scale bytes the fast path takes (≥ 8: fl(d·P) then lies in [2^-14, 4), see quantize_group_fast).
NVFP4_HD float scale_d126(uint32_t scale_byte, float gs) {
  const float scale_value = scale_byte >= 0x7fu ? 0.0f : decode_e4m3(scale_byte);
  return mul_f32(mul_f32(mul_f32(scale_value, gs), stats_per_unit(gs)), 0x1p126f);
}

// amax_min_next: ScaleEntry::amax_min of byte i + 1.
NVFP4_HD ScaleRow make_scale_row(uint32_t i, float amax_min_next, float gs) {
  return ScaleRow{amax_min_next,          scale_inv_d64(i, gs), scale_inv_d64(i + 1u, gs),
                  scale_d126(i, gs),      scale_d126(i + 1u, gs), {0.0f, 0.0f, 0.0f}};
}

NVFP4_HD void make_scale_rows(const ScaleEntry* table, float gs, ScaleRow* rows) {
  for (int i = 0; i < kScaleRows; i++) rows[i] = make_scale_row(static_cast<uint32_t>(i), table[i + 1].amax_min, gs);
}

// Per-call constants of the fast path (all exact functions of gs).
struct FastConstants {
  float gs;
  float per_unit;     // P
  float s_lo, s_hi;   // the block scales it takes: s_lo ≤ s < s_hi (positive ones only)
  float gamax_max;    // and group amaxes ≤ this
  float inv_six_gs;   // fl(1 / fl(6·gs))
};

NVFP4_HD void make_fast_constants(float gs, FastConstants& k) {
  k.gs = gs;
  k.per_unit = stats_per_unit(gs);
  // u = 2^e; |s| ≥ 2^-117 and |s|/u ≥ 2^-117 keep every non-zero |v| and |v|/u normal; |s| < 2^8
  // and |s|/u < 2^8 keep |s|·2^120 and |s|·2^120/u below 2^128. Powers of two: exact. (For
  // e > 127, gs ≥ 2^120, max(1, u) is +Inf: no scale qualifies.)
  const int e = stats_unit_exponent(gs);
  const float u_lo = e >= 0 ? 1.0f : bits_float(static_cast<uint32_t>(127 + e) << 23);  // min(1, u)
  const float u_hi = e <= 0 ? 1.0f : e <= 127 ? bits_float(static_cast<uint32_t>(127 + e) << 23)
                                              : bits_float(0x7f800000u);  // max(1, u)
  k.s_lo = mul_f32(0x1p-117f, u_hi);
  k.s_hi = mul_f32(256.0f, u_lo);
  k.gamax_max = mul_f32(2944.0f, gs);  // 2944 = 448 · 6.57…: see quantize_group_fast
  k.inv_six_gs = div_f32(1.0f, mul_f32(6.0f, gs));
}

struct FastGroupResult {
  uint32_t scale_byte;
  uint32_t codes_lo, codes_hi;  // elements 0..7 and 8..15, code j in bits 4j..4j+3
  float sum_sq_error, sum_sq_ref, max_abs_error;  // as GroupResult's
};

// Bit 7 of byte j: the sign bit of code j of one word of bytes w (m7 = w & 0x7f7f7f7f), set iff
// b_j is negative (bit 7; the fast path takes positive block scales only) and b_j & 0x7f ≠ 0
// (m7 + 0x7f in a byte carries into its bit 7 exactly then, and never into the next byte). The
// other bits are junk; sign_nibbles reads bit 7 only.
NVFP4_HD uint32_t sign_flags(uint32_t w, uint32_t m7) { return (m7 + 0x7f7f7f7fu) & w; }
// The sign bits of 8 codes at bits 4j+3, as in the packed codes, the other bits 0, from the
// sign_flags a (codes 0..3) and b (4..7): one PRMT spreads the even codes' flags over whole bytes,
// another the odd codes'; each packed byte takes bit 3 from the first and bit 7 from the second.
// The magnitude codes (at most 7 a nibble) are then added onto it, carry-free.
NVFP4_HD uint32_t sign_nibbles(uint32_t a, uint32_t b) {
  const uint32_t even = prmt(a, b, 0xeca8u), odd = prmt(a, b, 0xfdb9u);
  return (even & 0x08080808u) | (odd & 0x80808080u);
}

// A code is decided by the estimate alone unless its bits lie within kNearBits of a rounding
// midpoint (see quantize_group_fast); such a group's codes are redone with one exact compare each.
constexpr uint32_t kNearBits = 16;

// The stats of one element of the fast path: es from the code (m22 = m << 22), and the sums.
// m22 read as float32 is e2m1(m)·2^-126 and d126 = fl(d·P)·2^126 (exact), so one fused
// multiply-add rounds e2m1(m)·fl(d·P) − xs once, as the reference does.
NVFP4_HD void fast_element_stats(uint32_t m22, float xs, float d126, float& se, float& sr, float& max_e) {
  const float es = fma_f32(bits_float(m22), d126, -xs);
  se = fma_f32(es, es, se);
  sr = fma_f32(xs, xs, sr);
  max_e = max_f32(max_e, abs_f32(es));
}

// Code m of element j (m22 = m << 22) added at bits 4j' of its half (j' = j mod 8):
// m22 >> (22 − 4j'), a multiply-high where that shifts right.
NVFP4_HD uint32_t code_nibble(uint32_t m22, int j) {
  const int jj = j & 7;
  return 4 * jj <= 22 ? mulhi_u32(m22, 1u << (10 + 4 * jj)) : m22 << (4 * jj - 22);
}

// w: the group's 16 bytes (little-endian words), s: its scale (one block covers the group).
// compare_each: take every code by the one-comparison rule instead of rounding the estimate (same
// results; the GPU takes it for steps with power-of-two block scales, e.g. E8M0 ones, which make
// near codes common).
// Returns false, its outputs junk, when the group needs quantize_group on its
// dequantized values: a NaN byte, s outside [s_lo, s_hi) (a negative s included), a group amax
// above gamax_max, a scale byte below 8 (subnormal, or 0 for a group with a non-zero byte) or
// d < 2^-124. Otherwise (s > 0, so |s| = s below)
// the reference's results (docs/nvfp4-math.md, "The fast path"), by cheaper exact steps:
// - |v| = fl(e4m3(b & 0x7f)·|s|) as fl((b << 20 read as float32, = e4m3·2^-120)·(|s|·2^120)), and
//   xs = fl(|v|·P) as fl((b << 20)·(|s|·2^120·P)): |s|·2^120 and |s|·2^120·P are exact float32
//   below 2^128, and |v|, |v|·P are normal (or 0), so scaling by P commutes with the rounding;
// - group amax = the value of the largest b & 0x7f (|e4m3| grows with it, rounding is monotonic),
//   found with 16-bit-lane max instructions before any |v| is computed: the lanes' high bytes see
//   the odd bytes of the words as they are and the even ones shifted up by 8 (the low bytes only
//   break ties between equal high bytes, so they never change the high byte of a maximum);
// - scale byte without a division or the E4M3 encoder: t = fl(fl(amax·fl(1/six_gs))·2^-120) is
//   r·2^-120, r = amax/six_gs the exact quotient, within a relative 2^-22.9; the float32 bits of
//   t, shifted right by 20, are the index i of the largest E4M3 value ≤ t·2^120 (E4M3 is
//   float32's fields with bias 7), capped at 0x7e; the reference's byte is i or i + 1, and it is
//   i + 1 iff amax ≥ amax_min of i + 1 (one ScaleRow gives that, and both bytes' inv_d64 and d126);
// - codes from an estimate: t = fl(fl(b << 20 read as float32)·K), K = fl(|s|·inv_d64), is
//   (|v|/d)·2^-126 within a relative 2^-22 (four roundings; within 2 ulp where subnormal), i.e.
//   within 4 units of its float32 bits. E2M1 is float32's fields with bias 1, so the bits of
//   e2m1(m)·2^-126 are m << 22 and the midpoint between codes m and m + 1 has bits
//   (m << 22) + 2^21. The reference's code is |v|/d rounded to E2M1 (its decision bounds lie
//   within 1 unit of those midpoints, ties included), so wherever t's bits are at least 16 units
//   from a midpoint, the code is t rounded to the nearest: with u = bits(t) + 2^21 + 16,
//   m << 22 = u & 0xffc00000, and "near" is (u mod 2^22) < 32. No cap is needed: a normal,
//   unsaturated scale byte gives |v|/d ≤ 6·(1 + 2^-4)(1 + 2^-21) < 6.4, and a saturated one
//   (scale 448) |v|/d ≤ gamax_max/(448·gs)·(1 + 2^-23) < 6.6, both below 7, where m would reach 8.
//   Scale byte 0 has inv_d64 = 0: t = 0, every code 0. In the rare group with a "near" code, all
//   16 codes are redone exactly: with i = min(bits(t) >> 22, 6), the code is i + (|v| > cut[i + 1])
//   (docs/nvfp4-math.md, "One comparison per element");
// - sign bits from the bytes: a scale byte ≥ 8 gives d ≤ amax/3 and |s| ≥ 2^-117 makes every
//   non-zero |v| ≥ 2^-126, so fl(|v|/d) ≠ 0 exactly for the non-zero bytes, and s > 0 makes v
//   negative exactly for the bytes with bit 7 set; scale byte 0 (every code 0, signs included) is
//   taken only for a group of zero bytes, which have no sign bits;
// - es = fl(e2m1(m)·D − xs), D = fl(d·P), as one fused multiply-add of (m << 22 read as float32)
//   = e2m1(m)·2^-126 and D·2^126: a scale byte ≥ 8 gives d ≥ 2^-6·gs, and d ≤ 448·gs, so D lies in
//   [2^-14, 4) (u = 2^(E+8)) and D·2^126 is a normal float32, exact; the sums: one fused
//   multiply-add per element, in element order.
// A group's packed codes (elements 0..7 and 8..15) and its stats.
struct FastGroupSums {
  uint32_t lo, hi;
  float se, sr, max_e;
};

// quantize_group_fast's codes and stats with each code by one exact compare: with i = bits(t) >> 22
// (at most 7, |v|/d being below 6.6), the code is i + (|v| > cut[i + 1]) (docs/nvfp4-math.md, "One
// comparison per element"), compared here as xs = |v|·P against the cut in stats units (both
// exact, so the same decision); cut[8] = +Inf keeps code 7 where i = 7. The codes are added onto
// signs_lo and signs_hi (sign_nibbles).
NVFP4_HD FastGroupSums codes_by_compare(const uint32_t* w, const ScaleUnitCuts& c, float s120p, float k_index,
                                        float d126, uint32_t signs_lo, uint32_t signs_hi) {
  FastGroupSums r{signs_lo, signs_hi, 0.0f, 0.0f, 0.0f};
NVFP4_UNROLL
  for (int j = 0; j < kGroupSize; j++) {
    const float b20 = bits_float(((w[j >> 2] >> (8 * (j & 3))) & 0x7fu) << 20);
    const float xs = mul_f32(b20, s120p);
    const uint32_t i22 = and_u32(float_bits(mul_f32(b20, k_index)), 0xffc00000u);  // i << 22
    // cut[i + 1], at byte offset i·4 = i22 >> 20 from cut + 1
    const float next_cut = *reinterpret_cast<const float*>(reinterpret_cast<const char*>(c.cut + 1) + (i22 >> 20));
    const uint32_t m22 = i22 + (xs > next_cut ? (1u << 22) : 0u);
    if (j < 8) {
      r.lo += code_nibble(m22, j);
    } else {
      r.hi += code_nibble(m22, j);
    }
    fast_element_stats(m22, xs, d126, r.se, r.sr, r.max_e);
  }
  return r;
}

// The same, out of line, for the rare group of the rounding mode where some code lies near a
// rounding midpoint. The bytes come by value: an array argument would live in local memory on
// the GPU, stored for every group.
NVFP4_HD_COLD FastGroupSums redo_codes_exactly(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3,
                                               const ScaleUnitCuts& c, float s120p, float k_index, float d126,
                                               uint32_t signs_lo, uint32_t signs_hi) {
  const uint32_t w[4] = {w0, w1, w2, w3};
  return codes_by_compare(w, c, s120p, k_index, d126, signs_lo, signs_hi);
}

// rows: the search rows (make_scale_rows), indexed by a scale byte: a pointer, or the GPU's
// reader of its shared-memory copy. Branch-free: a group that the fast path declines runs through
// the same steps on junk (every table index stays in range) and the result says false, so the
// common case pays for no branches.
template <typename ScaleRows>
NVFP4_HD bool quantize_group_fast(const uint32_t* w, float s, const ScaleRows& rows, const ScaleUnitCuts* cuts,
                                  const FastConstants& k, bool compare_each, FastGroupResult& out) {
  const bool s_in_range = s >= k.s_lo && s < k.s_hi;  // false for negative scales and NaN
  const float s120 = mul_f32(s, 0x1p120f);
  const float s120p = mul_f32(s120, k.per_unit);
  uint32_t m7[4];  // the bytes without their sign bits
NVFP4_UNROLL
  for (int i = 0; i < 4; i++) m7[i] = w[i] & 0x7f7f7f7fu;
  // The largest b & 0x7f, in the high byte of a 16-bit lane (the shifts are multiplies: the GPU's
  // integer pipe is the busier one).
  const uint32_t odd = max_u16x2(max_u16x2(m7[0], m7[1]), max_u16x2(m7[2], m7[3]));
  const uint32_t even = max_u16x2(max_u16x2(mul_lo_u32(m7[0], 256u), mul_lo_u32(m7[1], 256u)),
                                  max_u16x2(mul_lo_u32(m7[2], 256u), mul_lo_u32(m7[3], 256u)));
  uint32_t mx = max_u16x2(odd, even);
  mx = max_u16x2(mx, mx >> 16);
  const uint32_t mx20 = (mx << 12) & 0x07f00000u;  // (b & 0x7f) << 20 of that byte
  const float gamax = mul_f32(bits_float(mx20), s120);
  uint32_t scale_byte = float_bits(mul_f32(mul_f32(gamax, k.inv_six_gs), 0x1p-120f)) >> 20;
  scale_byte = scale_byte < 0x7eu ? scale_byte : 0x7eu;
  const ScaleRow row = rows[scale_byte];
  const bool up = gamax >= row.amax_min_next;
  scale_byte += up ? 1u : 0u;
  const float inv_d64 = up ? row.inv_d64_hi : row.inv_d64_lo;
  const float d126 = up ? row.d126_hi : row.d126_lo;
  const bool taken = s_in_range && mx20 != 0x07f00000u && gamax <= k.gamax_max &&
                     !(scale_byte < 8u && (scale_byte | mx20) != 0u) && inv_d64 >= 0.0f;
  // The sign bits now, as the codes' starting words: two words live through the codes instead of four.
  const uint32_t signs_lo = sign_nibbles(sign_flags(w[0], m7[0]), sign_flags(w[1], m7[1]));
  const uint32_t signs_hi = sign_nibbles(sign_flags(w[2], m7[2]), sign_flags(w[3], m7[3]));
  const float k_index = mul_f32(s, inv_d64);
  FastGroupSums r{signs_lo, signs_hi, 0.0f, 0.0f, 0.0f};
  bool near = false;
  if (compare_each) {
    r = codes_by_compare(w, cuts[scale_byte], s120p, k_index, d126, signs_lo, signs_hi);
  } else {
NVFP4_UNROLL
    for (int j = 0; j < kGroupSize; j++) {
      const float b20 = bits_float(((w[j >> 2] >> (8 * (j & 3))) & 0x7fu) << 20);
      const float xs = mul_f32(b20, s120p);
      const uint32_t u = float_bits(mul_f32(b20, k_index)) + ((1u << 21) + kNearBits);
      const uint32_t m22 = u & 0xffc00000u;
      near |= (u & 0x003fffe0u) == 0u;
      if (j < 8) {
        r.lo += code_nibble(m22, j);
      } else {
        r.hi += code_nibble(m22, j);
      }
      fast_element_stats(m22, xs, d126, r.se, r.sr, r.max_e);
    }
    if (near) {
      r = redo_codes_exactly(w[0], w[1], w[2], w[3], cuts[scale_byte], s120p, k_index, d126, signs_lo, signs_hi);
    }
  }
  out.scale_byte = scale_byte;
  out.codes_lo = r.lo;
  out.codes_hi = r.hi;
  out.sum_sq_error = r.se;
  out.sum_sq_ref = r.sr;
  out.max_abs_error = r.max_e;
  return taken;
}

// Halving fold of b[0..width) in float32 (width a power of two), the tree a CUDA warp's
// xor-shuffle reduction computes in lane 0. Twin of foldSum32 in src/nvfp4/reference.ts.
NVFP4_HD float fold_sum_f32(float* b, int width) {
  for (int half = width >> 1; half >= 1; half >>= 1) {
    for (int i = 0; i < half; i++) b[i] = add_f32(b[i], b[i + half]);
  }
  return b[0];
}

// The sums in stats units (u²) and max |es| (u) back to values: exact powers of two in float64.
template <typename Stats>
inline void scale_stats_to_values(float gs, float max_es, Stats& stats) {
  const double unit = ldexp(1.0, stats_unit_exponent(gs));
  stats.sum_sq_error *= unit * unit;
  stats.sum_sq_ref *= unit * unit;
  stats.max_abs_error = static_cast<double>(max_es) * unit;
}

// Global scale: fround(amax / 2688); 0 → 1; below 2^-126 → 2^-126. Twin of nvfp4GlobalScale.
NVFP4_HD float global_scale(float amax) {
  if (amax == 0.0f) return 1.0f;
  const float gs = div_f32(amax, 2688.0f);
  const float min_normal = bits_float(0x00800000u);
  return gs < min_normal ? min_normal : gs;
}

}  // namespace nvfp4
