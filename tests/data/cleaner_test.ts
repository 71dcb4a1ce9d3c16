import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { CleaningConfigSchema } from "../../src/config/schema.ts";
import {
  applyCleaning,
  cleanFrame,
  fitCleaning,
  formatCleaningReport,
} from "../../src/data/cleaner.ts";
import type { CleaningState } from "../../src/data/cleaner.ts";

const NONE = { drop_duplicates: false, trim_strings: false } as const;

function config(raw: Record<string, unknown>) {
  return CleaningConfigSchema.parse(raw);
}

function ints(name: string, values: Array<number | null>) {
  return pl.Series(name, values, pl.Int64);
}

const MEASUREMENTS = [
  "Beak Length (mm)",
  "Beak Depth (mm)",
  "Flipper Length (mm)",
  "Body Mass (g)",
];

Deno.test("cleanFrame() trims every string column and reports the values it changed per column", () => {
  const df = pl.DataFrame({ a: [" x", "y ", null, "z"], b: ["p", "q", "r", "s"], n: [1, 2, 3, 4] });
  const { frame, report } = cleanFrame(df, config({ drop_duplicates: false }));
  assertFrameEqual(
    frame,
    pl.DataFrame({ a: ["x", "y", null, "z"], b: ["p", "q", "r", "s"], n: [1, 2, 3, 4] }),
  );
  assert.deepEqual(report, {
    rowsIn: 4,
    rowsOut: 4,
    steps: [
      { step: "trim_strings", column: "a", action: "strip whitespace", rows: 2 },
      { step: "trim_strings", column: "b", action: "strip whitespace", rows: 0 },
    ],
  });
});

Deno.test("cleanFrame() normalises case per column after trimming", () => {
  const df = pl.DataFrame({ a: [" Male", "male", "FEMALE", null], b: ["x", "Y", "z", "w"] });
  const { frame, report } = cleanFrame(
    df,
    config({ drop_duplicates: false, normalize_case: { a: "lower", b: "upper" } }),
  );
  assertFrameEqual(
    frame,
    pl.DataFrame({ a: ["male", "male", "female", null], b: ["X", "Y", "Z", "W"] }),
  );
  assert.deepEqual(report.steps.slice(2), [
    { step: "normalize_case", column: "a", action: "lower", rows: 2 },
    { step: "normalize_case", column: "b", action: "upper", rows: 3 },
  ]);
});

Deno.test("cleanFrame() turns na_values into nulls, matching numbers in string columns by text", () => {
  const df = pl.DataFrame({
    s: ["a", ".", "-999", null, " . "],
    f: [1.5, -999, NaN, null, 2],
  });
  const { frame, report } = cleanFrame(
    df,
    config({ drop_duplicates: false, na_values: { s: [".", -999], f: [-999] } }),
  );
  assertFrameEqual(
    frame,
    pl.DataFrame({ s: ["a", null, null, null, null], f: [1.5, null, NaN, null, 2] }),
  );
  assert.deepEqual(report.steps.slice(1), [
    { step: "na_values", column: "s", action: 'null if in [".","-999"]', rows: 3 },
    { step: "na_values", column: "f", action: "null if in [-999]", rows: 1 },
  ]);
});

Deno.test("cleanFrame() drops exact duplicates and duplicates on a subset, keeping the first", () => {
  const df = pl.DataFrame({ k: ["a", "a", "b", "a"], v: [1, 1, 2, 3] });
  const exact = cleanFrame(df, config({ trim_strings: false }));
  assertFrameEqual(exact.frame, pl.DataFrame({ k: ["a", "b", "a"], v: [1, 2, 3] }));
  assert.deepEqual(exact.report.steps, [
    { step: "drop_duplicates", column: null, action: "drop exact duplicates, keep first", rows: 1 },
  ]);

  const subset = cleanFrame(
    df,
    config({ trim_strings: false, drop_duplicates: { subset: ["k"] } }),
  );
  assertFrameEqual(subset.frame, pl.DataFrame({ k: ["a", "b"], v: [1, 2] }));
  assert.deepEqual(subset.report, {
    rowsIn: 4,
    rowsOut: 2,
    steps: [{
      step: "drop_duplicates",
      column: null,
      action: 'drop duplicates on ["k"], keep first',
      rows: 2,
    }],
  });
});

