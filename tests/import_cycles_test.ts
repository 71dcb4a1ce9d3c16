import assert from "node:assert/strict";

/**
 * Relative specifiers of the static imports and re-exports in a module's source: `import …
 * from`, `import type … from`, `export … from`, `export type … from` and `import "…"`. The clause
 * before `from` holds only names, braces, commas and `*`, so a match cannot run across code.
 */
function relativeImports(source: string): string[] {
  const pattern =
    /^[ \t]*(?:(?:import|export)\s+(?:type\s+)?[\w$*\s{},]*?\bfrom\s*|import\s*)["'](\.\.?\/[^"']+)["']/gm;
  return Array.from(source.matchAll(pattern), (match) => match[1]!);
}

/** The import graph of the `.ts` modules under `root`: module path → modules it imports. */
async function importGraph(root: URL): Promise<Map<string, string[]>> {
  const files: URL[] = [];
  async function walk(dir: URL): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) await walk(new URL(`${entry.name}/`, dir));
      else if (entry.isFile && entry.name.endsWith(".ts")) files.push(new URL(entry.name, dir));
    }
  }
  await walk(root);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = await Deno.readTextFile(file);
    graph.set(file.href, relativeImports(source).map((specifier) => new URL(specifier, file).href));
  }
  return graph;
}

/** One cycle per back edge of a depth-first walk, each as a path that ends where it starts. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  function visit(node: string): void {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const seen = state.get(next);
      if (seen === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

Deno.test("relativeImports() reads imports, type imports and re-exports, also across lines", () => {
  const source = [
    `import pl from "nodejs-polars";`,
    `import { a } from "./a.ts";`,
    `import type { B } from "../b.ts";`,
    `import {\n  c,\n  type C,\n} from "./c.ts";`,
    `export { d } from "./d.ts";`,
    `export type { E } from "./e.ts";`,
    `export * from "./f.ts";`,
    `import "./g.ts";`,
    ` * import { h } from "./h.ts";`,
    `const text = "import { i } from './i.ts'";`,
  ].join("\n");
  assert.deepEqual(relativeImports(source), [
    "./a.ts",
    "../b.ts",
    "./c.ts",
    "./d.ts",
    "./e.ts",
    "./f.ts",
    "./g.ts",
  ]);
});

Deno.test("findCycles() names the modules of a cycle in import order", () => {
  const graph = new Map([
    ["a", ["b"]],
    ["b", ["c", "d"]],
    ["c", ["a"]],
    ["d", []],
  ]);
  assert.deepEqual(findCycles(graph), [["a", "b", "c", "a"]]);
  assert.deepEqual(findCycles(new Map([["a", ["b"]], ["b", []]])), []);
});

Deno.test("src/ has no import cycle, counting type imports and re-exports", async () => {
  const root = new URL("../src/", import.meta.url);
  const graph = await importGraph(root);
  assert.ok(graph.size > 100, `expected the modules of src/, found ${graph.size}`);
  const cycles = findCycles(graph).map((cycle) =>
    cycle.map((href) => href.slice(root.href.length)).join(" -> ")
  );
  assert.deepEqual(cycles, [], `import cycles in src/:\n${cycles.join("\n")}`);
});
