import assert from "node:assert/strict";
import { pl } from "../_helpers/assert_frame.ts";
import { CleaningConfigSchema } from "../../src/config/schema.ts";
import {
  applyCleaning,
  compileCleaningRow,
  fitCleaning,
  RowRefused,
  RowUnsupported,
} from "../../src/data/mod.ts";
import type { RowColumn, RowValue } from "../../src/data/mod.ts";

const TRAIN = pl.DataFrame([
  pl.Series("s", [" Dream ", "biscoe", null, "NA", "Torgersen", "dream"], pl.Utf8),
  pl.Series("x", [1.5, null, 3, -999, 10, 4.25], pl.Float64),
  pl.Series("n", [1, 2, null, 4, 5, 2], pl.Int64),
  pl.Series("c", [0.5, 1, 2, 3, 100, NaN], pl.Float64),
]);

const TEST: RowValue[][] = [
  [" dream ", 2, 3, 50],
  ["NA", -999, null, -1],
  [null, null, 7, NaN],
  ["\u00a0Biscoe\t", NaN, 1, 1e9],
  ["", 0, 0, null],
];

const COLUMNS: RowColumn[] = [
  { name: "s", dtype: "str" },
  { name: "x", dtype: "f64" },
  { name: "n", dtype: "i64" },
  { name: "c", dtype: "f64" },
];

function testFrame(): ReturnType<typeof pl.DataFrame> {
  return pl.DataFrame([
    pl.Series("s", TEST.map((r) => r[0] as string | null), pl.Utf8),
    pl.Series("x", TEST.map((r) => r[1] as number | null), pl.Float64),
    pl.Series("n", TEST.map((r) => r[2] as number | null), pl.Int64),
    pl.Series("c", TEST.map((r) => r[3] as number | null), pl.Float64),
  ]);
}

Deno.test("compileCleaningRow() cleans each row exactly as applyCleaning() cleans the frame", () => {
  const config = CleaningConfigSchema.parse({
    trim_strings: true,
    normalize_case: { s: "lower" },
    na_values: { s: ["NA", "na"], x: [-999] },
    nulls: {
      s: { strategy: "constant", value: "unknown" },
      x: { strategy: "median" },
      n: { strategy: "mean" },
    },
    clip: { c: { lower: 0.1, upper: 0.9 } },
  });
  const state = fitCleaning(TRAIN, config);
  const expected = applyCleaning(testFrame(), config, state, { dropRows: false }).frame;
  const cleaning = compileCleaningRow(config, state, COLUMNS);
  assert.deepEqual(
    cleaning.columns.map((c) => c.dtype),
    expected.columns.map((name) =>
      expected.getColumn(name).dtype.variant === "String" ? "str" : "f64"
    ),
    "a mean fill makes the integer column Float64",
  );
  TEST.forEach((values, i) => {
    const row = [...values];
    cleaning.clean(row);
    expected.columns.forEach((name, k) => {
      const want = expected.getColumn(name).get(i) as RowValue;
      const got = row[k]!;
      const where = `row ${i}, "${name}": ${String(got)} vs ${String(want)}`;
      if (typeof want === "number" && Number.isNaN(want)) assert.ok(Number.isNaN(got), where);
      else assert.ok(Object.is(got, want), where);
    });
  });
});

Deno.test("compileCleaningRow() refuses rules it cannot reproduce and text whose case may change", () => {
  const state = { version: 1 as const, fills: {}, clip: {} };
  const refuse = (raw: Record<string, unknown>, reason: RegExp) => {
    try {
      compileCleaningRow(CleaningConfigSchema.parse(raw), state, COLUMNS);
      assert.fail("compiled");
    } catch (error) {
      assert.ok(error instanceof RowUnsupported, String(error));
      assert.match(error.reason, reason);
    }
  };
  refuse({ normalize_case: { x: "lower" } }, /normalize_case of non-text "x"/);
  refuse({ nulls: { x: { strategy: "median" } } }, /no matching fill for "x"/);
  refuse({ clip: { c: {} } }, /no clip of "c"/);
  const cleaning = compileCleaningRow(
    CleaningConfigSchema.parse({ normalize_case: { s: "upper" } }),
    state,
    COLUMNS,
  );
  assert.throws(() => cleaning.clean(["\u1e9e", 1, 1, 1]), (error) => error instanceof RowRefused);
});
