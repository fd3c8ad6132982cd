import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-[60vh] flex-col items-center justify-center text-center">
      <p className="text-sm font-semibold text-indigo-600">404</p>
      <h1 className="mt-2 text-2xl font-semibold text-zinc-900">Not found</h1>
      <p className="mt-2 text-sm text-zinc-500">
        This page does not exist, or it belongs to a team you are not in.
      </p>
      <Link href="/" className="mt-6 text-sm font-medium text-indigo-600 hover:text-indigo-500">
        Back to your runs
      </Link>
    </main>
  );
}
