import assert from "node:assert/strict";
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import {
  FeaturePipeline,
  frameSource,
  Log1pTransformer,
  MinMaxScaler,
  OneHotEncoder,
  OrdinalEncoder,
  QuantileBinner,
  RobustScaler,
  SimpleImputer,
  StandardScaler,
} from "../../src/features/mod.ts";
import type { Transformer } from "../../src/features/mod.ts";
import type { FeatureStep } from "../../src/config/mod.ts";
import { Random } from "../../src/utils/mod.ts";

const ROWS = 5_000;

/** Seeded numbers (with nulls and NaN), ties, and categories with a long tail. */
function sample(): DataFrame {
  const rng = new Random(21);
  const x = Array.from(
    { length: ROWS },
    (_, i) => i % 97 === 0 ? null : i % 89 === 0 ? NaN : 1000 + rng.next() * 50,
  );
  const tied = Array.from({ length: ROWS }, () => Math.floor(rng.next() * 10) / 4);
  const city = Array.from(
    { length: ROWS },
    (_, i) => i % 50 === 0 ? null : `c${Math.floor(rng.next() ** 3 * 40)}`,
  );
  const word = Array.from({ length: ROWS }, () => ["b", "a", "c"][Math.floor(rng.next() * 3)]!);
  return pl.DataFrame([
    pl.Series("x", x, pl.Float64),
    pl.Series("tied", tied, pl.Float64),
    pl.Series("city", city, pl.Utf8),
    pl.Series("word", word, pl.Utf8),
  ]);
}

/** The frame cut into uneven batches, with an empty one in the middle. */
function batches(df: DataFrame): DataFrame[] {
  const sizes = [1, 700, 0, 1999, 1234];
  const out: DataFrame[] = [];
  let offset = 0;
  for (const size of sizes) {
    out.push(df.slice(offset, size));
    offset += size;
  }
  out.push(df.slice(offset, df.height - offset));
  return out;
}

/** Compares two fitted states: exact for everything but numbers, which agree within `tol`. */
function assertStatesClose(actual: unknown, expected: unknown, tol: number, path = "state") {
  if (typeof expected === "number" && typeof actual === "number") {
    const scale = Math.max(1, Math.abs(expected));
    assert.ok(
      Math.abs(actual - expected) <= tol * scale,
      `${path}: ${actual} differs from ${expected} by more than ${tol}`,
    );
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array`);
    assert.equal((actual as unknown[]).length, expected.length, `${path}: length`);
    expected.forEach((v, i) =>
      assertStatesClose((actual as unknown[])[i], v, tol, `${path}[${i}]`)
    );
    return;
  }
  if (expected !== null && typeof expected === "object") {
    assert.deepEqual(Object.keys(actual as object).sort(), Object.keys(expected).sort(), path);
    for (const [k, v] of Object.entries(expected)) {
      assertStatesClose((actual as Record<string, unknown>)[k], v, tol, `${path}.${k}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, path);
}

async function assertStreamedEqual(make: () => Transformer, df: DataFrame, tol: number) {
  const inMemory = make().fit(df);
  const streamed = await make().fitBatches!(frameSource(batches(df)));
  assertStatesClose(streamed.toJSON(), inMemory.toJSON(), tol);
  // The same state transforms the same way.
  const a = inMemory.transform(df.head(200));
  const b = streamed.transform(df.head(200));
  assert.deepEqual(a.columns, b.columns);
  return { inMemory: inMemory.toJSON(), streamed: streamed.toJSON() };
}

Deno.test("StandardScaler.fitBatches() equals fit() within float tolerance, counts exactly", async () => {
  const { streamed } = await assertStreamedEqual(
    () => new StandardScaler({ columns: ["x", "tied"] }),
    sample(),
    1e-12,
  );
  const state = streamed.state as { n_samples: number[] };
  // 5000 rows less 52 nulls and 56 NaN (row 0 counts as null).
  assert.deepEqual(state.n_samples, [ROWS - 52 - 56, ROWS]);
});

Deno.test("MinMaxScaler.fitBatches() equals fit() exactly", async () => {
  await assertStreamedEqual(() => new MinMaxScaler({ columns: ["x", "tied"] }), sample(), 0);
});

Deno.test("RobustScaler.fitBatches() equals fit(): exact quantiles", async () => {
  await assertStreamedEqual(
    () => new RobustScaler({ columns: ["x", "tied"], quantile_range: [10, 90] }),
    sample(),
    1e-12,
  );
});

