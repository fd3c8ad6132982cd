// N-API surface of the multi-GPU pipeline (pipeline.h), registered into fp4kit_cuda.node by
// addon.cc. JS wrapper: src/nvfp4/cuda-pipeline.ts; TypeScript shape: CudaPipelineAddon in
// src/nvfp4/native-loader.ts. A pipeline travels to JS as an opaque handle (an External holding a
// shared_ptr): async calls hold their own reference, so closing it while calls are in flight frees
// the GPU buffers only once the last one finishes.
#include <memory>
#include <string>

#include "../common/napi_glue.h"
#include "pipeline.h"

namespace nvfp4 {
namespace {

using PipelineRef = std::shared_ptr<pipeline::Pipeline>;

Napi::Value throw_error(Napi::Env env, const std::string& message) {
  Napi::Error::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// The pipeline behind the handle at info[at]; empty (with a JS exception pending) if none.
PipelineRef pipeline_at(const Napi::CallbackInfo& info, size_t at) {
  if (info.Length() <= at || !info[at].IsExternal()) {
    fail(info.Env(), "expected a pipeline handle (from pipelineOpen)");
    return nullptr;
  }
  PipelineRef p = *info[at].As<Napi::External<PipelineRef>>().Data();
  if (!p) fail(info.Env(), "the pipeline is closed");
  return p;
}

Napi::Value PipelineOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    fail(env, "expected (gpus: number, lanesPerGpu: number)");
    return env.Undefined();
  }
  std::unique_ptr<pipeline::Pipeline> p;
  const std::string error = pipeline::Pipeline::open(info[0].As<Napi::Number>().Int32Value(),
                                                     info[1].As<Napi::Number>().Int32Value(), p);
  if (!error.empty()) return throw_error(env, "CUDA pipeline: " + error);
  auto* ref = new PipelineRef(std::move(p));
  Napi::Object o = Napi::Object::New(env);
  Napi::Array gpus = Napi::Array::New(env);
  for (const auto& c : (*ref)->counters()) {
    Napi::Object g = Napi::Object::New(env);
    g.Set("device", Napi::Number::New(env, c.device));
    g.Set("name", Napi::String::New(env, c.name));
    gpus.Set(gpus.Length(), g);
  }
  o.Set("gpus", gpus);
  o.Set("lanesPerGpu", Napi::Number::New(env, (*ref)->lanes_per_gpu()));
  o.Set("handle", Napi::External<PipelineRef>::New(env, ref, [](Napi::Env, PipelineRef* r) { delete r; }));
  return o;
}

Napi::Value PipelineClose(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsExternal()) info[0].As<Napi::External<PipelineRef>>().Data()->reset();
  return info.Env().Undefined();
}

Napi::Value PipelineCounters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PipelineRef p = pipeline_at(info, 0);
  if (!p) return env.Undefined();
  Napi::Array out = Napi::Array::New(env);
  for (const auto& c : p->counters()) {
    Napi::Object g = Napi::Object::New(env);
    g.Set("device", Napi::Number::New(env, c.device));
    g.Set("name", Napi::String::New(env, c.name));
    g.Set("amaxCalls", Napi::Number::New(env, static_cast<double>(c.amax_calls)));
    g.Set("quantizeCalls", Napi::Number::New(env, static_cast<double>(c.quantize_calls)));
    g.Set("inputBytes", Napi::Number::New(env, static_cast<double>(c.input_bytes)));
    g.Set("parkedHits", Napi::Number::New(env, static_cast<double>(c.parked_hits)));
    g.Set("uploadSeconds", Napi::Number::New(env, c.upload_seconds));
    g.Set("kernelSeconds", Napi::Number::New(env, c.kernel_seconds));
    g.Set("downloadSeconds", Napi::Number::New(env, c.download_seconds));
    out.Set(out.Length(), g);
  }
  return out;
}

// (data, rows, cols, scale, blockRows, blockCols, handle, id?)
constexpr size_t kAmaxHandleArg = 6;
// (data, rows, cols, scale, blockRows, blockCols, gs, packed, blockScales, handle, id?)
constexpr size_t kQuantizeHandleArg = 9;

// The optional tensor id after the handle (0 when absent): see Pipeline::amax / quantize.
int64_t id_at(const Napi::CallbackInfo& info, size_t at) {
  return info.Length() > at && info[at].IsNumber() ? info[at].As<Napi::Number>().Int64Value() : 0;
}

