/**
 * The contract every tree family (`TREE_FAMILIES`) keeps: it learns with constant, all-missing
 * and NaN features, refuses bad targets and params, saves and loads bit-identically, is
 * reproducible from its seed, and refuses a corrupt model folder. Each family adds only its
 * params and thresholds here; what is its own (boosting losses, out-of-bag scores) is tested in
 * its own file.
 */
import assert from "node:assert/strict";
import {
  type BaseModel,
  createModel,
  GbdtModel,
  loadModel,
  RandomForestModel,
  TREE_FAMILIES,
} from "../../../src/models/mod.ts";
import type { Matrix } from "../../../src/utils/mod.ts";
import { stepData, tempDir } from "./_data.ts";

type Params = Record<string, unknown>;

/** What differs between the tree families in the contract. */
interface TreeFamilyCase {
  /** The model class `loadModel` must return. */
  type: abstract new (...args: never[]) => BaseModel;
  /** Builds a regressor of one input from params with the class's own constructor. */
  construct: (params: Params) => BaseModel;
  /** Params of the learning test, and what it must reach. */
  learn: {
    params: Params;
    maxRmse: number;
    minAccuracy: number;
    /** How many rounds a regression with a validation set runs (early stopping may cut it). */
    rounds: [min: number, max: number];
    /** The loss of the history that must fall from the first round to the last. */
    falling: "loss" | "val_loss";
    /** Largest |sum − 1| of a row's class probabilities. */
    sumTolerance: number;
    summary: RegExp;
    /** Further checks of the fitted regressor. */
    regressor?: (model: BaseModel) => void;
  };
  /** Params of the save/load test (with row and column sampling where the family has it). */
  saved: Params;
  /** Params of the reproducibility test. */
  seeded: Params;
  /** Params that make every tree one leaf on features that cannot split. */
  unsplittable: Params;
  /** Largest distance from the class shares or the mean of such a model (0: exact). */
  unsplittableTolerance: number;
  /** Params `createModel` refuses, and the key paths it must name. */
  badParams: { params: Params; message: RegExp };
  /** An edit of `state` in `params.json` that `load` must refuse, and the message. */
  badState: { edit: (state: Record<string, unknown>) => void; message: RegExp };
  /** Further equality checks of a loaded model. */
  loaded?: (loaded: BaseModel, saved: BaseModel) => void;
}

const CASES: Record<string, TreeFamilyCase> = {
  gbdt: {
    type: GbdtModel,
    construct: (params) => new GbdtModel({ task: "regression", inputDim: 1, params }),
    learn: {
      params: { rounds: 100 },
      maxRmse: 0.25,
      minAccuracy: 0.95,
      rounds: [1, 100],
      falling: "loss",
      sumTolerance: 1e-6,
      summary: /GbdtModel \(gbdt\): regression, 4 inputs, loss squared_error/,
    },
    saved: { rounds: 20, subsample: 0.7, colsample: 0.5 },
    seeded: { rounds: 15, subsample: 0.6, colsample: 0.5 },
    unsplittable: { rounds: 5 },
    unsplittableTolerance: 1e-6,
    badParams: {
      params: { max_leaves: 0, colsample: 2 },
      message: /model\.params\.max_leaves: .*model\.params\.colsample/,
    },
    badState: {
      edit: (state) => {
        state["scoresPerRow"] = 2;
      },
      message: /"state" in "params\.json" is corrupt: scoresPerRow: .*expected 1/,
    },
  },
  random_forest: {
    type: RandomForestModel,
    construct: (params) => new RandomForestModel({ task: "regression", inputDim: 1, params }),
    learn: {
      params: { n_estimators: 30, min_samples_leaf: 3 },
      maxRmse: 0.5,
      minAccuracy: 0.85,
      rounds: [30, 30],
      falling: "val_loss",
      sumTolerance: 1e-5,
      summary: /RandomForestModel \(random_forest\): regression, 4 inputs, criterion squared_error/,
      regressor: (model) => {
        const oob = (model as RandomForestModel).oobScore!;
        assert.ok(oob.value > 0.8, `oob r2 ${oob.value}`);
      },
    },
    saved: { n_estimators: 12, max_features: 0.5, criterion: "entropy" },
    seeded: { n_estimators: 8, max_features: "log2" },
    unsplittable: { n_estimators: 1, bootstrap: false },
    unsplittableTolerance: 0,
    badParams: {
      params: { n_estimators: 0, max_features: "half", criterion: "mse" },
      message:
        /model\.params\.n_estimators: .*model\.params\.criterion: .*model\.params\.max_features/s,
    },
    badState: {
      edit: (state) => {
        state["trees"] = 9;
      },
      message: /"state" in "params\.json" is corrupt: 8 node counts, expected 9 trees × 1/,
    },
    loaded: (loaded, saved) => {
      assert.deepEqual(
        (loaded as RandomForestModel).oobScore,
        (saved as RandomForestModel).oobScore,
      );
    },
  },
};

const CLASSES = ["a", "b", "c"];

function make(family: string, task: "regression" | "classification", params: Params): BaseModel {
  return createModel({ family, params }, {
    task,
    inputDim: 4,
    classes: task === "classification" ? CLASSES : [],
  });
}

