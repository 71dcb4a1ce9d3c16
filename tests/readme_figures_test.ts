/**
 * README.md quotes figures from real training runs (the `deno task train` output, the profiles
 * table's results). `deno task readme:figures` trains them and records them in
 * `bench/readme_figures.json`; these checks, which do not train, make sure README.md holds
 * exactly what that script writes from the record, so the figures cannot be edited by hand or
 * drift from the record.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  BLOCK_NAMES,
  FIGURES_JSON,
  markers,
  type ReadmeFigures,
  readmeWithFigures,
  replaceBlocks,
  ROOT,
} from "../bench/readme_figures.ts";

const README = join(ROOT, "README.md");

Deno.test("README.md marks each block of run figures once, begin before end", async () => {
  const readme = await Deno.readTextFile(README);
  for (const name of BLOCK_NAMES) {
    const { begin, end } = markers(name);
    assert.equal(readme.split(begin).length, 2, `one ${begin}`);
    assert.equal(readme.split(end).length, 2, `one ${end}`);
    assert.ok(readme.indexOf(begin) < readme.indexOf(end), `${begin} before ${end}`);
  }
});

Deno.test("README.md's figures are what readme:figures writes from bench/readme_figures.json", async () => {
  const readme = await Deno.readTextFile(README);
  const figures = JSON.parse(await Deno.readTextFile(FIGURES_JSON)) as ReadmeFigures;
  const expected = await readmeWithFigures(readme, figures);
  assert.equal(
    readme,
    expected,
    "README.md's marked figures differ from bench/readme_figures.json: run deno task readme:figures",
  );
  // The record is of real runs: the quoted train output names the run that produced it.
  assert.match(
    readme,
    new RegExp(`run: ${figures.runs.penguins.stdout.match(/^run: (.+)$/m)![1]}`),
  );
  const test = figures.runs.cars.metrics.model.test!;
  assert.ok(
    readme.includes(`test MAE ${test["mae"]!.toFixed(2)}, RMSE ${test["rmse"]!.toFixed(2)}`),
  );
});

Deno.test("replaceBlocks() rewrites only between the markers and refuses a missing marker", () => {
  const { begin, end } = markers("train-output");
  const other = markers("profiles");
  const text = `intro\n${begin}\nold\n${end}\nmiddle\n${other.begin}\n| a |\n${other.end}\noutro\n`;
  const written = replaceBlocks(text, (name, current) => `${name}: ${current}`);
  assert.equal(
    written,
    `intro\n${begin}\n\ntrain-output: old\n\n${end}\nmiddle\n${other.begin}\n\nprofiles: | a |\n\n${other.end}\noutro\n`,
  );
  assert.throws(() => replaceBlocks(text.replace(end, ""), () => ""), {
    name: "TypeError",
    message: /needs one "<!-- figures:train-output:begin -->" followed by one/,
  });
});
