// Multi-GPU NVFP4 pipeline (host side). A Pipeline owns `lanes_per_gpu` lanes on each of GPUs
// 0..gpus-1; a lane is the state of one tensor in flight: pinned host staging buffers and device
// buffers, grown on demand and reused across tensors. Each call takes the least-loaded GPU's free
// lane and runs, on the calling thread (a libuv pool thread for the async bindings):
//   host → pinned (memcpy, in chunks, each chunk's DMA overlapping the next chunk's memcpy)
//   → host→device → kernel(s) → device→host → pinned → caller's output arrays.
// Concurrent calls therefore overlap copies and kernels on one GPU (one stream per calling thread:
// the addon is built with --default-stream per-thread) and spread over all GPUs. Results do not
// depend on which GPU or lane ran a tensor.
//
// Host memory registered with host_register (page-locked) is copied by DMA straight from the
// caller's input and into the caller's outputs: the converter registers its read buffers and its
// staging blocks, so neither direction copies through a lane's pinned buffers.
//
// One upload for both passes: an amax call given a tensor id keeps the tensor's device copy
// ("parked", on its GPU, up to kParkedBytesPerGpu; the oldest is dropped beyond it), and a
// quantize call with the same id runs on that GPU from the parked copy instead of uploading the
// tensor again. Ids are the caller's (never reused); a quantize whose copy was dropped, or that
// has no id, uploads as usual. The caller must not change a tensor between its two calls.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../common/tensor_view.h"

namespace nvfp4 {
namespace pipeline {

struct GpuCounters {
  int device = 0;
  std::string name;
  int64_t amax_calls = 0, quantize_calls = 0;
  int64_t input_bytes = 0;  // FP8 data + float32 scales uploaded
  int64_t parked_hits = 0;  // quantize calls that ran from their amax call's device copy
  // Wall time spent by lanes of this GPU in each stage, summed over lanes (overlapping stages of
  // different lanes each count).
  double upload_seconds = 0, kernel_seconds = 0, download_seconds = 0;
};

struct Lane;
struct Parked;

// Page-locks [ptr, ptr + bytes) for every GPU (cudaHostRegister, portable), or says why not (e.g.
// it overlaps memory registered before). Slow (it faults in and pins every page): register
// long-lived buffers once. Unregister with the same ptr before the memory is freed. `owner` is the
// JS environment whose buffer it is (see forget_registrations).
std::string host_register(void* ptr, size_t bytes, const void* owner);
std::string host_unregister(void* ptr);
// The environment is going away (a worker thread ending, maybe terminated mid-conversion) and its
// buffers with it: its registrations are never used for DMA again. They are not unregistered (a
// call may still be copying), so their pages stay pinned until the process ends.
void forget_registrations(const void* owner);

class Pipeline {
 public:
  ~Pipeline();
  // Checks that GPUs 0..gpus-1 exist and can run the kernels; allocates nothing else yet.
  static std::string open(int gpus, int lanes_per_gpu, std::unique_ptr<Pipeline>& out);

  // Blocking; safe to call from many threads at once. `device` is the GPU that ran the call.
  // id > 0: keep the device copy for a quantize call with the same id.
  std::string amax(const Fp8TensorView& t, AmaxResult& out, int& device, int64_t id = 0);
  // id > 0: run from the copy an amax call with this id kept, if it is still there.
  std::string quantize(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales, QuantizeStats& out,
                       int& device, int64_t id = 0);

  std::vector<GpuCounters> counters();
  int gpus() const { return static_cast<int>(gpus_.size()); }
  int lanes_per_gpu() const { return lanes_per_gpu_; }

 private:
  class LaneLease;  // pipeline.cc
  Pipeline() = default;
  // A free lane: on `device` if >= 0, else on the least-loaded GPU.
  Lane* acquire(int device = -1);
  void release(Lane* lane, const GpuCounters& delta);
  // The lane's input buffers (holding t, uploaded under `id`) become a parked copy; the lane gets
  // spare ones.
  void park(Lane& lane, int64_t id, const Fp8TensorView& t);
  // The parked copy of `id` (removed from the parked list), or null.
  std::unique_ptr<Parked> unpark(int64_t id);
  // The lane takes the parked copy's buffers as its inputs; its own go to the spares.
  void adopt(Lane& lane, std::unique_ptr<Parked> parked);
  // A parked copy no longer wanted becomes a spare.
  void drop(std::unique_ptr<Parked> parked);

  struct Gpu {
    GpuCounters counters;
    int busy = 0;
    size_t parked_bytes = 0;
  };
  // Oldest first; guarded by mutex_. Spares: device input buffers of dropped or adopted copies,
  // reused by lanes that park theirs (no cudaMalloc/cudaFree, which synchronize the device).
  std::deque<std::unique_ptr<Parked>> parked_;
  std::vector<std::unique_ptr<Parked>> spares_;
  int lanes_per_gpu_ = 0;
  std::vector<Gpu> gpus_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::mutex mutex_;
  std::condition_variable lane_freed_;
};

}  // namespace pipeline
}  // namespace nvfp4
