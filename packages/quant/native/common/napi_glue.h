// N-API argument parsing and result objects shared by the CPU and CUDA addons.
// The JS wrappers (src/nvfp4/native-kernels.ts) validate shapes first; these checks only guard
// against memory errors if the addon is called directly.
#pragma once

#include <napi.h>

#include <functional>
#include <initializer_list>
#include <string>

#include "tensor_view.h"

namespace nvfp4 {

inline bool fail(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

// Reads (data: Uint8Array, rows, cols, scale: Float32Array, blockRows, blockCols) at info[0..5].
inline bool parse_tensor(const Napi::CallbackInfo& info, Fp8TensorView& t) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsTypedArray() || !info[3].IsTypedArray()) {
    return fail(env, "expected (data: Uint8Array, rows, cols, scale: Float32Array, blockRows, blockCols, ...)");
  }
  auto data = info[0].As<Napi::TypedArray>();
  auto scale = info[3].As<Napi::TypedArray>();
  if (data.TypedArrayType() != napi_uint8_array) return fail(env, "data must be a Uint8Array");
  if (scale.TypedArrayType() != napi_float32_array) return fail(env, "scale must be a Float32Array");
  t.rows = info[1].As<Napi::Number>().Int64Value();
  t.cols = info[2].As<Napi::Number>().Int64Value();
  t.block_rows = info[4].As<Napi::Number>().Int64Value();
  t.block_cols = info[5].As<Napi::Number>().Int64Value();
  if (t.rows < 0 || t.cols < 0 || t.block_rows <= 0 || t.block_cols <= 0) return fail(env, "bad shape");
  if (static_cast<int64_t>(data.ElementLength()) != t.rows * t.cols) return fail(env, "data length != rows*cols");
  const int64_t scale_rows = (t.rows + t.block_rows - 1) / t.block_rows;
  if (static_cast<int64_t>(scale.ElementLength()) != scale_rows * t.scale_cols()) return fail(env, "scale length mismatch");
  t.data = info[0].As<Napi::Uint8Array>().Data();
  t.scale = info[3].As<Napi::Float32Array>().Data();
  return true;
}

inline bool parse_outputs(const Napi::CallbackInfo& info, size_t at, const Fp8TensorView& t, uint8_t*& packed,
                          uint8_t*& scales) {
  Napi::Env env = info.Env();
  if (info.Length() < at + 2 || !info[at].IsTypedArray() || !info[at + 1].IsTypedArray()) {
    return fail(env, "expected output arrays (packed: Uint8Array, blockScales: Uint8Array)");
  }
  auto p = info[at].As<Napi::TypedArray>();
  auto s = info[at + 1].As<Napi::TypedArray>();
  if (p.TypedArrayType() != napi_uint8_array || s.TypedArrayType() != napi_uint8_array) {
    return fail(env, "outputs must be Uint8Arrays");
  }
  if (t.cols % 16 != 0) return fail(env, "cols must be a multiple of 16");
  if (static_cast<int64_t>(p.ElementLength()) != t.rows * t.cols / 2) return fail(env, "packed length mismatch");
  if (static_cast<int64_t>(s.ElementLength()) != t.rows * t.cols / 16) return fail(env, "blockScales length mismatch");
  packed = info[at].As<Napi::Uint8Array>().Data();
  scales = info[at + 1].As<Napi::Uint8Array>().Data();
  return true;
}

inline void put_non_finite(Napi::Object& o, const NonFinite& nf) {
  o.Set("nonFiniteIndex", Napi::Number::New(o.Env(), static_cast<double>(nf.index)));
  o.Set("nonFiniteKind", Napi::String::New(o.Env(), nf.index < 0 ? "" : (nf.is_nan ? "nan" : "inf")));
}

inline Napi::Object amax_to_js(Napi::Env env, const AmaxResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("amax", Napi::Number::New(env, r.amax));
  put_non_finite(o, r.non_finite);
  return o;
}

inline Napi::Object stats_to_js(Napi::Env env, const QuantizeStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("sumSqError", Napi::Number::New(env, s.sum_sq_error));
  o.Set("sumSqRef", Napi::Number::New(env, s.sum_sq_ref));
  o.Set("maxAbsError", Napi::Number::New(env, s.max_abs_error));
  put_non_finite(o, s.non_finite);
  return o;
}

// Runs `work` on the libuv thread pool and resolves a promise with `done(env)`. The typed arrays
// in `keep_alive` are referenced until then so the GC cannot free memory the worker reads/writes.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, std::function<std::string()> work, std::function<Napi::Value(Napi::Env)> done)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        done_(std::move(done)) {}

  void KeepAlive(Napi::Value v) { refs_.push_back(Napi::Persistent(v.As<Napi::Object>())); }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    std::string error = work_();
    if (!error.empty()) SetError(error);
  }
  void OnOK() override { deferred_.Resolve(done_(Env())); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::function<std::string()> work_;
  std::function<Napi::Value(Napi::Env)> done_;
  std::vector<Napi::ObjectReference> refs_;
};

// Queues `work` on the libuv thread pool and returns its promise. The arguments at `keep_alive`
// (the typed arrays the work reads and writes) stay referenced until the promise settles.
inline Napi::Promise queue_promise(const Napi::CallbackInfo& info, std::initializer_list<size_t> keep_alive,
                                   std::function<std::string()> work,
                                   std::function<Napi::Value(Napi::Env)> done) {
  auto* worker = new PromiseWorker(info.Env(), std::move(work), std::move(done));
  for (size_t i : keep_alive) worker->KeepAlive(info[i]);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace nvfp4
