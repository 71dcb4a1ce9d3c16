import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  chiSquareSf,
  chiSquareTest,
  driftReport,
  formatDriftSummary,
  jensenShannonDistance,
  ksTwoSample,
  proportionZTest,
  quantileWassersteinDistance,
  wassersteinDistance,
} from "../../src/data/mod.ts";
import type { ColumnDrift, DriftReport } from "../../src/data/mod.ts";
import { profileFrame } from "../../src/data/profile.ts";
import { DataValidationError } from "../../src/errors.ts";
import { Random } from "../../src/utils/mod.ts";
import { assertClose } from "../_helpers/assert_frame.ts";

// Reference p-values marked "scipy" were computed with scipy 1.17.1 (stats.ks_2samp,
// stats.chi2.sf) on the same arrays; the others are worked out in the comments.

function normals(seed: number, n: number, mean = 0): number[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => mean + rng.normal());
}

function pick<T>(seed: number, n: number, choices: readonly T[]): T[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => choices[rng.int(choices.length)]!);
}

function range(n: number, offset = 0): number[] {
  return Array.from({ length: n }, (_, i) => i + offset);
}

function columnOf(report: DriftReport, name: string): ColumnDrift {
  const column = report.columns.find((c) => c.column === name);
  assert.ok(column, `no result for "${name}"`);
  return column;
}

// --- Kolmogorov–Smirnov ------------------------------------------------------------------------

Deno.test("ksTwoSample() gives D = 0.5 and the exact p-value 27/35 for [1,2,3,4] against [3,4,5,6]", () => {
  // Of the C(8,4) = 70 lattice paths, the 2^4 = 16 that stay within |x − y| ≤ 1 have D < 0.5,
  // so P(D ≥ 0.5) = 54/70.
  const result = ksTwoSample([1, 2, 3, 4], [3, 4, 5, 6]);
  assert.equal(result.statistic, 0.5);
  assert.equal(result.method, "exact");
  assertClose(result.pValue, 27 / 35, 1e-14);
});

Deno.test("ksTwoSample() gives 2 / C(8, 3) for two fully separated samples of 5 and 3", () => {
  // D = 1 only on the two paths that take all steps of one sample first.
  const result = ksTwoSample([1, 2, 3, 4, 5], [8, 7, 6]);
  assert.equal(result.statistic, 1);
  assertClose(result.pValue, 2 / 56, 1e-15);
});

Deno.test("ksTwoSample() matches scipy's exact p-values for unequal samples with ties", () => {
  const a = range(300).map((i) => (i * 37) % 101);
  const b = range(500).map((j) => ((j * 53) % 103) + 8);
  const small = ksTwoSample(a, b);
  assert.equal(small.method, "exact");
  assertClose(small.statistic, 0.094, 1e-15);
  assertClose(small.pValue, 0.0687025885263942, 1e-12); // scipy

  const c = range(1000).map((i) => (i * 37) % 1009);
  const d = range(3000).map((j) => ((j * 53) % 1013) + 40);
  const large = ksTwoSample(c, d);
  assertClose(large.statistic, 0.048, 1e-15);
  assertClose(large.pValue, 0.06208780911670183, 1e-12); // scipy

  const equal = ksTwoSample(range(2000), range(2000, 100));
  assertClose(equal.pValue, 0.013464654930116565, 1e-14); // scipy
});

Deno.test("ksTwoSample() matches scipy's asymptotic p-values in every region of the Kolmogorov distribution", () => {
  // n = round(n1·n2 / (n1 + n2)): 1000 for two samples of 2000, 100 for two of 200.
  const cases: [number, number, number][] = [
    [2000, 100, 0.013012074781090222], // n·D² = 2.5: twice the one-sided Smirnov tail
    [2000, 80, 0.07933956059000191], // n·D² = 1.6: Pelz–Good
    [2000, 20, 0.9999496745370611], // n·D^1.5 = 1: Durbin matrix
    [200, 20, 0.2526927570063971], // n ≤ 140, n·D² = 1: Durbin (scipy: Pomeranz)
    [200, 50, 0.000005408871776434816], // n ≤ 140, n·D² = 6.25: Smirnov tail
    [200, 1, 1], // n·D ≤ 0.5
  ];
  for (const [n, shift, expected] of cases) {
    const result = ksTwoSample(range(n), range(n, shift), { method: "asymptotic" });
    assert.equal(result.method, "asymptotic");
    assertClose(result.pValue, expected, expected * 1e-11 + 1e-300, `n=${n} shift=${shift}`);
  }
});