Deno.test("cleanFrame() drops rows whose value is null or NaN, column by column in config order", () => {
  const df = pl.DataFrame({ f: [1, NaN, null, 4, 5], s: ["a", "b", "c", null, null] });
  const { frame, report } = cleanFrame(
    df,
    config({ ...NONE, nulls: { f: { strategy: "drop" }, s: { strategy: "drop" } } }),
  );
  assertFrameEqual(frame, pl.DataFrame({ f: [1], s: ["a"] }));
  assert.deepEqual(report, {
    rowsIn: 5,
    rowsOut: 1,
    steps: [
      { step: "nulls", column: "f", action: "drop", rows: 2 },
      { step: "nulls", column: "s", action: "drop", rows: 2 },
    ],
  });
});

Deno.test("cleanFrame() fills nulls and NaN with the mean, median, mode and a constant", () => {
  const df = pl.DataFrame({
    mean: [1, NaN, 2, null, 6],
    median: [10, 20, null, 40, NaN],
    mode: ["b", "a", null, "b", "a"],
    constant: [null, "x", "y", null, "z"],
  });
  const { frame, report, state } = cleanFrame(
    df,
    config({
      ...NONE,
      nulls: {
        mean: { strategy: "mean" },
        median: { strategy: "median" },
        mode: { strategy: "mode" },
        constant: { strategy: "constant", value: "unknown" },
      },
    }),
  );
  assertFrameEqual(
    frame,
    pl.DataFrame({
      mean: [1, 3, 2, 3, 6],
      median: [10, 20, 20, 40, 20],
      mode: ["b", "a", "a", "b", "a"],
      constant: ["unknown", "x", "y", "unknown", "z"],
    }),
  );
  // Ties in the mode go to the smallest value ("a" and "b" both appear twice).
  assert.deepEqual(state, {
    version: 1,
    fills: {
      mean: { strategy: "mean", value: 3 },
      median: { strategy: "median", value: 20 },
      mode: { strategy: "mode", value: "a" },
      constant: { strategy: "constant", value: "unknown" },
    },
    clip: {},
  });
  assert.deepEqual(report.steps, [
    { step: "nulls", column: "mean", action: "mean=3", rows: 2 },
    { step: "nulls", column: "median", action: "median=20", rows: 2 },
    { step: "nulls", column: "mode", action: 'mode="a"', rows: 1 },
    { step: "nulls", column: "constant", action: 'constant="unknown"', rows: 2 },
  ]);
});

Deno.test("cleanFrame() makes an integer column Float64 for a mean fill and keeps it integer for a mode fill", () => {
  const df = pl.DataFrame([ints("m", [1, null, 2]), ints("o", [7, 7, null])]);
  const { frame, state } = cleanFrame(
    df,
    config({ ...NONE, nulls: { m: { strategy: "mean" }, o: { strategy: "mode" } } }),
  );
  assertFrameEqual(frame, pl.DataFrame([pl.Series("m", [1, 1.5, 2]), ints("o", [7, 7, 7])]));
  assert.deepEqual(state.fills, {
    m: { strategy: "mean", value: 1.5 },
    o: { strategy: "mode", value: 7 },
  });
});

Deno.test("cleanFrame() fills a boolean column with its mode or a boolean constant", () => {
  const df = pl.DataFrame({ m: [true, null, true, false], c: [null, false, true, null] });
  const { frame, state, report } = cleanFrame(
    df,
    config({
      ...NONE,
      nulls: { m: { strategy: "mode" }, c: { strategy: "constant", value: false } },
    }),
  );
  assertFrameEqual(
    frame,
    pl.DataFrame({ m: [true, true, true, false], c: [false, false, true, false] }),
  );
  assert.deepEqual(state.fills.m, { strategy: "mode", value: true });
  assert.deepEqual(report.steps.map((s) => [s.action, s.rows]), [["mode=true", 1], [
    "constant=false",
    2,
  ]]);
});

