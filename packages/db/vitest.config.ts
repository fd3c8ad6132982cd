import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One embedded PostgreSQL for the whole run; tests get their own database from its template.
    globalSetup: ["./src/testing/global-setup.ts"],
  },
});
