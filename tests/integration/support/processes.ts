import { readFileSync } from "node:fs";

/** Alive = has a /proc entry that is not a zombie (a killed orphan may wait a moment for its reaper). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
