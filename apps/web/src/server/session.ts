import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { getServerRuntime } from "./runtime";

/** The signed-in user of the current request (server components), or null. */
export async function getSessionUser() {
  const requestHeaders = await headers();
  const session = await getServerRuntime().auth.api.getSession({ headers: requestHeaders });
  return session ? { id: session.user.id, name: session.user.name, email: session.user.email } : null;
}

/** The signed-in user, or a redirect to sign-in that comes back to `returnTo` afterwards. */
export async function requireSessionUser(returnTo: string) {
  const user = await getSessionUser();
  if (!user) redirect(`/sign-in?next=${encodeURIComponent(returnTo)}`);
  return user;
}
