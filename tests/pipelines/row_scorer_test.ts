/**
 * The row engine must answer exactly what `scoreRows` answers: these tests score real runs
 * (penguins, cars, and a synthetic run using every transformer and derived feature kind) with
 * both engines and compare problems, rejected rows, counts and the model input bit for bit.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { pullDatasets, readManifest } from "../../src/data/mod.ts";
import {
  columnsToFrame,
  compileRowScorer,
  openRun,
  rowsToColumns,
  rowsToFrame,
  runTraining,
  scoreRows,
} from "../../src/pipelines/mod.ts";
import type { RowScorer, RowScores, RunArtifacts } from "../../src/pipelines/mod.ts";
import pl from "nodejs-polars";
import type { Config } from "../../src/config/mod.ts";
import type { CleaningState } from "../../src/data/mod.ts";
import { FeaturePipeline, transformerKinds } from "../../src/features/mod.ts";
import type { FeatureSelector } from "../../src/features/mod.ts";
import { captureLogs, Random } from "../../src/utils/mod.ts";
import type { Matrix } from "../../src/utils/mod.ts";
import { makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

// ---------------------------------------------------------------- runs

/** Trains a run in `root` with `profile` and opens it as inference does. */
async function trainRun(
  root: string,
  profile: string | null,
  overrides: string[] = [],
): Promise<RunArtifacts> {
  using _logs = captureLogs({ level: "error" });
  const loaded = await loadConfig({
    root,
    ...(profile === null ? {} : { profile }),
    overrides: ["training.epochs=3", ...overrides],
  });
  const result = await runTraining(loaded, { profile });
  result.model.dispose();
  return await openRun(result.id, loaded);
}

/** A temporary project with `cars.json` pulled from the pinned npm package, as data:pull does. */
async function projectWithCars(): Promise<string> {
  const root = await makeTempProject();
  const profile = await Deno.readTextFile(`${REPO_ROOT}/config/profiles/cars.yaml`);
  await Deno.writeTextFile(`${root}/config/profiles/cars.yaml`, profile);
  // The same profile without the cleaning rule on the target, which scoreRows trips over.
  const targetRule = /\n\s+Miles_per_Gallon: \{ strategy: drop \}[^\n]*/;
  assert.match(profile, targetRule);
  await Deno.writeTextFile(
    `${root}/config/profiles/cars_scoreable.yaml`,
    profile.replace(targetRule, ""),
  );
  await import("vega-datasets"); // makes sure the package is in node_modules
  const manifest = await readManifest(`${REPO_ROOT}/data/manifest.json`);
  await pullDatasets({
    sourceDir: `${REPO_ROOT}/node_modules/vega-datasets/data`,
    targetDir: `${root}/data/raw`,
    manifest: { ...manifest, files: manifest.files.filter((f) => f.name === "cars.json") },
  });
  return root;
}

const SYNTHETIC_CONFIG = `
project: { name: synthetic, seed: 7 }
data:
  path: data/raw/synthetic.csv
  target: label
  task: classification
  id_columns: [id]
  dtypes:
    length: float
    breadth: float
    weight: float
    elevation: float
    depth: float
    score: float
    count: int
    age: int
    level: int
    when: datetime
    born: date
validation: { strict: false, min_rows: 10, columns: {} }
cleaning:
  drop_duplicates: true
  trim_strings: true
  normalize_case: { color: lower, city: upper }
  na_values: { color: ["?", "n/a"], elevation: [-999] }
  nulls:
    length: { strategy: mean }
    breadth: { strategy: median }
    age: { strategy: mean }
    count: { strategy: mode }
    score: { strategy: constant, value: 0.5 }
    color: { strategy: mode }
    city: { strategy: constant, value: UNKNOWN }
    weight: { strategy: drop }
    elevation: { strategy: drop }
  clip:
    weight: { lower: 0.05, upper: 0.95 }
    count: { lower: 0.02, upper: 0.98 }
split: { method: stratified, ratios: { train: 0.7, val: 0.15, test: 0.15 }, seed: 7 }
features:
  derived:
    - { name: ratio, kind: ratio, columns: [length, breadth] }
    - { name: product, kind: product, columns: [length, weight] }
    - { name: difference, kind: difference, columns: [weight, elevation] }
    - { name: total, kind: sum, columns: [length, count] }
    - { name: deep, kind: product, columns: [depth, length] }
    - { name: band, kind: bucket, column: weight, boundaries: [2, 5, 8] }
    - { name: year, kind: date_part, column: when, part: year }
    - { name: month, kind: date_part, column: when, part: month }
    - { name: day, kind: date_part, column: when, part: day }
    - { name: weekday, kind: date_part, column: when, part: weekday }
    - { name: hour, kind: date_part, column: when, part: hour }
    - { name: minute, kind: date_part, column: when, part: minute }
    - { name: born_year, kind: date_part, column: born, part: year }
  steps:
    - name: logs
      columns: [length]
      transformers: [{ kind: Log1pTransformer }, { kind: StandardScaler }]
    - name: ratios
      columns: [ratio]
      transformers: [{ kind: SimpleImputer, params: { strategy: median } }, { kind: StandardScaler }]
    - { name: imputed, columns: [depth], transformers: [{ kind: SimpleImputer }] }
    - name: minmax
      columns: [weight, product, deep]
      transformers: [{ kind: MinMaxScaler, params: { feature_range: [-1, 1] } }]
    - { name: robust, columns: [elevation, difference, age], transformers: [{ kind: RobustScaler }] }
    - name: bins
      columns: [count, total]
      transformers: [{ kind: QuantileBinner, params: { n_bins: 4 } }]
    - name: passthrough
      columns: [score, breadth]
      transformers: [{ kind: StandardScaler, params: { columns: [breadth] } }]
    - { name: colors, columns: [color], transformers: [{ kind: OneHotEncoder, params: { top_n: 2 } }] }
    - name: shapes
      columns: [shape]
      transformers: [{ kind: OneHotEncoder, params: { handle_null: category } }]
    - name: grades
      columns: [grade]
      transformers: [{ kind: OrdinalEncoder, params: { unknown_value: -1 } }]
    - name: sizes
      columns: [size]
      transformers:
        - { kind: OrdinalEncoder, params: { handle_null: keep } }
        - { kind: SimpleImputer, params: { strategy: most_frequent } }
    - name: cities
      columns: [city]
      transformers: [{ kind: SimpleImputer, params: { strategy: most_frequent } }, { kind: OneHotEncoder }]
    - { name: levels, columns: [level], transformers: [{ kind: OneHotEncoder }] }
    - name: kinds
      columns: [kind]
      transformers: [{ kind: OneHotEncoder, params: { handle_unknown: error } }]
    - { name: tiers, columns: [tier], transformers: [{ kind: OrdinalEncoder }] }
    - name: dates
      columns: [year, month, day, weekday, hour, minute, born_year, band]
      transformers: [{ kind: StandardScaler }]
  selection:
    - { kind: variance_threshold, threshold: 0 }
training: { epochs: 3, batch_size: 32, seed: 7, early_stopping: { enabled: false } }
registry: { primary_metric: f1_macro }
`;

type Row = Record<string, unknown>;

