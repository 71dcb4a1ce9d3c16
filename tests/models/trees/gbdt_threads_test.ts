import assert from "node:assert/strict";
import { GbdtModel, type Targets } from "../../../src/models/mod.ts";
import { type Matrix, Random } from "../../../src/utils/mod.ts";
import type { GbdtParams } from "../../../src/models/trees/gbdt.ts";

/** Enough rows that the root and the large nodes are built on every thread (≥ 50,000). */
const ROWS = 60_000;

/** Rows × 3 features (one with missing values, one with few values) and three targets. */
function data(seed: number, rows: number) {
  const random = new Random(seed);
  const cols = 3;
  const x = new Float32Array(rows * cols);
  const values = new Float32Array(rows);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = random.next() < 0.05 ? NaN : random.next() * 4;
    const b = random.normal();
    const c = Math.floor(random.next() * 7);
    x.set([a, b, c], i * cols);
    values[i] = (a > 2 ? 2 : 0) + 0.5 * b + (c === 3 ? 1 : 0) + 0.1 * random.normal();
    labels[i] = a !== a ? 2 : a > 2 ? (b > 0 ? 1 : 2) : c % 2;
  }
  const matrix: Matrix = { data: x, rows, cols };
  const regression: Targets = { kind: "regression", values };
  const classification: Targets = { kind: "classification", labels, classes: ["a", "b", "c"] };
  return { x: matrix, regression, classification };
}

async function savedTrees(model: GbdtModel): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir();
  try {
    await model.save(dir);
    return await Deno.readFile(`${dir}/trees.bin`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function fitWith(
  threads: number,
  y: "regression" | "classification",
  params: Partial<GbdtParams>,
): Promise<GbdtModel> {
  const train = data(1, ROWS);
  const model = y === "regression"
    ? new GbdtModel({ task: "regression", inputDim: 3, params })
    : new GbdtModel({ task: "classification", inputDim: 3, classes: ["a", "b", "c"], params });
  await model.fit(train.x, train[y], { seed: 5, threads });
  return model;
}

for (
  const [y, params] of [
    ["regression", { rounds: 4, max_leaves: 15 }],
    ["classification", { rounds: 3, max_leaves: 15, subsample: 0.8, colsample: 0.7 }],
  ] as const
) {
  Deno.test(`gbdt ${y} gives byte-identical trees on 1, 2 and 3 threads`, async () => {
    const one = await savedTrees(await fitWith(1, y, params));
    // Large nodes are summed in chunks fixed by their row count, whatever thread sums them.
    assert.deepEqual(await savedTrees(await fitWith(2, y, params)), one);
    assert.deepEqual(await savedTrees(await fitWith(2, y, params)), one);
    assert.deepEqual(await savedTrees(await fitWith(3, y, params)), one);
  });
}

Deno.test("gbdt on 2 threads ends its threads when training is aborted", async () => {
  const train = data(3, ROWS);
  const model = new GbdtModel({ task: "regression", inputDim: 3, params: { rounds: 50 } });
  const controller = new AbortController();
  await assert.rejects(
    model.fit(train.x, train.regression, {
      threads: 2,
      signal: controller.signal,
      callbacks: {
        onEpochEnd: (epoch) => {
          if (epoch === 1) controller.abort(new Error("stop here"));
        },
      },
    }),
    { message: "stop here" },
  );
  assert.equal(model.isFitted, false);
});

Deno.test("gbdt with threads on a small training set trains on one thread, as with threads 1", async () => {
  const train = data(4, 1_000);
  const fit = async (threads: number) => {
    const model = new GbdtModel({ task: "regression", inputDim: 3, params: { rounds: 5 } });
    await model.fit(train.x, train.regression, { seed: 1, threads });
    return await savedTrees(model);
  };
  assert.deepEqual(await fit(4), await fit(1));
});
