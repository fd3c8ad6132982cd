import type { Metadata } from "next";
import { Suspense } from "react";
import { NewRunPage } from "../../../../../components/runs/new-run/new-run-form";

export const metadata: Metadata = { title: "New run" };

export default function Page() {
  return (
    <Suspense>
      <NewRunPage />
    </Suspense>
  );
}
