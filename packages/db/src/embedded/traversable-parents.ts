import { stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * As root, the server runs as the `postgres` user, which must be able to walk down to the data
 * directory. Fail early with the folder to fix instead of PostgreSQL's "permission denied" later.
 */
export async function assertParentsTraversableByOthers(dataDir: string): Promise<void> {
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const info = await stat(dir).catch(() => undefined);
    // Folders that do not exist yet are created by us with mode 0755.
    if (info && (info.mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the "postgres" user when started by root and cannot enter ${dir} ` +
          `(mode ${(info.mode & 0o777).toString(8)}). Run "chmod o+x ${dir}" or choose another data directory.`,
      );
    }
    if (dir === dirname(dir)) return;
  }
}