Deno.test("ksTwoSample() switches to the asymptotic p-value above 10,000 values, as scipy does", () => {
  const result = ksTwoSample(range(20000), range(500).map((i) => i * 40 + 500));
  assert.equal(result.method, "asymptotic");
  assertClose(result.statistic, 0.025, 1e-12);
  assertClose(result.pValue, 0.9128758352360372, 1e-11); // scipy
});

Deno.test("ksTwoSample() rejects an empty sample and values that are not finite", () => {
  assert.throws(() => ksTwoSample([], [1]), {
    name: "RangeError",
    message: /first sample is empty/,
  });
  assert.throws(() => ksTwoSample([1, 2], [3, NaN]), {
    name: "RangeError",
    message: /second sample holds NaN at index 1/,
  });
});

// --- chi-squared and z ---------------------------------------------------------------------------

Deno.test("chiSquareSf() gives the textbook 5% critical values and closed forms", () => {
  assertClose(chiSquareSf(3.84, 1), 0.05004352124870519, 1e-14); // scipy
  assertClose(chiSquareSf(5.991, 2), 0.05001161502657909, 1e-14); // scipy
  assertClose(chiSquareSf(7.8, 3), 0.050331097859853326, 1e-14); // scipy
  // 2 degrees of freedom: P = exp(−x/2); 1 degree: P(|Z| ≥ 1.96) = 0.05.
  assertClose(chiSquareSf(10, 2), Math.exp(-5), 1e-15);
  assertClose(chiSquareSf(1.959963984540054 ** 2, 1), 0.05, 1e-14);
  assert.equal(chiSquareSf(0, 4), 1);
  assert.equal(chiSquareSf(Infinity, 4), 0);
  assert.throws(() => chiSquareSf(1, 0), { name: "RangeError", message: /degrees of freedom/ });
});

Deno.test("chiSquareTest() scales the reference counts to the current total over the union of categories", () => {
  // Expected = reference · 50/100 = 25, 15, 10; χ² = 25/25 + 0 + 25/10 = 3.5 on 2 dof.
  const result = chiSquareTest({ a: 50, b: 30, c: 20 }, { a: 20, b: 15, c: 15 });
  assertClose(result.statistic, 3.5, 1e-12);
  assert.equal(result.dof, 2);
  assertClose(result.pValue, Math.exp(-1.75), 1e-14);
});

Deno.test("chiSquareTest() gives an infinite statistic and p = 0 for a category the reference lacks", () => {
  const result = chiSquareTest({ a: 5, b: 5 }, { a: 5, b: 4, c: 1 });
  assert.equal(result.statistic, Infinity);
  assert.equal(result.pValue, 0);
  assert.equal(result.dof, 2);
  assert.throws(() => chiSquareTest({ a: -1 }, { a: 1 }), {
    name: "RangeError",
    message: /reference count of "a" is -1/,
  });
});

Deno.test("proportionZTest() compares the shares outside the first category with the pooled error", () => {
  // p_ref = 0.4, p_cur = 0.6, pooled 0.5: z = −0.2 / √(0.25 · 0.02) = −2√2.
  const result = proportionZTest({ no: 60, yes: 40 }, { no: 40, yes: 60 });
  assertClose(result.statistic, -2 * Math.SQRT2, 1e-12);
  assertClose(result.pValue, 0.004677734981047276, 1e-14); // scipy: chi2.sf(8, 1)
  assert.deepEqual(proportionZTest({ yes: 3 }, { yes: 9 }), { statistic: 0, pValue: 1 });
});

// --- distances -----------------------------------------------------------------------------------

Deno.test("wassersteinDistance() integrates the gap between the two empirical CDFs", () => {
  assert.equal(wassersteinDistance([0, 1, 3], [5, 6, 8]), 5);
  // U = 0.4 on [1, 2) against V = 0, then U = 1 against V = 1/3 on [2, 3): 0.4 + 2/3.
  assertClose(wassersteinDistance([2, 1, 2, 1, 2], [3, 2, 3]), 0.4 + 2 / 3, 1e-15);
  assert.equal(wassersteinDistance([4, 4], [4]), 0);
  assert.throws(() => wassersteinDistance([1], [Infinity]), { name: "RangeError" });
});

