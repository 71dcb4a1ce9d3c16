import assert from "node:assert/strict";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { SplitConfigSchema } from "../../src/config/schema.ts";
import type { SplitConfig } from "../../src/config/schema.ts";
import {
  decodeRowRanges,
  encodeRowRanges,
  kFold,
  splitFrame,
  splitIndices,
  stratifiedKFold,
} from "../../src/data/splitter.ts";
import type { Fold, SplitIndices } from "../../src/data/splitter.ts";
import { Random } from "../../src/utils/mod.ts";

/** Ten rows with three classes, five groups and times with one tie (rows 2 and 3). */
const TEN = pl.DataFrame({
  id: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  y: ["a", "b", "a", "a", "b", "c", "a", "b", "c", "a"],
  g: ["g1", "g2", "g1", "g3", "g4", "g2", "g5", "g3", "g4", "g5"],
  t: [5, 1, 3, 3, 9, 7, 2, 8, 6, 4],
});

function split(raw: Record<string, unknown>): SplitConfig {
  return SplitConfigSchema.parse({
    seed: 42,
    ratios: { train: 0.6, val: 0.2, test: 0.2 },
    stratify_by: "y",
    group_column: "g",
    time_column: "t",
    ...raw,
  });
}

function plain(indices: SplitIndices): Record<string, number[]> {
  return { train: [...indices.train], val: [...indices.val], test: [...indices.test] };
}

function assertPartition(parts: ArrayLike<number>[], n: number): void {
  const all = parts.flatMap((p) => [...Array.from(p)]).sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i), "parts must hold every row once");
  for (const part of parts) {
    const values = Array.from(part);
    assert.deepEqual(values, [...values].sort((a, b) => a - b), "each part must be sorted");
  }
}

function countBy(labels: unknown[], rows: ArrayLike<number>): Map<unknown, number> {
  const counts = new Map<unknown, number>();
  for (const i of Array.from(rows)) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  return counts;
}

Deno.test("splitIndices() with method random gives pinned indexes for seed 42 and another split for seed 7", () => {
  assert.deepEqual(plain(splitIndices(TEN, split({ method: "random" }))), {
    train: [0, 4, 5, 6, 7, 9],
    val: [1, 2],
    test: [3, 8],
  });
  assert.deepEqual(plain(splitIndices(TEN, split({ method: "random", seed: 7 }))), {
    train: [0, 1, 2, 4, 6, 9],
    val: [3, 7],
    test: [5, 8],
  });
});

Deno.test("splitIndices() gives identical indexes for the same seed and different ones for another seed", () => {
  const df = pl.DataFrame({ x: Array.from({ length: 200 }, (_, i) => i) });
  for (const method of ["random", "stratified"] as const) {
    const config = split({
      method,
      stratify_by: null,
      ratios: { train: 0.7, val: 0.15, test: 0.15 },
    });
    const withLabels = df.withColumns(pl.col("x").modulo(3).alias("label"));
    const options = { target: "label" };
    const first = splitIndices(withLabels, config, options);
    assert.deepEqual(splitIndices(withLabels, config, options), first);
    assert.notDeepEqual(splitIndices(withLabels, { ...config, seed: 43 }, options), first);
    assertPartition([first.train, first.val, first.test], 200);
    assert.deepEqual([first.train.length, first.val.length, first.test.length], [140, 30, 30]);
  }
});

Deno.test("splitIndices() with method stratified gives pinned indexes with every class within one row of its share", () => {
  const indices = splitIndices(TEN, split({ method: "stratified" }));
  assert.deepEqual(plain(indices), {
    train: [0, 1, 3, 4, 8, 9],
    val: [6, 7],
    test: [2, 5],
  });
  // Classes a, b, c have 5, 3, 2 rows: train quotas 3, 1.8, 1.2 and val/test quotas 1, 0.6, 0.4.
  const labels = TEN.getColumn("y").toArray();
  assert.deepEqual([...countBy(labels, indices.train)], [["a", 3], ["b", 2], ["c", 1]]);
  assert.deepEqual([...countBy(labels, indices.val)], [["a", 1], ["b", 1]]);
  assert.deepEqual([...countBy(labels, indices.test)], [["a", 1], ["c", 1]]);
});

