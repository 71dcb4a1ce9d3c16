import assert from "node:assert/strict";
import { assertClose, assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { FeaturePipeline, MinMaxScaler, StandardScaler } from "../../src/features/mod.ts";
import type { FeaturePipelineState } from "../../src/features/mod.ts";
import type { FeatureStep } from "../../src/config/mod.ts";
import { ConfigError, DataValidationError } from "../../src/errors.ts";
import { frameToMatrix, Random } from "../../src/utils/mod.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

// Observed mass: 0 8 2 6 4 → mean 4; imputed 0 8 4 2 6 4 → min-max scale 1/8.
function train() {
  return pl.DataFrame([
    pl.Series("id", ["p1", "p2", "p3", "p4", "p5", "p6"]),
    pl.Series("island", ["Dream", "Biscoe", "Dream", "Torgersen", "Biscoe", "Dream"]),
    floats("mass", [0, 8, null, 2, 6, 4]),
    pl.Series("Species", ["Adelie", "Gentoo", "Adelie", "Chinstrap", "Gentoo", "Adelie"]),
    pl.Series("flipper", [1, 3, 1, 3, 1, 3], pl.Int64),
  ]);
}

const STEPS: FeatureStep[] = [
  {
    name: "numeric",
    columns: ["mass", "flipper"],
    transformers: [
      { kind: "SimpleImputer", params: { strategy: "mean" } },
      { kind: "MinMaxScaler", params: {} },
    ],
  },
  {
    name: "categorical",
    columns: ["island"],
    transformers: [{ kind: "OneHotEncoder", params: {} }],
  },
];

function pipeline(steps: FeatureStep[] = STEPS) {
  return FeaturePipeline.fromConfig({ steps }, { target: "Species", idColumns: ["id"] });
}

const EXPECTED_NAMES = [
  "mass",
  "flipper",
  "island_Biscoe",
  "island_Dream",
  "island_Torgersen",
];

function expectedTrainFeatures() {
  return pl.DataFrame([
    floats("mass", [0, 1, 0.5, 0.25, 0.75, 0.5]),
    floats("flipper", [0, 1, 0, 1, 0, 1]),
    floats("island_Biscoe", [0, 1, 0, 0, 1, 0]),
    floats("island_Dream", [1, 0, 1, 0, 0, 1]),
    floats("island_Torgersen", [0, 0, 0, 1, 0, 0]),
  ]);
}

Deno.test("FeaturePipeline.fitTransform() concatenates each step's Float64 output in step order, without target or ids", () => {
  const features = pipeline();
  assert.deepEqual(features.inputColumns(), ["mass", "flipper", "island"]);
  assertFrameEqual(features.fitTransform(train()), expectedTrainFeatures());
  assert.deepEqual(features.featureNamesOut(), EXPECTED_NAMES);
  assertFrameEqual(features.transform(train()), expectedTrainFeatures(), "transform after fit:");
});

Deno.test("FeaturePipeline round-trips through JSON to identical output", () => {
  const features = pipeline().fit(train());
  const json = JSON.parse(JSON.stringify(features.toJSON())) as FeaturePipelineState;
  assert.equal(json.version, 1);
  assert.deepEqual(json.steps.map((step) => [step.name, step.columns]), [
    ["numeric", ["mass", "flipper"]],
    ["categorical", ["island"]],
  ]);
  assert.deepEqual(
    json.steps.flatMap((step) => step.transformers.map((transformer) => transformer.kind)),
    ["SimpleImputer", "MinMaxScaler", "OneHotEncoder"],
  );
  const restored = FeaturePipeline.fromJSON(json);
  assert.equal(restored.isFitted, true);
  assert.deepEqual(restored.featureNamesOut(), EXPECTED_NAMES);
  assert.deepEqual(restored.inputColumns(), ["mass", "flipper", "island"]);
  const val = pl.DataFrame([
    pl.Series("island", ["Biscoe", "Atlantis"]),
    floats("mass", [null, 16]),
    pl.Series("flipper", [2, 5], pl.Int64),
  ]);
  assertFrameEqual(restored.transform(val), features.transform(val));
  assertFrameEqual(
    restored.transform(val),
    pl.DataFrame([
      floats("mass", [0.5, 2]),
      floats("flipper", [0.5, 2]),
      floats("island_Biscoe", [1, 0]),
      floats("island_Dream", [0, 0]),
      floats("island_Torgersen", [0, 0]),
    ]),
  );
  assert.deepEqual(restored.toJSON(), features.toJSON());
});

Deno.test("FeaturePipeline learns only from the training split: a shifted val split changes neither the statistics nor the JSON", () => {
  const random = new Random(5);
  const rows = 1000;
  const trainFrame = pl.DataFrame([
    floats("x", Array.from({ length: rows }, () => 10 + 2 * random.normal())),
    pl.Series("y", Array.from({ length: rows }, (_, i) => i % 2)),
  ]);
  const valFrame = pl.DataFrame([
    floats("x", Array.from({ length: rows }, () => 500 + 50 * random.normal())),
    pl.Series("y", Array.from({ length: rows }, (_, i) => i % 2)),
  ]);
  const features = FeaturePipeline.fromConfig({
    steps: [{ name: "x", columns: ["x"], transformers: [{ kind: "StandardScaler", params: {} }] }],
  }, { target: "y" }).fit(trainFrame);
  const fitted = JSON.stringify(features.toJSON());

  const trainValues = trainFrame.getColumn("x").toArray() as number[];
  const trainMean = trainValues.reduce((sum, v) => sum + v, 0) / trainValues.length;
  const trainStd = Math.sqrt(
    trainValues.reduce((sum, v) => sum + (v - trainMean) ** 2, 0) / trainValues.length,
  );
  const scaler = features.toJSON().steps[0]!.transformers[0]!;
  const state = scaler.state as { mean: number[]; scale: number[] };
  assertClose(state.mean[0]!, trainMean, 1e-9, "the learned mean is the train mean");
  assertClose(state.scale[0]!, trainStd, 1e-9, "the learned std is the train std");

  const scaledVal = features.transform(valFrame).getColumn("x").toArray() as number[];
  const scaledMean = scaledVal.reduce((sum, v) => sum + v, 0) / scaledVal.length;
  assert.ok(
    scaledMean > 100,
    `val is scaled with train statistics, so it is far from 0 (${scaledMean})`,
  );
  assert.equal(JSON.stringify(features.toJSON()), fitted, "transform(val) leaves the state alone");
});

Deno.test("FeaturePipeline.fit() again replaces the state: fit(a).fit(b) equals fit(b)", () => {
  const other = train().slice(0, 4);
  const refitted = pipeline().fit(other).fit(train());
  assert.deepEqual(refitted.toJSON(), pipeline().fit(train()).toJSON());
  assertFrameEqual(refitted.transform(train()), expectedTrainFeatures());
});

Deno.test("FeaturePipeline.transformToMatrix() returns the features row-major as Float32", () => {
  const matrix = pipeline().fit(train()).transformToMatrix(train().head(2));
  assert.equal(matrix.rows, 2);
  assert.equal(matrix.cols, 5);
  assert.deepEqual(Array.from(matrix.data), [0, 0, 0, 1, 0, 1, 1, 1, 0, 0]);
});

Deno.test("FeaturePipeline matrices equal frameToMatrix of its Float64 frames byte for byte on the penguins data", () => {
  // Integer sizes, nulls included, to be encoded as categories.
  const df = pl.readCSV("data/raw/penguins.csv", {
    ignoreErrors: false,
    dtypes: { "Flipper Length (mm)": pl.Int64, "Body Mass (g)": pl.Int64 },
  });
  const steps: FeatureStep[] = [
    {
      name: "beak",
      columns: ["Beak Length (mm)", "Beak Depth (mm)"],
      transformers: [
        { kind: "SimpleImputer", params: { strategy: "median" } },
        { kind: "StandardScaler", params: {} },
      ],
    },
    {
      // An encoder that is not the last transformer of its step hands on Float64 indicators.
      name: "island",
      columns: ["Island"],
      transformers: [{ kind: "OneHotEncoder", params: {} }, { kind: "MinMaxScaler", params: {} }],
    },
    {
      name: "sex",
      columns: ["Sex"],
      transformers: [
        { kind: "SimpleImputer", params: { strategy: "most_frequent" } },
        { kind: "OneHotEncoder", params: { top_n: 1 } },
      ],
    },
    {
      name: "size",
      columns: ["Flipper Length (mm)", "Body Mass (g)"],
      transformers: [{ kind: "OneHotEncoder", params: { handle_null: "category", top_n: 3 } }],
    },
  ];
  const build = () => FeaturePipeline.fromConfig({ steps }, { target: "Species" });
  const bytes = (values: Float32Array) => new Uint8Array(values.buffer);
  const train = df.filter(pl.col("Island").neq(pl.lit("Torgersen")).or(pl.col("Sex").isNull()));
  const fitted = build();
  const trainFrame = fitted.fitTransform(train);
  assert.ok(trainFrame.dtypes.every((dtype) => String(dtype) === "DataType(Float64)"));
  const viaMatrix = build();
  const trainMatrix = viaMatrix.fitTransformToMatrix(train);
  assert.deepEqual(viaMatrix.toJSON(), fitted.toJSON());
  assert.deepEqual(bytes(trainMatrix.data), bytes(frameToMatrix(trainFrame).data));
  // Every row, unknown sizes and Torgersen included, through the transform path.
  const frame = fitted.transform(df);
  assert.ok(frame.dtypes.every((dtype) => String(dtype) === "DataType(Float64)"));
  const matrix = viaMatrix.transformToMatrix(df);
  assert.equal(matrix.cols, fitted.featureNamesOut().length);
  assert.deepEqual(bytes(matrix.data), bytes(frameToMatrix(frame).data));
});

Deno.test("FeaturePipeline throws NotFittedError before fit", () => {
  const features = pipeline();
  assert.equal(features.isFitted, false);
  for (
    const call of [
      () => features.transform(train()),
      () => features.featureNamesOut(),
      () => features.toJSON(),
    ]
  ) {
    assert.throws(call, {
      name: "NotFittedError",
      message: /feature pipeline: it is not fitted, call fit\(\)/,
    });
  }
});

Deno.test("FeaturePipeline throws SchemaMismatchError listing a missing column with a close match", () => {
  const renamed = train().rename({ mass: "Mass" });
  assert.throws(() => pipeline().fit(renamed), {
    name: "SchemaMismatchError",
    message:
      /Cannot fit feature pipeline: missing column "mass" \(did you mean "Mass"\) \(expected \["mass","flipper","island"\], found \["id","island","Mass","Species","flipper"\]\)/,
  });
  const fitted = pipeline().fit(train());
  assert.throws(() => fitted.transform(train().drop("island")), {
    name: "SchemaMismatchError",
    message: /Cannot transform with feature pipeline: missing column "island"/,
  });
});

Deno.test("FeaturePipeline.fromConfig() refuses the target and id columns as features (leakage)", () => {
  const leaky: FeatureStep[] = [
    {
      name: "all",
      columns: ["mass", "Species", "id"],
      transformers: [{ kind: "OrdinalEncoder", params: {} }],
    },
  ];
  assert.throws(() => pipeline(leaky), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues.map((issue) => issue.path), [
      "features.steps[0].columns[1]",
      "features.steps[0].columns[2]",
    ]);
    assert.match(
      error.message,
      /column "Species" is the target; using it as a feature leaks the answer/,
    );
    assert.match(error.message, /column "id" is an id column/);
    return true;
  });
});