/** Seeded synthetic rows; `minute` is always 0, so the selector drops that feature. */
function syntheticRows(count: number, seed: number): Row[] {
  const rng = new Random(seed);
  const pick = <T>(list: readonly T[]) => list[rng.int(list.length)]!;
  const two = (n: number) => String(n).padStart(2, "0");
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.round((1 + rng.next() * 20) * 100) / 100;
    const breadth = i % 17 === 0 ? 0 : Math.round((0.5 + rng.next() * 5) * 100) / 100;
    const weight = Math.round(rng.next() * 10 * 1000) / 1000;
    const month = 1 + rng.int(12);
    const day = 1 + rng.int(28);
    rows.push({
      id: `r${i}`,
      label: length / (1 + breadth) > 3 ? "a" : weight > 5 ? "b" : "c",
      length: i % 11 === 3 ? null : length,
      breadth: i % 13 === 5 ? null : breadth,
      weight,
      elevation: Math.round((rng.next() * 50 - 10) * 10) / 10,
      depth: Math.round(rng.next() * 30) / 10,
      score: i % 7 === 2 ? null : Math.round(rng.next() * 100) / 100,
      count: i % 10 === 6 ? null : rng.int(40),
      age: i % 8 === 1 ? null : 20 + rng.int(50),
      level: 1 + rng.int(3),
      color: pick(["red", "Green", " blue", "?", "n/a", "red", "RED"]),
      shape: pick(["circle", "square", null, "star"]),
      grade: pick(["A", "B", "C"]),
      size: pick(["S", "M", "L", null]),
      city: pick(["oslo", "Bergen ", null, "tromsø"]),
      kind: pick(["x", "y"]),
      tier: pick(["gold", "silver"]),
      when: `20${10 + rng.int(15)}-${two(month)}-${two(day)} ${two(rng.int(24))}:00:00`,
      born: `19${50 + rng.int(50)}-${two(month)}-${two(day)}`,
    });
  }
  return rows;
}

function toCsv(rows: Row[]): string {
  const names = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    if (v === null) return "";
    const text = String(v);
    return /[",\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [names.join(","), ...rows.map((r) => names.map((n) => cell(r[n])).join(","))].join(
    "\n",
  ) + "\n";
}

/** The penguins CSV as JSON-like rows: numbers as numbers, empty cells as null. */
async function penguinRows(): Promise<Row[]> {
  const [header, ...lines] = (await Deno.readTextFile(`${REPO_ROOT}/data/raw/penguins.csv`))
    .trim().split("\n");
  const names = header!.split(",");
  return lines.map((line) =>
    Object.fromEntries(
      line.split(",").map((cell, j) => {
        const name = names[j]!;
        if (cell === "") return [name, null];
        return [name, /\(/.test(name) ? Number(cell) : cell];
      }),
    )
  );
}

/** The cars JSON as rows (the service's clients send them like this). */
async function carRows(root: string): Promise<Row[]> {
  return JSON.parse(await Deno.readTextFile(`${root}/data/raw/cars.json`)) as Row[];
}

const penguinsRoot = await makeTempProject();
const PENGUINS = await trainRun(penguinsRoot, null);
const carsRoot = await projectWithCars();
const CARS = await trainRun(carsRoot, "config/profiles/cars_scoreable.yaml");
const SHIPPED_CARS = await trainRun(carsRoot, "config/profiles/cars.yaml");
const SYNTHETIC_DATA = syntheticRows(160, 3);
const syntheticRoot = await makeTempProject({
  "config/config.yaml": SYNTHETIC_CONFIG,
  "data/raw/synthetic.csv": toCsv(SYNTHETIC_DATA),
});
const SYNTHETIC = await trainRun(syntheticRoot, null);

function compiled(run: RunArtifacts): RowScorer {
  let reason = "";
  const scorer = compileRowScorer(run, { onUnsupported: (r) => (reason = r) });
  assert.ok(scorer !== null, `run ${run.id} does not compile: ${reason}`);
  return scorer;
}

const PENGUINS_SCORER = compiled(PENGUINS);
const CARS_SCORER = compiled(CARS);
const SYNTHETIC_SCORER = compiled(SYNTHETIC);

/** A run whose dates are written in `data.date_formats` formats, not ISO 8601. */
const DATED_CONFIG = `
project: { name: dated, seed: 7 }
data:
  path: data/raw/dated.csv
  target: label
  task: classification
  dtypes: { size: float }
  date_formats: { released: "%b %d %Y", seen: "%d.%m.%Y %H:%M" }
validation: { strict: false, min_rows: 10, columns: {} }
split: { method: stratified, ratios: { train: 0.7, val: 0.15, test: 0.15 }, seed: 7 }
features:
  derived:
    - { name: r_year, kind: date_part, column: released, part: year }
    - { name: r_month, kind: date_part, column: released, part: month }
    - { name: r_day, kind: date_part, column: released, part: day }
    - { name: r_weekday, kind: date_part, column: released, part: weekday }
    - { name: s_hour, kind: date_part, column: seen, part: hour }
    - { name: s_minute, kind: date_part, column: seen, part: minute }
    - { name: s_month, kind: date_part, column: seen, part: month }
  steps:
    - name: scaled
      columns: [size, r_year, r_month, r_day, r_weekday, s_hour, s_minute, s_month]
      transformers: [{ kind: StandardScaler }]
training: { epochs: 3, batch_size: 32, seed: 7, early_stopping: { enabled: false } }
registry: { primary_metric: f1_macro }
`;

const MONTH_NAMES = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];

/** Seeded rows with `released` as "%b %d %Y" and `seen` as "%d.%m.%Y %H:%M". */
function datedRows(count: number, seed: number): Row[] {
  const rng = new Random(seed);
  const rows: Row[] = [];
  for (let i = 0; i < count; i++) {
    const size = Math.round(rng.next() * 1000) / 100;
    const month = rng.int(12);
    rows.push({
      size,
      released: `${MONTH_NAMES[month]} ${1 + rng.int(28)} ${1950 + rng.int(70)}`,
      seen: `${1 + rng.int(28)}.${1 + rng.int(12)}.${2000 + rng.int(20)} ${rng.int(24)}:${
        String(rng.int(60)).padStart(2, "0")
      }`,
      label: size > 5 ? (month < 6 ? "a" : "b") : "c",
    });
  }
  return rows;
}

const DATED_DATA = datedRows(120, 5);
const datedRoot = await makeTempProject({
  "config/config.yaml": DATED_CONFIG,
  "data/raw/dated.csv": toCsv(DATED_DATA),
});
const DATED = await trainRun(datedRoot, null);
const DATED_SCORER = compiled(DATED);

// ---------------------------------------------------------------- comparison