Deno.test("splitIndices() stratifies penguins.csv by Species within one row of the exact proportions", () => {
  const df = pl.readCSV("data/raw/penguins.csv");
  const config = SplitConfigSchema.parse({});
  const indices = splitIndices(df, config, { target: "Species" });
  assertPartition([indices.train, indices.val, indices.test], 344);
  assert.deepEqual([indices.train.length, indices.val.length, indices.test.length], [240, 52, 52]);
  const species = df.getColumn("Species").toArray();
  const totals = countBy(species, Array.from({ length: 344 }, (_, i) => i));
  assert.deepEqual([...totals].sort(), [["Adelie", 152], ["Chinstrap", 68], ["Gentoo", 124]]);
  for (const name of ["train", "val", "test"] as const) {
    const counts = countBy(species, indices[name]);
    for (const [label, total] of totals) {
      const got = counts.get(label) ?? 0;
      const ofSplit = (total * indices[name].length) / 344;
      const ofRatio = total * config.ratios[name];
      assert.ok(Math.abs(got - ofSplit) < 1, `${name} ${label}: ${got} vs ${ofSplit}`);
      assert.ok(Math.abs(got - ofRatio) < 1, `${name} ${label}: ${got} vs ${ofRatio}`);
    }
  }
  assert.deepEqual([...countBy(species, indices.train)].sort(), [
    ["Adelie", 106],
    ["Chinstrap", 48],
    ["Gentoo", 86],
  ]);
});

Deno.test("splitIndices() with method stratified keeps many small classes within one row and the totals exact", () => {
  // 13 classes of 2..14 rows, most with fractional quotas in every split.
  const labels = Array.from({ length: 13 }, (_, c) => Array(c + 2).fill(`k${c}`)).flat();
  const df = pl.DataFrame({ label: labels });
  const config = split({ method: "stratified", stratify_by: "label", seed: 3 });
  const indices = splitIndices(df, config);
  const n = labels.length;
  assert.equal(n, 104);
  assert.deepEqual([indices.train.length, indices.val.length, indices.test.length], [62, 21, 21]);
  assertPartition([indices.train, indices.val, indices.test], n);
  const totals = countBy(labels, Array.from({ length: n }, (_, i) => i));
  for (const name of ["train", "val", "test"] as const) {
    const counts = countBy(labels, indices[name]);
    for (const [label, total] of totals) {
      const exact: number = (total * indices[name].length) / n;
      assert.ok(Math.abs((counts.get(label) ?? 0) - exact) < 1, `${name} ${label}`);
    }
  }
});

Deno.test("splitIndices() with method stratified moves a stranded row so every class stays within one row", () => {
  // Sizes 4, 2, 2. Quotas: a and b 1.5, 0.75, 0.75; c 1, 0.5, 0.5. Largest remainder gives a and
  // b their extra val and test rows first, leaving c's last row nowhere to go until a row moves.
  const df = pl.DataFrame({ label: ["a", "b", "c", "a", "b", "c", "a", "b"] });
  const indices = splitIndices(df, split({ method: "stratified", stratify_by: "label" }));
  assert.deepEqual(plain(indices), { train: [0, 2, 6, 7], val: [1, 5], test: [3, 4] });
  const labels = df.getColumn("label").toArray();
  assert.deepEqual([...countBy(labels, indices.train)].sort(), [["a", 2], ["b", 1], ["c", 1]]);
  assert.deepEqual([...countBy(labels, indices.val)].sort(), [["b", 1], ["c", 1]]);
  assert.deepEqual([...countBy(labels, indices.test)].sort(), [["a", 1], ["b", 1]]);
});

