// Multi-GPU NVFP4 pipeline (see pipeline.h). Kernels: host_api.cu's *_on_current_device entry
// points, which run on the calling thread's device and per-thread default stream.
#include "pipeline.h"

#include <cuda_runtime.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "cuda_kernels.h"
#include "cuda_status.h"

namespace nvfp4 {
namespace pipeline {
namespace {

constexpr size_t kAlign = 256;
// Host→device copies go in chunks: the DMA of one chunk overlaps the memcpy of the next into the
// pinned buffer. 8 MiB keeps the per-copy overhead (~10 µs) under 1%.
constexpr size_t kUploadChunkBytes = size_t{8} << 20;
// Buffers grow in steps of this, so tensors of slightly different sizes reuse them.
constexpr size_t kGrowthStep = size_t{16} << 20;
// Device memory for tensors kept between their amax and quantize calls, per GPU. The converter
// holds at most its memory budget (about 1 GiB) of tensors between the two passes.
constexpr size_t kParkedBytesPerGpu = size_t{4} << 30;
constexpr int kGroupSize = 16;

size_t align_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

// Host memory registered by host_register and not yet unregistered nor forgotten: start → (end,
// owner). Only these ranges are copied by DMA in place. CUDA's own view (cudaPointerGetAttributes)
// is not enough: memory freed while registered (a worker thread terminated mid-conversion) keeps
// its registration, and a later buffer at the same address would be read from the old, pinned
// pages.
struct Registration {
  uintptr_t end;
  const void* owner;
};
std::mutex g_registered_mutex;
std::map<uintptr_t, Registration> g_registered;

// Whether [ptr, ptr + bytes) lies in one live registration.
bool page_locked(const void* ptr, size_t bytes) {
  const auto start = reinterpret_cast<uintptr_t>(ptr);
  std::lock_guard<std::mutex> lock(g_registered_mutex);
  auto it = g_registered.upper_bound(start);
  if (it == g_registered.begin()) return false;
  --it;
  return start >= it->first && start + bytes <= it->second.end;
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Byte offsets of one tensor's inputs and outputs in a lane's buffers (same layout on host and
// device, so each direction is one contiguous copy). Offsets are 256-byte aligned.
struct Layout {
  size_t data_bytes, scale_offset, scale_bytes, in_bytes;
  size_t packed_bytes, block_scales_offset, block_scales_bytes, out_bytes;

  explicit Layout(const Fp8TensorView& t) {
    const size_t n = static_cast<size_t>(t.rows * t.cols);
    const size_t scale_rows = static_cast<size_t>((t.rows + t.block_rows - 1) / t.block_rows);
    data_bytes = n;
    scale_offset = align_up(n, kAlign);
    scale_bytes = scale_rows * static_cast<size_t>(t.scale_cols()) * sizeof(float);
    in_bytes = scale_offset + scale_bytes;
    packed_bytes = n / 2;
    block_scales_offset = align_up(packed_bytes, kAlign);
    block_scales_bytes = n / kGroupSize;
    out_bytes = block_scales_offset + block_scales_bytes;
  }
};

struct PinnedBuffer {
  uint8_t* ptr = nullptr;
  size_t capacity = 0;
  cudaError_t reserve(size_t bytes) {
    if (bytes <= capacity) return cudaSuccess;
    release();
    const size_t rounded = align_up(bytes, kGrowthStep);
    void* p = nullptr;
    const cudaError_t e = cudaHostAlloc(&p, rounded, cudaHostAllocPortable);
    if (e == cudaSuccess) {
      ptr = static_cast<uint8_t*>(p);
      capacity = rounded;
    }
    return e;
  }
  void release() {
    if (ptr != nullptr) cudaFreeHost(ptr);
    ptr = nullptr;
    capacity = 0;
  }
};

struct DeviceMemory {
  uint8_t* ptr = nullptr;
  size_t capacity = 0;
  // zero_new: the per-row counters must start at 0 (see cuda_kernels.h).
  cudaError_t reserve(size_t bytes, bool zero_new) {
    if (bytes <= capacity) return cudaSuccess;
    release();
    const size_t rounded = align_up(bytes, zero_new ? kAlign : kGrowthStep);
    void* p = nullptr;
    cudaError_t e = cudaMalloc(&p, rounded);
    if (e == cudaSuccess && zero_new) e = cudaMemsetAsync(p, 0, rounded, cudaStreamPerThread);
    if (e == cudaSuccess) {
      ptr = static_cast<uint8_t*>(p);
      capacity = rounded;
    } else if (p != nullptr) {
      cudaFree(p);
    }
    return e;
  }
  void release() {
    if (ptr != nullptr) cudaFree(ptr);
    ptr = nullptr;
    capacity = 0;
  }
};

}  // namespace

// A tensor's device copy (data, then scales, in Layout order) kept from its amax call, or a spare
// device buffer.
struct Parked {
  int device = 0;
  int64_t id = 0;
  Fp8TensorView host;  // the tensor it copies; a quantize call must name the same one
  DeviceMemory memory;
  ~Parked() {
    if (memory.ptr != nullptr && cudaSetDevice(device) == cudaSuccess) memory.release();
  }
};

namespace {
bool same_tensor(const Fp8TensorView& a, const Fp8TensorView& b) {
  return a.data == b.data && a.scale == b.scale && a.rows == b.rows && a.cols == b.cols &&
         a.block_rows == b.block_rows && a.block_cols == b.block_cols;
}
}  // namespace

// One tensor in flight on one GPU. Used by one thread at a time (Pipeline::acquire).
struct Lane {
  int device = 0;
  bool busy = false;
  PinnedBuffer host_in, host_out;
  DeviceMemory dev_in, dev_out, scratch;

  ~Lane() {
    if (cudaSetDevice(device) != cudaSuccess) return;
    host_in.release();
    host_out.release();
    dev_in.release();
    dev_out.release();
    scratch.release();
  }

  // Copies t to the device; t_dev views the device copy. Enqueued on the per-thread stream: the
  // kernels that follow on the same stream see the data.
  std::string upload(const Fp8TensorView& t, const Layout& l, Fp8TensorView& t_dev) {
    NVFP4_CUDA_TRY(host_in.reserve(l.in_bytes));
    NVFP4_CUDA_TRY(dev_in.reserve(l.in_bytes, false));
    if (page_locked(t.data, l.data_bytes)) {
      NVFP4_CUDA_TRY(cudaMemcpyAsync(dev_in.ptr, t.data, l.data_bytes, cudaMemcpyHostToDevice, cudaStreamPerThread));
    } else {
      NVFP4_RETURN_IF(copy_in_chunks(0, t.data, l.data_bytes));
    }
    NVFP4_RETURN_IF(copy_in_chunks(l.scale_offset, t.scale, l.scale_bytes));
    return on_device(t, l, t_dev);
  }

  // t_dev views t's copy already in dev_in (uploaded, or adopted from a parked copy).
  std::string on_device(const Fp8TensorView& t, const Layout& l, Fp8TensorView& t_dev) {
    NVFP4_CUDA_TRY(scratch.reserve(gpu::pipeline_scratch_bytes(t), false));
    t_dev = t;
    t_dev.data = dev_in.ptr;
    t_dev.scale = reinterpret_cast<const float*>(dev_in.ptr + l.scale_offset);
    return "";
  }

  std::string download(const Layout& l, uint8_t* packed, uint8_t* block_scales) {
    if (page_locked(packed, l.packed_bytes) && page_locked(block_scales, l.block_scales_bytes)) {
      NVFP4_CUDA_TRY(cudaMemcpyAsync(packed, dev_out.ptr, l.packed_bytes, cudaMemcpyDeviceToHost, cudaStreamPerThread));
      NVFP4_CUDA_TRY(cudaMemcpyAsync(block_scales, dev_out.ptr + l.block_scales_offset, l.block_scales_bytes,
                                     cudaMemcpyDeviceToHost, cudaStreamPerThread));
      NVFP4_CUDA_TRY(cudaStreamSynchronize(cudaStreamPerThread));
      return "";
    }
    NVFP4_CUDA_TRY(host_out.reserve(l.out_bytes));
    NVFP4_CUDA_TRY(cudaMemcpyAsync(host_out.ptr, dev_out.ptr, l.out_bytes, cudaMemcpyDeviceToHost, cudaStreamPerThread));
    NVFP4_CUDA_TRY(cudaStreamSynchronize(cudaStreamPerThread));
    std::memcpy(packed, host_out.ptr, l.packed_bytes);
    std::memcpy(block_scales, host_out.ptr + l.block_scales_offset, l.block_scales_bytes);
    return "";
  }

 private:
  std::string copy_in_chunks(size_t offset, const void* src, size_t bytes) {
    const auto* from = static_cast<const uint8_t*>(src);
    for (size_t done = 0; done < bytes; done += kUploadChunkBytes) {
      const size_t len = bytes - done < kUploadChunkBytes ? bytes - done : kUploadChunkBytes;
      std::memcpy(host_in.ptr + offset + done, from + done, len);
      NVFP4_CUDA_TRY(cudaMemcpyAsync(dev_in.ptr + offset + done, host_in.ptr + offset + done, len,
                                     cudaMemcpyHostToDevice, cudaStreamPerThread));
    }
    return "";
  }
};

// Holds a lane for one call and hands it back, with the call's counters, on every return path.
class Pipeline::LaneLease {
 public:
  explicit LaneLease(Pipeline& p, int device = -1) : pipeline_(p), lane_(p.acquire(device)) {}
  ~LaneLease() { pipeline_.release(lane_, delta); }
  LaneLease(const LaneLease&) = delete;
  LaneLease& operator=(const LaneLease&) = delete;
  Lane& lane() { return *lane_; }
  GpuCounters delta;

  // The lane's device made current on this thread (device: which it is), t uploaded to it and,
  // with out_bytes > 0, room for that much output reserved there; the time it took goes into
  // delta.
  // With `parked`, the lane adopts that device copy instead of uploading t.
  std::string upload(const Fp8TensorView& t, const Layout& layout, size_t out_bytes, Fp8TensorView& t_dev,
                     int& device, std::unique_ptr<Parked> parked = nullptr) {
    device = lane_->device;
    NVFP4_CUDA_TRY(cudaSetDevice(lane_->device));
    const auto t0 = Clock::now();
    if (parked) {
      pipeline_.adopt(*lane_, std::move(parked));
      NVFP4_RETURN_IF(lane_->on_device(t, layout, t_dev));
      delta.parked_hits = 1;
    } else {
      NVFP4_RETURN_IF(lane_->upload(t, layout, t_dev));
      delta.input_bytes = static_cast<int64_t>(layout.data_bytes + layout.scale_bytes);
    }
    if (out_bytes > 0) NVFP4_CUDA_TRY(lane_->dev_out.reserve(out_bytes, false));
    delta.upload_seconds = seconds_since(t0);
    return "";
  }

 private:
  Pipeline& pipeline_;
  Lane* lane_;
};

Pipeline::~Pipeline() {
  lanes_.clear();
  parked_.clear();
  spares_.clear();
}

std::string Pipeline::open(int gpus, int lanes_per_gpu, std::unique_ptr<Pipeline>& out) {
  if (gpus < 1) return "the pipeline needs at least one GPU";
  if (lanes_per_gpu < 1) return "the pipeline needs at least one lane per GPU";
  int count = 0;
  NVFP4_CUDA_TRY(cudaGetDeviceCount(&count));
  if (gpus > count) {
    return "asked for " + std::to_string(gpus) + " GPUs but " + std::to_string(count) + " " +
           (count == 1 ? "is" : "are") + " present";
  }
  std::unique_ptr<Pipeline> p(new Pipeline());
  p->lanes_per_gpu_ = lanes_per_gpu;
  p->gpus_.resize(static_cast<size_t>(gpus));
  // gpu::probe also selects the device of the single-GPU API; going down leaves it on GPU 0.
  for (int d = gpus - 1; d >= 0; d--) {
    gpu::DeviceInfo info;
    const std::string error = gpu::probe(d, info);
    if (!error.empty()) return "GPU " + std::to_string(d) + ": " + error;
    p->gpus_[static_cast<size_t>(d)].counters.device = d;
    p->gpus_[static_cast<size_t>(d)].counters.name = info.name;
  }
  for (int i = 0; i < lanes_per_gpu; i++) {
    for (int d = 0; d < gpus; d++) {
      p->lanes_.push_back(std::unique_ptr<Lane>(new Lane()));
      p->lanes_.back()->device = d;
    }
  }
  out = std::move(p);
  return "";
}

// A free lane on `device`, or (device < 0) on the GPU with the fewest busy lanes (ties: the lowest
// device); waits if none.
Lane* Pipeline::acquire(int device) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    Lane* best = nullptr;
    int best_busy = INT_MAX;
    for (auto& lane : lanes_) {
      if (device >= 0 && lane->device != device) continue;
      const int busy = gpus_[static_cast<size_t>(lane->device)].busy;
      if (!lane->busy && (busy < best_busy || (busy == best_busy && lane->device < best->device))) {
        best = lane.get();
        best_busy = busy;
      }
    }
    if (best != nullptr) {
      best->busy = true;
      gpus_[static_cast<size_t>(best->device)].busy++;
      return best;
    }
    lane_freed_.wait(lock);
  }
}

void Pipeline::release(Lane* lane, const GpuCounters& d) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lane->busy = false;
    Gpu& g = gpus_[static_cast<size_t>(lane->device)];
    g.busy--;
    g.counters.amax_calls += d.amax_calls;
    g.counters.quantize_calls += d.quantize_calls;
    g.counters.input_bytes += d.input_bytes;
    g.counters.parked_hits += d.parked_hits;
    g.counters.upload_seconds += d.upload_seconds;
    g.counters.kernel_seconds += d.kernel_seconds;
    g.counters.download_seconds += d.download_seconds;
  }
  lane_freed_.notify_one();
}