Deno.test("quantileWassersteinDistance() integrates a piecewise-linear quantile function exactly", () => {
  // Uniform(0, 1) against the point 0.5: ∫|t − 0.5| dt = 1/4.
  assertClose(quantileWassersteinDistance([0, 1], [0.5]), 0.25, 1e-15);
  // Uniform(0, 1) against {0, 1}: ∫₀^½ t dt + ∫½¹ (1 − t) dt = 1/4.
  assertClose(quantileWassersteinDistance([0, 0.5, 1], [1, 0]), 0.25, 1e-15);
  // Uniform(0, 2) against the point 10: ∫|2t − 10| dt = 9.
  assertClose(quantileWassersteinDistance([0, 1, 2], [10]), 9, 1e-12);
  assert.throws(() => quantileWassersteinDistance([2, 1], [0]), {
    name: "RangeError",
    message: /non-decreasing/,
  });
});

Deno.test("jensenShannonDistance() uses base 2 by default and matches the natural-log value", () => {
  // m = (0.75, 0.25); KL(p‖m) = ½ln(2/3) + ½ln 2, KL(q‖m) = ln(4/3).
  const divergence = (0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(0.5 / 0.25) +
    Math.log(1 / 0.75)) / 2;
  const natural = jensenShannonDistance([0.5, 0.5], [1, 0], { base: Math.E });
  assertClose(natural, Math.sqrt(divergence), 1e-15);
  assertClose(natural, 0.464501404022459, 1e-12); // scipy default base
  assertClose(jensenShannonDistance([0.5, 0.5], [1, 0]), Math.sqrt(divergence / Math.LN2), 1e-15);
  assertClose(jensenShannonDistance([10, 0], [0, 5]), 1, 1e-15);
  assert.equal(jensenShannonDistance([1, 2, 3], [2, 4, 6]), 0);
  assert.throws(() => jensenShannonDistance([1], [1, 0]), {
    name: "RangeError",
    message: /equal non-zero lengths/,
  });
});

// --- driftReport ---------------------------------------------------------------------------------

const TRAIN_NORMAL = normals(42, 5000);
const LARGE_PROFILE = profileFrame(
  pl.DataFrame({
    x: TRAIN_NORMAL,
    code: range(5000).map((i) => i % 3),
    island: range(5000).map((i) => (i % 5 < 3 ? "A" : "B")),
  }),
  ["x", "code", "island"],
  { seed: 7 },
);

Deno.test("driftReport() flags a half-std shift of a 5000-row normal column by Wasserstein distance", () => {
  const current = pl.DataFrame({
    x: normals(43, 5000, 0.5),
    code: range(5000).map((i) => i % 3),
    island: range(5000).map((i) => (i % 5 < 3 ? "A" : "B")),
  });
  const report = driftReport(LARGE_PROFILE, current);
  const x = columnOf(report, "x");
  assert.equal(x.test, "wasserstein");
  assert.equal(x.exact, false);
  assert.equal(x.threshold, 0.1);
  assert.equal(x.drifted, true);
  assert.equal(x.p_value, null);
  // W1 between N(0, 1) and N(0.5, 1) is 0.5; the percentile approximation stays close to the
  // exact distance to the full training column.
  const xProfile = LARGE_PROFILE.columns[0]!;
  assert.ok(xProfile.kind === "numeric");
  const exact = wassersteinDistance(TRAIN_NORMAL, current.getColumn("x").toArray() as number[]) /
    xProfile.std;
  assertClose(x.statistic!, exact, 0.02);
  assertClose(x.statistic!, 0.5, 0.08);
  assert.equal(report.dataset.n_drifted, 1);
  assert.equal(report.dataset.n_columns, 3);
  assert.equal(report.dataset.drifted, false);
});

