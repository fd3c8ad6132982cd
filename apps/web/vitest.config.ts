import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One embedded PostgreSQL for the run; each test file copies the migrated template database.
    globalSetup: ["@fp4kit/db/testing/global-setup"],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
