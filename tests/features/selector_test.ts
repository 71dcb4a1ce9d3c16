import assert from "node:assert/strict";
import { assertClose, assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import {
  anovaF,
  fDistributionSurvival,
  FEATURE_SELECTOR_VERSION,
  FeatureSelector,
  fRegression,
  mutualInfoClassif,
  regularizedIncompleteBeta,
} from "../../src/features/mod.ts";
import type { SelectorSpec } from "../../src/config/schema.ts";
import { Random } from "../../src/utils/mod.ts";

/** Asserts |actual − expected| <= tolerance · |expected|. */
function assertRelative(actual: number, expected: number, tolerance: number, message = ""): void {
  assertClose(actual, expected, tolerance * Math.abs(expected), message);
}

function floats(name: string, values: number[]) {
  return pl.Series(name, values, pl.Float64);
}

// ---------------------------------------------------------------- F distribution

Deno.test("regularizedIncompleteBeta() matches closed forms and scipy.special.betainc", () => {
  // I_x(2, 3) = Σ_{j=2..4} C(4, j) x^j (1 − x)^(4 − j); at x = 1/2: (6 + 4 + 1) / 16.
  assertClose(regularizedIncompleteBeta(0.5, { a: 2, b: 3 }), 11 / 16, 1e-14);
  // I_x(1, 1) = x and I_x(a, 1) = x^a.
  assertClose(regularizedIncompleteBeta(0.37, { a: 1, b: 1 }), 0.37, 1e-15);
  assertClose(regularizedIncompleteBeta(0.8, { a: 3, b: 1 }), 0.8 ** 3, 1e-15);
  // I_x(1/2, 1/2) = (2 / π) asin(√x), the arcsine distribution.
  assertClose(
    regularizedIncompleteBeta(0.3, { a: 0.5, b: 0.5 }),
    (2 / Math.PI) * Math.asin(Math.sqrt(0.3)),
    1e-14,
  );
  // scipy.special.betainc(50, 40, 0.6) and betainc(2500, 25000, 0.09).
  assertRelative(regularizedIncompleteBeta(0.6, { a: 50, b: 40 }), 0.8011534179744884, 1e-12);
  assertRelative(regularizedIncompleteBeta(0.09, { a: 2500, b: 25000 }), 0.3014421102494988, 1e-12);
  assert.equal(regularizedIncompleteBeta(0, { a: 2, b: 3 }), 0);
  assert.equal(regularizedIncompleteBeta(1, { a: 2, b: 3 }), 1);
});

Deno.test("fDistributionSurvival() gives the p-values of F tables", () => {
  // Table critical values: F(1, 10) = 4.96 and F(2, 20) = 3.49 at 5 %, F(1, 10) = 10.04 at 1 %.
  assertClose(fDistributionSurvival(4.96, { numerator: 1, denominator: 10 }), 0.05, 1e-4);
  assertClose(fDistributionSurvival(3.49, { numerator: 2, denominator: 20 }), 0.05, 2e-4);
  assertClose(fDistributionSurvival(10.04, { numerator: 1, denominator: 10 }), 0.01, 2e-5);
  // The same points to full precision (scipy.special.fdtrc), and the exact 5 % point of F(1, 10).
  assertRelative(
    fDistributionSurvival(4.96, { numerator: 1, denominator: 10 }),
    0.05008765056646815,
    1e-12,
  );
  assertRelative(
    fDistributionSurvival(3.49, { numerator: 2, denominator: 20 }),
    0.05010493502466261,
    1e-12,
  );
  assertRelative(
    fDistributionSurvival(4.9646027437307, { numerator: 1, denominator: 10 }),
    0.05,
    1e-12,
  );
  // A far tail and large degrees of freedom keep their relative precision.
  assertRelative(
    fDistributionSurvival(250, { numerator: 2, denominator: 40 }),
    2.473572420909867e-23,
    1e-11,
  );
  assertRelative(
    fDistributionSurvival(2, { numerator: 60, denominator: 50000 }),
    7.013088392415553e-6,
    1e-10,
  );
  // F(1, 2) has the closed form P(F > f) = 1 − √(f / (2 + f)).
  assertClose(
    fDistributionSurvival(7, { numerator: 1, denominator: 2 }),
    1 - Math.sqrt(7 / 9),
    1e-14,
  );
});

Deno.test("fDistributionSurvival() handles the edges and rejects bad degrees of freedom", () => {
  const degrees = { numerator: 3, denominator: 7 };
  assert.equal(fDistributionSurvival(0, degrees), 1);
  assert.equal(fDistributionSurvival(-1, degrees), 1);
  assert.equal(fDistributionSurvival(Infinity, degrees), 0);
  assert.equal(fDistributionSurvival(Number.MAX_VALUE, degrees), 0);
  assert.ok(Number.isNaN(fDistributionSurvival(NaN, degrees)));
  assert.throws(() => fDistributionSurvival(1, { numerator: 0, denominator: 7 }), {
    name: "RangeError",
    message: /degrees of freedom are \(0, 7\)/,
  });
  assert.throws(() => regularizedIncompleteBeta(1.5, { a: 1, b: 1 }), {
    name: "RangeError",
    message: /x is 1.5, expected \[0, 1\]/,
  });
});

// ---------------------------------------------------------------- scores

Deno.test("anovaF() computes the one-way ANOVA F of a hand-worked two-class example", () => {
  // Classes {1, 2, 3} and {5, 6, 7}: means 2 and 6, grand mean 4.
  // SSB = 3 · (2 − 4)² + 3 · (6 − 4)² = 24 on K − 1 = 1 degree of freedom.
  // SSW = (1 + 0 + 1) + (1 + 0 + 1) = 4 on n − K = 4 degrees of freedom.
  // F = (24 / 1) / (4 / 4) = 24; p = P(F(1, 4) > 24) = 0.008049893100837717 (scipy).
  const result = anovaF([1, 2, 3, 5, 6, 7], [0, 0, 0, 1, 1, 1]);
  assertClose(result.f, 24, 1e-12);
  assertRelative(result.pValue, 0.008049893100837717, 1e-12);
});

Deno.test("anovaF() matches sklearn f_classif on three classes and on the penguins", () => {
  const three = anovaF([2, 4, 3, 6, 8, 7, 7, 1, 0.5], [0, 0, 0, 1, 1, 1, 1, 2, 2]);
  assertRelative(three.f, 43.222222222222214, 1e-12);
  assertRelative(three.pValue, 0.00027340805199562, 1e-10);

  const { x, y } = penguins();
  const expected: Record<string, [number, number]> = {
    "Beak Length (mm)": [410.60025504055005, 2.6946137388562287e-91],
    "Beak Depth (mm)": [359.78914882311557, 1.5076575342391192e-84],
    "Flipper Length (mm)": [594.8016274384785, 1.3517103385846149e-111],
    "Body Mass (g)": [343.6262752054818, 2.8923681333766255e-82],
  };
  for (const [column, [f, p]] of Object.entries(expected)) {
    const result = anovaF(x.getColumn(column).toArray() as number[], y);
    assertRelative(result.f, f, 1e-10, column);
    assertRelative(result.pValue, p, 1e-8, column);
  }
});

Deno.test("anovaF() gives Infinity for a feature constant within classes and NaN for a constant feature", () => {
  assert.deepEqual(anovaF([1, 1, 2, 2], [0, 0, 1, 1]), { f: Infinity, pValue: 0 });
  const constant = anovaF([0.1, 0.1, 0.1, 0.1], [0, 0, 1, 1]);
  assert.ok(Number.isNaN(constant.f) && Number.isNaN(constant.pValue));
});

Deno.test("anovaF() rejects one class, too few rows, unequal lengths and non-finite values", () => {
  assert.throws(() => anovaF([1, 2, 3], [0, 0, 0]), {
    name: "RangeError",
    message: /3 rows in 1 classes/,
  });
  assert.throws(() => anovaF([1, 2], [0, 1]), {
    name: "RangeError",
    message: /more rows than classes/,
  });
  assert.throws(() => anovaF([1, 2, 3], [0, 1]), {
    name: "TypeError",
    message: /x has 3 values but y has 2/,
  });
  assert.throws(() => anovaF([1, NaN, 3], [0, 1, 1]), {
    name: "RangeError",
    message: /value 1 is x = NaN/,
  });
});

Deno.test("fRegression() computes F from Pearson r on a hand-worked example", () => {
  // x = 1..4, y = [1, 3, 2, 4]: centred both are ±1.5, ±0.5; Sxy = 2.25 − 0.25 − 0.25 + 2.25 = 4,
  // Sxx = Syy = 5, so r = 0.8 and F = r² / (1 − r²) · (n − 2) = 0.64 / 0.36 · 2 = 32 / 9.
  // P(F(1, 2) > f) = 1 − √(f / (2 + f)) = 1 − √(0.64) = 0.2.
  const result = fRegression([1, 2, 3, 4], [1, 3, 2, 4]);
  assertClose(result.f, 32 / 9, 1e-12);
  assertClose(result.pValue, 0.2, 1e-12);
});

Deno.test("fRegression() gives Number.MAX_VALUE and p = 0 for y = 2x + 3, as sklearn's force_finite does", () => {
  // sklearn 1.9 f_regression(x, 2x + 3) returns F = finfo(float64).max and p = 0: r² is exactly
  // 1, so F is infinite and force_finite replaces it with the largest double.
  const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.deepEqual(fRegression(x, x.map((v) => 2 * v + 3)), { f: Number.MAX_VALUE, pValue: 0 });
  // Anti-correlation is as strong.
  assert.deepEqual(fRegression(x, x.map((v) => 5 - v)), { f: Number.MAX_VALUE, pValue: 0 });
});

Deno.test("fRegression() gives F = 0 and p = 1 for a constant feature or target, and matches sklearn on the penguins", () => {
  assert.deepEqual(fRegression([1, 1, 1, 1, 1], [0, 1, 2, 3, 4]), { f: 0, pValue: 1 });
  assert.deepEqual(fRegression([0, 1, 2, 3, 4], [7, 7, 7, 7, 7]), { f: 0, pValue: 1 });
  assert.throws(() => fRegression([1, 2], [3, 4]), { name: "RangeError", message: /at least 3/ });

  const { x } = penguins();
  const mass = x.getColumn("Body Mass (g)").toArray() as number[];
  const expected: Record<string, [number, number]> = {
    "Beak Length (mm)": [186.44267612825567, 3.808282842020388e-34],
    "Beak Depth (mm)": [97.41400268925905, 2.2769412725396042e-20],
    "Flipper Length (mm)": [1070.7445922137297, 4.370680962996755e-107],
  };
  for (const [column, [f, p]] of Object.entries(expected)) {
    const result = fRegression(x.getColumn(column).toArray() as number[], mass);
    assertRelative(result.f, f, 1e-10, column);
    assertRelative(result.pValue, p, 1e-8, column);
  }
});

const MI_X = [
  0.12573,
  -0.132105,
  0.640423,
  0.1049,
  -0.535669,
  0.361595,
  1.304,
  0.947081,
  -0.703735,
  -1.265421,
  -0.623274,
  0.041326,
  -2.325031,
  -0.218792,
  -1.245911,
  -0.732267,
  -0.544259,
  -0.3163,
  0.411631,
  1.042513,
  -0.128535,
  1.366463,
  -0.665195,
  0.35151,
  0.90347,
  0.094012,
  -0.743499,
  -0.921725,
  -0.457726,
  0.220195,
];
const MI_Y = [
  0,
  0,
  1,
  1,
  0,
  1,
  1,
  1,
  0,
  0,
  0,
  1,
  0,
  1,
  0,
  0,
  1,
  1,
  1,
  1,
  1,
  1,
  0,
  1,
  1,
  1,
  0,
  0,
  0,
  0,
];

Deno.test("mutualInfoClassif() matches sklearn mutual_info_classif on data without ties", () => {
  // sklearn 1.9.1: mutual_info_classif(MI_X[:, None], MI_Y, random_state=s) for s = 0, 1, 2.
  const expected = 0.31139738733064815;
  assertClose(mutualInfoClassif(MI_X, MI_Y), expected, 1e-10);
  assertClose(mutualInfoClassif(MI_X, MI_Y, { seed: 7 }), expected, 1e-10);
  assertClose(mutualInfoClassif(MI_X, MI_Y, { seed: null }), expected, 1e-10);
  // Two well separated classes of three: ψ(6) + ψ(2) − ψ(3) − ψ(3) = 0.78333…
  assertClose(
    mutualInfoClassif([0.1, 0.2, 0.3, 5.1, 5.2, 5.3], [0, 0, 0, 1, 1, 1]),
    0.7833333333333333,
    1e-12,
  );
});

Deno.test("mutualInfoClassif() scores an informative feature above noise on seeded data", () => {
  const rng = new Random(11);
  const n = 600;
  const y = Array.from({ length: n }, () => rng.int(3));
  const informative = y.map((c) => 2 * c + rng.normal());
  const noise = y.map(() => rng.normal());
  const strong = mutualInfoClassif(informative, y);
  const weak = mutualInfoClassif(noise, y);
  assert.ok(strong > 0.4, `informative MI ${strong}`);
  assert.ok(weak < 0.05, `noise MI ${weak}`);
  assert.ok(weak >= 0);
  // Deterministic: the same seed gives the same estimate.
  assert.equal(mutualInfoClassif(informative, y), strong);
});

Deno.test("mutualInfoClassif() ignores rows of classes that occur once and is 0 when every class is unique", () => {
  const withSingleton = mutualInfoClassif([...MI_X, 0.5], [...MI_Y, 9], { seed: null });
  assertClose(withSingleton, mutualInfoClassif(MI_X, MI_Y, { seed: null }), 1e-12);
  // The k-NN estimator (forced: whole numbers are taken as discrete by default) ignores them all.
  assert.equal(mutualInfoClassif([1, 2, 3], [0, 1, 2], { discrete: false }), 0);
  assert.throws(() => mutualInfoClassif([1, 2], [0, 1], { nNeighbors: 0 }), {
    name: "RangeError",
    message: /nNeighbors is 0/,
  });
});

Deno.test("mutualInfoClassif() gives a binary column and its complement the exact contingency-table value", () => {
  // Sex against three species: female/male counts per class 10/10, 5/5, 9/11 of 50 rows.
  const sex = [
    ...Array(20).fill(0).map((_, i) => i % 2),
    ...Array(10).fill(0).map((_, i) => i % 2),
  ];
  sex.push(...Array(9).fill(1), ...Array(11).fill(0));
  const species = [...Array(20).fill(0), ...Array(10).fill(1), ...Array(20).fill(2)];
  const complement = sex.map((v) => 1 - v);
  // Σ p(x,y) ln(p(x,y) / (p(x) p(y))) by hand: p(female) = 24/50.
  const cells: [number, number, number][] = [[10, 24, 20], [10, 26, 20], [5, 24, 10], [5, 26, 10], [
    9,
    24,
    20,
  ], [11, 26, 20]];
  const exact = cells.reduce(
    (sum, [n, nx, ny]) => sum + (n / 50) * Math.log((n * 50) / (nx * ny)),
    0,
  );
  assertClose(mutualInfoClassif(sex, species), exact, 1e-12);
  assertClose(mutualInfoClassif(complement, species), exact, 1e-12);
  assert.ok(exact < 0.01, `a nearly independent column scores near 0, got ${exact}`);
  // A column that decides the class fully scores the class entropy, ln 2 for two equal classes.
  assertClose(mutualInfoClassif([0, 0, 1, 1], [5, 5, 7, 7]), Math.log(2), 1e-12);
  // Fractional values, or more than MAX_DISCRETE_VALUES distinct ones, stay on the k-NN estimator.
  assertClose(
    mutualInfoClassif(MI_X, MI_Y),
    mutualInfoClassif(MI_X, MI_Y, { discrete: false }),
    0,
  );
});

Deno.test("mutualInfoClassif() breaks ties deterministically and stays close to sklearn on the penguins", () => {
  // Penguin measurements repeat (flipper lengths are whole millimetres), so the noise that
  // breaks ties matters; sklearn gives 0.5566 / 0.5597 (beak length) and 0.6237 / 0.6186
  // (flipper length) for random_state 0 / 1.
  const { x, y } = penguins();
  const beak = mutualInfoClassif(x.getColumn("Beak Length (mm)").toArray() as number[], y);
  const flipper = mutualInfoClassif(x.getColumn("Flipper Length (mm)").toArray() as number[], y);
  assertClose(beak, 0.558, 0.03);
  assertClose(flipper, 0.621, 0.03);
});

// ---------------------------------------------------------------- FeatureSelector

function penguins() {
  const raw = pl.readCSV("data/raw/penguins.csv", { ignoreErrors: false });
  const complete = raw.filter(pl.col("Beak Length (mm)").isNotNull());
  const species = ["Adelie", "Chinstrap", "Gentoo"];
  const y = (complete.getColumn("Species").toArray() as string[]).map((s) => species.indexOf(s));
  const x = complete.select(
    pl.col("Beak Length (mm)").cast(pl.Float64),
    pl.col("Beak Depth (mm)").cast(pl.Float64),
    pl.col("Flipper Length (mm)").cast(pl.Float64),
    pl.col("Body Mass (g)").cast(pl.Float64),
  );
  return { x, y };
}

function varianceFrame() {
  return pl.DataFrame([
    floats("a", [1, 2, 3, 4]),
    floats("const", [5, 5, 5, 5]),
    floats("tenth", [0.1, 0.1, 0.1, 0.1]),
    floats("d", [1, 1, 1, 2]),
  ]);
}

Deno.test("FeatureSelector with variance_threshold drops constant columns and reports their variance", () => {
  const x = varianceFrame();
  const selector = new FeatureSelector({
    selectors: [{ kind: "variance_threshold", threshold: 0 }],
  });
  assert.equal(selector.fit(x, [0, 1, 0, 1]), selector);
  assert.deepEqual(selector.keptColumns(), ["a", "d"]);
  assert.deepEqual(selector.report(), {
    steps: [{
      kind: "variance_threshold",
      score: "variance",
      kept: ["a", "d"],
      dropped: [
        { feature: "const", score: 0, reason: "variance 0 is not above the threshold 0" },
        { feature: "tenth", score: 0, reason: "variance 0 is not above the threshold 0" },
      ],
      scores: { a: 1.25, const: 0, tenth: 0, d: 0.1875 },
      notes: [],
    }],
  });
  assertFrameEqual(
    selector.transform(x),
    pl.DataFrame([floats("a", [1, 2, 3, 4]), floats("d", [1, 1, 1, 2])]),
  );
});

Deno.test("FeatureSelector with variance_threshold 0.5 keeps only columns with variance above 0.5", () => {
  const selector = new FeatureSelector({
    selectors: [{ kind: "variance_threshold", threshold: 0.5 }],
  });
  assert.deepEqual(selector.fit(varianceFrame(), [0, 1, 0, 1]).keptColumns(), ["a"]);
});

Deno.test("FeatureSelector with correlation drops the later column of a perfectly correlated pair", () => {
  const x = pl.DataFrame([
    floats("a", [1, 2, 3, 4, 5]),
    floats("other", [2, -1, 0, 3, 1]),
    floats("twice_a", [3, 5, 7, 9, 11]),
  ]);
  const selector = new FeatureSelector({ selectors: [{ kind: "correlation", threshold: 0.95 }] });
  selector.fit(x, [0, 0, 1, 1, 1]);
  assert.deepEqual(selector.keptColumns(), ["a", "other"]);
  const [step] = selector.report().steps;
  assert.deepEqual(step?.dropped, [{
    feature: "twice_a",
    score: 1,
    reason: `|r| = 1 with earlier kept column "a" is above the threshold 0.95`,
  }]);
  // Centred, a = [−2, −1, 0, 1, 2] and other = [1, −2, −1, 2, 0]:
  // Sxy = −2 + 2 + 0 + 2 + 0 = 2, Sxx = Syy = 10, so r = 2 / √(10 · 10) = 0.2.
  assertClose(step!.scores["other"]!, 0.2, 1e-12);
  assert.equal(step!.scores["a"], 0);
});

Deno.test("FeatureSelector with correlation compares only with kept columns, so a chain keeps both ends", () => {
  const rng = new Random(3);
  const a = Array.from({ length: 200 }, () => rng.normal());
  const c = a.map((v) => v + 0.9 * rng.normal());
  const b = a.map((v, i) => (v + c[i]!) / 2);
  const x = pl.DataFrame([floats("a", a), floats("b", b), floats("c", c)]);
  const r = (p: number[], q: number[]) => fRegressionR(p, q);
  // Preconditions: b is close to both a and c, which are less close to each other.
  const threshold = 0.85;
  assert.ok(r(a, b) > threshold && r(b, c) > threshold && r(a, c) < threshold);
  const selector = new FeatureSelector({ selectors: [{ kind: "correlation", threshold }] });
  assert.deepEqual(selector.fit(x, new Int32Array(200)).keptColumns(), ["a", "c"]);
});

/** |Pearson r| recovered from the regression F: r² = F / (F + n − 2). */
function fRegressionR(p: number[], q: number[]): number {
  const { f } = fRegression(p, q);
  return Math.sqrt(f / (f + p.length - 2));
}

Deno.test("FeatureSelector with top_k anova_f keeps the k best columns in input order with F and p-values", () => {
  const { x, y } = penguins();
  const selector = new FeatureSelector({ selectors: [{ kind: "top_k", k: 2, score: "anova_f" }] });
  selector.fit(x, y);
  assert.deepEqual(selector.keptColumns(), ["Beak Length (mm)", "Flipper Length (mm)"]);
  const [step] = selector.report().steps;
  assert.equal(step?.score, "anova_f");
  assertRelative(step!.scores["Flipper Length (mm)"]!, 594.8016274384785, 1e-10);
  assertRelative(step!.pValues!["Body Mass (g)"]!, 2.8923681333766255e-82, 1e-8);
  assert.deepEqual(step!.dropped.map((d) => d.feature), ["Beak Depth (mm)", "Body Mass (g)"]);
  assert.match(
    step!.dropped[1]!.reason,
    /^anova_f score 343\.626 ranks 4 of 4, outside the top 2$/,
  );
});

Deno.test("FeatureSelector with top_k keeps every column when k is larger and says so", () => {
  const { x, y } = penguins();
  const selector = new FeatureSelector({ selectors: [{ kind: "top_k", k: 10, score: "anova_f" }] });
  selector.fit(x, y);
  assert.deepEqual(selector.keptColumns(), x.columns);
  assert.deepEqual(selector.report().steps[0]?.notes, [
    "k = 10 is more than the 4 columns left; all are kept",
  ]);
});

Deno.test("FeatureSelector with top_k mutual_info keeps the informative column over noise", () => {
  const rng = new Random(5);
  const y = Array.from({ length: 300 }, () => rng.int(2));
  const x = pl.DataFrame([
    floats("noise", y.map(() => rng.normal())),
    floats("signal", y.map((c) => 3 * c + rng.normal())),
  ]);
  const selector = new FeatureSelector({
    selectors: [{ kind: "top_k", k: 1, score: "mutual_info" }],
  });
  selector.fit(x, y);
  assert.deepEqual(selector.keptColumns(), ["signal"]);
  const [step] = selector.report().steps;
  assert.equal(step?.pValues, undefined);
  assert.ok(step!.scores["signal"]! > step!.scores["noise"]!);
});

Deno.test("FeatureSelector with top_k f_regression keeps the columns most related to a numeric target", () => {
  const { x } = penguins();
  const mass = x.getColumn("Body Mass (g)").toArray() as number[];
  const selector = new FeatureSelector({
    selectors: [{ kind: "top_k", k: 1, score: "f_regression" }],
  });
  selector.fit(x.drop("Body Mass (g)"), Float64Array.from(mass));
  assert.deepEqual(selector.keptColumns(), ["Flipper Length (mm)"]);
});

Deno.test("FeatureSelector breaks top_k ties in favour of the earlier column and ranks NaN scores last", () => {
  const x = pl.DataFrame([
    floats("flat", [3, 3, 3, 3]), // F = NaN
    floats("first", [1, 2, 5, 6]),
    floats("second", [1, 2, 5, 6]),
  ]);
  const selector = new FeatureSelector({ selectors: [{ kind: "top_k", k: 1, score: "anova_f" }] });
  assert.deepEqual(selector.fit(x, [0, 0, 1, 1]).keptColumns(), ["first"]);
  const withNan = new FeatureSelector({ selectors: [{ kind: "top_k", k: 2, score: "anova_f" }] });
  assert.deepEqual(withNan.fit(x, [0, 0, 1, 1]).keptColumns(), ["first", "second"]);
});

Deno.test("FeatureSelector applies selectors in order, each seeing the previous survivors", () => {
  const x = pl.DataFrame([
    floats("a", [1, 2, 3, 4, 5, 6]),
    floats("const", [1, 1, 1, 1, 1, 1]),
    floats("a_copy", [2, 4, 6, 8, 10, 12]),
    floats("b", [6, 1, 5, 2, 4, 3]),
  ]);
  const selectors: SelectorSpec[] = [
    { kind: "variance_threshold", threshold: 0 },
    { kind: "correlation", threshold: 0.9 },
    { kind: "top_k", k: 1, score: "anova_f" },
  ];
  const selector = new FeatureSelector({ selectors });
  selector.fit(x, [0, 0, 0, 1, 1, 1]);
  const { steps } = selector.report();
  assert.deepEqual(steps.map((s) => s.kept), [["a", "a_copy", "b"], ["a", "b"], ["a"]]);
  assert.deepEqual(Object.keys(steps[1]!.scores), ["a", "a_copy", "b"]);
  assert.deepEqual(Object.keys(steps[2]!.scores), ["a", "b"]);
  // a: class means 2 and 5 around 3.5, SSB = 3 · 1.5² + 3 · 1.5² = 13.5 on 1 degree of
  // freedom, SSW = 2 + 2 = 4 on 4, so F = 13.5 / (4 / 4) = 13.5.
  assertClose(steps[2]!.scores["a"]!, 13.5, 1e-12);
  assert.deepEqual(selector.keptColumns(), ["a"]);
});

Deno.test("FeatureSelector with no selectors keeps every column", () => {
  const x = varianceFrame();
  const selector = new FeatureSelector().fit(x, [0, 1, 0, 1]);
  assert.deepEqual(selector.keptColumns(), x.columns);
  assert.deepEqual(selector.report(), { steps: [] });
});

Deno.test("FeatureSelector.fromJSON(toJSON()) keeps the same columns, transforms identically and restores the report", () => {
  const x = pl.DataFrame([
    floats("perfect", [1, 1, 2, 2, 3, 3]), // constant within classes: F = Infinity
    floats("noisy", [1, 2, 2, 1, 3, 1]),
    floats("const", [4, 4, 4, 4, 4, 4]),
  ]);
  const y = [0, 0, 1, 1, 2, 2];
  const selector = new FeatureSelector({
    selectors: [{ kind: "variance_threshold", threshold: 0 }, {
      kind: "top_k",
      k: 1,
      score: "anova_f",
    }],
    seed: 9,
  }).fit(x, y);
  const json = selector.toJSON();
  assert.equal(json.kind, "FeatureSelector");
  assert.equal(json.version, FEATURE_SELECTOR_VERSION);
  assert.deepEqual(json.params, {
    selectors: [{ kind: "variance_threshold", threshold: 0 }, {
      kind: "top_k",
      k: 1,
      score: "anova_f",
    }],
    seed: 9,
    n_neighbors: 3,
  });
  assert.equal(json.state.report.steps[1]?.scores["perfect"], "Infinity");

  const restored = FeatureSelector.fromJSON(JSON.parse(JSON.stringify(json)));
  assert.equal(restored.isFitted, true);
  assert.deepEqual(restored.keptColumns(), ["perfect"]);
  assert.deepEqual(restored.keptColumns(), selector.keptColumns());
  assert.deepEqual(restored.featureNamesOut(), ["perfect"]);
  assertFrameEqual(restored.transform(x), selector.transform(x));
  assert.deepEqual(restored.report(), selector.report());
  assert.equal(restored.report().steps[1]?.scores["perfect"], Infinity);
  assert.deepEqual(restored.toJSON(), json);
});

Deno.test("FeatureSelector.fromJSON() throws ArtifactError for a wrong kind, version or kept column", () => {
  const json = new FeatureSelector().fit(varianceFrame(), [0, 1, 0, 1]).toJSON();
  assert.throws(() => FeatureSelector.fromJSON({ ...json, kind: "StandardScaler" }), {
    name: "ArtifactError",
    message: /Cannot load "FeatureSelector" state: invalid value at "kind"/,
  });
  assert.throws(() => FeatureSelector.fromJSON({ ...json, version: 99 }), {
    name: "ArtifactError",
    message: /at "version"/,
  });
  assert.throws(
    () => FeatureSelector.fromJSON({ ...json, state: { ...json.state, kept: ["zzz"] } }),
    { name: "ArtifactError", message: /kept columns \["zzz"\] are not among the fitted columns/ },
  );
  assert.throws(() => FeatureSelector.fromJSON(null), {
    name: "ArtifactError",
    message: /the root/,
  });
});

Deno.test("FeatureSelector throws NotFittedError before fit", () => {
  const selector = new FeatureSelector({
    selectors: [{ kind: "variance_threshold", threshold: 0 }],
  });
  assert.equal(selector.isFitted, false);
  const notFitted = {
    name: "NotFittedError",
    message: /"FeatureSelector": it is not fitted, call fit\(\)/,
  };
  assert.throws(() => selector.transform(varianceFrame()), notFitted);
  assert.throws(() => selector.keptColumns(), notFitted);
  assert.throws(() => selector.featureNamesOut(), notFitted);
  assert.throws(() => selector.report(), notFitted);
  assert.throws(() => selector.toJSON(), notFitted);
});

Deno.test("FeatureSelector.transform() throws SchemaMismatchError with a suggestion for a missing kept column", () => {
  const selector = new FeatureSelector().fit(pl.DataFrame([floats("income", [1, 2])]), [0, 1]);
  assert.throws(() => selector.transform(pl.DataFrame([floats("incme", [1])])), {
    name: "SchemaMismatchError",
    message:
      /missing column "income": did you mean "incme" \(expected \["income"\], found \["incme"\]\)/,
  });
});

Deno.test("FeatureSelector leaves its input unchanged, and refitting replaces the learned columns", () => {
  const x = varianceFrame();
  const before = x.clone();
  const selector = new FeatureSelector({
    selectors: [{ kind: "variance_threshold", threshold: 0 }],
  });
  selector.fitTransform(x, [0, 1, 0, 1]);
  assertFrameEqual(x, before);
  const other = pl.DataFrame([floats("p", [1, 1, 1]), floats("q", [1, 2, 3])]);
  assert.deepEqual(selector.fit(x, [0, 1, 0, 1]).fit(other, [0, 1, 0]).keptColumns(), ["q"]);
  assert.deepEqual(
    selector.toJSON(),
    new FeatureSelector({ selectors: [{ kind: "variance_threshold", threshold: 0 }] })
      .fit(other, [0, 1, 0]).toJSON(),
  );
});

Deno.test("FeatureSelector.fit() rejects text, null, NaN and infinite features with SchemaMismatchError", () => {
  const selector = new FeatureSelector();
  assert.throws(() => selector.fit(pl.DataFrame({ island: ["Biscoe", "Dream"] }), [0, 1]), {
    name: "SchemaMismatchError",
    message: /column "island" is String, expected a numeric column/,
  });
  assert.throws(() => selector.fit(pl.DataFrame([pl.Series("m", [1, null], pl.Float64)]), [0, 1]), {
    name: "SchemaMismatchError",
    message: /column "m" has 1 null values; impute or drop them first/,
  });
  assert.throws(() => selector.fit(pl.DataFrame([floats("m", [1, NaN])]), [0, 1]), {
    name: "SchemaMismatchError",
    message: /column "m" holds NaN at row 2/,
  });
  assert.throws(() => selector.fit(pl.DataFrame([floats("m", [Infinity, 1])]), [0, 1]), {
    name: "SchemaMismatchError",
    message: /column "m" holds Infinity at row 1/,
  });
  assert.throws(() => selector.fit(pl.DataFrame({}), []), {
    name: "SchemaMismatchError",
    message: /has no columns/,
  });
});

Deno.test("FeatureSelector.fit() rejects a target of the wrong length or with non-finite values", () => {
  const selector = new FeatureSelector();
  assert.throws(() => selector.fit(varianceFrame(), [0, 1]), {
    name: "TypeError",
    message: /the frame has 4 rows but y has 2 values/,
  });
  assert.throws(() => selector.fit(varianceFrame(), [0, 1, NaN, 1]), {
    name: "RangeError",
    message: /y\[2\] is NaN, expected a finite number/,
  });
});

Deno.test("FeatureSelector.fit() throws ConfigError for a class score on a regression target", () => {
  for (const score of ["anova_f", "mutual_info"] as const) {
    const selector = new FeatureSelector({
      selectors: [{ kind: "variance_threshold", threshold: 0 }, { kind: "top_k", k: 1, score }],
    });
    assert.throws(() => selector.fit(varianceFrame(), [0.5, 1.5, 2.5, 3.5]), {
      name: "ConfigError",
      message: new RegExp(
        `features\\.selection\\[1\\]\\.score: "${score}" needs class indexes but y\\[0\\] is 0\\.5; use score "f_regression"`,
      ),
    });
  }
});

Deno.test("FeatureSelector.fit() throws ConfigError when variance_threshold would drop every column", () => {
  const selector = new FeatureSelector({
    selectors: [{ kind: "variance_threshold", threshold: 5 }],
  });
  assert.throws(() => selector.fit(varianceFrame(), [0, 1, 0, 1]), {
    name: "ConfigError",
    message:
      /features\.selection\[0\] \(variance_threshold\): no column has variance above 5 \(largest is 1\.25, for "a"\); lower features\.selection\[0\]\.threshold/,
  });
});
