// Host API of the CUDA NVFP4 kernels (host_api.cu). Every function returns "" on success or
// CUDA's error string; none throws. All of them serialize on one mutex (one GPU workspace).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>

#include "../common/tensor_view.h"

namespace nvfp4 {
namespace gpu {

struct DeviceInfo {
  int device_count = 0;
  int device = 0;
  std::string name;
  int cc_major = 0, cc_minor = 0;
  int multi_processors = 0;
  size_t total_memory = 0;
};

// Selects `device` for all later calls and checks that a kernel can run on it.
std::string probe(int device, DeviceInfo& info);

// Creates the CUDA contexts of GPUs 0..gpus-1 (those present), the slow part of a first probe or
// pipeline open, so that a caller can overlap it with other work. Touches no global state here.
std::string warm_up(int gpus);

// Host-memory entry points: copy in, run, copy out (pageable copies; a reusable device workspace).
std::string amax_host(const Fp8TensorView& t, AmaxResult& out);
std::string quantize_host(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales,
                          QuantizeStats& out);
void release_workspace();

// Device-memory entry points. t.data / t.scale are device pointers here (16-byte aligned data).
std::string amax_device(const Fp8TensorView& t, AmaxResult& out);
std::string quantize_device(const Fp8TensorView& t, float gs, uint8_t* d_packed, uint8_t* d_block_scales,
                            QuantizeStats& out);
std::string device_alloc(size_t bytes, void** ptr);
std::string device_free(void* ptr);
std::string copy_to_device(void* dst, const void* src, size_t bytes);
std::string copy_from_device(void* dst, const void* src, size_t bytes);

// ---- Entry points for the multi-GPU pipeline (pipeline.cu) ------------------------------------
// Unlike everything above they use no global device, workspace or mutex-held synchronization: they
// run on the CALLING THREAD's current device (the caller calls cudaSetDevice) and, because the addon
// is built with --default-stream per-thread, on that thread's own default stream. Several threads
// can therefore drive several GPUs, or several tensors on one GPU, at the same time. t.data /
// t.scale are device pointers; `d_scratch` is caller-owned device memory of
// pipeline_scratch_bytes(t) bytes. Same results as amax_device / quantize_device.
size_t pipeline_scratch_bytes(const Fp8TensorView& t);
std::string amax_on_current_device(const Fp8TensorView& t, void* d_scratch, AmaxResult& out);
std::string quantize_on_current_device(const Fp8TensorView& t, float gs, uint8_t* d_packed, uint8_t* d_block_scales,
                                       void* d_scratch, QuantizeStats& out);

}  // namespace gpu
}  // namespace nvfp4