Napi::Value PipelineAmax(const Napi::CallbackInfo& info, Run where) {
  Fp8TensorView t;
  if (!parse_tensor(info, t)) return info.Env().Undefined();
  PipelineRef p = pipeline_at(info, kAmaxHandleArg);
  if (!p) return info.Env().Undefined();
  const int64_t id = id_at(info, kAmaxHandleArg + 1);
  return run_call(info, where, {0, 3}, [p, t, id](Record& out) {
    AmaxResult r;
    int device = -1;
    const std::string e = p->amax(t, r, device, id);
    if (!e.empty()) return "CUDA pipeline: " + e;
    out = amax_record(r);
    out.emplace_back("device", static_cast<double>(device));
    return std::string();
  });
}

Napi::Value PipelineQuantize(const Napi::CallbackInfo& info, Run where) {
  Fp8TensorView t;
  uint8_t *packed = nullptr, *scales = nullptr;
  if (!parse_tensor(info, t) || !parse_outputs(info, 7, t, packed, scales)) return info.Env().Undefined();
  PipelineRef p = pipeline_at(info, kQuantizeHandleArg);
  if (!p) return info.Env().Undefined();
  const float gs = info[6].As<Napi::Number>().FloatValue();
  const int64_t id = id_at(info, kQuantizeHandleArg + 1);
  return run_call(info, where, {0, 3, 7, 8}, [p, t, gs, packed, scales, id](Record& out) {
    QuantizeStats s;
    int device = -1;
    const std::string e = p->quantize(t, gs, packed, scales, s, device, id);
    if (!e.empty()) return "CUDA pipeline: " + e;
    out = stats_record(s);
    out.emplace_back("device", static_cast<double>(device));
    return std::string();
  });
}

// (view: Uint8Array): the whole view, from its first byte.
bool parse_host_view(const Napi::CallbackInfo& info, uint8_t*& ptr, size_t& bytes) {
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    return fail(info.Env(), "expected (view: Uint8Array)");
  auto view = info[0].As<Napi::Uint8Array>();
  ptr = view.Data();
  bytes = view.ByteLength();
  return true;
}

// Page-locking faults in and pins every page: on the pool, not the event loop.
Napi::Value HostRegisterAsync(const Napi::CallbackInfo& info) {
  uint8_t* ptr = nullptr;
  size_t bytes = 0;
  if (!parse_host_view(info, ptr, bytes)) return info.Env().Undefined();
  const void* owner = static_cast<napi_env>(info.Env());
  return run_call(info, Run::on_pool, {0}, [ptr, bytes, owner](Record&) {
    const std::string e = pipeline::host_register(ptr, bytes, owner);
    return e.empty() ? e : "page-locking " + std::to_string(bytes) + " bytes of host memory: " + e;
  });
}

Napi::Value HostUnregister(const Napi::CallbackInfo& info) {
  uint8_t* ptr = nullptr;
  size_t bytes = 0;
  if (!parse_host_view(info, ptr, bytes)) return info.Env().Undefined();
  const std::string e = pipeline::host_unregister(ptr);
  if (!e.empty()) return throw_error(info.Env(), "unlocking host memory: " + e);
  return info.Env().Undefined();
}

}  // namespace

void register_pipeline(Napi::Env env, Napi::Object exports) {
  // Runs when this environment (the main thread or a worker) is torn down, before its buffers go.
  napi_add_env_cleanup_hook(
      env, [](void* owner) { pipeline::forget_registrations(owner); }, static_cast<napi_env>(env));
  exports.Set("hostRegisterAsync", Napi::Function::New(env, HostRegisterAsync));
  exports.Set("hostUnregister", Napi::Function::New(env, HostUnregister));
  exports.Set("pipelineOpen", Napi::Function::New(env, PipelineOpen));
  exports.Set("pipelineClose", Napi::Function::New(env, PipelineClose));
  exports.Set("pipelineCounters", Napi::Function::New(env, PipelineCounters));
  exports.Set("pipelineAmax", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return PipelineAmax(i, Run::now); }));
  exports.Set("pipelineAmaxAsync",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return PipelineAmax(i, Run::on_pool); }));
  exports.Set("pipelineQuantize",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return PipelineQuantize(i, Run::now); }));
  exports.Set("pipelineQuantizeAsync",
              Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return PipelineQuantize(i, Run::on_pool); }));
}

}  // namespace nvfp4