/** The run with a model that records every matrix it is given. */
function spied(run: RunArtifacts): { run: RunArtifacts; inputs: Matrix[] } {
  const inputs: Matrix[] = [];
  const model = new Proxy(run.model, {
    get(target, property) {
      if (property === "predict") {
        return (x: Matrix) => {
          inputs.push(x);
          return target.predict(x);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { run: { ...run, model }, inputs };
}

function bits(matrix: Matrix): Uint32Array {
  return new Uint32Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.length);
}

/**
 * Scores `rows` with both engines and asserts the same answer: problems, rejected rows, counts,
 * extra columns, the model input bit for bit, and the predictions.
 */
function assertSameScores(
  run: RunArtifacts,
  scorer: RowScorer,
  rows: Row[],
  keep: string[] = [],
): RowScores {
  const mine = scorer.score(rows, keep);
  assert.equal(mine.fallback, false, mine.fallback ? mine.reason : "");
  if (mine.fallback) throw new Error("unreachable");
  const spy = spied(run);
  const theirs = scoreRows(spy.run, rowsToFrame(run, rows), keep);
  assert.deepEqual(mine.problems, theirs.problems);
  assert.deepEqual(mine.rejected, theirs.rejected);
  assert.deepEqual(mine.unseen_categories, theirs.unseen_categories);
  assert.deepEqual(mine.out_of_range, theirs.out_of_range);
  assert.deepEqual(mine.extra_columns, theirs.extra_columns);
  if (theirs.predictions === null) {
    assert.equal(mine.predictions, null);
    assert.equal(mine.input, null);
    assert.equal(spy.inputs.length, 0);
    return mine;
  }
  const input = spy.inputs[0]!;
  assert.ok(mine.input !== null && mine.predictions !== null);
  assert.equal(mine.input.rows, input.rows);
  assert.equal(mine.input.cols, input.cols);
  assert.deepEqual(bits(mine.input), bits(input), "the model inputs differ");
  const frame = theirs.predictions;
  assert.deepEqual(mine.predictions.prediction, frame.getColumn("prediction").toArray());
  mine.predictions.classes.forEach((c, k) => {
    const expected = frame.getColumn(`proba_${c}`).toArray() as number[];
    const actual = [...mine.predictions!.probabilities![k]!];
    assert.ok(expected.every((p, i) => Object.is(p, actual[i])), `proba_${c} differs`);
  });
  for (const name of keep) {
    assert.deepEqual(mine.predictions.kept.get(name), frame.getColumn(name).toArray());
  }
  return mine;
}

/** The same rows with every value written as text (as a CSV body sends them). */
function asText(rows: Row[]): Row[] {
  return rows.map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null ? null : String(v)]))
  );
}

// ---------------------------------------------------------------- penguins

Deno.test("the row engine scores every penguins row exactly as scoreRows, together and alone", async () => {
  const rows = await penguinRows();
  assert.equal(rows.length, 344);
  const all = assertSameScores(PENGUINS, PENGUINS_SCORER, rows);
  // Two rows without measurements, and nine more without a usable Sex, are rejected.
  assert.deepEqual(all.rejected, [4, 9, 10, 11, 12, 48, 247, 287, 325, 337, 340]);
  assert.equal(all.predictions!.prediction.length, 344 - 11);
  assertSameScores(PENGUINS, PENGUINS_SCORER, asText(rows));
  for (let i = 0; i < rows.length; i += 23) {
    assertSameScores(PENGUINS, PENGUINS_SCORER, [rows[i]!]);
    assertSameScores(PENGUINS, PENGUINS_SCORER, asText([rows[i]!]));
  }
});

Deno.test("the row engine reports the problems scoreRows reports for bad penguins rows", async () => {
  const good = (await penguinRows())[0]!;
  const bad: Row[] = [
    { ...good, "Beak Length (mm)": "abc" },
    { ...good, "Beak Depth (mm)": "inf", "Body Mass (g)": " 4200 " },
    { ...good, "Flipper Length (mm)": "NaN", Sex: null },
    { ...good, Island: "Atlantis", Sex: " ." },
    { ...good, "Body Mass (g)": 99999, extra: "ignored" },
    { ...good, "Beak Length (mm)": null, "Beak Depth (mm)": "", Island: null },
    { ...good, Sex: "male" },
    good,
  ];
  const scores = assertSameScores(PENGUINS, PENGUINS_SCORER, bad, ["Species"]);
  assert.deepEqual(scores.problems, [
    { row: 1, column: "Beak Length (mm)", problem: 'cannot parse "abc" as a number' },
    { row: 2, column: "Beak Depth (mm)", problem: 'not a finite number: "inf"' },
    // A row with a value that does not parse is not checked for missing values.
    { row: 3, column: "Flipper Length (mm)", problem: 'not a finite number: "NaN"' },
    { row: 4, column: "Sex", problem: "missing value" },
    { row: 6, column: "Beak Depth (mm)", problem: 'cannot parse "" as a number' },
  ]);
  // Counted over the rows that can be scored: row 4's "Atlantis" and the infinite depth and
  // NaN flipper of rows 2 and 3 are in rejected rows, so only row 7's "male" and row 5's mass count.
  assert.deepEqual(scores.unseen_categories, { Sex: 1 });
  assert.deepEqual(scores.out_of_range, { "Body Mass (g)": 1 });
  assert.deepEqual(scores.extra_columns, ["extra"]);
  assert.deepEqual(scores.predictions!.kept.get("Species"), ["Adelie", "Adelie", "Adelie"]);
  // Every row alone, as the service mostly sees them.
  for (const row of bad) assertSameScores(PENGUINS, PENGUINS_SCORER, [row]);
  // Numbers no model can score, given as numbers (a Float64 column) and as text.
  const extreme = [
    { ...good, "Body Mass (g)": 1e300 },
    { ...good, "Beak Length (mm)": Infinity, "Beak Depth (mm)": NaN },
  ];
  const far = assertSameScores(PENGUINS, PENGUINS_SCORER, extreme);
  assert.deepEqual(far.problems.map((p) => p.problem), [
    "value 1e+300 is too far outside the training range [2700, 6300] to score (more than 1000000 times its width away); check the units",
    "not a finite number: NaN",
    "not a finite number: Infinity",
  ]);
  const farText = assertSameScores(PENGUINS, PENGUINS_SCORER, asText(extreme));
  assert.match(farText.problems[0]!.problem, /^value "1e\+300" is too far outside/);
});

// ---------------------------------------------------------------- cars

Deno.test("the row engine scores the cars profile (regression, date part, median fill) exactly as scoreRows", async () => {
  assert.equal(CARS.model.task, "regression");
  const rows = (await carRows(carsRoot)).map(({ Miles_per_Gallon: _, ...row }) => row);
  const all = assertSameScores(CARS, CARS_SCORER, rows, ["Name"]);
  assert.equal(all.predictions!.prediction.length, 406);
  assert.ok(all.predictions!.prediction.every((p) => typeof p === "number"));
  assertSameScores(CARS, CARS_SCORER, asText(rows));
  const first = rows[0]!;
  const odd: Row[] = [
    { ...first, Horsepower: null }, // the median fill
    { ...first, Cylinders: 4.5 }, // not an integer
    { ...first, Cylinders: "6", Weight_in_lbs: " 3000 " },
    { ...first, Year: "1975-06-15T10:30:00" },
    { ...first, Year: "1975-06-15 10:30:00.5" },
    { ...first, Year: null },
    { ...first, Origin: "Mars" },
  ];
  const scores = assertSameScores(CARS, CARS_SCORER, odd);
  assert.deepEqual(scores.problems, [
    { row: 2, column: "Cylinders", problem: 'cannot parse "4.5" as an integer' },
    { row: 6, column: "Year", problem: "missing value" },
  ]);
  assert.deepEqual(scores.unseen_categories, { Origin: 1 });
  for (const row of odd) assertSameScores(CARS, CARS_SCORER, [row]);
  // A date no format reads is reported alone: it does not decide the batch's format, so the
  // other rows' dates, written without a time, still parse.
  const dated = assertSameScores(CARS, CARS_SCORER, [{ ...first, Year: "mid-June" }, first]);
  assert.deepEqual(dated.problems.map((p) => p.problem), [
    'cannot parse "mid-June" as a date or time (ISO 8601)',
  ]);
});