Deno.test("TREE_FAMILIES lists the families this contract covers", () => {
  assert.deepEqual([...TREE_FAMILIES].sort(), Object.keys(CASES).sort());
});

for (const family of TREE_FAMILIES) {
  const c = CASES[family]!;

  Deno.test(`${family}: learns with a constant and an all-missing feature, and NaN rows`, async () => {
    const train = stepData(1, 600);
    const test = stepData(2, 300);
    const regressor = make(family, "regression", c.learn.params);
    const history = await regressor.fit(train.x, train.regression, {
      validation: { x: test.x, y: test.regression },
    });
    const p = regressor.predict(test.x);
    let squares = 0;
    for (let i = 0; i < test.values.length; i++) squares += (p[i]! - test.values[i]!) ** 2;
    const rmse = Math.sqrt(squares / test.values.length);
    assert.ok(rmse < c.learn.maxRmse, `rmse ${rmse}`);
    assert.equal(history.metric, "mae");
    assert.equal(history.monitor, "val_loss");
    const [min, max] = c.learn.rounds;
    assert.ok(history.epochs.length >= min && history.epochs.length <= max);
    const falling = c.learn.falling;
    assert.ok(history.epochs.at(-1)![falling]! < history.epochs[0]![falling]!);
    assert.match(regressor.summary(), c.learn.summary);
    c.learn.regressor?.(regressor);

    const classifier = make(family, "classification", c.learn.params);
    const classHistory = await classifier.fit(train.x, train.classification, {});
    assert.equal(classHistory.metric, "accuracy");
    assert.equal(classHistory.epochs.length, max, "no validation set: no early stopping");
    const probabilities = classifier.predict(test.x);
    assert.equal(probabilities.length, test.x.rows * 3);
    for (let i = 0; i < test.x.rows; i++) {
      const sum = probabilities[i * 3]! + probabilities[i * 3 + 1]! + probabilities[i * 3 + 2]!;
      assert.ok(Math.abs(sum - 1) < c.learn.sumTolerance, `row ${i}: ${sum}`);
    }
    const labels = classifier.predictClasses(test.x);
    const correct = labels.filter((label, i) => label === test.labels[i]).length;
    assert.ok(correct / test.x.rows > c.learn.minAccuracy, `accuracy ${correct / test.x.rows}`);
  });

  Deno.test(`${family}: with only a constant and an all-missing feature, predicts the class shares or the mean`, async () => {
    const x: Matrix = {
      data: Float32Array.of(1, NaN, 1, NaN, 1, NaN, 1, NaN),
      rows: 4,
      cols: 2,
    };
    const classifier = createModel({ family, params: c.unsplittable }, {
      task: "classification",
      inputDim: 2,
      classes: ["a", "b"],
    });
    await classifier.fit(x, {
      kind: "classification",
      labels: Int32Array.of(0, 0, 0, 1),
      classes: ["a", "b"],
    }, {});
    const shares = classifier.predict(x);
    const tolerance = c.unsplittableTolerance;
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs(shares[i * 2]! - 0.75) <= tolerance, `${shares}`);
      assert.ok(Math.abs(shares[i * 2 + 1]! - 0.25) <= tolerance, `${shares}`);
    }
    const regressor = createModel({ family, params: c.unsplittable }, {
      task: "regression",
      inputDim: 2,
    });
    await regressor.fit(x, { kind: "regression", values: Float32Array.of(1, 2, 4, 9) }, {});
    for (const v of regressor.predict(x)) assert.ok(Math.abs(v - 4) <= tolerance, `${v}`);
  });

  Deno.test(`${family}: a saved model loads and predicts bit-identically`, async () => {
    const train = stepData(5, 400);
    const test = stepData(6, 200);
    for (const task of ["regression", "classification"] as const) {
      const model = make(family, task, c.saved);
      await model.fit(train.x, train[task], { seed: 3 });
      await tempDir(async (dir) => {
        await model.save(dir);
        assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
          "params.json",
          "trees.bin",
        ]);
        const loaded = await loadModel(dir);
        assert.ok(loaded instanceof c.type);
        assert.deepEqual(loaded.predict(test.x), model.predict(test.x));
        assert.equal(loaded.summary(), model.summary());
        // Saved again, the loaded model writes the same bytes.
        await tempDir(async (again) => {
          await loaded.save(again);
          for (const file of ["params.json", "trees.bin"]) {
            assert.deepEqual(
              await Deno.readFile(`${again}/${file}`),
              await Deno.readFile(`${dir}/${file}`),
            );
          }
        });
        c.loaded?.(loaded, model);
      });
    }
  });

  Deno.test(`${family}: the same seed gives a byte-identical saved model, another seed another model`, async () => {
    const train = stepData(7, 400);
    const val = stepData(8, 100);
    async function savedBytes(seed: number): Promise<Uint8Array[]> {
      const model = make(family, "classification", c.seeded);
      await model.fit(train.x, train.classification, {
        seed,
        validation: { x: val.x, y: val.classification },
      });
      return await tempDir(async (dir) => {
        await model.save(dir);
        return [await Deno.readFile(`${dir}/params.json`), await Deno.readFile(`${dir}/trees.bin`)];
      });
    }
    const first = await savedBytes(11);
    assert.deepEqual(await savedBytes(11), first);
    assert.notDeepEqual((await savedBytes(12))[1], first[1]);
  });

  Deno.test(`${family}: refuses a single-class split, no rows, and NaN or infinite targets (validation ones too)`, async () => {
    const x: Matrix = { data: new Float32Array(8), rows: 4, cols: 2 };
    const classifier = createModel({ family, params: {} }, {
      task: "classification",
      inputDim: 2,
      classes: ["a", "b"],
    });
    await assert.rejects(
      () =>
        classifier.fit(
          x,
          { kind: "classification", labels: new Int32Array(4), classes: ["a", "b"] },
          {},
        ),
      {
        name: "DataValidationError",
        message: /training split holds one class \("a"\), expected at least 2/,
      },
    );
    const regressor = createModel({ family, params: {} }, {
      task: "regression",
      inputDim: 2,
    });
    for (const bad of [NaN, Infinity, -Infinity]) {
      await assert.rejects(
        () => regressor.fit(x, { kind: "regression", values: Float32Array.of(1, bad, 2, 3) }, {}),
        { name: "DataValidationError", message: /1 target values are NaN or infinite/ },
      );
    }
    const finite = { kind: "regression", values: Float32Array.of(1, 0, 2, 3) } as const;
    await assert.rejects(
      () =>
        regressor.fit(x, finite, {
          validation: { x, y: { kind: "regression", values: Float32Array.of(NaN, 0, 2, 3) } },
        }),
      {
        name: "DataValidationError",
        message: new RegExp(`fit "${family}" \\(validation set\\): 1 target values are NaN`),
      },
    );
    await assert.rejects(
      () =>
        regressor.fit({ data: new Float32Array(0), rows: 0, cols: 2 }, {
          kind: "regression",
          values: new Float32Array(0),
        }, {}),
      { name: "DataValidationError", message: /the training split has no rows/ },
    );
    assert.throws(() => regressor.predict(x), { name: "NotFittedError" });
    assert.throws(() => regressor.predict({ data: new Float32Array(3), rows: 1, cols: 3 }), {
      name: "NotFittedError",
    });
  });

  Deno.test(`${family}: createModel() reports bad params at their key path`, () => {
    assert.throws(
      () =>
        createModel({ family, params: c.badParams.params }, {
          task: "classification",
          inputDim: 1,
          classes: ["a", "b"],
        }),
      { name: "ConfigError", message: c.badParams.message },
    );
    assert.throws(
      () =>
        createModel({ family, params: { max_bins: 256 } }, {
          task: "regression",
          inputDim: 1,
        }),
      { name: "ConfigError", message: /model\.params\.max_bins: / },
    );
    assert.throws(() => c.construct({ max_bins: 256 }), { name: "ZodError" });
  });

  Deno.test(`${family}: load() refuses a truncated, edited or missing trees file and an edited state`, async () => {
    const train = stepData(12, 200);
    const model = make(family, "regression", c.seeded);
    await model.fit(train.x, train.regression, {});
    await tempDir(async (dir) => {
      await model.save(dir);
      const bytes = await Deno.readFile(`${dir}/trees.bin`);
      for (const cut of [1, 5, 7]) {
        await Deno.writeFile(`${dir}/trees.bin`, bytes.subarray(0, bytes.length - cut));
        await assert.rejects(() => loadModel(dir), {
          name: "ArtifactError",
          message: /trees\.bin" is corrupt: it holds/,
        });
      }
      const edited = bytes.slice();
      new DataView(edited.buffer).setInt32(16, 9, true); // the root splits on feature 9 of 4
      await Deno.writeFile(`${dir}/trees.bin`, edited);
      await assert.rejects(() => loadModel(dir), {
        name: "ArtifactError",
        message: /tree 0 node 0 splits on feature 9/,
      });
      await Deno.writeFile(`${dir}/trees.bin`, bytes);
      const text = await Deno.readTextFile(`${dir}/params.json`);
      const params = JSON.parse(text);
      c.badState.edit(params.state);
      await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify(params));
      await assert.rejects(() => loadModel(dir), {
        name: "ArtifactError",
        message: c.badState.message,
      });
      const badParams = JSON.parse(text);
      badParams.config.params.max_bins = 999;
      await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify(badParams));
      await assert.rejects(() => loadModel(dir), {
        name: "ArtifactError",
        message: new RegExp(
          `"params\\.json" does not describe a valid ${family} model \\(config\\.params\\.max_bins: [^;]*255[^;]*\\); re-save the model`,
        ),
      });
      await Deno.writeTextFile(`${dir}/params.json`, text);
      assert.deepEqual((await loadModel(dir)).predict(train.x), model.predict(train.x));
      await Deno.remove(`${dir}/trees.bin`);
      await assert.rejects(() => loadModel(dir), {
        name: "ArtifactError",
        message: /"[^"]*trees\.bin" does not exist; check the path or re-save the model/,
      });
    });
  });
}