Deno.test("driftReport() does not flag a fresh sample from the training distribution", () => {
  const current = pl.DataFrame({
    x: normals(44, 5000),
    code: range(5000).map((i) => (i + 1) % 3),
    island: range(5000).map((i) => (i % 5 < 3 ? "A" : "B")),
  });
  const report = driftReport(LARGE_PROFILE, current);
  const x = columnOf(report, "x");
  assert.ok(x.statistic! < 0.06, `normalised distance ${x.statistic}`);
  assert.equal(x.drifted, false);
  // A numeric column with ≤ 5 distinct values is compared as categories: Jensen–Shannon,
  // from the profile's sample since the column holds more than 1000 values.
  const code = columnOf(report, "code");
  assert.equal(code.test, "jensenshannon");
  assert.equal(code.exact, false);
  assert.equal(code.drifted, false);
  assert.equal(columnOf(report, "island").statistic, 0);
  assert.deepEqual(report.dataset, {
    drifted: false,
    share_drifted: 0,
    n_drifted: 0,
    n_columns: 3,
    n_skipped: 0,
    dataset_share: 0.5,
  });
});

Deno.test("driftReport() reports unseen categories, null rates and the Jensen–Shannon distance", () => {
  const current = pl.DataFrame({
    island: [
      ...Array(50).fill("A"),
      ...Array(30).fill("B"),
      ...Array(20).fill("C"),
      ...Array(25).fill(null),
    ],
  });
  const report = driftReport(LARGE_PROFILE, current, { columns: ["island"] });
  const island = columnOf(report, "island");
  // Reference shares (0.6, 0.4, 0) against current (0.5, 0.3, 0.2), base-2 logarithm.
  const p = [0.6, 0.4, 0];
  const q = [0.5, 0.3, 0.2];
  let divergence = 0;
  for (let i = 0; i < 3; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) divergence += p[i]! * Math.log2(p[i]! / m);
    divergence += q[i]! * Math.log2(q[i]! / m);
  }
  assert.equal(island.test, "jensenshannon");
  assertClose(island.statistic!, Math.sqrt(divergence / 2), 1e-14);
  assertClose(island.statistic!, 0.32932284475220647, 1e-12); // scipy
  assert.equal(island.drifted, true);
  assert.equal(island.exact, true);
  assert.equal(island.unseen_share, 0.2);
  assert.equal(island.reference_null_rate, 0);
  assert.equal(island.current_null_rate, 0.2);
  assert.equal(island.null_rate_change, 0.2);
  assert.equal(island.current_values, 100);
  assert.equal(island.current_rows, 125);
  assert.equal(island.reference_values, 5000);
  assert.equal(report.dataset.drifted, true);
});

Deno.test("driftReport() uses KS, chi-squared and z-tests exactly for a 200-row reference", () => {
  const train = pl.DataFrame({
    mass: normals(1, 200),
    island: pick(2, 200, ["Biscoe", "Dream", "Torgersen"]),
    sex: pick(3, 200, ["female", "male"]),
    clutch: pick(4, 200, [1, 2, 3, 4]),
  });
  const profile = profileFrame(train, ["mass", "island", "sex", "clutch"], { seed: 1 });
  const current = pl.DataFrame({
    mass: normals(5, 150, 0.1),
    island: pick(6, 150, ["Biscoe", "Dream", "Torgersen"]),
    sex: pick(7, 150, ["female", "male"]),
    clutch: pick(8, 150, [1, 2, 3, 4]),
  });
  const report = driftReport(profile, current);
  assert.deepEqual(report.columns.map((c) => c.test), ["ks", "chisquare", "z", "chisquare"]);
  for (const column of report.columns) {
    assert.equal(column.threshold, 0.05);
    assert.equal(column.exact, true);
    assert.equal(column.score, column.p_value);
  }
  const mass = columnOf(report, "mass");
  const ks = ksTwoSample(
    train.getColumn("mass").toArray() as number[],
    current.getColumn("mass").toArray() as number[],
  );
  assert.equal(mass.statistic, ks.statistic);
  assert.equal(mass.p_value, ks.pValue);
  assert.equal(mass.drifted, ks.pValue <= 0.05);
  const island = columnOf(report, "island");
  const counts = (values: string[]): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const v of values) out[v] = (out[v] ?? 0) + 1;
    return out;
  };
  const chi = chiSquareTest(
    counts(train.getColumn("island").toArray() as string[]),
    counts(current.getColumn("island").toArray() as string[]),
  );
  assertClose(island.statistic!, chi.statistic, 1e-12);
  assertClose(island.p_value!, chi.pValue, 1e-12);
  const sex = columnOf(report, "sex");
  const z = proportionZTest(
    counts(train.getColumn("sex").toArray() as string[]),
    counts(current.getColumn("sex").toArray() as string[]),
  );
  assertClose(sex.p_value!, z.pValue, 1e-12);
});