Deno.test("the shipped cars profile, whose cleaning names the target, compiles and scores rows without a target", async () => {
  let reason = "";
  const scorer = compileRowScorer(SHIPPED_CARS, { onUnsupported: (r) => (reason = r) });
  assert.ok(scorer !== null, reason);
  const { Miles_per_Gallon: _, ...row } = (await carRows(carsRoot))[0]!;
  const polars = scoreRows(SHIPPED_CARS, rowsToFrame(SHIPPED_CARS, [row]));
  assert.deepEqual(polars.problems, []);
  assert.equal(polars.predictions?.height, 1);
  const engine = scorer.score([row]);
  assert.equal(engine.fallback, false);
  assert.ok(!engine.fallback && engine.predictions !== null);
});

// ---------------------------------------------------------------- every kind

/** A good synthetic row to vary. */
const BASE: Row = (({ label: _, ...row }) => row)(SYNTHETIC_DATA[1]!);

Deno.test("the row engine matches scoreRows on a run chaining many transformer kinds and every derived feature kind", () => {
  // Each registered kind's kernel is checked alone by the registry-wide contract test
  // (tests/features/transformer_row_kernel_test.ts), so a new kind needs no edit here; this run
  // chains the kinds it uses end to end.
  const kinds = new Set(
    SYNTHETIC.pipeline.toJSON().steps.flatMap((s) => s.transformers.map((t) => t.kind)),
  );
  assert.ok(kinds.size >= 8, `the run chains ${kinds.size} kinds`);
  for (const kind of kinds) assert.ok(transformerKinds().includes(kind), kind);
  // The selector dropped the constant minute feature.
  assert.ok(SYNTHETIC.pipeline.featureNamesOut().includes("minute"));
  assert.ok(!SYNTHETIC.names.includes("minute"));
  const rows = SYNTHETIC_DATA.map(({ label: _, ...row }) => row);
  const all = assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, rows, ["id"]);
  assert.ok(all.predictions!.prediction.length > 150);
  assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, asText(rows), ["id"]);
  for (let i = 0; i < rows.length; i += 9) {
    assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, [rows[i]!]);
  }
});

Deno.test("the row engine cleans, parses and encodes odd values exactly as scoreRows", () => {
  const odd: Row[] = [
    { ...BASE, length: " 12.5 ", count: "3.0", color: "  RED ", city: "  bergen" },
    { ...BASE, length: "\u008512\u0085", count: " 7 ", color: "?", city: null },
    { ...BASE, length: "1e1", count: "-0", color: "n/a", shape: null, size: null },
    { ...BASE, length: "+3", color: "Purple", shape: "hexagon", grade: "Z" },
    { ...BASE, length: ".5", color: null, city: "paris", level: 4 },
    { ...BASE, length: "5.", level: "2", weight: 1000, breadth: 0, age: null },
    { ...BASE, length: "+.5", weight: -5, breadth: "0", age: 3.5 },
    { ...BASE, length: null, count: null, breadth: null, score: null, depth: "3", note: "x" },
    { ...BASE, count: "3.5" },
    { ...BASE, count: "1e20" },
    { ...BASE, count: "nan", elevation: -999 },
    { ...BASE, length: "inf" },
    { ...BASE, length: "-Infinity" },
    { ...BASE, length: "nan", elevation: null },
    { ...BASE, length: "abc", count: 9223372036854775808, grade: null },
    { ...BASE, length: "\uFEFF12" },
    { ...BASE, length: "" },
    { ...BASE, length: "0x10" },
    { ...BASE, length: "1_000" },
    { ...BASE, tier: null, kind: null, elevation: -999 },
  ];
  const scores = assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, odd, ["id"]);
  assert.deepEqual(scores.problems.map((p) => `${p.row} ${p.column}: ${p.problem}`), [
    '9 count: cannot parse "3.5" as an integer',
    '10 count: cannot parse "1e20" as an integer',
    '11 count: cannot parse "nan" as an integer',
    '12 length: not a finite number: "inf"',
    '13 length: not a finite number: "-Infinity"',
    '14 length: not a finite number: "nan"',
    '15 count: cannot parse "9223372036854776000" as an integer',
    '15 length: cannot parse "abc" as a number',
    '16 length: cannot parse "\uFEFF12" as a number',
    '17 length: cannot parse "" as a number',
    '18 length: cannot parse "0x10" as a number',
    '19 length: cannot parse "1_000" as a number',
    "20 elevation: missing value",
    "20 kind: missing value",
    "20 tier: missing value",
  ]);
  assert.deepEqual(scores.predictions!.kept.get("id"), odd.slice(0, 8).map((r) => r["id"]));
  assert.deepEqual(scores.unseen_categories, { color: 1, shape: 1, grade: 1, city: 1 });
  // After cleaning: clipped weights are in range; rejected rows (the infinite and NaN lengths)
  // are not counted.
  assert.deepEqual(scores.out_of_range, { length: 2, age: 1, level: 1 });
  assert.deepEqual(scores.extra_columns, ["note"]);
  // Numbers as numbers (a Float64 column) and one by one (a date format per row).
  const numeric = odd.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => {
        const n = typeof v === "string" ? Number(v) : v;
        return [k, typeof n === "number" && Number.isFinite(n) && k !== "when" ? n : v];
      }),
    )
  );
  assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, numeric);
  for (const row of [...odd, { ...BASE, length: NaN, count: NaN }]) {
    assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, [row]);
  }
  // log1p(-1) is -Infinity: both engines hand it to the model, which refuses it alike.
  const infinite = [BASE, { ...BASE, length: "-1" }];
  const error = (fn: () => unknown) => {
    try {
      fn();
    } catch (caught) {
      return `${(caught as Error).name}: ${(caught as Error).message}`;
    }
    return "no error";
  };
  const mine = error(() => SYNTHETIC_SCORER.score(infinite));
  assert.match(mine, /^DataValidationError: Cannot predict .* NaN or infinite/);
  assert.equal(mine, error(() => scoreRows(SYNTHETIC, rowsToFrame(SYNTHETIC, infinite))));
});

Deno.test("the row engine picks the date format of a batch as scoreRows does", () => {
  const when = (values: (string | null)[]) => values.map((value) => ({ ...BASE, when: value }));
  // All with "T", all with a space, then mixed: the date-only format wins and drops the time.
  const t = assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, when(["2021-03-04T05:06:07", null]));
  const s = assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, when(["2021-03-04 05:06:07.5"]));
  const mixed = assertSameScores(
    SYNTHETIC,
    SYNTHETIC_SCORER,
    when(["2021-03-04 05:06:07", "2021-03-04T05:06:07", "2021-03-04"]),
  );
  assert.deepEqual(t.rejected, [2]);
  assert.deepEqual(s.rejected, []);
  // In the mixed batch the three rows get the same input: the time of day was dropped.
  const cols = mixed.input!.cols;
  const rowBits = (r: number) => [...bits(mixed.input!).slice(r * cols, (r + 1) * cols)];
  assert.deepEqual(rowBits(0), rowBits(2));
  assert.deepEqual(rowBits(1), rowBits(2));
  // A value that fits no format: the first format is used and the others fail.
  assertSameScores(
    SYNTHETIC,
    SYNTHETIC_SCORER,
    when(["no digits", "2021-03-04T05:06:07", "2021-03-04"]),
  );
  assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, when(["", "  2021-03-04\u3000"]));
});

// ---------------------------------------------------------------- date formats

