import assert from "node:assert/strict";
import { pl } from "../_helpers/assert_frame.ts";
import { FeaturePipeline, treeFeatureSteps } from "../../src/features/mod.ts";
import type { FeatureStep } from "../../src/config/mod.ts";
import { ConfigError } from "../../src/errors.ts";

const STEPS: FeatureStep[] = [
  {
    name: "numeric",
    columns: ["mass", "beak"],
    transformers: [
      { kind: "SimpleImputer", params: { strategy: "median" } },
      { kind: "StandardScaler", params: {} },
    ],
  },
  { name: "skewed", columns: ["price"], transformers: [{ kind: "Log1pTransformer", params: {} }] },
  {
    name: "categorical",
    columns: ["island", "sex"],
    transformers: [{ kind: "OneHotEncoder", params: { top_n: 2, columns: ["island"] } }],
  },
  {
    name: "nullable",
    columns: ["colour"],
    transformers: [{ kind: "OneHotEncoder", params: { handle_null: "category" } }],
  },
];

Deno.test("treeFeatureSteps() drops rescalers, turns one-hot into category codes and keeps the rest", () => {
  const steps = treeFeatureSteps(STEPS, { categorySplits: true });
  assert.deepEqual(steps, [
    {
      name: "numeric",
      columns: ["mass", "beak"],
      transformers: [{ kind: "SimpleImputer", params: { strategy: "median" } }],
    },
    { name: "skewed", columns: ["price"], transformers: [] },
    {
      name: "categorical",
      columns: ["island", "sex"],
      transformers: [{
        kind: "OrdinalEncoder",
        params: { columns: ["island"], unknown_value: -1 },
      }],
    },
    // A null category has no code: the one-hot encoder stays.
    STEPS[3],
  ]);
  assert.equal(STEPS[0]!.transformers.length, 2, "the configured steps are not changed");
  // A family without category splits (random_forest) keeps one-hot columns.
  const forest = treeFeatureSteps(STEPS, { categorySplits: false });
  assert.deepEqual(forest.map((step) => step.transformers.map((t) => t.kind)), [
    ["SimpleImputer"],
    [],
    ["OneHotEncoder"],
    ["OneHotEncoder"],
  ]);
});

const FRAME = pl.DataFrame({
  mass: [3750, 3800, 5000, 4200],
  beak: [39.1, 39.5, 45.2, 41.0],
  island: ["Torgersen", "Biscoe", "Dream", "Biscoe"],
  price: [1, 10, 100, 1000],
  flag: [true, false, true, true],
});

Deno.test("a step without transformers passes its columns through, and category codes are named", () => {
  const pipeline = FeaturePipeline.fromConfig({
    steps: [
      { name: "raw", columns: ["mass", "beak", "flag"], transformers: [] },
      {
        name: "codes",
        columns: ["island"],
        transformers: [{ kind: "OrdinalEncoder", params: { unknown_value: -1 } }],
      },
      {
        name: "scaled",
        columns: ["price"],
        transformers: [{ kind: "StandardScaler", params: {} }],
      },
    ],
  }, { target: "y" });
  const x = pipeline.fitTransformToMatrix(FRAME);
  assert.deepEqual(pipeline.featureNamesOut(), ["mass", "beak", "flag", "island", "price"]);
  assert.deepEqual(pipeline.categoryCodeFeatures(), ["island"]);
  // Raw values, booleans as 0/1, and the sorted categories' codes (Biscoe 0, Dream 1, Torgersen 2).
  assert.deepEqual(Array.from(x.data.subarray(0, 4)), [3750, Math.fround(39.1), 1, 2]);
  assert.deepEqual(Array.from(x.data.subarray(5, 9)), [3800, Math.fround(39.5), 0, 0]);
  const copy = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(pipeline.toJSON())));
  assert.deepEqual(copy.featureNamesOut(), pipeline.featureNamesOut());
  assert.deepEqual(copy.categoryCodeFeatures(), ["island"]);
  const unseen = FRAME.withColumns(pl.lit("Mars").alias("island"));
  const y = copy.transformToMatrix(unseen);
  assert.deepEqual(Array.from(y.data.subarray(0, 4)), [3750, Math.fround(39.1), 1, -1]);
});

Deno.test("a step without transformers refuses a text column, naming the fix", () => {
  const pipeline = FeaturePipeline.fromConfig({
    steps: [{ name: "raw", columns: ["mass", "island"], transformers: [] }],
  }, { target: "y" });
  assert.throws(() => pipeline.fit(FRAME), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(
      error.message,
      /step "raw" outputs non-numeric column "island" \(String\), expected numbers; add a OneHotEncoder or OrdinalEncoder/,
    );
    return true;
  });
});

Deno.test("an encoder followed by another transformer outputs numbers, not category codes", () => {
  const pipeline = FeaturePipeline.fromConfig({
    steps: [{
      name: "codes",
      columns: ["island"],
      transformers: [
        { kind: "OrdinalEncoder", params: {} },
        { kind: "StandardScaler", params: {} },
      ],
    }],
  }, { target: "y" });
  pipeline.fit(FRAME);
  assert.deepEqual(pipeline.categoryCodeFeatures(), []);
});
