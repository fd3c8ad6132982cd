{
  # Built by scripts/build-native.mjs (node-gyp configure build --directory native). It lives under
  # native/ on purpose: a binding.gyp at the package root makes npm run an implicit
  # `node-gyp rebuild` install script, and a failed native build must never break `npm install`.
  "targets": [
    {
      "target_name": "fp4kit_cpu",
      "sources": ["cpu/addon.cc", "cpu/cpu_kernels.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
                  "NODE_ADDON_API_DISABLE_DEPRECATED"],
      # Never unloaded: a worker thread's environment dlcloses the addons it loaded when it ends,
      # and the kernels' helper threads (cpu_kernels.cc's WorkerPool) outlive any one environment.
      "ldflags": ["-Wl,-z,nodelete"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      # -ffp-contract=off: never fuse a*b+c into an FMA (results must match the TS reference).
      # No -ffast-math (it reorders sums and flushes subnormals). -march=x86-64-v2 (SSE4.2) is the
      # portable baseline: the binary must give the same bytes on any x86-64 it runs on.
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=off", "-fno-fast-math"],
      "conditions": [
        ["target_arch=='x64'", { "cflags_cc": ["-march=x86-64-v2"] }]
      ]
    }
  ]
}