Deno.test("FeaturePipeline.fromConfig() refuses a column in two steps and a repeated step name", () => {
  const steps: FeatureStep[] = [
    { name: "a", columns: ["mass"], transformers: [{ kind: "StandardScaler", params: {} }] },
    {
      name: "a",
      columns: ["flipper", "mass"],
      transformers: [{ kind: "RobustScaler", params: {} }],
    },
  ];
  assert.throws(() => pipeline(steps), {
    name: "ConfigError",
    message:
      /features\.steps\[1\]\.name: step name "a" is already used by features\.steps\[0\].*features\.steps\[1\]\.columns\[1\]: column "mass" is already used by features\.steps\[0\]\.columns\[0\]; a column may feed only one step/,
  });
});

Deno.test("FeaturePipeline.fromConfig() reports bad transformer specs with their key paths", () => {
  const steps: FeatureStep[] = [
    { name: "num", columns: ["mass"], transformers: [{ kind: "StandardScaler", params: {} }] },
    {
      name: "cat",
      columns: ["island"],
      transformers: [{ kind: "OneHotEncoder", params: { top_n: 0 } }, {
        kind: "OrdinalEncodr",
        params: {},
      }],
    },
  ];
  assert.throws(() => pipeline(steps), {
    name: "ConfigError",
    message:
      /features\.steps\[1\]\.transformers\[0\]\.params\.top_n: expected a positive integer, got 0; features\.steps\[1\]\.transformers\[1\]\.kind: unknown transformer "OrdinalEncodr": did you mean "OrdinalEncoder"/,
  });
  assert.throws(() => FeaturePipeline.fromConfig({ steps: [] }, { target: "Species" }), {
    name: "ConfigError",
    message: /features\.steps: expected at least one feature step, got none/,
  });
});

