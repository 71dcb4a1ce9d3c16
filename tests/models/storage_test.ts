import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  fileSystemHandler,
  initBackend,
  LinearModel,
  loadModel,
  MlpModel,
  MODEL_ARTIFACT_VERSION,
  readModelParams,
} from "../../src/models/mod.ts";
import {
  corruptModelState,
  decodeModelFile,
  modelFromParams,
  readModelFile,
} from "../../src/models/storage.ts";
import { blobs, linearTarget } from "./_synthetic.ts";

await initBackend("wasm");

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function savedMlp(dir: string): Promise<MlpModel> {
  const { x, y } = blobs({ rows: 60 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [6, 5],
    dropout: 0.2,
    l2: 0.01,
    activation: "elu",
    seed: 17,
  });
  await model.fit(x, y, { epochs: 2, batchSize: 16 });
  await model.save(dir);
  return model;
}

Deno.test("a saved MlpModel loads back and predicts exactly what the saved one did", async () => {
  await withTempDir(async (dir) => {
    const { x } = blobs({ rows: 60, seed: 3 });
    const model = await savedMlp(`${dir}/run/model`);
    const names = [...Deno.readDirSync(`${dir}/run/model`)].map((e) => e.name).sort();
    assert.deepEqual(names, ["model.json", "params.json", "weights.bin"]);
    const before = tf.memory().numTensors;
    const loaded = await loadModel(`${dir}/run/model`);
    assert.ok(loaded instanceof MlpModel);
    assert.equal(loaded.isFitted, true);
    assert.deepEqual(loaded.classes, model.classes);
    assert.deepEqual(loaded.toConfig(), model.toConfig());
    assert.equal(loaded.summary(), model.summary());
    const expected = model.predict(x);
    const actual = loaded.predict(x);
    assert.equal(actual.length, expected.length);
    assert.ok(actual.every((v, i) => Object.is(v, expected[i])), "bitwise-equal predictions");
    assert.deepEqual(loaded.getWeights(), model.getWeights());
    loaded.dispose();
    assert.equal(tf.memory().numTensors, before, "loading then disposing leaks nothing");
    model.dispose();
  });
});

Deno.test("a saved regression LinearModel round-trips through LinearModel.load()", async () => {
  await withTempDir(async (dir) => {
    const { x, y } = linearTarget({ rows: 40 });
    const model = new LinearModel({ task: "regression", inputDim: 3, l2: 0.001 });
    await model.fit(x, y, { epochs: 2 });
    await model.save(dir);
    const loaded = await LinearModel.load(dir);
    assert.deepEqual(loaded.predict(x), model.predict(x));
    const params = await readModelParams(dir);
    assert.equal(params.family, "linear");
    assert.equal(params.task, "regression");
    assert.equal(params.version, MODEL_ARTIFACT_VERSION);
    assert.deepEqual(params.config, { family: "linear", params: { l2: 0.001 } });
    model.dispose();
    loaded.dispose();
  });
});

Deno.test("a missing weights file is an ArtifactError naming the file", async () => {
  await withTempDir(async (dir) => {
    (await savedMlp(dir)).dispose();
    await Deno.remove(`${dir}/weights.bin`);
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: new RegExp(`"${dir}/weights\\.bin" does not exist`),
    });
  });
});

Deno.test("a truncated weights file is an ArtifactError with the byte counts", async () => {
  await withTempDir(async (dir) => {
    (await savedMlp(dir)).dispose();
    const bytes = await Deno.readFile(`${dir}/weights.bin`);
    await Deno.writeFile(`${dir}/weights.bin`, bytes.subarray(0, bytes.length - 8));
    const before = tf.memory().numTensors;
    await assert.rejects(() => MlpModel.load(dir), {
      name: "ArtifactError",
      message: new RegExp(
        `"${dir}/weights\\.bin" hold ${bytes.length - 8} bytes, the weights manifest in ` +
          `"${dir}/model\\.json" expects ${bytes.length}`,
      ),
    });
    assert.equal(tf.memory().numTensors, before);
  });
});

Deno.test("model.json that does not parse is an ArtifactError naming the file", async () => {
  await withTempDir(async (dir) => {
    (await savedMlp(dir)).dispose();
    await Deno.writeTextFile(`${dir}/model.json`, '{"modelTopology": ');
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: new RegExp(`"${dir}/model\\.json" is not valid JSON`),
    });
    await Deno.writeTextFile(`${dir}/model.json`, '{"weightsManifest": []}');
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /has no "modelTopology" object/,
    });
  });
});

