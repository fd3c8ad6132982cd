import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { AuthForm } from "../../../components/auth/auth-form";
import { getSessionUser } from "../../../server/session";

export const metadata: Metadata = { title: "Sign in" };

/** Signed-in visitors go straight to their runs. */
export default async function SignInPage() {
  if (await getSessionUser()) redirect("/");
  return (
    <Suspense>
      <AuthForm mode="sign-in" />
    </Suspense>
  );
}
