import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Suspense } from "react";
import { AuthForm } from "../../../components/auth/auth-form";
import { getSessionUser } from "../../../server/session";

export const metadata: Metadata = { title: "Create account" };

/** Signed-in visitors go straight to their runs. */
export default async function SignUpPage() {
  if (await getSessionUser()) redirect("/");
  return (
    <Suspense>
      <AuthForm mode="sign-up" />
    </Suspense>
  );
}