Deno.test("cleanFrame() clips to learned quantiles and leaves nulls and NaN alone", () => {
  const values = [null, NaN, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100];
  const df = pl.DataFrame({ x: values });
  const { frame, report, state } = cleanFrame(
    df,
    config({ ...NONE, clip: { x: { lower: 0.1, upper: 0.9 } } }),
  );
  // Ten present values; "nearest" picks observed values: index round(0.1·9)=1 and round(0.9·9)=8.
  assert.deepEqual(state.clip, { x: { lower: 2, upper: 9 } });
  assertFrameEqual(frame, pl.DataFrame({ x: [null, NaN, 2, 2, 3, 4, 5, 6, 7, 8, 9, 9] }));
  assert.deepEqual(report.steps, [
    { step: "clip", column: "x", action: "lower=2 upper=9", rows: 2 },
  ]);
});

Deno.test("cleanFrame() clips only the upper side when the lower quantile is 0, keeping integer type", () => {
  const df = pl.DataFrame([ints("x", [-50, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])]);
  const { frame, state, report } = cleanFrame(df, config({ ...NONE, clip: { x: { upper: 0.8 } } }));
  // Eleven values; "nearest" picks index round(0.8·10) = 8 of the sorted values.
  assert.deepEqual(state.clip, { x: { lower: null, upper: 8 } });
  assertFrameEqual(frame, pl.DataFrame([ints("x", [-50, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8])]));
  assert.deepEqual(report.steps, [
    { step: "clip", column: "x", action: "lower=none upper=8", rows: 2 },
  ]);
});

Deno.test("applyCleaning() makes an integer column Float64 when bounds learned on floats are fractional", () => {
  const cfg = config({ ...NONE, clip: { x: { lower: 0.25, upper: 0.75 } } });
  const state = fitCleaning(pl.DataFrame({ x: [1.5, 2.5, 3.5, 4.5, 5.5] }), cfg);
  assert.deepEqual(state.clip, { x: { lower: 2.5, upper: 4.5 } });
  const { frame, report } = applyCleaning(pl.DataFrame([ints("x", [1, 3, 9])]), cfg, state);
  assertFrameEqual(frame, pl.DataFrame({ x: [2.5, 3, 4.5] }));
  assert.deepEqual(report.steps, [
    { step: "clip", column: "x", action: "lower=2.5 upper=4.5", rows: 2 },
  ]);
});

Deno.test("fitCleaning() learns fills after dropping duplicates and drop-strategy rows, and clip bounds after filling", () => {
  const df = pl.DataFrame({
    id: ["a", "a", "a", "b", "c", "d"],
    x: [10, 10, 10, 2, null, 1000],
    y: [1, 1, 1, 2, 3, null],
  });
  const state = fitCleaning(
    df,
    config({
      trim_strings: false,
      nulls: { x: { strategy: "mean" }, y: { strategy: "drop" } },
      clip: { x: { lower: 0.5, upper: 1 } },
    }),
  );
  // Duplicates of "a" and the row with null y are gone: x is [10, 2, null] → mean 6, then
  // after filling x is [10, 2, 6] and its 0.5 quantile (nearest) is 6.
  assert.deepEqual(state, {
    version: 1,
    fills: { x: { strategy: "mean", value: 6 } },
    clip: { x: { lower: 6, upper: null } },
  });
});

Deno.test("cleanFrame() uses statistics learned from the reference frame, not the cleaned one", () => {
  const train = pl.DataFrame({ x: [1, 2, 3, null], c: ["a", "a", "b", null] });
  const rows = pl.DataFrame({ x: [null, 100, -5], c: [null, "b", "b"] });
  const cfg = config({
    ...NONE,
    nulls: { x: { strategy: "median" }, c: { strategy: "mode" } },
    clip: { x: { lower: 0.25, upper: 0.75 } },
  });
  const { frame, state } = cleanFrame(rows, cfg, { reference: train });
  assert.deepEqual(state.fills, {
    x: { strategy: "median", value: 2 },
    c: { strategy: "mode", value: "a" },
  });
  assert.deepEqual(state.clip, { x: { lower: 2, upper: 2 } });
  assertFrameEqual(frame, pl.DataFrame({ x: [2, 2, 2], c: ["a", "b", "b"] }));
});

