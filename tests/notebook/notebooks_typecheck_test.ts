/**
 * Type-checks the code cells of every notebook against `src/`, so that renaming or changing a
 * function in `src/` breaks this test rather than a notebook in someone's afternoon.
 *
 * The code cells of a notebook are joined, in order, into one temporary TypeScript module (the
 * kernel runs them in one scope, top to bottom), relative imports are pointed back at the
 * notebook's folder, and `deno check` runs on it with the project's `deno.json`. Every error is
 * mapped back to its notebook, cell and line.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NOTEBOOKS_DIR = join(ROOT, "notebooks");
const NOTEBOOKS = ["01_eda.ipynb", "02_feature_engineering.ipynb", "03_model_experiments.ipynb"];

/** Where a line of the generated module came from. */
interface SourceLine {
  /** The cell's position among all cells of the notebook, from 1 (as Jupyter counts them). */
  cell: number;
  /** The line within the cell, from 1. */
  line: number;
}

/** A notebook's code cells as one module, and where each of its lines came from. */
interface CellModule {
  /** The notebook's file name, for messages. */
  name: string;
  /** The module's source. */
  text: string;
  /** Origin of each line of `text`, index 0 for line 1; `null` for the generated cell headers. */
  origins: (SourceLine | null)[];
}

/**
 * Joins the code cells of a notebook into one module; relative import specifiers are resolved
 * against `notebookDir`, because the module is written elsewhere.
 */
function cellModule(name: string, notebook: unknown, notebookDir: string): CellModule {
  const cells = (notebook as { cells?: unknown }).cells;
  if (!Array.isArray(cells)) {
    throw new TypeError(`Cannot type-check notebook "${name}": it has no "cells" list`);
  }
  const lines: string[] = [];
  const origins: (SourceLine | null)[] = [];
  cells.forEach((cell: { cell_type?: unknown; source?: unknown }, index) => {
    if (cell.cell_type !== "code") return;
    const source = Array.isArray(cell.source) ? cell.source.join("") : String(cell.source ?? "");
    lines.push(`// ---- ${name}, cell ${index + 1}`);
    origins.push(null);
    source.split("\n").forEach((text, i) => {
      lines.push(absoluteImports(text, notebookDir));
      origins.push({ cell: index + 1, line: i + 1 });
    });
  });
  return { name, text: lines.join("\n") + "\n", origins };
}

/** Rewrites `from "./x"`, `from "../x"` and `import("../x")` to absolute `file:` URLs. */
function absoluteImports(line: string, baseDir: string): string {
  return line.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.\.?\/[^"']+)\2/g,
    (_, keyword: string, quote: string, specifier: string) =>
      `${keyword}${quote}${pathToFileURL(join(baseDir, specifier)).href}${quote}`,
  );
}

/**
 * Runs `deno check` on the modules and returns every diagnostic, its location mapped back to
 * notebook, cell and line.
 */
async function typeCheck(modules: CellModule[]): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "deno-mlops-notebook-check-" });
  try {
    const files = new Map<string, CellModule>();
    for (const module of modules) {
      const file = join(dir, module.name.replace(/\.ipynb$/, ".ts"));
      await Deno.writeTextFile(file, module.text);
      files.set(pathToFileURL(file).href, module);
    }
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", join(ROOT, "deno.json"), ...files.keys()],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    if (output.success) return [];
    const diagnostics = text.split(/\n(?=TS\d+ \[ERROR\])/).filter((d) => /^TS\d+/.test(d.trim()));
    if (diagnostics.length === 0) return [`deno check failed without a TypeScript error:\n${text}`];
    return diagnostics.map((diagnostic) => {
      const message = diagnostic.trim().split("\n")[0]!;
      const at = /at (file:\/\/\S+?):(\d+):(\d+)/.exec(diagnostic);
      const module = at ? files.get(at[1]!) : undefined;
      if (!at || !module) return `${message} (${at?.[0] ?? "no location"})`;
      const origin = module.origins[Number(at[2]) - 1];
      return origin
        ? `${module.name} cell ${origin.cell}, line ${origin.line}, column ${at[3]}: ${message}`
        : `${module.name} (generated line ${at[2]}): ${message}`;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function readNotebook(name: string): Promise<CellModule> {
  const path = join(NOTEBOOKS_DIR, name);
  return cellModule(name, JSON.parse(await Deno.readTextFile(path)), dirname(path));
}

/** A notebook whose last cell imports a name that `src/mod.ts` does not export. */
const RENAMED = {
  cells: [
    { cell_type: "markdown", source: ["# A notebook\n"] },
    { cell_type: "code", source: ['import { loadConfig } from "../src/mod.ts";\n'] },
    {
      cell_type: "code",
      source: [
        "const loaded = await loadConfig();\n",
        'import { plotHistogramRenamed } from "../src/mod.ts";\n',
      ],
    },
  ],
};

/** One `deno check` run for the real notebooks and the renamed one (a cold check takes seconds). */
let checked: Promise<{ modules: CellModule[]; errors: string[] }> | null = null;

function checkAll(): Promise<{ modules: CellModule[]; errors: string[] }> {
  checked ??= (async () => {
    const modules = [
      ...await Promise.all(NOTEBOOKS.map(readNotebook)),
      cellModule("renamed.ipynb", RENAMED, NOTEBOOKS_DIR),
    ];
    return { modules, errors: await typeCheck(modules) };
  })();
  return checked;
}

Deno.test("every notebook's code cells type-check against src/", async () => {
  const { modules, errors } = await checkAll();
  for (const module of modules) {
    assert.ok(module.origins.some((origin) => origin !== null), `${module.name} has no code cells`);
  }
  const ours = errors.filter((error) => !error.startsWith("renamed.ipynb"));
  assert.deepEqual(ours, [], `notebook code no longer type-checks:\n${ours.join("\n")}`);
});

Deno.test("a notebook cell that uses a renamed src/ export fails the check and names its cell", async () => {
  const { modules, errors } = await checkAll();
  const src = pathToFileURL(join(ROOT, "src/mod.ts")).href;
  assert.equal(
    modules.find((module) => module.name === "renamed.ipynb")!.text,
    [
      "// ---- renamed.ipynb, cell 2",
      `import { loadConfig } from "${src}";`,
      "",
      "// ---- renamed.ipynb, cell 3",
      "const loaded = await loadConfig();",
      `import { plotHistogramRenamed } from "${src}";`,
      "",
      "",
    ].join("\n"),
  );
  const renamed = errors.filter((error) => error.startsWith("renamed.ipynb"));
  assert.equal(renamed.length, 1, errors.join("\n"));
  assert.match(
    renamed[0]!,
    /^renamed\.ipynb cell 3, line 2, column \d+: TS2305 \[ERROR\]: Module .* has no exported member 'plotHistogramRenamed'/,
  );
});
