import { createTestDatabase, type TestDatabase } from "@fp4kit/db/testing";
import { afterAll, beforeAll } from "vitest";

/** A fresh migrated database for the test file, dropped after it. */
export function setupTestDatabase(): { readonly current: TestDatabase } {
  const holder: { current?: TestDatabase } = {};
  beforeAll(async () => {
    holder.current = await createTestDatabase();
  });
  afterAll(async () => {
    await holder.current?.drop();
  });
  return {
    get current() {
      if (!holder.current) throw new Error("test database not ready");
      return holder.current;
    },
  };
}
