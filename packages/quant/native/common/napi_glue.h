// N-API argument parsing, result objects and kernel calls (now or on the libuv pool) shared by the
// CPU and CUDA addons. The JS wrappers (src/nvfp4/native-kernels.ts) validate shapes first; these
// checks only guard against memory errors if the addon is called directly. Both addons are built
// with NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: a synchronous function that fails while its
// environment is being torn down (a worker thread terminated mid-call) then returns without an
// exception instead of ending the process in napi_fatal_error.
#pragma once

#include <napi.h>

#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

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

// ---- results ------------------------------------------------------------------------------------
// A kernel call's result as JS sees it: a flat object of numbers and strings. The call fills it
// (on whatever thread it runs); make_object turns it into JS with status-returning N-API calls only,
// so an asynchronous completion can build it without anything that throws (see AsyncCall).
using Field = std::pair<const char*, std::variant<double, std::string>>;
using Record = std::vector<Field>;

inline void add_non_finite(Record& r, const NonFinite& nf) {
  r.emplace_back("nonFiniteIndex", static_cast<double>(nf.index));
  r.emplace_back("nonFiniteKind", std::string(nf.index < 0 ? "" : (nf.is_nan ? "nan" : "inf")));
}

inline Record amax_record(const AmaxResult& a) {
  Record r{{"amax", static_cast<double>(a.amax)}};
  add_non_finite(r, a.non_finite);
  return r;
}

inline Record stats_record(const QuantizeStats& s) {
  Record r{{"sumSqError", s.sum_sq_error}, {"sumSqRef", s.sum_sq_ref}, {"maxAbsError", s.max_abs_error}};
  add_non_finite(r, s.non_finite);
  return r;
}

// Builds {name: value, ...}; returns the first failing status (then `out` is not to be used).
inline napi_status make_object(napi_env env, const Record& record, napi_value* out) {
  napi_status status = napi_create_object(env, out);
  for (const auto& [name, value] : record) {
    if (status != napi_ok) break;
    napi_value v = nullptr;
    if (const double* number = std::get_if<double>(&value)) {
      status = napi_create_double(env, *number, &v);
    } else {
      const std::string& text = std::get<std::string>(value);
      status = napi_create_string_utf8(env, text.data(), text.size(), &v);
    }
    if (status == napi_ok) status = napi_set_named_property(env, *out, name, v);
  }
  return status;
}

// ---- kernel calls ------------------------------------------------------------------------------
// A kernel call fills `out` and returns "" or an error message. It never touches JS: it runs on
// the JS thread (synchronous functions) or on a libuv pool thread (the *Async ones).
using KernelCall = std::function<std::string(Record& out)>;

// Runs `call`, turning a C++ exception that escapes it (std::bad_alloc, std::system_error when a
// thread cannot start) into its error message: on a pool thread an exception would reach
// std::terminate and abort the whole process.
inline std::string run_guarded(const KernelCall& call, Record& out) noexcept {
  try {
    return call(out);
  } catch (const std::exception& e) {
    return std::string("native kernel call failed: ") + e.what();
  } catch (...) {
    return "native kernel call failed: unknown C++ exception";
  }
}

