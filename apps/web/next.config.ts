import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Workspace packages export TypeScript source.
  transpilePackages: ["@fp4kit/protocol", "@fp4kit/db"],
  // Server-only libraries stay as plain Node requires instead of being bundled; the app reaches the
  // database and auth instances created by server.ts through src/server/runtime.ts.
  serverExternalPackages: ["@prisma/client", "@prisma/adapter-pg", "pg", "better-auth", "socket.io"],
  // `npm run typecheck` (tsc) checks types; skipping Next's own pass halves build time on 2 cores.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
};

export default nextConfig;
