/**
 * The public surface `src/mod.ts`: an explicit, short list of names, holding every name the
 * notebooks use.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MOD = join(ROOT, "src", "mod.ts");
const NOTEBOOKS = join(ROOT, "notebooks");

/** Most names `src/mod.ts` may list; raise it only for a name a notebook or a task needs. */
const MAX_NAMES = 110;

/** The names an `export { … }` or `export type { … }` list of `source` holds, in order. */
function exportedNames(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const item of match[1]!.split(",")) {
      const name = item.trim().replace(/^type\s+/, "").split(/\s+as\s+/).at(-1)!.trim();
      if (name !== "") names.push(name);
    }
  }
  return names;
}

/** The code of every code cell of a notebook, joined. */
async function notebookCode(path: string): Promise<string> {
  const notebook = JSON.parse(await Deno.readTextFile(path)) as {
    cells: { cell_type: string; source: string | string[] }[];
  };
  return notebook.cells
    .filter((cell) => cell.cell_type === "code")
    .map((cell) => Array.isArray(cell.source) ? cell.source.join("") : cell.source)
    .join("\n");
}

/** Names a notebook imports from `src/mod.ts` or takes from `await reloadSrc()`. */
function namesUsed(code: string): string[] {
  const names: string[] = [];
  const lists = [
    ...code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+"[^"]*src\/mod\.ts"/g),
    ...code.matchAll(/\{([^}]*)\}\s*=\s*await\s+reloadSrc\s*\(/g),
  ];
  for (const match of lists) {
    for (const item of match[1]!.split(",")) {
      const name = item.replace(/^\s*type\s+/, "").split(/[:\s]/).find((part) => part !== "");
      if (name !== undefined) names.push(name);
    }
  }
  return names;
}

async function notebookPaths(): Promise<string[]> {
  const paths: string[] = [];
  for await (const entry of Deno.readDir(NOTEBOOKS)) {
    if (entry.isFile && entry.name.endsWith(".ipynb")) paths.push(join(NOTEBOOKS, entry.name));
  }
  return paths.sort();
}

Deno.test("src/mod.ts lists its names explicitly, with no export *", async () => {
  const source = await Deno.readTextFile(MOD);
  assert.doesNotMatch(source, /^\s*export\s+\*/m, "src/mod.ts must name each export");
  const names = exportedNames(source);
  assert.ok(names.length > 0);
  assert.equal(new Set(names).size, names.length, "a name is listed twice");
});

Deno.test(`src/mod.ts lists fewer than ${MAX_NAMES} names`, async () => {
  const names = exportedNames(await Deno.readTextFile(MOD));
  assert.ok(
    names.length < MAX_NAMES,
    `src/mod.ts lists ${names.length} names; keep internals in their folder's mod.ts`,
  );
});

Deno.test("src/mod.ts exports every name the notebooks use", async () => {
  const exported = new Set(exportedNames(await Deno.readTextFile(MOD)));
  const paths = await notebookPaths();
  assert.ok(paths.length >= 3, `expected the notebooks in ${NOTEBOOKS}`);
  const missing: string[] = [];
  let used = 0;
  for (const path of paths) {
    const names = namesUsed(await notebookCode(path));
    assert.ok(names.length > 0, `${path} uses no name from src/mod.ts`);
    used += names.length;
    for (const name of names) {
      if (!exported.has(name)) missing.push(`${name} (${path.slice(ROOT.length)})`);
    }
  }
  assert.ok(used > 0);
  assert.deepEqual(missing, [], `src/mod.ts does not export: ${missing.join(", ")}`);
});

Deno.test("every name src/mod.ts lists resolves to a value or a type", async () => {
  const source = await Deno.readTextFile(MOD);
  const values = source.matchAll(/^export\s+\{([^}]*)\}/gm).flatMap((match) =>
    match[1]!.split(",").map((item) => item.trim()).filter((item) => item !== "")
  );
  const mod = await import("../src/mod.ts") as Record<string, unknown>;
  for (const name of values) {
    assert.notEqual(mod[name], undefined, `src/mod.ts exports ${name} but it is undefined`);
  }
});
