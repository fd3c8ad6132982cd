import type { Metadata } from "next";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "../lib/trpc/react";
import "./globals.css";

// Every page depends on the signed-in user and live data: nothing is prerendered at build time.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: { default: "fp4kit", template: "%s · fp4kit" },
  description: "Convert FP8 LLM checkpoints to NVFP4 on your GPU hosts",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans">
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
