// N-API surface of the CUDA kernels (build/fp4kit_cuda.node). JS wrapper: src/nvfp4/native-kernels.ts;
// the TypeScript shape of this module is CudaAddon in src/nvfp4/native-loader.ts.
// Loading never touches the GPU; probe() (or warmUpAsync()) is the first CUDA call, and on a
// machine without a usable driver it returns {ok: false, error} (e.g. "CUDA driver version is
// insufficient ...").
// The benchmark harness is a separate addon (bench_addon.cc), so conversions never load it.
#include <string>

#include "../common/napi_glue.h"
#include "cuda_kernels.h"

namespace nvfp4 {

// The multi-GPU pipeline's functions (pipeline_bindings.cc).
void register_pipeline(Napi::Env env, Napi::Object exports);

namespace {

Napi::Value throw_cuda(Napi::Env env, const std::string& error) {
  Napi::Error::New(env, "CUDA: " + error).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int device = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  gpu::DeviceInfo d;
  const std::string error = gpu::probe(device, d);
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, error.empty()));
  if (!error.empty()) {
    o.Set("error", Napi::String::New(env, error));
    return o;
  }
  o.Set("deviceCount", Napi::Number::New(env, d.device_count));
  o.Set("device", Napi::Number::New(env, d.device));
  o.Set("name", Napi::String::New(env, d.name));
  o.Set("computeCapability", Napi::String::New(env, std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)));
  o.Set("multiProcessors", Napi::Number::New(env, d.multi_processors));
  o.Set("totalMemory", Napi::Number::New(env, static_cast<double>(d.total_memory)));
  return o;
}

Napi::Value Amax(const Napi::CallbackInfo& info, Run where) {
  Fp8TensorView t;
  if (!parse_tensor(info, t)) return info.Env().Undefined();
  return run_call(info, where, {0, 3}, [t](Record& out) {
    AmaxResult r;
    const std::string e = gpu::amax_host(t, r);
    if (!e.empty()) return "CUDA: " + e;
    out = amax_record(r);
    return std::string();
  });
}

Napi::Value Quantize(const Napi::CallbackInfo& info, Run where) {
  Fp8TensorView t;
  uint8_t *packed = nullptr, *scales = nullptr;
  if (!parse_tensor(info, t) || !parse_outputs(info, 7, t, packed, scales)) return info.Env().Undefined();
  const float gs = info[6].As<Napi::Number>().FloatValue();
  return run_call(info, where, {0, 3, 7, 8}, [t, gs, packed, scales](Record& out) {
    QuantizeStats s;
    const std::string e = gpu::quantize_host(t, gs, packed, scales, s);
    if (!e.empty()) return "CUDA: " + e;
    out = stats_record(s);
    return std::string();
  });
}

Napi::Value ReleaseWorkspace(const Napi::CallbackInfo& info) {
  gpu::release_workspace();
  return info.Env().Undefined();
}

// ---- low-level device memory API (pointers travel as BigInt) --------------------------------
bool get_ptr(const Napi::CallbackInfo& info, size_t at, void** out) {
  if (info.Length() <= at || !info[at].IsBigInt()) return fail(info.Env(), "expected a device pointer (bigint)");
  bool lossless = true;
  *out = reinterpret_cast<void*>(static_cast<uintptr_t>(info[at].As<Napi::BigInt>().Uint64Value(&lossless)));
  return true;
}

bool get_view(const Napi::CallbackInfo& info, size_t at, void** data, size_t* bytes) {
  if (info.Length() <= at || !info[at].IsTypedArray()) return fail(info.Env(), "expected a typed array");
  auto v = info[at].As<Napi::TypedArray>();
  *data = static_cast<uint8_t*>(v.ArrayBuffer().Data()) + v.ByteOffset();
  *bytes = v.ByteLength();
  return true;
}

Napi::Value DeviceAlloc(const Napi::CallbackInfo& info) {
  void* ptr = nullptr;
  const std::string error = gpu::device_alloc(static_cast<size_t>(info[0].As<Napi::Number>().Int64Value()), &ptr);
  if (!error.empty()) return throw_cuda(info.Env(), error);
  return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(ptr)));
}

Napi::Value DeviceFree(const Napi::CallbackInfo& info) {
  void* ptr = nullptr;
  if (!get_ptr(info, 0, &ptr)) return info.Env().Undefined();
  const std::string error = gpu::device_free(ptr);
  if (!error.empty()) return throw_cuda(info.Env(), error);
  return info.Env().Undefined();
}