Deno.test("QuantileBinner.fitBatches() equals fit(): exact quantile edges", async () => {
  await assertStreamedEqual(
    () => new QuantileBinner({ columns: ["x", "tied"], n_bins: 7 }),
    sample(),
    1e-12,
  );
});

Deno.test("SimpleImputer.fitBatches() equals fit() for every strategy", async () => {
  const df = sample();
  for (const strategy of ["mean", "median"] as const) {
    await assertStreamedEqual(() => new SimpleImputer({ strategy, columns: ["x"] }), df, 1e-12);
  }
  await assertStreamedEqual(
    () => new SimpleImputer({ strategy: "most_frequent", columns: ["tied", "city"] }),
    df,
    0,
  );
  await assertStreamedEqual(
    () => new SimpleImputer({ strategy: "constant", fill_value: "none", columns: ["city"] }),
    df,
    0,
  );
});

Deno.test("OneHotEncoder.fitBatches() keeps exactly fit()'s categories and top_n", async () => {
  const { streamed } = await assertStreamedEqual(
    () => new OneHotEncoder({ columns: ["city", "word"], top_n: 5, handle_null: "category" }),
    sample(),
    0,
  );
  const state = streamed.state as { kept: string[][]; has_null: boolean[] };
  assert.equal(state.kept[0]!.length, 5);
  assert.deepEqual(state.kept[1], ["a", "b", "c"]);
  assert.deepEqual(state.has_null, [true, false]);
});

Deno.test("OrdinalEncoder.fitBatches() learns exactly fit()'s categories", async () => {
  await assertStreamedEqual(
    () => new OrdinalEncoder({ columns: ["city", "word"], handle_null: "keep" }),
    sample(),
    0,
  );
});

Deno.test("Log1pTransformer.fitBatches() checks every batch and equals fit()", async () => {
  await assertStreamedEqual(() => new Log1pTransformer({ columns: ["tied"] }), sample(), 0);
  const bad = pl.DataFrame({ v: [1, 2, 3, -5] });
  await assert.rejects(
    () => new Log1pTransformer().fitBatches(frameSource([bad.slice(0, 2), bad.slice(2, 2)])),
    { name: "DataValidationError", message: /below -1/ },
  );
});

Deno.test("fitBatches() refuses what fit() refuses: nulls without handle_null, all-null columns", async () => {
  const df = sample();
  await assert.rejects(
    () => new OneHotEncoder({ columns: ["city"] }).fitBatches(frameSource(batches(df))),
    { name: "DataValidationError", message: /impute them in cleaning/ },
  );
  const empty = pl.DataFrame([pl.Series("v", [null, null, null], pl.Float64)]);
  await assert.rejects(
    () => new StandardScaler().fitBatches(frameSource([empty.slice(0, 1), empty.slice(1, 2)])),
    { name: "DataValidationError" },
  );
});

Deno.test("FeaturePipeline.fitBatches() equals fit() on penguins, chained steps included", async () => {
  const penguins = pl.readCSV("data/raw/penguins.csv", { nullValues: ["NA", ""] });
  const steps: FeatureStep[] = [
    {
      name: "numeric",
      columns: ["Beak Length (mm)", "Body Mass (g)"],
      transformers: [
        { kind: "SimpleImputer", params: { strategy: "median" } },
        { kind: "StandardScaler", params: {} },
      ],
    },
    {
      name: "categorical",
      columns: ["Island", "Sex"],
      transformers: [
        { kind: "OneHotEncoder", params: { handle_null: "category" } },
      ],
    },
  ];
  const make = () => FeaturePipeline.fromConfig({ steps }, { target: "Species" });
  const inMemory = make().fit(penguins);
  const cut = [
    penguins.slice(0, 100),
    penguins.slice(100, 150),
    penguins.slice(250, penguins.height - 250),
  ];
  const streamed = await make().fitBatches(frameSource(cut));
  assertStatesClose(streamed.toJSON(), inMemory.toJSON(), 1e-12);
  assert.deepEqual(streamed.featureNamesOut(), inMemory.featureNamesOut());
  const a = inMemory.transformToMatrix(penguins);
  const b = streamed.transformToMatrix(penguins);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) {
    worst = Math.max(worst, Math.abs(a.data[i]! - b.data[i]!));
  }
  assert.ok(worst < 1e-5, `matrices differ by ${worst}`);
});
