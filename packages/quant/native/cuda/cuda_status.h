// Error plumbing of the CUDA addon's C++ side, where every fallible step returns a std::string
// ("" on success, the reason otherwise): shared by the kernels' host code and the pipeline.
#pragma once

#include <cuda_runtime.h>

#include <string>

// Returns the CUDA error's text from the enclosing function when expr fails.
#define NVFP4_CUDA_TRY(expr)                                                \
  do {                                                                      \
    const cudaError_t err_ = (expr);                                        \
    if (err_ != cudaSuccess) return std::string(cudaGetErrorString(err_));  \
  } while (0)

// Returns expr's error (a non-empty std::string) from the enclosing function.
#define NVFP4_RETURN_IF(expr)     \
  do {                            \
    std::string e_ = (expr);      \
    if (!e_.empty()) return e_;   \
  } while (0)