Napi::Value CopyToDevice(const Napi::CallbackInfo& info) {
  void *ptr = nullptr, *src = nullptr;
  size_t bytes = 0;
  if (!get_ptr(info, 0, &ptr) || !get_view(info, 1, &src, &bytes)) return info.Env().Undefined();
  const std::string error = gpu::copy_to_device(ptr, src, bytes);
  if (!error.empty()) return throw_cuda(info.Env(), error);
  return info.Env().Undefined();
}

Napi::Value CopyFromDevice(const Napi::CallbackInfo& info) {
  void *dst = nullptr, *ptr = nullptr;
  size_t bytes = 0;
  if (!get_view(info, 0, &dst, &bytes) || !get_ptr(info, 1, &ptr)) return info.Env().Undefined();
  const std::string error = gpu::copy_from_device(dst, ptr, bytes);
  if (!error.empty()) return throw_cuda(info.Env(), error);
  return info.Env().Undefined();
}

// (data, rows, cols, scale, blockRows, blockCols) with data/scale as device pointers.
bool parse_device_tensor(const Napi::CallbackInfo& info, Fp8TensorView& t) {
  void *data = nullptr, *scale = nullptr;
  if (!get_ptr(info, 0, &data) || !get_ptr(info, 3, &scale)) return false;
  t.data = static_cast<const uint8_t*>(data);
  t.scale = static_cast<const float*>(scale);
  t.rows = info[1].As<Napi::Number>().Int64Value();
  t.cols = info[2].As<Napi::Number>().Int64Value();
  t.block_rows = info[4].As<Napi::Number>().Int64Value();
  t.block_cols = info[5].As<Napi::Number>().Int64Value();
  if (t.rows < 0 || t.cols < 0 || t.block_rows <= 0 || t.block_cols <= 0) return fail(info.Env(), "bad shape");
  return true;
}

Napi::Value AmaxDevice(const Napi::CallbackInfo& info) {
  Fp8TensorView t;
  if (!parse_device_tensor(info, t)) return info.Env().Undefined();
  return run_call(info, Run::now, {}, [t](Record& out) {
    AmaxResult r;
    const std::string e = gpu::amax_device(t, r);
    if (!e.empty()) return "CUDA: " + e;
    out = amax_record(r);
    return std::string();
  });
}

Napi::Value QuantizeDevice(const Napi::CallbackInfo& info) {
  Fp8TensorView t;
  void *packed = nullptr, *scales = nullptr;
  if (!parse_device_tensor(info, t) || !get_ptr(info, 7, &packed) || !get_ptr(info, 8, &scales)) {
    return info.Env().Undefined();
  }
  if (t.cols % 16 != 0) {
    fail(info.Env(), "cols must be a multiple of 16");
    return info.Env().Undefined();
  }
  const float gs = info[6].As<Napi::Number>().FloatValue();
  return run_call(info, Run::now, {}, [t, gs, packed, scales](Record& out) {
    QuantizeStats s;
    const std::string e =
        gpu::quantize_device(t, gs, static_cast<uint8_t*>(packed), static_cast<uint8_t*>(scales), s);
    if (!e.empty()) return "CUDA: " + e;
    out = stats_record(s);
    return std::string();
  });
}

// (gpus) → Promise: creates the GPUs' CUDA contexts on the libuv pool (gpu::warm_up).
Napi::Value WarmUpAsync(const Napi::CallbackInfo& info) {
  const int gpus = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  return run_call(info, Run::on_pool, {}, [gpus](Record&) {
    const std::string e = gpu::warm_up(gpus);
    return e.empty() ? e : "CUDA: " + e;
  });
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("kind", Napi::String::New(env, "cuda"));
  exports.Set("probe", Napi::Function::New(env, Probe));
  exports.Set("warmUpAsync", Napi::Function::New(env, WarmUpAsync));
  exports.Set("amax", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Amax(i, Run::now); }));
  exports.Set("quantize",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Quantize(i, Run::now); }));
  exports.Set("amaxAsync",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Amax(i, Run::on_pool); }));
  exports.Set("quantizeAsync",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return Quantize(i, Run::on_pool); }));
  exports.Set("releaseWorkspace", Napi::Function::New(env, ReleaseWorkspace));
  exports.Set("deviceAlloc", Napi::Function::New(env, DeviceAlloc));
  exports.Set("deviceFree", Napi::Function::New(env, DeviceFree));
  exports.Set("copyToDevice", Napi::Function::New(env, CopyToDevice));
  exports.Set("copyFromDevice", Napi::Function::New(env, CopyFromDevice));
  exports.Set("amaxDevice", Napi::Function::New(env, AmaxDevice));
  exports.Set("quantizeDevice", Napi::Function::New(env, QuantizeDevice));
  register_pipeline(env, exports);
  return exports;
}

}  // namespace nvfp4

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return nvfp4::Init(env, exports); }
NODE_API_MODULE(fp4kit_cuda, InitAddon)
