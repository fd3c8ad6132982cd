import { getServerRuntime } from "../runtime";
import type { TrpcContext } from "./trpc";

/** The context of one HTTP request: shared services plus the caller's session from its cookie. */
export async function createRequestContext(headers: Headers): Promise<TrpcContext> {
  const { db, auth, realtime } = getServerRuntime();
  const session = await auth.api.getSession({ headers });
  return {
    db,
    realtime,
    session: session
      ? { user: { id: session.user.id, name: session.user.name, email: session.user.email } }
      : null,
  };
}
