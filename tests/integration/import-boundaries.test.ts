/**
 * The workspaces' import graph: a package reaches another only through its name and its
 * package.json `exports` (declared as a dependency), never by a relative path into its files; and
 * neither the packages nor the modules inside them import each other in a cycle. Imports are read
 * with TypeScript's own scanner (`ts.preProcessFile`), which also sees `import()` and re-exports.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;
const SKIP_DIRS = new Set(["node_modules", ".next", ".turbo", "build", "generated", ".venv", "dist"]);

interface Workspace {
  name: string;
  dir: string;
  dependencies: Set<string>;
  /** Subpaths of `exports` ("." and "./cli", ...). */
  exports: Set<string>;
}

function workspaces(): Workspace[] {
  const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] };
  const dirs = root.workspaces.flatMap((pattern) =>
    pattern.endsWith("/*")
      ? readdirSync(join(ROOT, pattern.slice(0, -2))).map((d) => join(ROOT, pattern.slice(0, -2), d))
      : [join(ROOT, pattern)],
  );
  return dirs
    .filter((dir) => existsSync(join(dir, "package.json")))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      const exportMap = typeof pkg.exports === "object" && pkg.exports !== null ? pkg.exports : {};
      return {
        name: pkg.name,
        dir,
        dependencies: new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })),
        exports: new Set(Object.keys(exportMap)),
      };
    });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return SKIP_DIRS.has(entry) ? [] : sourceFiles(path);
    return SOURCE.test(entry) && !entry.endsWith(".d.ts") ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);
}

/** A relative import as the file it names (explicit extension, or extensionless as bundlers allow). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  const candidates = [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts"), join(base, "index.tsx")];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const ALL = workspaces();
const byName = new Map(ALL.map((w) => [w.name, w]));
const ownerOf = (file: string) => ALL.find((w) => file.startsWith(w.dir + sep));

/** Strongly connected components of more than one node (or a node importing itself). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, indices.get(w) as number));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) found.push(component);
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

describe("workspace boundaries", () => {
  const files = ALL.flatMap((w) => sourceFiles(w.dir).map((file) => ({ file, workspace: w })));
  const moduleGraph = new Map<string, Set<string>>();
  const packageGraph = new Map<string, Set<string>>(ALL.map((w) => [w.name, new Set<string>()]));
  const problems: string[] = [];

  for (const { file, workspace } of files) {
    const at = relative(ROOT, file);
    const edges = new Set<string>();
    moduleGraph.set(file, edges);
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith(".")) {
        if (ownerOf(resolve(dirname(file), specifier)) !== workspace) {
          problems.push(`${at} imports ${specifier}: another package's file; import it by its package name`);
        }
        const target = resolveRelative(file, specifier);
        // Only modules make the graph (not JSON or CSS).
        if (target !== undefined) edges.add(target);
        continue;
      }
      const match = /^(@fp4kit\/[^/]+)(\/.*)?$/.exec(specifier);
      if (match === null) continue;
      const [, name = "", subpath = ""] = match;
      const target = byName.get(name);
      if (target === undefined || target === workspace) continue;
      if (!workspace.dependencies.has(name)) {
        problems.push(`${at} imports ${specifier} but ${workspace.name} does not depend on ${name}`);
      }
      if (!target.exports.has(`.${subpath}`)) {
        problems.push(`${at} imports ${specifier}, which ${name}'s package.json does not export`);
      }
      packageGraph.get(workspace.name)?.add(name);
    }
  }

  it("finds the sources", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(ALL.map((w) => w.name)).toEqual(expect.arrayContaining(["@fp4kit/quant", "@fp4kit/web"]));
  });

  it("packages import each other by name, through what they export, never by file path", () => {
    expect(problems).toEqual([]);
  });

  it("no import cycles between packages", () => {
    expect(cycles(packageGraph)).toEqual([]);
  });

  it("no import cycles between modules", () => {
    const named = cycles(moduleGraph).map((c) => c.map((f) => relative(ROOT, f)).sort());
    expect(named).toEqual([]);
  });
});