Deno.test("FeaturePipeline.fit() throws DataValidationError naming an all-null column and the fix", () => {
  const df = train().withColumns(pl.lit(null).cast(pl.Float64).alias("mass"));
  assert.throws(() => pipeline().fit(df), (error: unknown) => {
    assert.ok(error instanceof DataValidationError);
    assert.match(
      error.message,
      /column "mass" \(step "numeric"\) is entirely null or NaN in 6 rows, expected observed values; impute it in cleaning or drop it from features\.steps/,
    );
    assert.deepEqual(error.issues.map((issue) => issue.column), ["mass"]);
    return true;
  });
  assert.throws(() => pipeline().fit(train().head(0)), {
    name: "DataValidationError",
    message: /the training frame has no rows/,
  });
});

Deno.test("FeaturePipeline.fit() throws ConfigError when a step outputs text", () => {
  const steps: FeatureStep[] = [
    {
      name: "cat",
      columns: ["island"],
      transformers: [{ kind: "SimpleImputer", params: { strategy: "most_frequent" } }],
    },
  ];
  assert.throws(() => pipeline(steps).fit(train()), {
    name: "ConfigError",
    message:
      /step "cat" outputs non-numeric column "island" \(String\), expected numbers; add a OneHotEncoder or OrdinalEncoder/,
  });
});