Deno.test("splitIndices() with method group never puts one group in two splits", () => {
  const indices = splitIndices(TEN, split({ method: "group" }));
  assert.deepEqual(plain(indices), {
    train: [0, 2, 3, 6, 7, 9],
    val: [4, 8],
    test: [1, 5],
  });
  const groups = TEN.getColumn("g").toArray();
  const many = pl.DataFrame({ g: Array.from({ length: 500 }, (_, i) => `g${(i * 7) % 37}`) });
  const big = splitIndices(many, split({ method: "group", seed: 11 }));
  assertPartition([big.train, big.val, big.test], 500);
  for (const [df, result] of [[TEN, indices], [many, big]] as const) {
    const keys = df === TEN ? groups : many.getColumn("g").toArray();
    const seen = new Map<unknown, string>();
    for (const name of ["train", "val", "test"] as const) {
      for (const i of result[name]) {
        const previous = seen.get(keys[i]);
        assert.ok(previous === undefined || previous === name, `group ${keys[i]} in two splits`);
        seen.set(keys[i], name);
      }
    }
  }
  // Test and val fill up to their size, overshooting by less than one group (at most 14 rows).
  assert.ok(big.test.length >= 100 && big.test.length < 114, `test ${big.test.length}`);
  assert.ok(big.val.length >= 100 && big.val.length < 114, `val ${big.val.length}`);
});

Deno.test("splitIndices() with method time puts the oldest rows in train and the newest in test", () => {
  assert.deepEqual(plain(splitIndices(TEN, split({ method: "time" }))), {
    train: [0, 1, 2, 3, 6, 9],
    val: [5, 8],
    test: [4, 7],
  });
  // Sorted times 1, 2, 2, 3, ...: the train boundary after two rows falls inside the tie at 2,
  // so it moves past it, both rows with time 2 go to train and the splits stay ordered.
  const tied = pl.DataFrame({ t: [2, 1, 2, 3, 5, 6, 7, 8, 9, 10] });
  const indices = splitIndices(
    tied,
    split({ method: "time", ratios: { train: 0.2, val: 0.4, test: 0.4 } }),
  );
  assert.deepEqual(plain(indices), { train: [0, 1, 2], val: [3, 4, 5], test: [6, 7, 8, 9] });
  const times = tied.getColumn("t").toArray() as number[];
  const max = (rows: Uint32Array) => Math.max(...Array.from(rows, (i) => times[i]!));
  const min = (rows: Uint32Array) => Math.min(...Array.from(rows, (i) => times[i]!));
  assert.ok(max(indices.train) < min(indices.val) && max(indices.val) < min(indices.test));
});

Deno.test("splitIndices() with method time orders dates and keeps equal times on one side", () => {
  const day = (d: number) => new Date(Date.UTC(2024, 0, d));
  const df = pl.DataFrame({ when: [day(4), day(1), day(2), day(2), day(3), day(5)] });
  const indices = splitIndices(
    df,
    split({ method: "time", time_column: "when", ratios: { train: 0.3, val: 0.3, test: 0.4 } }),
  );
  // Sizes 2, 2, 2; the train boundary moves past the second day-2 row.
  assert.deepEqual(plain(indices), { train: [1, 2, 3], val: [4], test: [0, 5] });
});

/**
 * The time split spelled out: a stable sort of the row numbers by time, the boundaries moved
 * forward past ties, and each split's rows in their original order.
 */
function referenceTimeSplit(
  times: readonly unknown[],
  ratios: { train: number; val: number; test: number },
): Record<string, number[]> {
  const n = times.length;
  const key = (v: unknown) => v instanceof Date ? v.getTime() : v as number | string;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const x = key(times[a]), y = key(times[b]);
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const same = (p: number, q: number) => key(times[order[p]!]) === key(times[order[q]!]);
  const pastTies = (b: number) => {
    while (b > 0 && b < n && same(b, b - 1)) b++;
    return b;
  };
  const test = Math.round(n * ratios.test);
  const val = Math.round(n * ratios.val);
  const trainEnd = pastTies(n - test - val);
  const valEnd = pastTies(Math.max(trainEnd, n - test));
  const rows = (from: number, to: number) => order.slice(from, to).sort((a, b) => a - b);
  return { train: rows(0, trainEnd), val: rows(trainEnd, valEnd), test: rows(valEnd, n) };
}

