import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import {
  createTransformer,
  OneHotEncoder,
  StandardScaler,
  TRANSFORMER_KINDS,
  transformerFromJson,
} from "../../src/features/mod.ts";
import { ConfigError } from "../../src/errors.ts";

Deno.test("TRANSFORMER_KINDS lists every transformer", () => {
  assert.deepEqual([...TRANSFORMER_KINDS].sort(), [
    "Log1pTransformer",
    "MinMaxScaler",
    "OneHotEncoder",
    "OrdinalEncoder",
    "QuantileBinner",
    "RobustScaler",
    "SimpleImputer",
    "StandardScaler",
  ]);
});

Deno.test("createTransformer() builds an unfitted transformer of each kind from a config spec", () => {
  for (const kind of TRANSFORMER_KINDS) {
    const transformer = createTransformer(
      { kind, params: {} },
      "features.steps[0].transformers[0]",
    );
    assert.equal(transformer.kind, kind);
    assert.equal(transformer.isFitted, false);
  }
});

Deno.test("createTransformer() passes snake_case params to the transformer", () => {
  const encoder = createTransformer(
    { kind: "OneHotEncoder", params: { top_n: 1, handle_unknown: "ignore" } },
    "features.steps[0].transformers[0]",
  );
  assert.ok(encoder instanceof OneHotEncoder);
  assert.deepEqual(encoder.fit(pl.DataFrame({ s: ["a", "b", "a"] })).featureNamesOut(), [
    "s_a",
    "s_other",
  ]);
});

Deno.test("createTransformer() throws ConfigError naming the key path of a bad param", () => {
  assert.throws(
    () =>
      createTransformer(
        { kind: "OneHotEncoder", params: { top_n: 0 } },
        "features.steps[1].transformers[0]",
      ),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(
        error.message,
        /features\.steps\[1\]\.transformers\[0\]\.params\.top_n: expected a positive integer, got 0/,
      );
      assert.deepEqual(error.issues, [{
        file: "",
        line: 0,
        column: 0,
        path: "features.steps[1].transformers[0].params.top_n",
        message: "expected a positive integer, got 0",
      }]);
      return true;
    },
  );
});

Deno.test("createTransformer() reports every bad param, with close matches for misspelt names", () => {
  assert.throws(
    () =>
      createTransformer(
        { kind: "MinMaxScaler", params: { feature_rang: [0, 1], columns: "a" } },
        "features.steps[0].transformers[2]",
      ),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.issues.map((issue) => issue.path), [
        "features.steps[0].transformers[2].params.columns",
        "features.steps[0].transformers[2].params.feature_rang",
      ]);
      assert.match(
        error.message,
        /params\.feature_rang: unknown parameter: did you mean "feature_range"/,
      );
      assert.match(
        error.message,
        /params\.columns: expected a non-empty list of column names, got "a"/,
      );
      return true;
    },
  );
});

Deno.test("createTransformer() throws ConfigError for an unknown kind with a close match", () => {
  assert.throws(
    () =>
      createTransformer(
        { kind: "StandardScalar", params: {} },
        "features.steps[0].transformers[0]",
      ),
    {
      name: "ConfigError",
      message:
        /features\.steps\[0\]\.transformers\[0\]\.kind: unknown transformer "StandardScalar": did you mean "StandardScaler"/,
    },
  );
});

Deno.test("transformerFromJson() rebuilds a fitted transformer by kind", () => {
  const df = pl.DataFrame({ a: [1, 3] });
  const scaler = new StandardScaler().fit(df);
  const restored = transformerFromJson(JSON.parse(JSON.stringify(scaler)));
  assert.ok(restored instanceof StandardScaler);
  assertFrameEqual(restored.transform(df), scaler.transform(df));
});

Deno.test("transformerFromJson() throws ArtifactError for an unknown kind or a value without one", () => {
  assert.throws(() => transformerFromJson({ kind: "OneHotEncoderV2", version: 1 }), {
    name: "ArtifactError",
    message: /unknown kind "OneHotEncoderV2": did you mean "OneHotEncoder"/,
  });
  assert.throws(() => transformerFromJson([1, 2]), {
    name: "ArtifactError",
    message: /expected an object with a string "kind", got \[1,2\]/,
  });
});