Deno.test("driftReport() counts the batch as drifted when exactly half of the features drift", () => {
  const profile = profileFrame(
    pl.DataFrame({ a: normals(10, 300), b: normals(11, 300) }),
    ["a", "b"],
  );
  const current = pl.DataFrame({ a: normals(12, 300, 2), b: normals(13, 300) });
  const report = driftReport(profile, current);
  assert.equal(columnOf(report, "a").drifted, true);
  assert.equal(columnOf(report, "b").drifted, false);
  assert.equal(report.dataset.share_drifted, 0.5);
  assert.equal(report.dataset.drifted, true);
  assert.equal(driftReport(profile, current, { dataset_share: 0.6 }).dataset.drifted, false);
});

Deno.test("driftReport() reports values outside the training range and skips a column with no values", () => {
  const profile = profileFrame(
    pl.DataFrame({ a: [1, 2, 3, 4, 5, 6, 7, 8], b: [1, 2, 3, 4, 5, 6, 7, 8] }),
    ["a", "b"],
  );
  const current = pl.DataFrame({
    a: [0, 2, 4, 9, NaN, null],
    b: pl.Series("b", [null, null, null, null, null, null], pl.Float64),
  });
  const report = driftReport(profile, current);
  const a = columnOf(report, "a");
  assert.equal(a.out_of_range_share, 0.5);
  assert.equal(a.current_values, 4);
  assertClose(a.current_null_rate, 2 / 6, 1e-15);
  const b = columnOf(report, "b");
  assert.equal(b.test, "none");
  assert.equal(b.statistic, null);
  assert.equal(b.drifted, false);
  assert.equal(b.current_null_rate, 1);
  assert.equal(report.dataset.n_columns, 1);
  assert.equal(report.dataset.n_skipped, 1);
});