Deno.test("the row engine reads dates in the run's data.date_formats exactly as scoreRows", () => {
  const base = { size: 4.2, released: "Jun 12 1998", seen: "31.12.2020 23:59" };
  // Every training row, together and alone.
  const rows = DATED_DATA.map(({ label: _label, ...row }) => row);
  const all = assertSameScores(DATED, DATED_SCORER, rows);
  assert.deepEqual(all.rejected, []);
  for (const row of rows.slice(0, 10)) assertSameScores(DATED, DATED_SCORER, [row]);
  // Month names in any case, one-digit days and hours, spaces around the value.
  const odd = assertSameScores(DATED, DATED_SCORER, [
    base,
    { ...base, released: "jun 1 2001", seen: "1.2.2020 7:05" },
    { ...base, released: " JUN 30 2010 ", seen: "\u00a029.2.2020 00:00" },
  ]);
  assert.deepEqual(odd.rejected, []);
  // ISO text is still read, alone and next to values in the column's format.
  const iso = assertSameScores(DATED, DATED_SCORER, [
    { ...base, released: "1998-06-12", seen: "2020-12-31 23:59:00" },
    base,
    { ...base, released: "1998-06-12T10:00:00", seen: "2020-12-31 23:59:00.5" },
  ]);
  assert.deepEqual(iso.rejected, []);
  // The same date in the format and in ISO text: the same model input.
  const cols = iso.input!.cols;
  const rowBits = (r: number) => [...bits(iso.input!).slice(r * cols, (r + 1) * cols)];
  assert.deepEqual(rowBits(0), rowBits(1));
  // Text with no digits is reported by both engines.
  const bad = assertSameScores(DATED, DATED_SCORER, [base, { ...base, released: "unknown" }]);
  assert.deepEqual(bad.rejected, [2]);
  assert.match(bad.problems[0]!.problem, /cannot parse "unknown"/);
});

Deno.test("the row engine leaves dates it cannot read exactly in a date format to scoreRows", () => {
  const base = { size: 4.2, released: "Jun 12 1998", seen: "31.12.2020 23:59" };
  // An impossible day, an unknown month name, a signed year: polars answers.
  for (const released of ["Feb 30 1998", "Xyz 12 1998", "Jun 12 +1998"]) {
    assertFallback(DATED_SCORER, [{ ...base, released }], /not a date the row engine reads/);
  }
  assertFallback(DATED_SCORER, [{ ...base, seen: "31.12.2020 24:00" }], /not a date the row/);
  const frame = rowsToFrame(DATED, [base, { ...base, released: "Feb 30 1998" }]);
  assert.deepEqual(scoreRows(DATED, frame).rejected, [2]);
  // A format with a directive the row engine does not read: the run is scored with polars.
  const loaded = {
    ...DATED.loaded,
    config: {
      ...DATED.loaded.config,
      data: { ...DATED.loaded.config.data, date_formats: { released: "%b %d %y" } },
    },
  } as unknown as RunArtifacts["loaded"];
  assert.match(unsupportedReason({ ...DATED, loaded }), /uses %y, which the row engine/);
});

Deno.test("the row engine and scoreRows agree on seeded batches of formatted, ISO and bad dates", () => {
  const rng = new Random(11);
  const releasedForms = [
    () => `${MONTH_NAMES[rng.int(12)]} ${1 + rng.int(28)} ${1900 + rng.int(120)}`,
    () => `${MONTH_NAMES[rng.int(12)]!.toUpperCase()} ${1 + rng.int(28)} ${1900 + rng.int(120)}`,
    () => `${1900 + rng.int(120)}-0${1 + rng.int(9)}-1${rng.int(9)}`,
    () => `${1900 + rng.int(120)}-0${1 + rng.int(9)}-1${rng.int(9)} 0${rng.int(9)}:00:00`,
    () => ["", "n/a", "unknown"][rng.int(3)]!,
    () => null,
  ];
  const seenForms = [
    () =>
      `${1 + rng.int(28)}.${1 + rng.int(12)}.${2000 + rng.int(20)} ${rng.int(24)}:0${rng.int(10)}`,
    () => `20${10 + rng.int(10)}-0${1 + rng.int(9)}-1${rng.int(9)}T1${rng.int(10)}:30:00`,
    () => null,
  ];
  let compared = 0;
  for (let batch = 0; batch < 40; batch++) {
    const rows: Row[] = [];
    const count = 1 + rng.int(6);
    for (let i = 0; i < count; i++) {
      rows.push({
        size: Math.round(rng.next() * 1000) / 100,
        released: releasedForms[rng.int(releasedForms.length)]!(),
        seen: seenForms[rng.int(seenForms.length)]!(),
      });
    }
    assertSameScores(DATED, DATED_SCORER, rows);
    compared++;
  }
  assert.equal(compared, 40);
});

// ---------------------------------------------------------------- fallbacks

function assertFallback(scorer: RowScorer, rows: Row[], reason: RegExp, keep: string[] = []): void {
  const outcome = scorer.score(rows, keep);
  assert.equal(outcome.fallback, true, "expected a fallback");
  if (outcome.fallback) assert.match(outcome.reason, reason);
}

Deno.test("the row engine falls back to scoreRows for rows it cannot answer exactly", () => {
  const run = SYNTHETIC;
  const scorer = SYNTHETIC_SCORER;
  const frame = (rows: Row[]) => rowsToFrame(run, rows);
  // Forms polars parses in its own way: left to it.
  assertFallback(scorer, [{ ...BASE, when: "2021-3-4" }], /not in a form the row engine parses/);
  assertFallback(scorer, [{ ...BASE, when: "2021-02-29" }], /not a valid date or time/);
  assertFallback(scorer, [{ ...BASE, when: "2021-01-01T24:00:00" }], /not a valid date/);
  assertFallback(scorer, [{ ...BASE, count: 2 ** 60 }], /beyond 2\^53/);
  assertFallback(scorer, [{ ...BASE, color: "\ua7cb" }], /depends on the Unicode version/);
  assert.equal(scoreRows(run, frame([{ ...BASE, when: "2021-3-4" }])).problems.length, 0);
  // Rows a transformer refuses: scoreRows throws for the whole call.
  const refused: Array<[Row, RegExp, string]> = [
    [{ ...BASE, length: -5 }, /refuses -5, below -1/, "DataValidationError"],
    [{ ...BASE, kind: "z" }, /refuses unseen values of "kind"/, "DataValidationError"],
    [
      { ...BASE, tier: "bronze" },
      /step "tiers": "OrdinalEncoder" refuses unseen/,
      "DataValidationError",
    ],
    [
      { ...BASE, size: "XL" },
      /step "sizes": "OrdinalEncoder" refuses unseen/,
      "DataValidationError",
    ],
    [{ ...BASE, depth: null }, /feature "deep" is null/, "SchemaMismatchError"],
  ];
  for (const [row, reason, error] of refused) {
    assertFallback(scorer, [BASE, row], reason);
    assert.throws(() => scoreRows(run, frame([BASE, row])), { name: error });
  }
  // A kept column named like an output column.
  const penguin = {
    Island: "Dream",
    "Beak Length (mm)": 39.5,
    "Beak Depth (mm)": 18.8,
    "Flipper Length (mm)": 190,
    "Body Mass (g)": 3700,
    Sex: "MALE",
  };
  for (const name of ["prediction", "proba_Gentoo"]) {
    assertFallback(PENGUINS_SCORER, [{ ...penguin, [name]: 1 }], /clashes with an output/, [name]);
    assert.throws(() =>
      scoreRows(PENGUINS, rowsToFrame(PENGUINS, [{ ...penguin, [name]: 1 }]), [name])
    );
  }
});

