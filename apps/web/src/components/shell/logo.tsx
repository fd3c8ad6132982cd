import { cn } from "../ui/cn";

export function Logo({ size = "md", inverted }: { size?: "md" | "lg"; inverted?: boolean }) {
  return (
    <span
      className={cn(
        "inline-flex items-center gap-2 font-semibold tracking-tight",
        size === "lg" ? "text-xl" : "text-base",
      )}
    >
      <span
        className={cn(
          "grid place-items-center rounded-md bg-gradient-to-br from-indigo-500 to-violet-600 font-mono text-white shadow-sm",
          size === "lg" ? "size-9 text-sm" : "size-7 text-xs",
        )}
        aria-hidden="true"
      >
        fp4
      </span>
      <span className={inverted ? "text-white" : "text-zinc-900"}>fp4kit</span>
    </span>
  );
}