Deno.test("driftReport() names every missing column and rejects an empty batch", () => {
  const profile = profileFrame(
    pl.DataFrame({ mass: [1, 2, 3], island: ["A", "B", "A"] }),
    ["mass", "island"],
  );
  assert.throws(() => driftReport(profile, pl.DataFrame({ mas: [1], other: ["x"] })), {
    name: "SchemaMismatchError",
    message: /missing columns "mass" \(did you mean "mas"\), "island" \(expected/,
  });
  assert.throws(
    () =>
      driftReport(
        profile,
        pl.DataFrame({
          mass: pl.Series("mass", [], pl.Float64),
          island: pl.Series("island", [], pl.Utf8),
        }),
      ),
    (error: unknown) => {
      assert.ok(error instanceof DataValidationError);
      assert.match(error.message, /batch has no rows/);
      assert.deepEqual(error.issues.map((issue) => issue.rule), ["min_rows"]);
      return true;
    },
  );
});

Deno.test("driftReport() rejects text in a numeric column, unknown columns and bad thresholds", () => {
  const profile = profileFrame(pl.DataFrame({ mass: [1, 2, 3] }), ["mass"]);
  assert.throws(() => driftReport(profile, pl.DataFrame({ mass: ["1", "2"] })), {
    name: "SchemaMismatchError",
    message: /"mass": expected a numeric column as in training, found dtype "String"/,
  });
  assert.throws(() => driftReport(profile, pl.DataFrame({ mass: [1] }), { columns: ["mas"] }), {
    name: "SchemaMismatchError",
    message: /no such column: did you mean "mass"/,
  });
  assert.throws(() => driftReport(profile, pl.DataFrame({ mass: [1] }), { confidence: 95 }), {
    name: "RangeError",
    message: /"confidence" is 95/,
  });
  assert.throws(
    () => driftReport(profile, pl.DataFrame({ mass: [1] }), { small_reference_rows: -1 }),
    { name: "RangeError", message: /"small_reference_rows" is -1/ },
  );
});

Deno.test("driftReport() honours a configured confidence and small-reference size", () => {
  const profile = profileFrame(pl.DataFrame({ a: normals(20, 400) }), ["a"]);
  const current = pl.DataFrame({ a: normals(21, 400, 0.15) });
  const tests = driftReport(profile, current, { confidence: 0.99 });
  assert.equal(columnOf(tests, "a").threshold, 0.01);
  // A 300-row limit makes the 400-row reference "large": the exact Wasserstein distance to
  // its whole sample, with the configured threshold.
  const distances = driftReport(profile, current, {
    small_reference_rows: 300,
    distance_threshold: 0.05,
  });
  const a = columnOf(distances, "a");
  assert.equal(a.test, "wasserstein");
  assert.equal(a.exact, true);
  assert.equal(a.threshold, 0.05);
  const aProfile = profile.columns[0]!;
  assert.ok(aProfile.kind === "numeric");
  assertClose(
    a.statistic!,
    wassersteinDistance(aProfile.sample, current.getColumn("a").toArray() as number[]) /
      aProfile.std,
    1e-12,
  );
});

Deno.test("driftReport() compares a large column of tied values with itself as no drift", () => {
  // Interpolated percentiles of tied values can fall one ulp below their neighbour. Percentile
  // bands that straddle a jump between tied values smear it, so the distance of the column to
  // itself is not 0 but stays within (max − min)/100 / std ≈ 0.034 (here about 0.012).
  const values = range(5003).map((i) => (i % 10) + (i % 7) * 0.1);
  const profile = profileFrame(pl.DataFrame({ x: values }), ["x"]);
  const x = columnOf(driftReport(profile, pl.DataFrame({ x: values })), "x");
  assert.equal(x.test, "wasserstein");
  assert.ok(x.statistic! < 0.02, `normalised distance ${x.statistic}`);
  assert.equal(x.drifted, false);
});

// --- formatDriftSummary --------------------------------------------------------------------------

Deno.test("formatDriftSummary() prints an aligned table and the verdict line", () => {
  const base = {
    threshold: 0.05,
    exact: true,
    reference_values: 200,
    current_values: 100,
    current_rows: 100,
    reference_null_rate: 0,
    current_null_rate: 0,
    null_rate_change: 0,
  };
  const report: DriftReport = {
    version: 1,
    reference_rows: 200,
    current_rows: 100,
    settings: {
      small_reference_rows: 1000,
      confidence: 0.95,
      distance_threshold: 0.1,
      dataset_share: 0.5,
    },
    columns: [
      {
        ...base,
        column: "Body Mass (g)",
        kind: "numeric",
        test: "ks",
        statistic: 0.1,
        p_value: 0.3125,
        score: 0.3125,
        drifted: false,
        reference_null_rate: 0.01,
        current_null_rate: 0.02,
        null_rate_change: 0.01,
        unseen_share: null,
        out_of_range_share: 0,
      },
      {
        ...base,
        column: "Island",
        kind: "categorical",
        test: "chisquare",
        statistic: Infinity,
        p_value: 0,
        score: 0,
        drifted: true,
        unseen_share: 0.12,
        out_of_range_share: null,
      },
    ],
    dataset: {
      drifted: true,
      share_drifted: 0.5,
      n_drifted: 1,
      n_columns: 2,
      n_skipped: 0,
      dataset_share: 0.5,
    },
  };
  assert.equal(
    formatDriftSummary(report),
    [
      "column         test       score    rule      drift  nulls ref → cur  unseen",
      "Body Mass (g)  ks         0.3125   p ≤ 0.05  no     1.0% → 2.0%      0.0% out of range",
      "Island         chisquare  <0.0001  p < 0.05  YES    0.0% → 0.0%      12.0%",
      "drift: 1 of 2 features drifted (50%) — dataset DRIFTED (threshold 50%)",
    ].join("\n"),
  );
  const quiet = {
    ...report,
    dataset: {
      ...report.dataset,
      n_drifted: 1,
      n_columns: 6,
      share_drifted: 1 / 6,
      drifted: false,
    },
  };
  assert.match(
    formatDriftSummary(quiet),
    /drift: 1 of 6 features drifted \(17%\) — dataset not drifted \(threshold 50%\)$/,
  );
});
