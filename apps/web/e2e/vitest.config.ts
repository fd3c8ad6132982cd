import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.test.ts"],
    // The app server gets its own database from the test PostgreSQL's migrated template.
    globalSetup: ["@fp4kit/db/testing/global-setup"],
    // One scenario at a time: each starts a server and a browser, and CPUs are few.
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 240_000,
  },
});
