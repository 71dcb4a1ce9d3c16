/**
 * Checks the commands the notebooks' text tells a reader to run, so that following a notebook's
 * instructions does not end in a usage error.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const NOTEBOOKS_DIR = fileURLToPath(new URL("../../notebooks/", import.meta.url));
const NOTEBOOKS = ["01_eda.ipynb", "02_feature_engineering.ipynb", "03_model_experiments.ipynb"];

/** Every `deno task …` command quoted in backticks in a notebook's cells. */
async function quotedTasks(name: string): Promise<string[]> {
  const notebook = JSON.parse(await Deno.readTextFile(join(NOTEBOOKS_DIR, name))) as {
    cells: { source: string[] | string }[];
  };
  const text = notebook.cells
    .map((cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source))
    .join("\n");
  return [...text.matchAll(/`(deno task [^`]*)`/g)].map((match) => match[1]!);
}

Deno.test("notebooks name the run to promote with --run, the only way promote takes it", async () => {
  const promotes: string[] = [];
  for (const name of NOTEBOOKS) {
    promotes.push(...(await quotedTasks(name)).filter((c) => /^deno task promote\b/.test(c)));
  }
  assert.ok(promotes.length > 0, "no notebook mentions deno task promote");
  for (const command of promotes) {
    // promote takes no positional argument: `deno task promote <run id>` fails.
    assert.match(command, /^deno task promote(?: --run \S.*)?$/, command);
  }
});

/** Every column name a shipped config names: targets, id columns, dtypes, validation, features. */
async function shippedColumnNames(): Promise<Set<string>> {
  const configDir = fileURLToPath(new URL("../../config/", import.meta.url));
  const files = [join(configDir, "config.yaml")];
  for await (const entry of Deno.readDir(join(configDir, "profiles"))) {
    if (entry.isFile && entry.name.endsWith(".yaml")) {
      files.push(join(configDir, "profiles", entry.name));
    }
  }
  const names = new Set<string>();
  for (const file of files) {
    // A `!replace` tag only says how a map merges; its value reads as plain YAML.
    const doc = parse(await Deno.readTextFile(file), { logLevel: "error" }) as
      | Record<string, Record<string, unknown> | undefined>
      | null;
    const data = doc?.["data"] ?? {};
    if (typeof data["target"] === "string") names.add(data["target"]);
    for (const id of (data["id_columns"] as string[] | undefined) ?? []) names.add(id);
    for (const key of Object.keys((data["dtypes"] as object | undefined) ?? {})) names.add(key);
    const columns = (doc?.["validation"]?.["columns"] as object | undefined) ?? {};
    for (const key of Object.keys(columns)) names.add(key);
    const features = doc?.["features"] as { derived?: { name: string }[] } | undefined;
    for (const derived of features?.derived ?? []) names.add(derived.name);
  }
  return names;
}

Deno.test("no notebook names a column of a shipped dataset: columns come from the profile", async () => {
  const names = await shippedColumnNames();
  assert.ok(names.has("Species") && names.has("Miles_per_Gallon"), [...names].join(", "));
  for (const name of NOTEBOOKS) {
    const notebook = JSON.parse(await Deno.readTextFile(join(NOTEBOOKS_DIR, name))) as {
      cells: { cell_type: string; source: string[] | string }[];
    };
    for (const [index, cell] of notebook.cells.entries()) {
      const text = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      for (const column of names) {
        const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        // Any name quoted as a string in code; a name that is not a plain lowercase word (as
        // "date" or "origin" are) anywhere, prose included.
        const quoted = new RegExp(`["'\`]${escaped}["'\`]`);
        const word = new RegExp(`(?<![\\w])${escaped}(?![\\w])`);
        const found = (cell.cell_type === "code" && quoted.test(text)) ||
          (!/^[a-z]+$/.test(column) && word.test(text));
        assert.equal(found, false, `${name}, cell ${index + 1} names the column "${column}"`);
      }
    }
  }
});
