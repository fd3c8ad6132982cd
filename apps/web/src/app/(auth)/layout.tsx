import type { ReactNode } from "react";
import { Logo } from "../../components/shell/logo";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center bg-zinc-50 px-4 py-12">
      <div className="mb-8">
        <Logo size="lg" />
      </div>
      <div className="w-full max-w-sm rounded-xl border border-zinc-200 bg-white p-7 shadow-sm">
        {children}
      </div>
      <p className="mt-6 max-w-sm text-center text-xs text-zinc-500">
        FP8 → NVFP4 conversion for DeepSeek V3 / V3.2 / V4 checkpoints, run by agents on your GPU hosts.
      </p>
    </main>
  );
}