Deno.test("applyCleaning() gives identical results with a state that went through JSON", () => {
  const train = pl.DataFrame({ x: [1.25, 2.5, 7.75, null, NaN], k: [" a", "b", "b", null, "c"] });
  const rows = pl.DataFrame({ x: [null, 50, NaN, -3], k: [null, "b ", "c", "d"] });
  const cfg = config({
    nulls: { x: { strategy: "mean" }, k: { strategy: "mode" } },
    clip: { x: { lower: 0.2, upper: 0.8 } },
  });
  const state = fitCleaning(train, cfg);
  const restored = JSON.parse(JSON.stringify(state)) as CleaningState;
  assert.deepEqual(restored, state);
  const direct = applyCleaning(rows, cfg, state);
  const viaJson = applyCleaning(rows, cfg, restored);
  assertFrameEqual(viaJson.frame, direct.frame);
  assert.deepEqual(viaJson.report, direct.report);
  // Mean of [1.25, 2.5, 7.75] is 23/6; after filling, the 0.2 and 0.8 quantiles of
  // [1.25, 2.5, 23/6, 23/6, 7.75] (nearest: indexes 1 and 3) are 2.5 and 23/6.
  assert.deepEqual(state, {
    version: 1,
    fills: { x: { strategy: "mean", value: 23 / 6 }, k: { strategy: "mode", value: "b" } },
    clip: { x: { lower: 2.5, upper: 23 / 6 } },
  });
  assertFrameEqual(
    direct.frame,
    pl.DataFrame({ x: [23 / 6, 23 / 6, 23 / 6, 2.5], k: ["b", "b", "c", "d"] }),
  );
});

Deno.test("applyCleaning() with dropRows false keeps every row and counts the missing values it kept", () => {
  const df = pl.DataFrame({ s: ["a", "a", ".", null], x: [1, 1, NaN, 4] });
  const cfg = config({
    na_values: { s: ["."] },
    nulls: { s: { strategy: "drop" }, x: { strategy: "drop" } },
  });
  const state = fitCleaning(df, cfg);
  const { frame, report } = applyCleaning(df, cfg, state, { dropRows: false });
  assertFrameEqual(frame, pl.DataFrame({ s: ["a", "a", null, null], x: [1, 1, NaN, 4] }));
  assert.deepEqual(report, {
    rowsIn: 4,
    rowsOut: 4,
    steps: [
      { step: "trim_strings", column: "s", action: "strip whitespace", rows: 0 },
      { step: "na_values", column: "s", action: 'null if in ["."]', rows: 1 },
      { step: "drop_duplicates", column: null, action: "skipped (dropRows: false)", rows: 0 },
      { step: "nulls", column: "s", action: "drop skipped (dropRows: false)", rows: 2 },
      { step: "nulls", column: "x", action: "drop skipped (dropRows: false)", rows: 1 },
    ],
  });
  const dropped = applyCleaning(df, cfg, state);
  assertFrameEqual(dropped.frame, pl.DataFrame({ s: ["a"], x: [1] }));
});

Deno.test("cleanFrame() never changes its input frame", () => {
  const df = pl.DataFrame({ s: [" a", "a", null], x: [1, NaN, 1000] });
  const copy = df.clone();
  cleanFrame(
    df,
    config({
      normalize_case: { s: "upper" },
      nulls: { s: { strategy: "mode" }, x: { strategy: "median" } },
      clip: { x: { lower: 0.1, upper: 0.5 } },
    }),
  );
  assertFrameEqual(df, copy);
});

