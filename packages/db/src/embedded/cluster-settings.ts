import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** What a second start needs to find the same cluster again: its port and superuser password. */
export type ClusterSettings = { port: number; password: string };

const FILE_NAME = "fp4kit-cluster.json";

export function newClusterSettings(port: number): ClusterSettings {
  return { port, password: randomBytes(18).toString("base64url") };
}

export async function readClusterSettings(dataDir: string): Promise<ClusterSettings> {
  const path = join(dataDir, FILE_NAME);
  try {
    return JSON.parse(await readFile(path, "utf8")) as ClusterSettings;
  } catch (error) {
    throw new Error(`${dataDir} holds a PostgreSQL cluster but no readable ${FILE_NAME}: ${error}`);
  }
}

/** Kept inside the cluster directory (PostgreSQL ignores unknown files there), readable by us only. */
export async function writeClusterSettings(dataDir: string, settings: ClusterSettings): Promise<void> {
  await writeFile(join(dataDir, FILE_NAME), `${JSON.stringify(settings)}\n`, { mode: 0o600 });
}
