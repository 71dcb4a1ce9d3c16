import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  momentsOf,
  orderStatistics,
  planStreamedSplit,
  splitIndices,
  timeSplitBoundaries,
} from "../../src/data/mod.ts";
import type { SplitConfig } from "../../src/config/mod.ts";
import { Random } from "../../src/utils/mod.ts";

function config(overrides: Partial<SplitConfig>): SplitConfig {
  return {
    method: "random",
    ratios: { train: 0.7, val: 0.15, test: 0.15 },
    seed: 42,
    stratify_by: null,
    group_column: null,
    time_column: null,
    folds: 5,
    ...overrides,
  };
}

function codesOf(indices: { train: ArrayLike<number>; val: ArrayLike<number> }, n: number) {
  const codes = new Uint8Array(n).fill(2);
  for (const i of Array.from(indices.train)) codes[i] = 0;
  for (const i of Array.from(indices.val)) codes[i] = 1;
  return codes;
}

Deno.test("planStreamedSplit() places every row as splitIndices() does for a random split", () => {
  const n = 1_003;
  const df = pl.DataFrame({ x: Array.from({ length: n }, (_, i) => i) });
  const random = config({ method: "random", seed: 9 });
  const plan = planStreamedSplit(n, random);
  assert.equal(plan.method, "random");
  assert.deepEqual(
    plan.method === "random" ? plan.codes : null,
    codesOf(splitIndices(df, random), n),
  );
});

Deno.test("timeSplitBoundaries() from streamed order statistics gives splitIndices()' time split", async () => {
  // Times with heavy ties, in no order: boundaries fall inside runs of equal times.
  const rng = new Random(5);
  const n = 2_000;
  const times = Float64Array.from({ length: n }, () => Math.floor(rng.next() * 37));
  const df = pl.DataFrame({ t: Array.from(times) });
  const time = config({ method: "time", time_column: "t" });
  const plan = planStreamedSplit(n, time);
  assert.equal(plan.method, "time");
  const batches = async function* () {
    for (let i = 0; i < n; i += 300) yield times.subarray(i, i + 300);
  };
  const moments = momentsOf(times);
  const bounds = await timeSplitBoundaries(
    plan.sizes,
    async (rank) => (await orderStatistics(batches, [rank], moments))[0]!,
    (t) => Promise.resolve(times.filter((v) => v <= t).length),
    "t",
  );
  const streamed = Uint8Array.from(
    times,
    (t) => t <= bounds.train ? 0 : bounds.val !== null && t <= bounds.val ? 1 : 2,
  );
  const expected = codesOf(splitIndices(df, time), n);
  assert.deepEqual(streamed, expected);
  assert.equal(bounds.counts.train, expected.filter((c) => c === 0).length);
});

Deno.test("planStreamedSplit() refuses a stratified split, naming the fix", () => {
  assert.throws(() => planStreamedSplit(100, config({ method: "stratified" })), {
    name: "ConfigError",
    message: /out of core: it needs every label.*data\.out_of_core to false/,
  });
});