Deno.test("cleanFrame() on penguins.csv with the default config keeps 333 rows and reports every count", () => {
  const df = pl.readCSV("data/raw/penguins.csv");
  const cfg = config({
    na_values: { Sex: ["."] },
    nulls: Object.fromEntries(["Sex", ...MEASUREMENTS].map((c) => [c, { strategy: "drop" }])),
  });
  const { frame, report } = cleanFrame(df, cfg);
  assert.equal(frame.height, 333);
  assert.deepEqual(report, {
    rowsIn: 344,
    rowsOut: 333,
    steps: [
      { step: "trim_strings", column: "Species", action: "strip whitespace", rows: 0 },
      { step: "trim_strings", column: "Island", action: "strip whitespace", rows: 0 },
      { step: "trim_strings", column: "Sex", action: "strip whitespace", rows: 0 },
      { step: "na_values", column: "Sex", action: 'null if in ["."]', rows: 1 },
      {
        step: "drop_duplicates",
        column: null,
        action: "drop exact duplicates, keep first",
        rows: 0,
      },
      // The 10 null Sex rows and the "." row; the two rows with no measurements are among them.
      { step: "nulls", column: "Sex", action: "drop", rows: 11 },
      ...MEASUREMENTS.map((column) => ({ step: "nulls", column, action: "drop", rows: 0 })),
    ],
  });
  assert.equal(frame.getColumn("Sex").nullCount(), 0);
  assert.deepEqual(frame.getColumn("Sex").unique().sort().toArray(), ["FEMALE", "MALE"]);
});

Deno.test("formatCleaningReport() prints an aligned table and the row counts", () => {
  const text = formatCleaningReport({
    rowsIn: 344,
    rowsOut: 333,
    steps: [
      { step: "na_values", column: "Sex", action: 'null if in ["."]', rows: 1 },
      {
        step: "drop_duplicates",
        column: null,
        action: "drop exact duplicates, keep first",
        rows: 0,
      },
      { step: "nulls", column: "Beak Length (mm)", action: "median=44.45", rows: 11 },
    ],
  });
  assert.equal(
    text,
    [
      "step             column            action                             rows",
      'na_values        Sex               null if in ["."]                      1',
      "drop_duplicates  -                 drop exact duplicates, keep first     0",
      "nulls            Beak Length (mm)  median=44.45                         11",
      "rows in 344, rows out 333",
    ].join("\n"),
  );
});

Deno.test("cleanFrame() throws SchemaMismatchError naming a missing configured column and the closest match", () => {
  const df = pl.DataFrame({ Sex: ["MALE"], x: [1] });
  assert.throws(() => cleanFrame(df, config({ nulls: { Sexx: { strategy: "drop" } } })), {
    name: "SchemaMismatchError",
    message:
      /missing column "Sexx" named in "cleaning.nulls": did you mean "Sex" \(found \["Sex","x"\]\)/,
  });
  assert.throws(() => cleanFrame(df, config({ drop_duplicates: { subset: ["y"] } })), {
    name: "SchemaMismatchError",
    message: /missing column "y" named in "cleaning.drop_duplicates.subset"/,
  });
});

Deno.test("fitCleaning() throws SchemaMismatchError for a mean or median of a string column, naming the valid strategies", () => {
  const df = pl.DataFrame({ s: ["a", null] });
  assert.throws(() => fitCleaning(df, config({ nulls: { s: { strategy: "mean" } } })), {
    name: "SchemaMismatchError",
    message:
      /Cannot fill nulls of column "s" with the mean: the column is String, expected a numeric column; use strategy "drop", "mode" or "constant" for it in "cleaning.nulls"/,
  });
  assert.throws(() => fitCleaning(df, config({ nulls: { s: { strategy: "median" } } })), {
    name: "SchemaMismatchError",
    message: /Cannot fill nulls of column "s" with the median: the column is String/,
  });
});

Deno.test("cleanFrame() throws SchemaMismatchError for a constant of the wrong type", () => {
  const floats = pl.DataFrame({ x: [1.5, null] });
  assert.throws(
    () => cleanFrame(floats, config({ nulls: { x: { strategy: "constant", value: "none" } } })),
    {
      name: "SchemaMismatchError",
      message:
        /Cannot fill nulls of column "x" with "none": the column is Float64, expected a number; change "cleaning.nulls.x" \(constant\)/,
    },
  );
  assert.throws(
    () => fitCleaning(floats, config({ nulls: { x: { strategy: "constant", value: true } } })),
    { name: "SchemaMismatchError", message: /with true: the column is Float64, expected a number/ },
  );
  const integers = pl.DataFrame([ints("n", [1, null])]);
  assert.throws(
    () => cleanFrame(integers, config({ nulls: { n: { strategy: "constant", value: 0.5 } } })),
    { name: "SchemaMismatchError", message: /the column is Int64, expected an integer/ },
  );
});

