import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import {
  BaseModel,
  createModel,
  loadModel,
  MODEL_ARTIFACT_VERSION,
  modelFamily,
  modelFamilyNames,
  readModelParams,
  registerModelFamily,
  writeModelParams,
} from "../../src/models/mod.ts";
import type {
  ModelFamilyOptions,
  ModelTask,
  Targets,
  TrainingHistory,
} from "../../src/models/mod.ts";
import { parseConfig } from "../../src/config/mod.ts";
import type { Matrix } from "../../src/utils/mod.ts";

// ---------------------------------------------------------------- a tiny family, in the test

const CONSTANT_PARAMS = z.strictObject({ offset: z.number().default(0) });
type ConstantParams = z.infer<typeof CONSTANT_PARAMS>;

/** Predicts the training mean plus `offset` for every row (regression only). */
class ConstantModel extends BaseModel {
  readonly task: ModelTask = "regression";
  readonly classes: readonly string[] = [];
  readonly inputDim: number;
  readonly offset: number;
  value: number | null = null;

  constructor(params: ConstantParams, options: { inputDim: number }) {
    super();
    this.inputDim = options.inputDim;
    this.offset = params.offset;
  }

  get family(): string {
    return "constant";
  }

  get isFitted(): boolean {
    return this.value !== null;
  }

  fit(_x: Matrix, y: Targets, _options?: unknown): Promise<TrainingHistory> {
    if (y.kind !== "regression") throw new TypeError("constant models do regression only");
    const mean = y.values.reduce((a, b) => a + b, 0) / y.values.length;
    this.value = mean + this.offset;
    return Promise.resolve({
      epochs: [],
      bestEpoch: 0,
      stoppedEarly: false,
      restoredBest: false,
      monitor: "loss",
      metric: "mae",
      seconds: 0,
    });
  }

  predict(x: Matrix): Float32Array {
    return new Float32Array(x.rows).fill(this.value ?? NaN);
  }

  async save(dir: string): Promise<void> {
    await writeModelParams(dir, {
      format: "deno-mlops-model",
      version: MODEL_ARTIFACT_VERSION,
      family: "constant",
      task: "regression",
      inputDim: this.inputDim,
      classes: [],
      seed: 0,
      config: { family: "constant", params: { offset: this.offset } },
      state: { value: this.value },
      tfjsVersion: tf.version.tfjs,
    });
  }

  summary(): string {
    return `ConstantModel: ${this.value}`;
  }

  dispose(): void {
    this.value = null;
  }

  static async load(dir: string): Promise<ConstantModel> {
    const saved = await readModelParams(dir, "constant");
    const model = new ConstantModel(CONSTANT_PARAMS.parse(saved.config.params), saved);
    model.value = (saved.state as { value: number }).value;
    return model;
  }
}

// The one registry line a new family needs.
registerModelFamily({
  name: "constant",
  params: CONSTANT_PARAMS,
  create: (params, options: ModelFamilyOptions) => new ConstantModel(params, options),
  load: (dir) => ConstantModel.load(dir),
});

// ---------------------------------------------------------------- tests

const X: Matrix = { data: new Float32Array([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2 };
const Y: Targets = { kind: "regression", values: new Float32Array([1, 2, 6]) };

Deno.test("a family registered from a test creates, fits, saves and loads through the normal functions", async () => {
  assert.deepEqual(modelFamilyNames(), [
    "mlp",
    "linear",
    "baseline",
    "gbdt",
    "random_forest",
    "constant",
  ]);
  const model = createModel({ family: "constant", params: { offset: 0.5 } }, {
    task: "regression",
    inputDim: 2,
  });
  assert.ok(model instanceof ConstantModel);
  await model.fit(X, Y, { epochs: 1 });
  assert.deepEqual(Array.from(model.predict(X)), [3.5, 3.5, 3.5]);
  const dir = await Deno.makeTempDir();
  try {
    await model.save(dir);
    const loaded = await loadModel(dir);
    assert.ok(loaded instanceof ConstantModel);
    assert.equal(loaded.family, "constant");
    assert.deepEqual(Array.from(loaded.predict(X)), [3.5, 3.5, 3.5]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the registered family's params schema defaults and checks model.params in config and createModel", () => {
  const config = parseConfig({ model: { family: "constant" } });
  assert.deepEqual(config.model, { family: "constant", params: { offset: 0 } });
  assert.throws(() => parseConfig({ model: { family: "constant", params: { offset: "x" } } }), {
    name: "ConfigError",
    message: /model\.params\.offset: expected a number, got "x"/,
  });
  assert.throws(() => parseConfig({ model: { family: "constant", params: { ofset: 1 } } }), {
    name: "ConfigError",
    message: /model\.params\.ofset: unknown key "ofset": did you mean "offset"/,
  });
  assert.throws(
    () =>
      createModel({ family: "constant", params: { offset: "x" } }, {
        task: "regression",
        inputDim: 2,
      }),
    { name: "ConfigError", message: /model\.params\.offset/ },
  );
});

Deno.test("an unknown family is a ConfigError with the closest name; a duplicate name is refused", () => {
  assert.throws(() => modelFamily("constnat"), {
    name: "ConfigError",
    message:
      /unknown family "constnat": did you mean "constant" \(known: \["mlp","linear","baseline","gbdt","random_forest","constant"\]\)/,
  });
  assert.throws(
    () => createModel({ family: "mpl", params: {} }, { task: "regression", inputDim: 1 }),
    { name: "ConfigError", message: /unknown family "mpl": did you mean "mlp"/ },
  );
  assert.throws(
    () =>
      registerModelFamily({
        name: "mlp",
        params: z.strictObject({}),
        create: () => {
          throw new Error("unused");
        },
        load: () => Promise.reject(new Error("unused")),
      }),
    {
      name: "TypeError",
      message: /model family "mlp": a family of that name is already registered/,
    },
  );
  assert.deepEqual(modelFamilyNames(), [
    "mlp",
    "linear",
    "baseline",
    "gbdt",
    "random_forest",
    "constant",
  ]);
});

Deno.test("createModel() reports bad params of a built-in family at their key path", () => {
  assert.throws(
    () =>
      createModel({ family: "mlp", params: { dropout: 1.5, hidden_units: [4, -1] } }, {
        task: "regression",
        inputDim: 1,
      }),
    {
      name: "ConfigError",
      message: /model\.params\.hidden_units\[1\]: .*model\.params\.dropout: /,
    },
  );
  assert.throws(
    () =>
      createModel({ family: "linear", params: { l2: 0, depth: 3 } }, {
        task: "regression",
        inputDim: 1,
      }),
    { name: "ConfigError", message: /model\.params\.depth: unknown key "depth"/ },
  );
});