Deno.test("splitIndices() with method time matches a stable sort by time for ordered and shuffled rows of every type", () => {
  const random = new Random(11);
  const ratios = { train: 0.7, val: 0.15, test: 0.15 };
  const config = split({ method: "time", ratios });
  for (const ordered of [true, false]) {
    for (let trial = 0; trial < 6; trial++) {
      const n = 200 + random.int(300);
      const steps = Array.from({ length: n }, () => random.int(1 + trial * 40));
      if (ordered) steps.sort((a, b) => a - b);
      const columns: Record<string, pl.Series> = {
        int: pl.Series("t", steps, pl.Int64),
        // -0 and 0 are equal times, as rank and comparison both see them.
        float: pl.Series("t", steps.map((v, i) => v === 0 && i % 2 ? -0 : v / 7), pl.Float64),
        datetime: pl.Series(
          "t",
          steps.map((v) => new Date(Date.UTC(2001, 0, 1) + v * 60_000)),
          pl.Datetime("ms"),
        ),
        date: pl.Series("t", steps.map((v) => new Date(Date.UTC(2001, 0, 1 + v))), pl.Date),
        uint8: pl.Series("t", steps.map((v) => v % 256), pl.UInt8),
        text: pl.Series("t", steps.map((v) => `t${String(v).padStart(4, "0")}`)),
      };
      for (const [kind, series] of Object.entries(columns)) {
        const times = series.toArray() as unknown[];
        const df = pl.DataFrame([series, pl.Series("row", steps.map((_, i) => i))]);
        const expected = referenceTimeSplit(times, ratios);
        if (expected.val!.length === 0 || expected.test!.length === 0) {
          assert.throws(() => splitIndices(df, config), { name: "DataValidationError" });
          continue;
        }
        const label = `${kind}, ${ordered ? "ordered" : "shuffled"}, trial ${trial}`;
        assert.deepEqual(plain(splitIndices(df, config)), expected, label);
      }
    }
  }
});

Deno.test("splitFrame() with method time returns single-chunk frames equal to gathering their rows", () => {
  // Time-ordered rows read in several chunks (as Parquet row groups arrive): each split is a run
  // of rows, copied into one chunk as a gather would, so later float sums come out the same.
  const part = (from: number, count: number) =>
    pl.DataFrame({
      t: Array.from({ length: count }, (_, i) => Math.floor((from + i) / 3)),
      x: Array.from({ length: count }, (_, i) => (from + i) / 10),
      s: Array.from({ length: count }, (_, i) => `row ${from + i}`),
    });
  const df = pl.concat([part(0, 40), part(40, 35), part(75, 25)], {
    how: "vertical",
    rechunk: false,
  });
  assert.equal(df.nChunks(), 3);
  const frames = splitFrame(df, split({ method: "time" }));
  assert.deepEqual(
    plain(frames.indices),
    referenceTimeSplit(df.getColumn("t").toArray(), {
      train: 0.6,
      val: 0.2,
      test: 0.2,
    }),
  );
  for (const name of ["train", "val", "test"] as const) {
    const rows = pl.Series("rows", frames.indices[name]);
    assertFrameEqual(frames[name], df.select(pl.col("*").gather(rows)), name);
    assert.equal(frames[name].nChunks(), 1, name);
  }
});

Deno.test("splitFrame() returns the rows of each split in their original order", () => {
  const { train, val, test, indices } = splitFrame(TEN, split({ method: "random" }));
  assert.deepEqual(plain(indices), { train: [0, 4, 5, 6, 7, 9], val: [1, 2], test: [3, 8] });
  assertFrameEqual(
    val,
    pl.DataFrame({ id: [1, 2], y: ["b", "a"], g: ["g2", "g1"], t: [1, 3] }),
  );
  assertFrameEqual(
    test,
    pl.DataFrame({ id: [3, 8], y: ["a", "c"], g: ["g3", "g4"], t: [3, 6] }),
  );
  assert.deepEqual(train.getColumn("id").toArray(), [0, 4, 5, 6, 7, 9]);
  assert.deepEqual(train.columns, TEN.columns);
});

Deno.test("splitFrame() with a zero validation ratio returns an empty validation frame", () => {
  const { train, val, test } = splitFrame(
    TEN,
    split({ method: "random", ratios: { train: 0.7, val: 0, test: 0.3 } }),
  );
  assert.deepEqual([train.height, val.height, test.height], [7, 0, 3]);
  assert.deepEqual(val.columns, TEN.columns);
});