void Pipeline::park(Lane& lane, int64_t id, const Fp8TensorView& t) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The lane continues with the largest spare of its GPU, or with no buffer until its next upload
  // allocates one.
  auto spare = spares_.end();
  for (auto it = spares_.begin(); it != spares_.end(); ++it) {
    if ((*it)->device == lane.device &&
        (spare == spares_.end() || (*it)->memory.capacity > (*spare)->memory.capacity))
      spare = it;
  }
  std::unique_ptr<Parked> kept;
  if (spare != spares_.end()) {
    kept = std::move(*spare);
    spares_.erase(spare);
  } else {
    kept.reset(new Parked());
  }
  kept->device = lane.device;
  kept->id = id;
  kept->host = t;
  std::swap(kept->memory, lane.dev_in);
  Gpu& g = gpus_[static_cast<size_t>(lane.device)];
  g.parked_bytes += kept->memory.capacity;
  parked_.push_back(std::move(kept));
  // Beyond the cap, the oldest copies on this GPU become spares.
  for (auto it = parked_.begin(); g.parked_bytes > kParkedBytesPerGpu && it != parked_.end();) {
    if ((*it)->device != lane.device) {
      ++it;
      continue;
    }
    g.parked_bytes -= (*it)->memory.capacity;
    (*it)->id = 0;
    spares_.push_back(std::move(*it));
    it = parked_.erase(it);
  }
}