Deno.test("a weights path outside the model folder is refused", async () => {
  await withTempDir(async (dir) => {
    (await savedMlp(dir)).dispose();
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    json.weightsManifest[0].paths = ["../weights.bin"];
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message:
        /lists weights file "\.\.\/weights\.bin"; expected a file name inside the model folder/,
    });
  });
});

Deno.test("params.json problems are ArtifactErrors naming the file and the fix", async () => {
  await withTempDir(async (dir) => {
    (await savedMlp(dir)).dispose();
    const text = await Deno.readTextFile(`${dir}/params.json`);
    const params = JSON.parse(text);

    await assert.rejects(() => LinearModel.load(dir), {
      name: "ArtifactError",
      message: /as "linear": ".*params\.json" holds a "mlp" model; use loadModel\(\)/,
    });

    await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify({ ...params, version: 99 }));
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /has version 99, this code reads up to 1; upgrade deno-mlops/,
    });

    await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify({ ...params, family: "forest" }));
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /is not a deno-mlops model description \(family: /,
    });

    await Deno.writeTextFile(
      `${dir}/params.json`,
      JSON.stringify({ ...params, classes: ["only"] }),
    );
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /does not describe a valid mlp model \(.*holds one class/,
    });

    await Deno.writeTextFile(`${dir}/params.json`, JSON.stringify({ ...params, inputDim: 5 }));
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: /"model\.json" has 4 inputs .* "params\.json" describes 5 inputs/,
    });

    await Deno.remove(`${dir}/params.json`);
    await assert.rejects(() => loadModel(dir), {
      name: "ArtifactError",
      message: new RegExp(`"${dir}/params\\.json" does not exist`),
    });
  });
});

Deno.test("fileSystemHandler() saves and loads a plain tfjs model with identical weights", async () => {
  await withTempDir(async (dir) => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 3, inputShape: [2], name: "plain_dense" })],
    });
    const result = await model.save(fileSystemHandler(`${dir}/nested/folder`));
    assert.equal(result.modelArtifactsInfo.weightDataBytes, (2 * 3 + 3) * 4);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/nested/folder/model.json`));
    assert.deepEqual(json.weightsManifest[0].paths, ["weights.bin"]);
    assert.equal(json.format, "layers-model");
    const loaded = await tf.loadLayersModel(fileSystemHandler(`${dir}/nested/folder`));
    const a = model.getWeights().map((w) => w.dataSync());
    const b = loaded.getWeights().map((w) => w.dataSync());
    assert.deepEqual(b, a);
    model.dispose();
    loaded.dispose();
  });
});

Deno.test("the model-file helpers name the family or file and ask for a re-save", async () => {
  const model = modelFromParams("m", "gbdt", () => ({ built: true }));
  assert.deepEqual(model, { built: true });
  assert.throws(() =>
    modelFromParams("m", "random_forest", () => {
      throw new RangeError("inputDim must be positive");
    }), {
    name: "ArtifactError",
    message:
      /^Cannot load model from "m": "params\.json" does not describe a valid random_forest model \(inputDim must be positive\); re-save the model$/,
  });
  assert.throws(() =>
    decodeModelFile("m", "trees.bin", () => {
      throw new RangeError("it holds 3 bytes");
    }), {
    name: "ArtifactError",
    message:
      /^Cannot load model from "m": "trees\.bin" is corrupt: it holds 3 bytes; re-save the model$/,
  });
  assert.equal(decodeModelFile("m", "trees.bin", () => 7), 7);
  const error = corruptModelState("m", `"mean" must be a finite number`);
  assert.equal(error.name, "ArtifactError");
  assert.equal(
    error.message,
    `Cannot load model from "m": the "state" in "params.json" is corrupt: "mean" must be a finite number; re-save the model`,
  );
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/trees.bin`, Uint8Array.of(1, 2, 3));
    assert.deepEqual(await readModelFile(dir, "trees.bin"), Uint8Array.of(1, 2, 3));
    await assert.rejects(() => readModelFile(dir, "other.bin"), {
      name: "ArtifactError",
      message: /other\.bin" does not exist; check the path or re-save the model/,
    });
  });
});
