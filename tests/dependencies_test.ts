/**
 * Every package a task can import is one `deno install --frozen` installs: a bare specifier in
 * src/ must map to an entry of deno.json's `imports` (which the lockfile pins), never an inline
 * `npm:`/`jsr:`/URL specifier that `deno install` would not fetch ahead of time (a task would
 * then reach the registry on its first run, which fails offline and in an image).
 */
import assert from "node:assert/strict";
import { REPO_ROOT } from "./_helpers/project.ts";

const config = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.json`));
const imports: Record<string, string> = config.imports;
const lock = JSON.parse(await Deno.readTextFile(`${REPO_ROOT}/deno.lock`));

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Import specifiers of a file: static imports and re-exports, and literal dynamic imports. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (
    const match of text.matchAll(
      /(?:^|\n)\s*(?:import|export)[^"'`;{}()]*?(?:\{[^}]*\}[^"'`;]*?)?from\s+["']([^"']+)["']/g,
    )
  ) {
    found.push(match[1]!);
  }
  for (const match of text.matchAll(/(?:^|\n)\s*import\s+["']([^"']+)["']/g)) found.push(match[1]!);
  for (const match of text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) found.push(match[1]!);
  return found;
}

function mapped(specifier: string): boolean {
  return Object.keys(imports).some((key) => specifier === key || specifier.startsWith(`${key}/`));
}

Deno.test("every bare import in src/ is a deno.json import that the lockfile pins", async () => {
  const offending: string[] = [];
  const seen = new Set<string>();
  for (const file of await sourceFiles(`${REPO_ROOT}/src`)) {
    for (const specifier of specifiers(await Deno.readTextFile(file))) {
      if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
      seen.add(specifier);
      if (!mapped(specifier)) offending.push(`${file.slice(REPO_ROOT.length + 1)}: "${specifier}"`);
    }
  }
  assert.deepEqual(offending, [], "imports deno install would not install");
  // The scan sees the packages the tasks really use (it cannot pass by finding nothing).
  for (const used of ["nodejs-polars", "@tensorflow/tfjs", "hono", "zod", "yaml", "vega-lite"]) {
    assert.ok(seen.has(used), `the scan found no import of ${used}`);
  }
  // The lockfile pins each of them (deno install --frozen refuses anything else).
  const pinned = JSON.stringify(lock);
  for (const [name, target] of Object.entries(imports)) {
    const spec = target.replace(/^npm:/, "");
    assert.ok(
      pinned.includes(`"${spec}"`) || pinned.includes(spec),
      `${name} (${target}) is not in deno.lock`,
    );
  }
});

Deno.test("the import scan finds inline npm: specifiers and unmapped packages", () => {
  const text = `import { a } from "npm:left-pad@1.3.0";\nexport { b } from "lodash";\n` +
    `import pl from "nodejs-polars";\nconst m = await import("hono/utils/http-status");\n`;
  const bad = specifiers(text).filter((s) => !s.startsWith(".") && !mapped(s));
  assert.deepEqual(bad, ["npm:left-pad@1.3.0", "lodash"]);
});
