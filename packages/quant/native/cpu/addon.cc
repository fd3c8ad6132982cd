// N-API surface of the CPU kernels (build/fp4kit_cpu.node). JS wrapper: src/nvfp4/native-kernels.ts.
//   amax(data, rows, cols, scale, blockRows, blockCols, threads, minElementsPerThread, simd)
//     → {amax, nonFiniteIndex, nonFiniteKind}
//   quantize(data, rows, cols, scale, blockRows, blockCols, gs, packed, blockScales, threads, minElementsPerThread, simd)
//     → {sumSqError, sumSqRef, maxAbsError, nonFiniteIndex, nonFiniteKind}
//   amaxAsync / quantizeAsync: same arguments, return a Promise (work runs on the libuv pool).
//   simd: "auto" (default) or "generic" (the portable code even where AVX2 runs; for tests).
//   simd (property): "avx2" or "generic", what "auto" runs on this CPU.
#include <string>
#include <thread>

#include "../common/napi_glue.h"
#include "cpu_kernels.h"

namespace nvfp4 {
namespace {

// (threads, minElementsPerThread, simd) at info[at..at+2]; all optional.
CpuOptions parse_options(const Napi::CallbackInfo& info, size_t at) {
  CpuOptions th;
  const unsigned hc = std::thread::hardware_concurrency();
  th.threads = hc == 0 ? 1 : static_cast<int>(hc);
  if (info.Length() > at && info[at].IsNumber()) {
    const int n = info[at].As<Napi::Number>().Int32Value();
    if (n > 0) th.threads = n;
  }
  if (info.Length() > at + 1 && info[at + 1].IsNumber()) {
    const int64_t m = info[at + 1].As<Napi::Number>().Int64Value();
    if (m > 0) th.min_elements_per_thread = m;
  }
  if (info.Length() > at + 2 && info[at + 2].IsString()) th.simd = info[at + 2].As<Napi::String>().Utf8Value() != "generic";
  return th;
}

Napi::Value Amax(const Napi::CallbackInfo& info, Run where) {
  Fp8TensorView t;
  if (!parse_tensor(info, t)) return info.Env().Undefined();
  const CpuOptions options = parse_options(info, 6);
  return run_call(info, where, {0, 3}, [t, options](Record& out) {
    out = amax_record(cpu_amax(t, options));
    return std::string();
  });
}

Napi::Value Quantize(const Napi::CallbackInfo& info, Run where) {
  Fp8TensorView t;
  uint8_t *packed = nullptr, *scales = nullptr;
  if (!parse_tensor(info, t) || !parse_outputs(info, 7, t, packed, scales)) return info.Env().Undefined();
  const float gs = info[6].As<Napi::Number>().FloatValue();
  const CpuOptions options = parse_options(info, 9);
  return run_call(info, where, {0, 3, 7, 8}, [t, gs, packed, scales, options](Record& out) {
    out = stats_record(cpu_quantize(t, gs, packed, scales, options));
    return std::string();
  });
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("amax", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Amax(i, Run::now); }));
  exports.Set("quantize",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Quantize(i, Run::now); }));
  exports.Set("amaxAsync",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Amax(i, Run::on_pool); }));
  exports.Set("quantizeAsync",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Quantize(i, Run::on_pool); }));
  exports.Set("hardwareConcurrency",
              Napi::Number::New(env, std::max(1u, std::thread::hardware_concurrency())));
  exports.Set("kind", Napi::String::New(env, "cpu-native"));
  exports.Set("simd", Napi::String::New(env, cpu_simd_name(true)));
  return exports;
}

}  // namespace nvfp4

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return nvfp4::Init(env, exports); }
NODE_API_MODULE(fp4kit_cpu, InitAddon)