Deno.test("cleanFrame() throws SchemaMismatchError when clipping a string column or normalising a number column", () => {
  const df = pl.DataFrame({ s: ["a", "b"], x: [1, 2] });
  assert.throws(() => cleanFrame(df, config({ clip: { s: { lower: 0.1 } } })), {
    name: "SchemaMismatchError",
    message:
      /Cannot clip column "s": the column is String, expected a numeric column; remove it from "cleaning.clip"/,
  });
  assert.throws(() => cleanFrame(df, config({ normalize_case: { x: "lower" } })), {
    name: "SchemaMismatchError",
    message:
      /Cannot normalise the case of column "x": the column is Float64, expected a string column/,
  });
  assert.throws(() => cleanFrame(df, config({ na_values: { x: ["."] } })), {
    name: "SchemaMismatchError",
    message: /value "\." is a string but the column is Float64; list numbers/,
  });
});

Deno.test("fitCleaning() throws ConfigError when a clip's lower quantile is above its upper one", () => {
  const df = pl.DataFrame({ x: [1, 2, 3] });
  assert.throws(() => fitCleaning(df, config({ clip: { x: { lower: 0.9, upper: 0.1 } } })), {
    name: "ConfigError",
    message: /"cleaning.clip.x": lower quantile 0.9 is above upper quantile 0.1/,
  });
});

Deno.test("fitCleaning() throws DataValidationError when a column has nothing to learn from", () => {
  const df = pl.DataFrame({ x: [null, NaN, null], s: ["a", "b", "c"] });
  assert.throws(() => fitCleaning(df, config({ nulls: { x: { strategy: "mean" } } })), {
    name: "DataValidationError",
    message: /Cannot learn the mean of column "x": all 3 values are null or NaN/,
  });
});

Deno.test("applyCleaning() rejects a state that does not match the config or is not a cleaning state", () => {
  const df = pl.DataFrame({ x: [1, null] });
  const meanConfig = config({ nulls: { x: { strategy: "mean" } } });
  const state = fitCleaning(df, config({ nulls: { x: { strategy: "median" } } }));
  assert.throws(() => applyCleaning(df, meanConfig, state), {
    name: "NotFittedError",
    message:
      /the state holds a "median" fill of 1 but the config asks for "mean"; call fitCleaning\(\)/,
  });
  assert.throws(
    () => applyCleaning(df, config({ clip: { x: { upper: 0.5 } } }), { ...state, clip: {} }),
    { name: "NotFittedError", message: /no clip bounds for it/ },
  );
  const bad = { version: 2, fills: {}, clip: {} } as unknown as CleaningState;
  assert.throws(() => applyCleaning(df, meanConfig, bad), {
    name: "ArtifactError",
    message: /not a cleaning state of version 1/,
  });
});

Deno.test("applyCleaning() with trackRows lists the input position of every kept row, and cleans alike", () => {
  const df = pl.DataFrame({
    k: [" a", "a", "b", "a", "c", "d"],
    v: [1, 1, null, 3, 4, 1],
    __row_position: [9, 9, 9, 9, 9, 9],
  });
  const cleaning = config({
    drop_duplicates: { subset: ["k", "v"] },
    nulls: { v: { strategy: "drop" } },
  });
  const state = fitCleaning(df, cleaning);
  const plain = applyCleaning(df, cleaning, state);
  const tracked = applyCleaning(df, cleaning, state, { trackRows: true });
  // Row 1 repeats row 0 once trimmed, row 2 has no v: rows 0, 3, 4 and 5 are left. A column
  // already named like the internal position column is kept as it was.
  assertFrameEqual(tracked.frame, plain.frame);
  assert.deepEqual(tracked.report, plain.report);
  assert.deepEqual([...tracked.rowPositions!], [0, 3, 4, 5]);
  assert.equal(plain.rowPositions, undefined);

  const exact = applyCleaning(df, config({}), fitCleaning(df, config({})), { trackRows: true });
  // Exact duplicates are judged on the frame's own columns, never on the positions.
  assert.deepEqual([...exact.rowPositions!], [0, 2, 3, 4, 5]);
  assert.equal(exact.frame.height, 5);
});
