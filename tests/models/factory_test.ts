import assert from "node:assert/strict";
import {
  BaselineModel,
  createModel,
  initBackend,
  LinearModel,
  loadModel,
  MlpModel,
} from "../../src/models/mod.ts";
import { ModelFileSchema } from "../../src/config/schema.ts";
import { blobs } from "./_synthetic.ts";

await initBackend("wasm");

Deno.test("createModel() builds the family the model config names, with its parameters", () => {
  const classes = ["a", "b", "c"];
  const mlpConfig = ModelFileSchema.parse({
    model: {
      family: "mlp",
      params: { hidden_units: [12], activation: "tanh", dropout: 0.25, l2: 0.1 },
    },
  }).model;
  const mlp = createModel(mlpConfig, { task: "classification", inputDim: 5, classes, seed: 9 });
  assert.ok(mlp instanceof MlpModel);
  assert.deepEqual(mlp.toConfig(), mlpConfig);
  assert.equal(mlp.seed, 9);

  const linear = createModel({ family: "linear", params: { l2: 0.5 } }, {
    task: "regression",
    inputDim: 2,
  });
  assert.ok(linear instanceof LinearModel);
  assert.equal(linear.task, "regression");
  assert.deepEqual(linear.classes, []);

  const baseline = createModel({ family: "baseline", params: {} }, {
    task: "classification",
    inputDim: 5,
    classes,
  });
  assert.ok(baseline instanceof BaselineModel);
  assert.equal(baseline.family, "baseline");
});

Deno.test("createModel() validates early: one class, zero inputs, unknown family", () => {
  assert.throws(
    () =>
      createModel({ family: "linear", params: { l2: 0 } }, {
        task: "classification",
        inputDim: 3,
        classes: ["x"],
      }),
    { name: "DataValidationError", message: /the training split holds one class \("x"\)/ },
  );
  assert.throws(
    () => createModel({ family: "baseline", params: {} }, { task: "regression", inputDim: 0 }),
    { name: "RangeError", message: /inputDim is 0/ },
  );
  assert.throws(
    () =>
      createModel({ family: "forest", params: {} } as never, { task: "regression", inputDim: 1 }),
    { name: "ConfigError", message: /unknown family "forest".*set model\.family/ },
  );
});

Deno.test("loadModel() picks the family from params.json", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { x, y } = blobs({ rows: 30 });
    for (const family of ["mlp", "linear", "baseline"] as const) {
      const config = family === "mlp"
        ? { family, params: { hidden_units: [3], activation: "relu" as const, dropout: 0, l2: 0 } }
        : family === "linear"
        ? { family, params: { l2: 0 } }
        : { family, params: {} };
      const model = createModel(config, {
        task: "classification",
        inputDim: 4,
        classes: y.classes,
      });
      await model.fit(x, y, { epochs: 1 });
      await model.save(`${dir}/${family}`);
      const loaded = await loadModel(`${dir}/${family}`);
      assert.equal(loaded.family, family);
      assert.equal(loaded.constructor, model.constructor);
      assert.deepEqual(loaded.predict(x), model.predict(x));
      model.dispose();
      loaded.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
