import { createAuth } from "../../src/server/auth";
import type { Db } from "../../src/server/db";

export const TEST_BASE_URL = "http://localhost:3000";

export function createTestAuth(db: Db) {
  return createAuth(db, { secret: "test-secret-test-secret-test-secret", baseURL: TEST_BASE_URL });
}

/** Signs a user up through better-auth and returns them with their session cookie. */
export async function signUp(auth: ReturnType<typeof createTestAuth>, name: string, email: string) {
  const response = await auth.api.signUpEmail({
    body: { name, email, password: "correct horse battery" },
    asResponse: true,
  });
  if (!response.ok) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { user: { id: string } };
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  return { userId: body.user.id, cookie };
}