std::unique_ptr<Parked> Pipeline::unpark(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = parked_.begin(); it != parked_.end(); ++it) {
    if ((*it)->id != id) continue;
    std::unique_ptr<Parked> p = std::move(*it);
    parked_.erase(it);
    gpus_[static_cast<size_t>(p->device)].parked_bytes -= p->memory.capacity;
    return p;
  }
  return nullptr;
}

void Pipeline::adopt(Lane& lane, std::unique_ptr<Parked> parked) {
  std::swap(parked->memory, lane.dev_in);
  drop(std::move(parked));
}

void Pipeline::drop(std::unique_ptr<Parked> parked) {
  parked->id = 0;
  std::lock_guard<std::mutex> lock(mutex_);
  spares_.push_back(std::move(parked));
}

std::string host_register(void* ptr, size_t bytes, const void* owner) {
  if (bytes == 0) return "";
  NVFP4_CUDA_TRY(cudaHostRegister(ptr, bytes, cudaHostRegisterPortable));
  const auto start = reinterpret_cast<uintptr_t>(ptr);
  std::lock_guard<std::mutex> lock(g_registered_mutex);
  g_registered[start] = Registration{start + bytes, owner};
  return "";
}

std::string host_unregister(void* ptr) {
  {
    std::lock_guard<std::mutex> lock(g_registered_mutex);
    if (g_registered.erase(reinterpret_cast<uintptr_t>(ptr)) == 0) return "not registered";
  }
  NVFP4_CUDA_TRY(cudaHostUnregister(ptr));
  return "";
}