Deno.test("the row engine falls back when a log1p lies too close to a Float32 rounding boundary", () => {
  // Step "logs" is log1p then StandardScaler: find a length whose scaled log1p is a hair from
  // a Float32 midpoint, where a 1-ulp difference between libms could round either way.
  const step = SYNTHETIC.pipeline.toJSON().steps.find((s) => s.name === "logs")!;
  const scaler = step.transformers[1]!.state as { mean: number[]; scale: number[] };
  const mean = scaler.mean[0]!;
  const inverse = 1 / scaler.scale[0]!;
  const midpoint = 0.5 + 2 ** -25; // between the Float32 values 0.5 and 0.5 + 2^-24
  let y = midpoint / inverse + mean;
  for (let k = 0; k < 64 && (y - mean) * inverse !== midpoint; k++) {
    y += ((y - mean) * inverse < midpoint ? 1 : -1) * Number.EPSILON * Math.abs(y) / 2;
  }
  const length = Math.expm1(y);
  assertFallback(SYNTHETIC_SCORER, [{ ...BASE, length }], /too close to a Float32 rounding/);
  // A value well away from any boundary is scored, and matches.
  assertSameScores(SYNTHETIC, SYNTHETIC_SCORER, [{ ...BASE, length: Math.expm1(y + 1e-4) }]);
});

// ---------------------------------------------------------------- what does not compile

/** A run whose feature pipeline serialises as `edit` makes it, and otherwise works as before. */
function withPipelineJson(
  run: RunArtifacts,
  edit: (json: ReturnType<FeaturePipeline["toJSON"]>) => void,
): RunArtifacts {
  const json = run.pipeline.toJSON();
  edit(json);
  const pipeline = {
    toJSON: () => structuredClone(json),
    featureNamesOut: () => run.pipeline.featureNamesOut(),
    transform: (df: Parameters<FeaturePipeline["transform"]>[0]) => run.pipeline.transform(df),
    transformToMatrix: (df: Parameters<FeaturePipeline["transform"]>[0]) =>
      run.pipeline.transformToMatrix(df),
  } as unknown as FeaturePipeline;
  return { ...run, pipeline };
}

function unsupportedReason(run: RunArtifacts): string {
  let reason = "";
  assert.equal(compileRowScorer(run, { onUnsupported: (r) => (reason = r) }), null);
  return reason;
}

Deno.test("compileRowScorer() returns null for transformer kinds, options and states it does not know", () => {
  const firstScaler = (json: ReturnType<FeaturePipeline["toJSON"]>) =>
    json.steps[0]!.transformers[0]!;
  assert.match(
    unsupportedReason(withPipelineJson(PENGUINS, (j) => (firstScaler(j).kind = "PowerScaler"))),
    /step "numeric": .*unknown kind "PowerScaler"/,
  );
  assert.match(
    unsupportedReason(
      withPipelineJson(PENGUINS, (j) => (firstScaler(j).params["with_mean"] = false)),
    ),
    /step "numeric": .*with_mean/,
  );
  assert.match(
    unsupportedReason(withPipelineJson(PENGUINS, (j) => (firstScaler(j).version = 2))),
    /step "numeric": .*version 2/,
  );
  const derived = {
    ...SYNTHETIC.loaded,
    config: {
      ...SYNTHETIC.loaded.config,
      features: {
        ...SYNTHETIC.loaded.config.features,
        derived: [
          ...SYNTHETIC.loaded.config.features.derived,
          { name: "odd", kind: "quotient", columns: ["length", "weight"] },
        ],
      },
    },
  } as unknown as RunArtifacts["loaded"];
  assert.match(unsupportedReason({ ...SYNTHETIC, loaded: derived }), /kind "quotient"/);
  const selector = { keptColumns: () => ["nope"] } as unknown as FeatureSelector;
  assert.match(unsupportedReason({ ...PENGUINS, selector }), /the selector keeps \["nope"\]/);
  assert.match(unsupportedReason({ ...PENGUINS, names: ["nope"] }), /model inputs \["nope"\]/);
  const state = { ...PENGUINS.cleaningState, version: 2 } as unknown as RunArtifacts[
    "cleaningState"
  ];
  assert.match(unsupportedReason({ ...PENGUINS, cleaningState: state }), /version 1/);
});

Deno.test("compileRowScorer() returns null when its probe rows differ from scoreRows", () => {
  // The row engine reads a mean the real pipeline does not use: the model inputs differ.
  const shifted = withPipelineJson(PENGUINS, (json) => {
    const state = json.steps[0]!.transformers[0]!.state as { mean: number[] };
    state.mean[0] = state.mean[0]! + 1;
  });
  {
    using logs = captureLogs({ level: "warning" });
    assert.match(
      unsupportedReason(shifted),
      /differ from scoreRows: the model input \(from step "numeric"\)/,
    );
    // Never silent: the difference is logged as a warning naming the step.
    assert.ok(
      logs.messages().some((m) => /row engine disagrees/.test(m) && /step "numeric"/.test(m)),
      `expected a warning naming the step, got ${JSON.stringify(logs.messages())}`,
    );
  }
  // A pipeline that fails on every frame: scoreRows refuses the probe rows.
  const broken = {
    ...PENGUINS,
    pipeline: {
      toJSON: () => PENGUINS.pipeline.toJSON(),
      featureNamesOut: () => PENGUINS.pipeline.featureNamesOut(),
      transform: () => {
        throw new Error("broken on purpose");
      },
      transformToMatrix: () => {
        throw new Error("broken on purpose");
      },
    } as unknown as FeaturePipeline,
  };
  assert.match(unsupportedReason(broken), /scoreRows refuses the probe rows: broken on purpose/);
  // Without verification the engine compiles all the same.
  assert.notEqual(compileRowScorer(shifted, { verify: false }), null);
  // Probe rows the engine leaves to polars, or that no engine can score, verify nothing.
  const unstable = {
    ...SYNTHETIC,
    signature: {
      ...SYNTHETIC.signature,
      columns: SYNTHETIC.signature.columns.map((c) =>
        c.name === "color" ? { ...c, categories: ["\ua7cb"] } : c
      ),
    },
  };
  assert.match(unsupportedReason(unstable), /the probe rows fall back: .*Unicode version/);
  const unknowable = {
    ...PENGUINS,
    profile: {
      ...PENGUINS.profile,
      columns: PENGUINS.profile.columns.map((c) =>
        c.kind === "numeric" ? { ...c, percentiles: c.percentiles.map(() => NaN) } : c
      ),
    },
  };
  assert.match(unsupportedReason(unknowable), /no probe row could be scored/);
  // Errors that are not about support are not hidden.
  const failing = {
    ...PENGUINS,
    pipeline: {
      toJSON: () => {
        throw new Error("cannot serialise");
      },
    } as unknown as FeaturePipeline,
  };
  assert.throws(() => compileRowScorer(failing), { message: "cannot serialise" });
});

/** A copy of `run` whose config and cleaning state `edit` changes (the run itself is kept). */
function withConfig(
  run: RunArtifacts,
  edit: (config: Config, state: CleaningState) => void,
): RunArtifacts {
  const loaded = structuredClone(run.loaded);
  const cleaningState = structuredClone(run.cleaningState);
  edit(loaded.config, cleaningState);
  return { ...run, loaded, cleaningState };
}

