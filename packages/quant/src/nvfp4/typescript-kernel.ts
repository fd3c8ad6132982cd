/** The TypeScript reference as an Nvfp4Kernel: always available, slow, the definition of the bytes. */
import type { Nvfp4Kernel } from "./kernel.ts";
import { fp8BlockAmax, quantizeNvfp4 } from "./reference.ts";

export function createTypeScriptKernel(): Nvfp4Kernel {
  return {
    name: "typescript",
    description: "typescript (reference, single-threaded)",
    amax: fp8BlockAmax,
    quantize: quantizeNvfp4,
    // Same thread: the reference is for tests and fallback, not for throughput.
    amaxAsync: async (t) => fp8BlockAmax(t),
    quantizeAsync: async (t, gs, out) => quantizeNvfp4(t, gs, out),
    dispose: () => {},
  };
}
