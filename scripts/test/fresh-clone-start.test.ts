/**
 * The README's first line as a new user runs it: a fresh clone of this repository, `npm install`,
 * `npm start`. The dashboard answers, the local agent comes online for the first account, and a
 * Ctrl-C (SIGINT to the whole foreground process group, as a terminal sends it) leaves no process.
 *
 * The clone's build reads this checkout's turbo cache: `npm test` has just built the same sources,
 * and what this test proves (that `npm start` builds before it loads what the build generates) holds
 * whether turbo replays the outputs or recomputes them. Uncommitted changes are not in the clone.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmod, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "@fp4kit/db/paths";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_AGENT_NAME, LOCAL_TEAM } from "../start/local-agent.ts";

const MINUTE = 60_000;

/** Our own environment minus what npm and turbo set for this test run (a user's shell has none). */
function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(npm_|TURBO_|INIT_CWD$|VITEST|NODE_ENV$|DATABASE_URL$|PORT$)/i.test(name)) env[name] = value;
  }
  return env;
}

/** Where turbo keeps this checkout's cache (linked worktrees share the main one's). */
function checkoutTurboCache(): string {
  const commonDir = execFileSync("git", ["rev-parse", "--git-common-dir"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  return join(dirname(resolve(REPO_ROOT, commonDir.trim())), ".turbo", "cache");
}

type Output = { text: string };

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; detached?: boolean },
): { child: ChildProcess; output: Output; exited: Promise<number | null> } {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  const output: Output = { text: "" };
  child.stdout?.on("data", (chunk: Buffer) => {
    output.text += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output.text += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  return { child, output, exited };
}

/** Polls `probe` while `process` runs; fails with its output when it exits or time runs out. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  process: { child: ChildProcess; output: Output },
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    const exited = process.child.exitCode !== null || process.child.signalCode !== null;
    if (exited || Date.now() > deadline) {
      const why = exited ? "before it exited" : `within ${timeoutMs / 1000} s`;
      throw new Error(`no ${what} ${why}; output:\n${process.output.text.slice(-6000)}`);
    }
    await sleep(500);
  }
}

/** Processes whose executable, working directory or command line lies inside `dir`. */
async function processesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const where = await Promise.all([
      readlink(`/proc/${entry}/exe`).catch(() => ""),
      readlink(`/proc/${entry}/cwd`).catch(() => ""),
      readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => ""),
    ]);
    if (where.some((text) => text.includes(dir))) found.push(`${entry}: ${where[2].replaceAll("\0", " ")}`);
  }
  return found;
}

describe("npm start on a fresh clone", () => {
  let tmp: string;
  let clone: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "fp4kit-fresh-clone-"));
    // Searchable by others, like a home folder: PostgreSQL, which runs as "postgres" when started
    // by root, must reach its data folder inside the clone.
    await chmod(tmp, 0o711);
    clone = join(tmp, "fp4kit");
  });

  afterAll(async () => {
    // Only if the test failed midway: nothing of the clone may outlive it.
    for (const line of await processesUnder(clone)) {
      try {
        process.kill(Number(line.split(":")[0]), "SIGKILL");
      } catch {
        // already gone
      }
    }
    await rm(tmp, { recursive: true, force: true });
  });

  it(
    "installs, builds, serves the dashboard with the local agent online, and stops cleanly on Ctrl-C",
    async () => {
      const env = { ...userEnvironment(), TURBO_CACHE_DIR: checkoutTurboCache() };
      execFileSync("git", ["clone", "--quiet", REPO_ROOT, clone]);

      const install = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
        cwd: clone,
        env,
      });
      expect(await install.exited, install.output.text.slice(-6000)).toBe(0);

      // Detached: its own process group, which the SIGINT below reaches as a terminal's Ctrl-C would.
      const start = run("npm", ["start"], { cwd: clone, env, detached: true });
      const url = await until(
        "dashboard URL",
        async () => /fp4kit is running at (http:\/\/localhost:\d+)/.exec(start.output.text)?.[1],
        10 * MINUTE,
        start,
      );

      const home = await fetch(url);
      expect(home.status).toBe(200);
      expect(home.url).toContain("/sign-in");

      // The first account owns the Local team; its agent list shows the local agent online.
      const signUp = await fetch(`${url}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: url },
        body: JSON.stringify({
          name: "First User",
          email: "first@example.com",
          password: "correct horse battery",
        }),
      });
      expect(signUp.status, await signUp.clone().text()).toBe(200);
      const cookie = signUp.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      const trpc = async (path: string, input: unknown) => {
        const query =
          input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
        const response = await fetch(`${url}/api/trpc/${path}${query}`, { headers: { cookie } });
        if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
        return ((await response.json()) as { result: { data: { json: unknown } } }).result.data.json;
      };
      const me = (await trpc("me.get", undefined)) as { teams: { id: string; slug: string; role: string }[] };
      const team = me.teams.find((t) => t.slug === LOCAL_TEAM.slug);
      expect(team?.role).toBe("OWNER");
      await until(
        "online local agent",
        async () => {
          const agents = (await trpc("agents.list", { teamId: team?.id })) as {
            name: string;
            online: boolean;
          }[];
          return agents.find((a) => a.name === LOCAL_AGENT_NAME && a.online);
        },
        MINUTE,
        start,
      );

      process.kill(-(start.child.pid as number), "SIGINT");
      const stopped = await Promise.race([start.exited.then(() => true), sleep(2 * MINUTE, false)]);
      expect(stopped, `npm start still running after SIGINT:\n${start.output.text.slice(-4000)}`).toBe(true);
      expect(start.output.text).toMatch(/^fp4kit +\| stopped$/m);
      expect(await processesUnder(clone)).toEqual([]);
    },
    20 * MINUTE,
  );
});