Deno.test("kFold() gives pinned folds that partition the rows with sizes differing by at most one", () => {
  const folds = kFold(10, 3, 42);
  assert.deepEqual(folds.map((f) => [[...f.train], [...f.val]]), [
    [[0, 4, 5, 6, 7, 9], [1, 2, 3, 8]],
    [[0, 1, 2, 3, 7, 8, 9], [4, 5, 6]],
    [[1, 2, 3, 4, 5, 6, 8], [0, 7, 9]],
  ]);
  assertPartition(folds.map((f) => f.val), 10);
  for (const fold of folds) assertPartition([fold.train, fold.val], 10);
  assert.deepEqual(kFold(10, 3, 42), folds);
  assert.notDeepEqual(kFold(10, 3, 43), folds);
});

Deno.test("stratifiedKFold() partitions the rows with every class within one row of its share per fold", () => {
  assert.deepEqual(
    stratifiedKFold(["a", "b", "a", "a", "b", "b", "a", "b", "a", "a"], 2, 42)
      .map((f) => [[...f.train], [...f.val]]),
    [
      [[0, 1, 6, 7, 8], [2, 3, 4, 5, 9]],
      [[2, 3, 4, 5, 9], [0, 1, 6, 7, 8]],
    ],
  );
  const labels = pl.readCSV("data/raw/penguins.csv").getColumn("Species").toArray() as string[];
  const folds: Fold[] = stratifiedKFold(labels, 5, 42);
  assertPartition(folds.map((f) => f.val), labels.length);
  const totals = countBy(labels, Array.from({ length: labels.length }, (_, i) => i));
  for (const fold of folds) {
    assertPartition([fold.train, fold.val], labels.length);
    assert.ok(Math.abs(fold.val.length - labels.length / 5) < 1);
    const counts = countBy(labels, fold.val);
    for (const [label, total] of totals) {
      assert.ok(Math.abs((counts.get(label) ?? 0) - total / 5) < 1, `${label} in a fold`);
    }
  }
  assert.deepEqual(stratifiedKFold(labels, 5, 42), folds);
  assert.notDeepEqual(stratifiedKFold(labels, 5, 1), folds);
});

Deno.test("splitIndices() throws ConfigError when the ratios do not sum to 1", () => {
  assert.throws(
    () =>
      splitIndices(TEN, split({ method: "random", ratios: { train: 0.7, val: 0.1, test: 0.15 } })),
    {
      name: "ConfigError",
      message:
        /"split.ratios" sum to 0.95\d* \(train 0.7 \+ val 0.1 \+ test 0.15\), expected 1; adjust them/,
    },
  );
});

Deno.test("splitIndices() throws SchemaMismatchError for a missing column, suggesting the closest one", () => {
  assert.throws(() => splitIndices(TEN, split({ method: "stratified", stratify_by: "yy" })), {
    name: "SchemaMismatchError",
    message:
      /Cannot stratify by column "yy" \(from "split.stratify_by"\): it is missing: did you mean "y"/,
  });
  assert.throws(() => splitIndices(TEN, split({ method: "time", time_column: "tt" })), {
    name: "SchemaMismatchError",
    message: /column "tt" \(from "split.time_column"\): it is missing: did you mean "t"/,
  });
  assert.throws(() => splitIndices(TEN, split({ method: "group", group_column: "grp" })), {
    name: "SchemaMismatchError",
    message: /column "grp" \(from "split.group_column"\)/,
  });
});

Deno.test("splitIndices() throws ConfigError when the column a method needs is not configured", () => {
  assert.throws(() => splitIndices(TEN, split({ method: "group", group_column: null })), {
    name: "ConfigError",
    message: /"split.group_column" is not set/,
  });
  assert.throws(() => splitIndices(TEN, split({ method: "time", time_column: null })), {
    name: "ConfigError",
    message: /"split.time_column" is not set/,
  });
  assert.throws(() => splitIndices(TEN, split({ method: "stratified", stratify_by: null })), {
    name: "ConfigError",
    message: /no column to stratify by; set "split.stratify_by" or pass the target/,
  });
});