Deno.test("compileRowScorer() returns null for cleaning and derived features the polars path refuses", () => {
  const frame = rowsToFrame(SYNTHETIC, [BASE]);
  const cases: Array<[string, (config: Config, state: CleaningState) => void, RegExp, boolean]> = [
    [
      "case of a number",
      (c) => (c.cleaning.normalize_case["length"] = "lower"),
      /normalize_case of non-text "length"/,
      true,
    ],
    [
      "na_values of a date",
      (c) => (c.cleaning.na_values["when"] = ["x"]),
      /na_values of date column "when"/,
      true,
    ],
    [
      "text na_values of a number",
      (c) => (c.cleaning.na_values["length"] = ["x"]),
      /na_values \["x"\] of "length"/,
      true,
    ],
    [
      "a fill the state lacks",
      (c) => (c.cleaning.nulls["length"] = { strategy: "median" }),
      /no matching fill for "length"/,
      true,
    ],
    [
      "a mean of text",
      (c, s) => {
        c.cleaning.nulls["color"] = { strategy: "mean" };
        s.fills["color"] = { strategy: "mean", value: 1 };
      },
      /mean fill of "color"/,
      true,
    ],
    [
      "a text constant for a number",
      (c, s) => {
        c.cleaning.nulls["score"] = { strategy: "constant", value: "x" };
        s.fills["score"] = { strategy: "constant", value: "x" };
      },
      /constant fill "x" of "score"/,
      true,
    ],
    [
      "a clip of text",
      (c) => (c.cleaning.clip["color"] = { lower: 0.1, upper: 0.9 }),
      /clip of "color"/,
      true,
    ],
    [
      "a clip the state lacks",
      (c) => (c.cleaning.clip["length"] = { lower: 0.1, upper: 0.9 }),
      /no clip of "length"/,
      true,
    ],
    [
      "an infinite clip bound",
      (_c, s) => (s.clip["weight"] = { lower: -Infinity, upper: 5 }),
      /clip bounds of "weight"/,
      false,
    ],
    [
      "a derived feature named like a column",
      (c) =>
        c.features.derived.push({ name: "length", kind: "sum", columns: ["length", "weight"] }),
      /"length" repeats a column name/,
      true,
    ],
    [
      "a ratio of text",
      (c) => c.features.derived.push({ name: "x", kind: "ratio", columns: ["color", "length"] }),
      /cannot read "color"/,
      true,
    ],
    [
      "a date part of a number",
      (c) =>
        c.features.derived.push({ name: "x", kind: "date_part", column: "length", part: "year" }),
      /cannot read "length"/,
      true,
    ],
    [
      "an unknown date part",
      (c) =>
        c.features.derived.push({
          name: "x",
          kind: "date_part",
          column: "when",
          part: "second" as "year",
        }),
      /date part "second"/,
      true,
    ],
    [
      "unsorted bucket boundaries",
      (c) =>
        c.features.derived.push({
          name: "x",
          kind: "bucket",
          column: "weight",
          boundaries: [3, 1],
        }),
      /bucket boundaries of "x"/,
      true,
    ],
  ];
  for (const [what, edit, reason, polarsRefuses] of cases) {
    const run = withConfig(SYNTHETIC, edit);
    assert.match(unsupportedReason(run), reason, what);
    if (polarsRefuses) assert.throws(() => scoreRows(run, frame), Error, what);
  }
  const signature = {
    ...SYNTHETIC.signature,
    columns: [{ ...SYNTHETIC.signature.columns[0]!, kind: "weird" }],
  } as unknown as RunArtifacts["signature"];
  assert.match(unsupportedReason({ ...SYNTHETIC, signature }), /"length" has kind "weird"/);
  // Fractional clip bounds on an integer column make it Float64, in both engines; an integer
  // constant fill and integer missing markers keep another one Int64.
  const integers = withConfig(SYNTHETIC, (c, s) => {
    s.clip["count"] = { lower: 2.5, upper: 30.5 };
    c.cleaning.na_values["level"] = [9];
    c.cleaning.nulls["level"] = { strategy: "constant", value: 2 };
    s.fills["level"] = { strategy: "constant", value: 2 };
  });
  const scorer = compiled(integers);
  const scores = assertSameScores(integers, scorer, [
    BASE,
    { ...BASE, count: 1 },
    { ...BASE, count: 39, level: 9 },
    { ...BASE, level: null },
  ]);
  assert.deepEqual(scores.problems, []);
});

