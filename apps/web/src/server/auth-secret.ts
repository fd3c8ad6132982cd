import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * BETTER_AUTH_SECRET from the environment; otherwise (local `npm start`) a random secret generated
 * once and kept in `<dataDir>/auth-secret`, so sessions survive restarts without any setup.
 */
export function resolveAuthSecret(env: NodeJS.ProcessEnv, dataDir: string): string {
  const fromEnv = env.BETTER_AUTH_SECRET?.trim();
  if (fromEnv) return fromEnv;
  const file = join(dataDir, "auth-secret");
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString("base64url");
    // "wx": if another instance created it meanwhile, fail and read theirs instead.
    try {
      writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
      return secret;
    } catch {
      return readFileSync(file, "utf8").trim();
    }
  }
}
