import assert from "node:assert/strict";
import { initBackend, MlpModel } from "../../../src/models/mod.ts";
import {
  PARALLEL_PREDICT_MIN_ROWS,
  predictOnThreads,
} from "../../../src/models/kernels/forward_threads.ts";
import type { DenseForwardKernel } from "../../../src/models/kernels/mod.ts";
import { captureLogs } from "../../../src/utils/mod.ts";
import { blobs } from "../_synthetic.ts";
import { randomMatrix } from "./_networks.ts";

await initBackend("wasm");

Deno.test("predicting a large input on 2 threads gives one thread's bytes, and both differ from tfjs by rounding only", async () => {
  const { x, y } = blobs({ rows: 200, cols: 6 });
  const model = new MlpModel({ task: "classification", inputDim: 6, classes: y.classes });
  await model.fit(x, y, { epochs: 2, batchSize: 32 });
  const rows = PARALLEL_PREDICT_MIN_ROWS + 1_001;
  const big = randomMatrix(rows, 6, 3);
  const one = model.predict(big, { threads: 1 });
  const two = model.predict(big, { threads: 2 });
  assert.equal(two.length, rows * 3);
  assert.deepEqual(new Uint8Array(two.buffer), new Uint8Array(one.buffer));
  // The probabilities of each row sum to 1: every share was predicted, none left at 0.
  for (const row of [0, Math.floor(rows / 2), rows - 1]) {
    const sum = two[row * 3]! + two[row * 3 + 1]! + two[row * 3 + 2]!;
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${row}: ${sum}`);
  }
  assert.throws(() => model.predict(big, { threads: 0 }), {
    name: "RangeError",
    message: /threads is 0, expected a positive integer/,
  });
  model.dispose();
});

Deno.test("a prediction thread that fails leaves its share to the calling thread, with one log line and the same numbers", () => {
  const rows = PARALLEL_PREDICT_MIN_ROWS;
  const x = new Float32Array(rows * 2).map((_, i) => i % 7);
  // A kernel whose plan the worker cannot load; the calling thread predicts every row itself.
  const kernel = {
    plan: null,
    inputDim: 2,
    outputUnits: 1,
    predict: (values: Float32Array, count: number) =>
      Float32Array.from({ length: count }, (_, i) => values[2 * i]! - values[2 * i + 1]!),
  } as unknown as DenseForwardKernel;
  const logs = captureLogs({ level: "info" });
  let p: Float32Array;
  try {
    p = predictOnThreads(kernel, x, rows, 2);
  } finally {
    logs.stop();
  }
  assert.deepEqual(p, kernel.predict(x, rows));
  const lines = logs.messages().filter((m) => m.includes("Prediction thread"));
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /Prediction thread 1 failed; this thread predicts its 65536 rows instead/,
  );
});
