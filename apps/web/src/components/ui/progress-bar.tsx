import { cn } from "./cn";

export function ProgressBar({
  value,
  tone = "indigo",
  className,
  size = "sm",
}: {
  /** 0..1 */
  value: number;
  tone?: "indigo" | "green" | "red" | "gray" | "amber";
  className?: string;
  size?: "sm" | "md";
}) {
  const fill = {
    indigo: "bg-indigo-500",
    green: "bg-emerald-500",
    red: "bg-red-500",
    gray: "bg-zinc-400",
    amber: "bg-amber-500",
  }[tone];
  const clamped = Math.min(1, Math.max(0, value));
  return (
    <div
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(clamped * 100)}
      className={cn(
        "w-full overflow-hidden rounded-full bg-zinc-200/80",
        size === "sm" ? "h-1.5" : "h-2.5",
        className,
      )}
    >
      <div
        className={cn("h-full rounded-full transition-[width] duration-500", fill)}
        style={{ width: `${clamped * 100}%` }}
      />
    </div>
  );
}
