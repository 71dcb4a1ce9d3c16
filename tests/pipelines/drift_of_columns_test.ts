import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config/mod.ts";
import { checkDrift, driftOfColumns, openRun, runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs, Random } from "../../src/utils/mod.ts";
import { makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

const { RUN, ROOT } = await (async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=3"] });
  const result = await runTraining(loaded);
  result.model.dispose();
  return { RUN: await openRun(result.id, loaded), ROOT: root };
})();

const INPUTS = RUN.signature.columns.map((c) => c.name);

/** The penguins rows as text cells, the way a CSV file or a CSV request holds them. */
const PENGUINS = (await Deno.readTextFile(join(REPO_ROOT, "data/raw/penguins.csv")))
  .trim().split("\n").map((line) => line.split(","));
const HEADER = PENGUINS[0]!;
const ROWS = PENGUINS.slice(1);

/** The input columns of `rows`, numbers as numbers, empty cells as null (as the service parses). */
function columnsOf(
  rows: string[][],
  change: (name: string, value: number) => number = (_, v) => v,
) {
  return new Map(INPUTS.map((name) => {
    const at = HEADER.indexOf(name);
    const numeric = RUN.signature.columns.find((c) => c.name === name)!.kind === "numeric";
    return [
      name,
      rows.map((row) => {
        const cell = row[at]!;
        if (cell === "") return null;
        return numeric ? change(name, Number(cell)) : cell;
      }),
    ];
  }));
}

/** Writes the same columns as a CSV file for `checkDrift`. */
async function csvOf(columns: Map<string, unknown[]>): Promise<string> {
  const count = columns.values().next().value!.length;
  const lines = [INPUTS.join(",")];
  for (let i = 0; i < count; i++) {
    lines.push(INPUTS.map((name) => columns.get(name)![i] ?? "").join(","));
  }
  const path = join(ROOT, `rows-${crypto.randomUUID()}.csv`);
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

Deno.test("driftOfColumns() gives the report checkDrift() gives on a file of the same rows", async () => {
  // A seeded half of the rows (the file alternates sexes: every other row would drift), the "."
  // of Sex and the empty cells included: the cleaning runs on both sides.
  const order = new Random(7).permutation(ROWS.length);
  const columns = columnsOf([...order.subarray(0, 172)].map((i) => ROWS[i]!));
  const fromColumns = driftOfColumns(RUN, columns);
  const fromFile = await checkDrift(RUN, await csvOf(columns));
  assert.deepEqual(fromColumns, fromFile);
  assert.equal(fromColumns.current_rows, 172);
  assert.equal(fromColumns.dataset.drifted, false);
});

Deno.test("driftOfColumns() flags shifted body masses as checkDrift() does", async () => {
  const columns = columnsOf(ROWS, (name, v) => (name === "Body Mass (g)" ? v + 3000 : v));
  const fromColumns = driftOfColumns(RUN, columns);
  assert.deepEqual(fromColumns, await checkDrift(RUN, await csvOf(columns)));
  const mass = fromColumns.columns.find((c) => c.column === "Body Mass (g)")!;
  assert.equal(mass.drifted, true);
  assert.deepEqual(
    fromColumns.columns.filter((c) => c.drifted).map((c) => c.column),
    ["Body Mass (g)"],
  );
});

Deno.test("driftOfColumns() refuses rows without a column the run needs", () => {
  const columns = columnsOf(ROWS.slice(0, 10));
  columns.delete("Island");
  assert.throws(() => driftOfColumns(RUN, columns), {
    name: "SchemaMismatchError",
    message: /missing column\(s\) \["Island"\]/,
  });
});
