import assert from "node:assert/strict";
import { RandomForestModel, type Targets } from "../../../src/models/mod.ts";
import { type Matrix, Random } from "../../../src/utils/mod.ts";

/** Rows × 3 features (one with missing values) and a 3-class target. */
function data(seed: number, rows: number) {
  const random = new Random(seed);
  const x = new Float32Array(rows * 3);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = random.next() < 0.05 ? NaN : random.next() * 4;
    const b = random.normal();
    const c = Math.floor(random.next() * 7);
    x.set([a, b, c], i * 3);
    labels[i] = a !== a ? 2 : a > 2 ? (b > 0 ? 1 : 2) : c % 2;
  }
  const matrix: Matrix = { data: x, rows, cols: 3 };
  const y: Targets = { kind: "classification", labels, classes: ["a", "b", "c"] };
  return { x: matrix, y };
}

async function fitted(threads: number) {
  const { x, y } = data(3, 3000);
  const model = new RandomForestModel({
    task: "classification",
    inputDim: 3,
    classes: ["a", "b", "c"],
    params: { n_estimators: 7, max_depth: 8 },
  });
  const history = await model.fit(x, y, { threads, seed: 11 });
  const dir = await Deno.makeTempDir();
  try {
    await model.save(dir);
    return { bytes: await Deno.readFile(`${dir}/trees.bin`), history, oob: model.oobScore };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("random_forest grows the same forest, history and out-of-bag score on 1, 2 and 3 threads", async () => {
  const one = await fitted(1);
  for (const threads of [2, 3]) {
    const many = await fitted(threads);
    assert.deepEqual(many.bytes, one.bytes, `trees.bin with ${threads} threads`);
    assert.deepEqual(
      many.history.epochs.map((e) => [e.loss, e.metric]),
      one.history.epochs.map((e) => [e.loss, e.metric]),
    );
    assert.deepEqual(many.oob, one.oob);
  }
  assert.equal(one.history.epochs.length, 7);
  assert.ok(one.oob!.value > 0.8, `out-of-bag accuracy ${one.oob!.value}`);
});

Deno.test("an aborted random_forest fit on 2 threads ends its worker and rejects with the reason", async () => {
  const { x, y } = data(4, 2000);
  const model = new RandomForestModel({
    task: "classification",
    inputDim: 3,
    classes: ["a", "b", "c"],
    params: { n_estimators: 50 },
  });
  const controller = new AbortController();
  await assert.rejects(
    () =>
      model.fit(x, y, {
        threads: 2,
        signal: controller.signal,
        callbacks: {
          onEpochEnd: (epoch) => epoch === 2 ? controller.abort(new Error("stop")) : undefined,
        },
      }),
    { message: "stop" },
  );
  assert.equal(model.isFitted, false);
});