Deno.test("compileRowScorer() returns null for feature steps it cannot reproduce", () => {
  type PipelineJson = ReturnType<FeaturePipeline["toJSON"]>;
  const step = (json: PipelineJson, name: string) => json.steps.find((s) => s.name === name)!;
  const state = (json: PipelineJson, name: string, k = 0) =>
    step(json, name).transformers[k]!.state as Record<string, unknown>;
  const cases: Array<[(json: PipelineJson) => void, RegExp]> = [
    [(j) => (j.version = 2), /feature pipeline version 2/],
    [(j) => (step(j, "logs").columns = ["nope"]), /step "logs" reads missing "nope"/],
    [
      (j) => (state(j, "logs", 1)["input_columns"] = ["other"]),
      /step "logs": .*input_columns \["other"\]/,
    ],
    [
      (j) => (state(j, "logs", 1)["input_columns"] = ["length", "other"]),
      /step "logs" outputs \["length"\]/,
    ],
    [(j) => step(j, "cities").transformers.pop(), /step "cities" outputs non-numeric "city"/],
    [(j) => (state(j, "logs")["columns"] = ["nope"]), /step "logs": .*columns \["nope"\]/],
    [(j) => {
      state(j, "logs")["columns"] = ["nope"];
      state(j, "logs")["input_columns"] = ["nope"];
    }, /transforms missing column "nope"/],
    [
      (j) => {
        const imputer = step(j, "sizes").transformers[1]!.state as {
          kinds: string[];
          fill: unknown[];
        };
        imputer.kinds = ["text"];
        imputer.fill = ["x"];
      },
      /fills "size"/,
    ],
    [
      (j) => (step(j, "grades").transformers[0]!.params["unknown_value"] = "x"),
      /step "grades": .*unknown_value/,
    ],
    [(j) => {
      const colors = step(j, "colors");
      colors.transformers[0] = {
        kind: "StandardScaler",
        version: 1,
        params: {},
        state: {
          input_columns: ["color"],
          columns: ["color"],
          mean: [0],
          scale: [1],
          n_samples: [1],
        },
      };
    }, /needs numbers, "color" is not/],
  ];
  for (const [edit, reason] of cases) {
    assert.match(unsupportedReason(withPipelineJson(SYNTHETIC, edit)), reason);
  }
  // An indicator named like a column that passes through the encoder.
  const named = withConfig(SYNTHETIC, (c) => {
    c.features.derived.push({ name: "color_x", kind: "sum", columns: ["length", "weight"] });
  });
  const clash = withPipelineJson(named, (j) => {
    const colors = step(j, "colors");
    colors.columns = ["color", "color_x"];
    const s = colors.transformers[0]!.state as {
      input_columns: string[];
      kept: string[][];
      categories: string[][];
    };
    s.input_columns = ["color", "color_x"];
    s.kept = [["x"]];
    s.categories = [["x"]];
  });
  assert.match(unsupportedReason(clash), /indicator "color_x" clashes/);
  const names = {
    ...SYNTHETIC,
    pipeline: {
      toJSON: () => SYNTHETIC.pipeline.toJSON(),
      featureNamesOut: () => [...SYNTHETIC.pipeline.featureNamesOut()].reverse(),
    } as unknown as FeaturePipeline,
  };
  assert.match(unsupportedReason(names), /differ from the pipeline's feature names/);
});

Deno.test("the row engine carries the nulls a run tolerates through every transformer as scoreRows does", () => {
  // A pipeline whose steps start with a SimpleImputer for one column make every column of the
  // step tolerate nulls; the others reach the next transformers as null (or NaN).
  const train = SYNTHETIC_DATA.map((r) => ({
    depth: r["depth"] as number,
    breadth: (r["breadth"] as number | null) ?? 1,
    grade: r["grade"] as string,
    color: String(r["color"]).trim().toLowerCase(),
    city: String(r["city"] ?? "UNKNOWN").trim().toUpperCase(),
    tier: r["tier"] as string,
  }));
  const pipeline = FeaturePipeline.fromConfig({
    steps: [
      {
        name: "depths",
        columns: ["depth", "breadth"],
        transformers: [
          { kind: "SimpleImputer", params: { columns: ["breadth"] } },
          { kind: "Log1pTransformer", params: { columns: ["depth"] } },
          { kind: "QuantileBinner", params: { columns: ["depth"], n_bins: 3 } },
          { kind: "SimpleImputer", params: { columns: ["depth"], strategy: "median" } },
        ],
      },
      {
        name: "grades",
        columns: ["grade", "color"],
        transformers: [
          { kind: "SimpleImputer", params: { columns: ["color"], strategy: "most_frequent" } },
          { kind: "OneHotEncoder", params: { columns: ["grade"] } },
          { kind: "OneHotEncoder", params: { columns: ["color"] } },
        ],
      },
      {
        name: "tiers",
        columns: ["city", "tier"],
        transformers: [
          { kind: "SimpleImputer", params: { columns: ["city"], strategy: "most_frequent" } },
          { kind: "OrdinalEncoder", params: { columns: ["tier"] } },
          { kind: "OneHotEncoder", params: { columns: ["city"] } },
        ],
      },
    ],
  }, { target: "label" }).fit(pl.readRecords(train));
  const model = {
    task: "regression",
    family: "fake",
    classes: [],
    predict: (x: Matrix) => {
      const out = new Float32Array(x.rows);
      for (let i = 0; i < x.rows; i++) {
        let sum = 0;
        for (let j = 0; j < x.cols; j++) sum += x.data[i * x.cols + j]! * (j + 1);
        out[i] = sum;
      }
      return out;
    },
  } as unknown as RunArtifacts["model"];
  // Cleaning fills listing "when" and "weight" make them tolerated too (with no fill to apply).
  const cleaningState = structuredClone(SYNTHETIC.cleaningState);
  cleaningState.fills["when"] = { strategy: "mode", value: "x" };
  cleaningState.fills["weight"] = { strategy: "mode", value: 1 };
  const run: RunArtifacts = {
    ...SYNTHETIC,
    pipeline,
    selector: null,
    names: pipeline.featureNamesOut(),
    model,
    cleaningState,
  };
  const scorer = compiled(run);
  const base = { ...BASE, shape: "circle", size: "S" }; // no longer tolerated by this pipeline
  const scores = assertSameScores(run, scorer, [
    base,
    { ...base, depth: null, breadth: null },
    { ...base, depth: NaN },
    { ...base, when: null, weight: null },
    { ...base, depth: 0, color: null, city: null },
  ]);
  // NaN is refused before any transformer sees it, whatever the column's type.
  assert.deepEqual(scores.problems, [
    { row: 3, column: "depth", problem: "not a finite number: NaN" },
  ]);
  assert.equal(scores.predictions!.prediction.length, 4);
  // Columns that reach an encoder as null: the encoder refuses them, so scoreRows throws.
  for (const row of [{ ...base, grade: null }, { ...base, tier: null }]) {
    assertFallback(scorer, [row], /refuses nulls/);
    assert.throws(() => scoreRows(run, rowsToFrame(run, [row])), { name: "DataValidationError" });
  }
});

// ---------------------------------------------------------------- input errors

Deno.test("RowScorer refuses missing columns, missing kept columns and non-scalar values as scoreRows does", async () => {
  const row = (await penguinRows())[0]!;
  const { Island: _, ...noIsland } = row;
  const expected = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return error as Error;
    }
    assert.fail("expected an error");
  };
  const mine = expected(() => PENGUINS_SCORER.score([noIsland]));
  const theirs = expected(() => scoreRows(PENGUINS, rowsToFrame(PENGUINS, [noIsland])));
  assert.equal(mine.name, "SchemaMismatchError");
  assert.equal(mine.message, theirs.message);
  const keepMine = expected(() => PENGUINS_SCORER.score([row], ["id"]));
  const keepTheirs = expected(() => scoreRows(PENGUINS, rowsToFrame(PENGUINS, [row]), ["id"]));
  assert.equal(keepMine.message, keepTheirs.message);
  assert.throws(() => PENGUINS_SCORER.score([{ ...row, Island: { name: "Dream" } }]), {
    name: "TypeError",
    message: /field "Island" of row 1 is an object, expected text, a number, a boolean or null/,
  });
  assert.throws(() => rowsToFrame(PENGUINS, [{ ...row, Sex: ["MALE"] }]), {
    name: "TypeError",
    message: /field "Sex" of row 1 is an array/,
  });
  const ragged = new Map<string, unknown[]>(
    PENGUINS.signature.columns.map((c) => [c.name, [row[c.name]]]),
  );
  ragged.set("Sex", ["MALE", "FEMALE"]);
  assert.throws(() => PENGUINS_SCORER.scoreColumns(ragged), {
    name: "RangeError",
    message: /column "Sex" has 2 values, expected 1/,
  });
  // No row at all: nothing to score, nothing wrong.
  const empty = PENGUINS_SCORER.scoreColumns(
    new Map(PENGUINS.signature.columns.map((c) => [c.name, [] as unknown[]])),
  );
  assert.equal(empty.fallback, false);
  if (!empty.fallback) assert.deepEqual([empty.predictions, empty.problems], [null, []]);
});

Deno.test("rowsToFrame() types columns as the service does: numbers stay numbers unless mixed with text", () => {
  const frame = rowsToFrame(PENGUINS, [
    { "Body Mass (g)": 3000, "Beak Depth (mm)": 18, Island: 1, Sex: true, id: 7 },
    { "Body Mass (g)": null, "Beak Depth (mm)": "18.5", Island: "Dream", id: null },
  ]);
  const types = Object.fromEntries(frame.columns.map((c) => [c, frame.getColumn(c).dtype.variant]));
  assert.deepEqual(types, {
    "Body Mass (g)": "Float64",
    "Beak Depth (mm)": "String",
    Island: "String",
    Sex: "String",
    id: "Float64",
  });
  assert.deepEqual(frame.getColumn("Beak Depth (mm)").toArray(), ["18", "18.5"]);
  assert.deepEqual(frame.getColumn("Sex").toArray(), ["true", null]);
  assert.deepEqual(
    [...rowsToColumns([{ a: 1 }, { b: "x" }])],
    [["a", [1, undefined]], ["b", [undefined, "x"]]],
  );
  assert.equal(columnsToFrame(PENGUINS, new Map()).width, 0);
});