Deno.test("FeaturePipeline can be built directly from transformer instances", () => {
  const features = new FeaturePipeline({
    steps: [
      { name: "mass", columns: ["flipper"], transformers: [new StandardScaler()] },
      { name: "range", columns: ["mass"], transformers: [new MinMaxScaler()] },
    ],
    target: "Species",
  });
  assertFrameEqual(
    features.fitTransform(train()),
    pl.DataFrame([
      floats("flipper", [-1, 1, -1, 1, -1, 1]),
      floats("mass", [0, 1, null, 0.25, 0.75, 0.5]),
    ]),
  );
});

Deno.test("FeaturePipeline.fromJSON() throws ArtifactError for an unknown version or transformer kind", () => {
  const json = pipeline().fit(train()).toJSON();
  assert.throws(() => FeaturePipeline.fromJSON({ ...json, version: 99 }), {
    name: "ArtifactError",
    message: /unsupported version 99, expected 1/,
  });
  const renamed = structuredClone(json);
  renamed.steps[1]!.transformers[0]!.kind = "OneHotEncoderX";
  assert.throws(() => FeaturePipeline.fromJSON(renamed), {
    name: "ArtifactError",
    message: /unknown kind "OneHotEncoderX": did you mean "OneHotEncoder"/,
  });
  assert.throws(() => FeaturePipeline.fromJSON({ version: 1, steps: "none" }), {
    name: "ArtifactError",
    message: /expected \{ version, steps: \[\{ name, columns, transformers \}\] \}/,
  });
});

Deno.test("FeaturePipeline fits the shipped penguins data into ten finite features", () => {
  const raw = pl.readCSV("data/raw/penguins.csv", {
    ignoreErrors: false,
    dtypes: { "Flipper Length (mm)": pl.Float64, "Body Mass (g)": pl.Float64 },
  });
  const df = raw.filter(pl.col("Sex").isNotNull());
  const numeric = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
  const features = FeaturePipeline.fromConfig({
    steps: [
      {
        name: "numeric",
        columns: numeric,
        transformers: [
          { kind: "SimpleImputer", params: { strategy: "median" } },
          { kind: "StandardScaler", params: {} },
        ],
      },
      {
        name: "categorical",
        columns: ["Island", "Sex"],
        transformers: [{ kind: "OneHotEncoder", params: {} }],
      },
    ],
  }, { target: "Species" });
  const matrix = features.fit(df).transformToMatrix(df);
  assert.equal(matrix.rows, df.height);
  assert.equal(matrix.cols, 10);
  assert.ok(matrix.data.every(Number.isFinite));
  assert.deepEqual(features.featureNamesOut().slice(4), [
    "Island_Biscoe",
    "Island_Dream",
    "Island_Torgersen",
    "Sex_.",
    "Sex_FEMALE",
    "Sex_MALE",
  ]);
});

Deno.test("FeaturePipeline is left unfitted when a refit fails half way", () => {
  const features = pipeline().fit(train());
  const noIslands = train().withColumns(pl.lit(null).cast(pl.Utf8).alias("island"));
  assert.throws(() => features.fit(noIslands), { name: "DataValidationError" });
  assert.equal(features.isFitted, false);
  assert.throws(() => features.transform(train()), { name: "NotFittedError" });
});
