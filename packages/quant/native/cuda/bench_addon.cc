// N-API surface of the kernels' benchmark harness (build/fp4kit_cuda_bench.node, bench.h), built only
// on request (`npm run build:bench -w @fp4kit/quant`) and kept out of fp4kit_cuda.node, which
// conversions load. It holds its own copy of the launch layer and so its own workspace, on device 0.
// TypeScript shape and loader: bench/cuda-bench-addon.ts.
#include <string>

#include "../common/napi_glue.h"
#include "bench.h"

namespace nvfp4 {
namespace {

Napi::Value throw_cuda(Napi::Env env, const std::string& error) {
  Napi::Error::New(env, "CUDA: " + error).ThrowAsJavaScriptException();
  return env.Undefined();
}

// (data, rows, cols, scale, blockRows, blockCols, gs, iterations = 10).
Napi::Value Benchmark(const Napi::CallbackInfo& info) {
  Fp8TensorView t;
  if (!parse_tensor(info, t)) return info.Env().Undefined();
  Napi::Env env = info.Env();
  if (t.cols % 16 != 0) return throw_cuda(env, "cols must be a multiple of 16");
  const float gs = info[6].As<Napi::Number>().FloatValue();
  const int iterations = info.Length() > 7 ? info[7].As<Napi::Number>().Int32Value() : 10;
  gpu::BenchmarkResult b;
  const std::string error = gpu::benchmark(t, gs, iterations, b);
  if (!error.empty()) return throw_cuda(env, error);
  Napi::Object o = Napi::Object::New(env);
  o.Set("amaxMs", Napi::Number::New(env, b.amax_ms));
  o.Set("quantizeMs", Napi::Number::New(env, b.quantize_ms));
  o.Set("quantizeSerialMs", Napi::Number::New(env, b.quantize_serial_ms));
  o.Set("quantizeLanesMs", Napi::Number::New(env, b.quantize_lanes_ms));
  o.Set("uploadMs", Napi::Number::New(env, b.upload_ms));
  o.Set("downloadMs", Napi::Number::New(env, b.download_ms));
  o.Set("iterations", Napi::Number::New(env, b.iterations));
  return o;
}

}  // namespace
}  // namespace nvfp4

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("kind", Napi::String::New(env, "cuda-bench"));
  exports.Set("benchmark", Napi::Function::New(env, nvfp4::Benchmark));
  return exports;
}
NODE_API_MODULE(fp4kit_cuda_bench, InitAddon)
