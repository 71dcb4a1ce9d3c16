import assert from "node:assert/strict";
import { pl } from "../_helpers/assert_frame.ts";
import { addDerivedFeatures, compileDerivedRow } from "../../src/features/mod.ts";
import { DateValue, RowUnsupported } from "../../src/data/mod.ts";
import type { RowValue } from "../../src/data/mod.ts";
import type { DerivedFeature } from "../../src/config/schema.ts";

const FEATURES: DerivedFeature[] = [
  { name: "r", kind: "ratio", columns: ["a", "b"] },
  { name: "p", kind: "product", columns: ["a", "n"] },
  { name: "d", kind: "difference", columns: ["n", "b"] },
  { name: "s", kind: "sum", columns: ["a", "r"] },
  { name: "k", kind: "bucket", column: "a", boundaries: [-1, 0, 2.5] },
  { name: "y", kind: "date_part", column: "day", part: "year" },
  { name: "w", kind: "date_part", column: "day", part: "weekday" },
  { name: "m", kind: "date_part", column: "day", part: "month" },
];

const A = [6, 1, null, 0, -4, NaN, 2.5, -0, Infinity, 1e308];
const B = [3, 0, 2, null, -0, 1, NaN, 7, 2, 1e-308];
const N = [1, 2, 3, null, 5, 6, -7, 0, 9, 10];
const DAYS = [
  "2024-01-01",
  "2024-03-10",
  null,
  "2023-07-15",
  "2000-02-29",
  "1969-12-31",
  "2024-12-30",
  "1900-03-01",
  "2100-01-01",
  "2024-06-15",
];

function dateValue(text: string | null): DateValue | null {
  if (text === null) return null;
  const [y, m, d] = text.split("-").map(Number);
  return new DateValue(y!, m!, d!, 0, 0);
}

Deno.test("compileDerivedRow() answers what addDerivedFeatures() answers, bit for bit, for every kind", () => {
  const frame = pl.DataFrame([
    pl.Series("a", A, pl.Float64),
    pl.Series("b", B, pl.Float64),
    pl.Series("n", N, pl.Int64),
    pl.Series("day", DAYS, pl.Utf8).str.strptime(pl.Date, "%Y-%m-%d"),
  ]);
  const expected = addDerivedFeatures(frame, FEATURES);
  const derived = compileDerivedRow(FEATURES, [
    { name: "a", dtype: "f64" },
    { name: "b", dtype: "f64" },
    { name: "n", dtype: "i64" },
    { name: "day", dtype: "dt" },
  ]);
  assert.deepEqual(derived.columns.map((c) => c.name), expected.columns);
  const bits = (x: number) => new BigUint64Array(new Float64Array([x]).buffer)[0]!;
  for (let i = 0; i < A.length; i++) {
    const row: RowValue[] = [A[i]!, B[i]!, N[i]!, dateValue(DAYS[i]!)];
    derived.derive(row);
    FEATURES.forEach((feature, k) => {
      const want = expected.getColumn(feature.name).get(i) as number | null;
      const got = row[4 + k] as number | null;
      const where = `row ${i}, feature "${feature.name}": ${got} vs ${want}`;
      assert.equal(got === null, want === null, `${where}: null position`);
      if (got === null || want === null) return;
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got), where);
      else assert.equal(bits(got), bits(Number(want)), where);
    });
  }
});

Deno.test("compileDerivedRow() refuses to compile what the frame path refuses", () => {
  const columns = [{ name: "a", dtype: "f64" as const }, { name: "t", dtype: "str" as const }];
  const cases: [DerivedFeature, RegExp][] = [
    [{ name: "a", kind: "sum", columns: ["a", "a"] }, /repeats a column name/],
    [{ name: "x", kind: "sum", columns: ["a", "t"] }, /cannot read "t"/],
    [{ name: "x", kind: "bucket", column: "a", boundaries: [2, 1] }, /bucket boundaries/],
    [{ name: "x", kind: "date_part", column: "a", part: "year" }, /cannot read "a"/],
  ];
  for (const [feature, reason] of cases) {
    try {
      compileDerivedRow([feature], columns);
      assert.fail(`${feature.name} compiled`);
    } catch (error) {
      assert.ok(error instanceof RowUnsupported);
      assert.match(error.reason, reason);
    }
  }
});
