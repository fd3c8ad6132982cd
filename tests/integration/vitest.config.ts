import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["*.test.ts"],
    // One embedded PostgreSQL for the run; each test file copies the migrated template.
    globalSetup: ["@fp4kit/db/testing/global-setup"],
    // These tests run real agents and servers against timing (leases, grace periods): one file at
    // a time keeps them honest on a 2-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