void forget_registrations(const void* owner) {
  std::lock_guard<std::mutex> lock(g_registered_mutex);
  for (auto it = g_registered.begin(); it != g_registered.end();) {
    if (it->second.owner == owner) it = g_registered.erase(it);
    else ++it;
  }
}

std::vector<GpuCounters> Pipeline::counters() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<GpuCounters> out;
  for (const Gpu& g : gpus_) out.push_back(g.counters);
  return out;
}

std::string Pipeline::amax(const Fp8TensorView& t, AmaxResult& out, int& device, int64_t id) {
  LaneLease lease(*this);
  Lane& lane = lease.lane();
  const Layout layout(t);
  Fp8TensorView t_dev;
  NVFP4_RETURN_IF(lease.upload(t, layout, 0, t_dev, device));
  const auto t0 = Clock::now();
  NVFP4_RETURN_IF(gpu::amax_on_current_device(t_dev, lane.scratch.ptr, out));
  lease.delta.kernel_seconds = seconds_since(t0);
  lease.delta.amax_calls = 1;
  // A tensor with NaN/Inf is never quantized.
  if (id > 0 && out.non_finite.index < 0) park(lane, id, t);
  return "";
}

std::string Pipeline::quantize(const Fp8TensorView& t, float gs, uint8_t* packed, uint8_t* block_scales,
                               QuantizeStats& out, int& device, int64_t id) {
  std::unique_ptr<Parked> parked = id > 0 ? unpark(id) : nullptr;
  // Another tensor under this id (a caller's mistake): upload this one.
  if (parked && !same_tensor(parked->host, t)) drop(std::move(parked));
  LaneLease lease(*this, parked ? parked->device : -1);
  Lane& lane = lease.lane();
  const Layout layout(t);
  Fp8TensorView t_dev;
  NVFP4_RETURN_IF(lease.upload(t, layout, layout.out_bytes, t_dev, device, std::move(parked)));
  auto t0 = Clock::now();
  NVFP4_RETURN_IF(gpu::quantize_on_current_device(t_dev, gs, lane.dev_out.ptr,
                                                     lane.dev_out.ptr + layout.block_scales_offset,
                                                     lane.scratch.ptr, out));
  lease.delta.kernel_seconds = seconds_since(t0);
  lease.delta.quantize_calls = 1;
  // A NaN/Inf input leaves the outputs unspecified; the caller raises the error.
  if (out.non_finite.index >= 0) return "";
  t0 = Clock::now();
  NVFP4_RETURN_IF(lane.download(layout, packed, block_scales));
  lease.delta.download_seconds = seconds_since(t0);
  return "";
}

}  // namespace pipeline
}  // namespace nvfp4
