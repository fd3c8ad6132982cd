// Multi-GPU NVFP4 pipeline (host side). A Pipeline owns `lanes_per_gpu` lanes on each of GPUs
// 0..gpus-1; a lane is the state of one tensor in flight: pinned host staging buffers and device
// buffers, grown on demand and reused across tensors. Each call takes the least-loaded GPU's free
// lane and runs, on the calling thread (a libuv pool thread for the async bindings):
//   host → pinned (memcpy, in chunks, each chunk's DMA overlapping the next chunk's memcpy)
//   → host→device → kernel(s) → device→host → pinned → caller's output arrays.
// Concurrent calls therefore overlap copies and kernels on one GPU (one stream per calling thread:
// the addon is built with --default-stream per-thread) and spread over all GPUs. Results do not
// depend on which GPU or lane ran a tensor.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <condition_variable>
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
  // Wall time spent by lanes of this GPU in each stage, summed over lanes (overlapping stages of
  // different lanes each count).
  double upload_seconds = 0, kernel_seconds = 0, download_seconds = 0;
};

struct Lane;

class Pipeline {
 public:
  ~Pipeline();
  // Checks that GPUs 0..gpus-1 exist and can run the kernels; allocates nothing else yet.
  static std::string open(int gpus, int lanes_per_gpu, std::unique_ptr<Pipeline>& out);

  // Blocking; safe to call from many threads at once. `device` is the GPU that ran the call.
  std::string amax(const Fp8TensorView& t, AmaxResult& out, int& device);
  std::string quantize(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales, QuantizeStats& out,
                       int& device);

  std::vector<GpuCounters> counters();
  int gpus() const { return static_cast<int>(gpus_.size()); }
  int lanes_per_gpu() const { return lanes_per_gpu_; }

 private:
  class LaneLease;  // pipeline.cc
  Pipeline() = default;
  Lane* acquire();
  void release(Lane* lane, const GpuCounters& delta);

  struct Gpu {
    GpuCounters counters;
    int busy = 0;
  };
  int lanes_per_gpu_ = 0;
  std::vector<Gpu> gpus_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::mutex mutex_;
  std::condition_variable lane_freed_;
};

}  // namespace pipeline
}  // namespace nvfp4