Deno.test("splitIndices() throws DataValidationError naming a class too small to stratify", () => {
  const df = pl.DataFrame({ y: ["a", "a", "a", "a", "a", "a", "a", "a", "a", "rare"] });
  assert.throws(() => splitIndices(df, split({ method: "stratified" })), (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.equal(error.name, "DataValidationError");
    assert.match(
      error.message,
      /class "rare" has 1 rows, needs at least 2; .*"split.ratios.val" to 0 .*"split.method: random"/,
    );
    assert.deepEqual((error as Error & { issues: unknown[] }).issues.length, 1);
    return true;
  });
});

Deno.test("splitIndices() throws DataValidationError with the count of null labels or times", () => {
  const df = pl.DataFrame({ y: ["a", null, "b", "a", null, "b"], t: [1, 2, NaN, null, 5, 6] });
  assert.throws(() => splitIndices(df, split({ method: "stratified" })), {
    name: "DataValidationError",
    message: /column "y" has 2 null or NaN values; drop or fill them first/,
  });
  assert.throws(() => splitIndices(df, split({ method: "time" })), {
    name: "DataValidationError",
    message: /column "t" has 2 null or NaN values/,
  });
});

Deno.test("splitIndices() throws DataValidationError when a split would come out empty", () => {
  const two = pl.DataFrame({ x: [1, 2] });
  assert.throws(() => splitIndices(two, split({ method: "random" })), {
    name: "DataValidationError",
    message: /the val split would be empty: 2 rows at ratios .* give it 0 rows; use more rows/,
  });
  const twoGroups = pl.DataFrame({ g: ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b"] });
  assert.throws(() => splitIndices(twoGroups, split({ method: "group" })), {
    name: "DataValidationError",
    message: /the train split would be empty: the 2 groups of "g" run out/,
  });
  const sameTime = pl.DataFrame({ t: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] });
  assert.throws(() => splitIndices(sameTime, split({ method: "time" })), {
    name: "DataValidationError",
    message: /the val split would be empty: rows with equal "t" stay in the earlier split/,
  });
});

Deno.test("stratifiedKFold() and kFold() reject bad fold counts, null labels and classes smaller than k", () => {
  assert.throws(() => stratifiedKFold(["a", "a", "b", "b", "b"], 3, 1), {
    name: "DataValidationError",
    message: /class "a" has 2 rows, fewer than the 3 folds; use at most 2 folds/,
  });
  assert.throws(() => stratifiedKFold(["a", null, "a", NaN], 2, 1), {
    name: "DataValidationError",
    message: /Cannot build stratified folds: 2 labels are null or NaN; drop or fill them first/,
  });
  assert.throws(() => stratifiedKFold(["a", "a"], 1, 1), {
    name: "RangeError",
    message: /expected an integer of at least 2/,
  });
  assert.throws(() => kFold(3, 4, 1), { name: "RangeError", message: /use at most 3 folds/ });
});

Deno.test("encodeRowRanges() writes runs of consecutive rows as [start, length] and decodeRowRanges() reads them back", () => {
  assert.deepEqual(encodeRowRanges([0, 1, 2, 5, 6, 9]), [[0, 3], [5, 2], [9, 1]]);
  assert.deepEqual(encodeRowRanges([]), []);
  // Order is kept: a row after a higher one starts a new run.
  assert.deepEqual(encodeRowRanges(Uint32Array.from([4, 5, 1, 2, 3])), [[4, 2], [1, 3]]);
  assert.deepEqual([...decodeRowRanges([[4, 2], [1, 3]])], [4, 5, 1, 2, 3]);
  const random = new Random(7);
  const rows = Array.from({ length: 500 }, () => random.int(1000)).sort((a, b) => a - b);
  assert.deepEqual([...decodeRowRanges(encodeRowRanges(rows))], rows);
  assert.throws(() => decodeRowRanges([[3, 0]]), { name: "RangeError", message: /\[3, 0\]/ });
  assert.throws(() => decodeRowRanges([[-1, 2]]), { name: "RangeError" });
});
