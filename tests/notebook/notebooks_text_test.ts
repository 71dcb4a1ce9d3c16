/**
 * Checks the commands the notebooks' text tells a reader to run, so that following a notebook's
 * instructions does not end in a usage error.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
