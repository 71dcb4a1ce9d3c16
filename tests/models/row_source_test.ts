import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  BaselineModel,
  evaluateModel,
  evaluateModelRows,
  initBackend,
  matrixRowSource,
  MlpModel,
  rowFileSource,
  RowFileWriter,
  sliceMatrix,
  sliceTargets,
} from "../../src/models/mod.ts";
import { blobs, linearTarget, sliceRows, withoutSeconds } from "./_synthetic.ts";

await initBackend("wasm");

function mlp(classes: string[]) {
  return new MlpModel({ task: "classification", inputDim: 4, classes, hiddenUnits: [8], seed: 3 });
}

Deno.test("RowFileWriter and rowFileSource round-trip rows appended in batches", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = blobs({ rows: 50 });
    const writer = new RowFileWriter(`${dir}/train`, 4, data.y.classes);
    for (const [a, b] of [[0, 17], [17, 17], [17, 50]]) {
      writer.append(sliceMatrix(data.x, a!, b!), sliceTargets(data.y, a!, b!));
    }
    const file = writer.close();
    assert.equal(file.rows, 50);
    const source = rowFileSource(file, 20);
    assert.equal(source.windowRows, 20);
    const { x, y } = await source.read(10, 30);
    assert.deepEqual(x.data, data.x.data.subarray(40, 160));
    assert.equal(y.kind, "classification");
    assert.deepEqual(y.kind === "classification" ? y.labels : null, data.y.labels.subarray(10, 40));
    // Chunks of 5 rows, read into one window in the order given; the last chunk is short.
    const chunked = rowFileSource(file, 20, 5);
    assert.equal(chunked.chunkRows, 5);
    const window = await chunked.readChunks([3, 0, 9]);
    assert.equal(window.x.rows, 15);
    assert.deepEqual(window.x.data.subarray(0, 20), data.x.data.subarray(60, 80));
    assert.deepEqual(window.x.data.subarray(20, 40), data.x.data.subarray(0, 20));
    assert.deepEqual(window.x.data.subarray(40), data.x.data.subarray(180, 200));
    assert.deepEqual(
      window.y.kind === "classification" ? [...window.y.labels] : null,
      [
        ...data.y.labels.subarray(15, 20),
        ...data.y.labels.subarray(0, 5),
        ...data.y.labels.subarray(45, 50),
      ],
    );
    // A read past the end is clipped.
    assert.equal((await source.read(45, 20)).x.rows, 5);
    const regression = linearTarget({ rows: 12 });
    const values = new RowFileWriter(`${dir}/values`, regression.x.cols, null);
    values.append(regression.x, regression.y);
    const back = await rowFileSource(values.close()).read(0, 12);
    assert.deepEqual(back.y, regression.y);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fitRows() with one window trains exactly as fit() on the same rows", async () => {
  const data = blobs({ rows: 120 });
  const options = { epochs: 3, batchSize: 16, learningRate: 0.02, seed: 5 };
  const a = mlp(data.y.classes);
  const b = mlp(data.y.classes);
  try {
    const ha = await a.fit(data.x, data.y, options);
    const hb = await b.fitRows(matrixRowSource(data.x, data.y), options);
    assert.deepEqual(withoutSeconds(hb), withoutSeconds(ha));
    assert.deepEqual(b.predict(data.x), a.predict(data.x));
  } finally {
    a.dispose();
    b.dispose();
  }
});

Deno.test("fitRows() from row files shuffles window by window, validates and learns", async () => {
  const dir = await Deno.makeTempDir();
  const data = blobs({ rows: 300 });
  const train = sliceRows(data, 0, 200);
  const val = sliceRows(data, 200, 300);
  const model = mlp(data.y.classes);
  try {
    const write = (name: string, part: typeof train) => {
      const writer = new RowFileWriter(`${dir}/${name}`, 4, data.y.classes);
      writer.append(part.x, part.y);
      return writer.close();
    };
    const history = await model.fitRows(rowFileSource(write("train", train), 64), {
      epochs: 4,
      batchSize: 16,
      learningRate: 0.02,
      validation: rowFileSource(write("val", val), 30),
    });
    assert.equal(history.epochs.length, 4);
    assert.ok(history.epochs.every((e) => Number.isFinite(e.val_loss)));
    const metrics = evaluateModel(model, val.x, val.y);
    const streamed = await evaluateModelRows(model, rowFileSource(write("test", val), 7));
    assert.deepEqual(streamed, metrics);
    assert.ok((metrics as { accuracy: number }).accuracy > 0.9);
    // Scoring from row files leaks no tensor.
    const tensors = tf.memory().numTensors;
    await evaluateModelRows(model, rowFileSource(write("again", val), 9));
    assert.equal(tf.memory().numTensors, tensors);
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("BaselineModel.fitTargets() learns what fit() learns, from the targets alone", async () => {
  const data = blobs({ rows: 40, classes: 2 });
  const fitted = new BaselineModel({ task: "classification", inputDim: 4, classes: ["c0", "c1"] });
  await fitted.fit(data.x, data.y);
  const fromTargets = new BaselineModel({
    task: "classification",
    inputDim: 4,
    classes: ["c0", "c1"],
  }).fitTargets(data.y);
  assert.deepEqual(fromTargets.predict(data.x), fitted.predict(data.x));
  assert.throws(
    () =>
      new BaselineModel({ task: "classification", inputDim: 4, classes: ["c0", "c1"] })
        .fitTargets({ kind: "classification", labels: new Int32Array(0), classes: ["c0", "c1"] }),
    { name: "DataValidationError", message: /no rows/ },
  );
});
