"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import { authClient } from "../../lib/auth-client";
import { safeNextPath } from "../../lib/safe-next";
import { Button } from "../ui/button";
import { Alert, Field, Input } from "../ui/field";

export function AuthForm({ mode }: { mode: "sign-in" | "sign-up" }) {
  const router = useRouter();
  // Only paths of this site are followed after sign-in (no open redirect through ?next=).
  const next = safeNextPath(useSearchParams().get("next"));
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email"));
    const password = String(form.get("password"));
    setPending(true);
    setError(null);
    const result =
      mode === "sign-up"
        ? await authClient.signUp.email({ name: String(form.get("name")), email, password })
        : await authClient.signIn.email({ email, password });
    if (result.error) {
      setError(result.error.message ?? "Could not sign you in");
      setPending(false);
      return;
    }
    router.replace(next);
    router.refresh();
  }

  const otherMode = mode === "sign-up" ? "sign-in" : "sign-up";
  const otherHref = next === "/" ? `/${otherMode}` : `/${otherMode}?next=${encodeURIComponent(next)}`;
  return (
    <form onSubmit={onSubmit} className="space-y-4">
      <div>
        <h1 className="text-lg font-semibold text-zinc-900">
          {mode === "sign-up" ? "Create your account" : "Sign in"}
        </h1>
        <p className="mt-1 text-sm text-zinc-500">
          {mode === "sign-up" ? "Already have an account? " : "New here? "}
          <Link href={otherHref} className="font-medium text-indigo-600 hover:text-indigo-500">
            {mode === "sign-up" ? "Sign in" : "Create an account"}
          </Link>
        </p>
      </div>
      {error && <Alert>{error}</Alert>}
      {mode === "sign-up" && (
        <Field label="Name" htmlFor="name">
          <Input id="name" name="name" autoComplete="name" required maxLength={80} />
        </Field>
      )}
      <Field label="Email" htmlFor="email">
        <Input id="email" name="email" type="email" autoComplete="email" required />
      </Field>
      <Field
        label="Password"
        htmlFor="password"
        hint={mode === "sign-up" ? "At least 8 characters." : undefined}
      >
        <Input
          id="password"
          name="password"
          type="password"
          autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
          required
          minLength={8}
        />
      </Field>
      <Button type="submit" variant="primary" className="w-full" disabled={pending}>
        {pending ? "Please wait…" : mode === "sign-up" ? "Create account" : "Sign in"}
      </Button>
    </form>
  );
}
