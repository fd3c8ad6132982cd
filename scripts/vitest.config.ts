import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["@fp4kit/db/testing/global-setup"],
    testTimeout: 60_000,
  },
});
