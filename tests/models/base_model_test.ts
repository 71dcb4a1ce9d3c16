import assert from "node:assert/strict";
import { DEFAULT_PREDICT_OPTIONS, MlpModel } from "../../src/models/mod.ts";
import { checkMatrix } from "../../src/models/base_model.ts";
import { DataValidationError } from "../../src/errors.ts";
import { blobs } from "./_synthetic.ts";

Deno.test("DEFAULT_PREDICT_OPTIONS predicts 65,536 rows per tensor, on the machine's cores up to 4", () => {
  assert.deepEqual(DEFAULT_PREDICT_OPTIONS, {
    chunkRows: 65536,
    threads: Math.max(1, Math.min(4, navigator.hardwareConcurrency)),
  });
  assert.ok(DEFAULT_PREDICT_OPTIONS.threads >= 1 && DEFAULT_PREDICT_OPTIONS.threads <= 4);
});

Deno.test("predict() with the default chunks is byte-identical to the former 8,192-row chunks", async () => {
  // 70,000 rows: the default gives chunks of 65,536 + 4,464 rows, the former default 9 chunks.
  const { x, y } = blobs({ rows: 70_000, cols: 9, classes: 3, seed: 11 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 9,
    classes: y.classes,
    hiddenUnits: [64, 64],
    seed: 3,
  });
  await model.fit(
    { data: x.data.subarray(0, 2_000 * 9), rows: 2_000, cols: 9 },
    {
      ...y,
      labels: (y as { labels: Int32Array }).labels.subarray(0, 2_000),
    } as typeof y,
    { epochs: 1, batchSize: 256 },
  );
  const now = model.predict(x);
  const before = model.predict(x, { chunkRows: 8192 });
  assert.equal(now.length, 70_000 * 3);
  assert.deepEqual(
    new Uint8Array(now.buffer, now.byteOffset, now.byteLength),
    new Uint8Array(before.buffer, before.byteOffset, before.byteLength),
  );
  model.dispose();
});

Deno.test("checkMatrix() finds a NaN or infinite value at every position, in 8-value blocks and the tail", () => {
  // 3 rows × 7 columns = 21 values: two blocks of 8 and a tail of 5.
  const expected = { inputDim: 7, action: "predict" };
  const finite = Float32Array.from({ length: 21 }, (_, i) => (i - 10) * 1e30);
  checkMatrix({ data: finite, rows: 3, cols: 7 }, expected); // large but finite: accepted
  for (const bad of [NaN, Infinity, -Infinity]) {
    for (let i = 0; i < 21; i++) {
      const data = finite.slice();
      data[i] = bad;
      assert.throws(
        () => checkMatrix({ data, rows: 3, cols: 7 }, expected),
        (error: unknown) =>
          error instanceof DataValidationError &&
          error.message.includes(
            `1 feature values are NaN or infinite (first at row ${Math.floor(i / 7) + 1})`,
          ),
        `${bad} at ${i}`,
      );
    }
  }
});