// One asynchronous kernel call: `call` on the libuv thread pool, then its promise settled on the
// JS thread. Settling never throws, because it may happen where JavaScript can no longer run:
// when a worker thread is terminated (or any environment torn down) with calls in flight, Node
// still completes them, from Environment::CleanupHandles, and there every N-API call that could
// run JS (napi_set_named_property, napi_resolve_deferred, napi_throw) fails with
// napi_pending_exception. node-addon-api's AsyncWorker and Promise::Deferred answer such a failure
// by throwing, napi_throw fails the same way, and the process dies in napi_fatal_error (SIGABRT).
// Here each status is checked instead, and a result nobody can receive any more is dropped.
// The typed arrays the call reads and writes stay referenced until it has completed, so their
// memory outlives the pool thread's use of it (Node waits for in-flight calls before it frees an
// environment's heap).
class AsyncCall {
 public:
  static Napi::Value queue(const Napi::CallbackInfo& info, std::initializer_list<size_t> keep_alive,
                           KernelCall call) {
    Napi::Env env = info.Env();
    std::unique_ptr<AsyncCall> self(new AsyncCall(std::move(call)));
    napi_value promise = nullptr, name = nullptr;
    napi_status status = napi_create_promise(env, &self->deferred_, &promise);
    for (size_t i : keep_alive) {
      if (status != napi_ok) break;
      napi_ref ref = nullptr;
      status = napi_create_reference(env, info[i], 1, &ref);
      if (status == napi_ok) self->refs_.push_back(ref);
    }
    if (status == napi_ok) status = napi_create_string_utf8(env, "fp4kit kernel call", NAPI_AUTO_LENGTH, &name);
    if (status == napi_ok) status = napi_create_async_work(env, nullptr, name, Execute, Complete, self.get(), &self->work_);
    if (status == napi_ok) status = napi_queue_async_work(env, self->work_);
    if (status != napi_ok) {
      self->Release(env);
      Napi::Error::New(env).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    self.release();  // owned by the queued work until Complete
    return Napi::Value(env, promise);
  }

 private:
  explicit AsyncCall(KernelCall call) : call_(std::move(call)) {}

  static void Execute(napi_env, void* data) {
    auto* self = static_cast<AsyncCall*>(data);
    self->error_ = run_guarded(self->call_, self->record_);
  }

  static void Complete(napi_env env, napi_status status, void* data) {
    std::unique_ptr<AsyncCall> self(static_cast<AsyncCall*>(data));
    self->Settle(env, status);
    self->Release(env);
  }

  // Statuses of the settling calls are not checked on purpose: when they fail, the environment is
  // going away and nobody awaits the promise.
  void Settle(napi_env env, napi_status status) {
    napi_value value = nullptr;
    if (status == napi_ok && error_.empty() && make_object(env, record_, &value) == napi_ok) {
      napi_resolve_deferred(env, deferred_, value);
      return;
    }
    const std::string message = status != napi_ok ? "the kernel call was cancelled before it ran"
                                : error_.empty()  ? "could not return the kernel call's result"
                                                  : error_;
    napi_value text = nullptr, error = nullptr;
    if (napi_create_string_utf8(env, message.data(), message.size(), &text) == napi_ok &&
        napi_create_error(env, nullptr, text, &error) == napi_ok) {
      napi_reject_deferred(env, deferred_, error);
    }
  }

  void Release(napi_env env) {
    for (napi_ref ref : refs_) napi_delete_reference(env, ref);
    refs_.clear();
    if (work_ != nullptr) napi_delete_async_work(env, work_);
    work_ = nullptr;
  }

  KernelCall call_;
  Record record_;
  std::string error_;
  napi_deferred deferred_ = nullptr;
  napi_async_work work_ = nullptr;
  std::vector<napi_ref> refs_;
};

// Where a kernel call runs: on the JS thread (returns its result or throws) or on the libuv pool
// (returns a promise). The arguments at `keep_alive` are the typed arrays the call reads and writes.
enum class Run { now, on_pool };

inline Napi::Value run_call(const Napi::CallbackInfo& info, Run where, std::initializer_list<size_t> keep_alive,
                            KernelCall call) {
  Napi::Env env = info.Env();
  if (where == Run::on_pool) return AsyncCall::queue(info, keep_alive, std::move(call));
  Record record;
  const std::string error = run_guarded(call, record);
  napi_value value = nullptr;
  if (error.empty() && make_object(env, record, &value) == napi_ok) return Napi::Value(env, value);
  if (error.empty()) Napi::Error::New(env).ThrowAsJavaScriptException();
  else Napi::Error::New(env, error).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace nvfp4
