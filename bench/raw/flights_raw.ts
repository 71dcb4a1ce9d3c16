/**
 * The raw floor on the flights workload: nodejs-polars and tfjs-wasm only, no deno-mlops code.
 * Load the Parquet file, derive `delayed = delay > 15`, split by time (70/15/15, ties kept in
 * the earlier split), scale distance, hour and weekday with train statistics, one-hot origin and
 * destination over the 20 most frequent train values plus "other", train the MLP 64-64 (Adam,
 * lr 0.001, batch 1024, 2 epochs), predict the test split and score it.
 *
 *   deno run -A bench/raw/flights_raw.ts --data data/raw/flights-3m.parquet
 *
 * Prints one JSON line with the seconds of each stage and the test metrics.
 *
 * @module
 */
import pl from "nodejs-polars";
import { buildNetwork, predict, quality, startWasm, toRowMajor, train } from "./_mlp.ts";
import { fastestOf } from "../_results.ts";

const args = Deno.args;
const path = args[args.indexOf("--data") + 1] ?? "data/raw/flights-3m.parquet";
const TOP = 20;
const stages: Record<string, number> = {};
let clock = performance.now();
function lap(name: string): void {
  const now = performance.now();
  stages[name] = (now - clock) / 1000;
  clock = now;
}

// load
let df = pl.readParquet(path);
lap("load");

// clean: derive the label, refuse nulls in the used columns
df = df.withColumns(pl.col("delay").gt(15).cast(pl.Int32).alias("label"));
for (const name of ["date", "distance", "origin", "destination", "delay"]) {
  if (df.getColumn(name).nullCount() > 0) throw new Error(`nulls in ${name}`);
}
lap("clean");

// split by time: stable sort, boundaries moved past equal times
df = df.sort({ by: "date", maintainOrder: true });
const n = df.height;
const times = df.getColumn("date").cast(pl.Int64).cast(pl.Float64).toTypedArray() as Float64Array;
const nTest = Math.round(n * 0.15);
const nVal = Math.round(n * 0.15);
const pastTies = (b: number) => {
  while (b > 0 && b < n && times[b] === times[b - 1]) b++;
  return b;
};
const trainEnd = pastTies(n - nTest - nVal);
const valEnd = pastTies(Math.max(trainEnd, n - nTest));
const parts = {
  train: df.slice(0, trainEnd),
  val: df.slice(trainEnd, valEnd - trainEnd),
  test: df.slice(valEnd, n - valEnd),
};
lap("split");

// features: fitted on train, applied to every split
const withParts = (f: pl.DataFrame) =>
  f.withColumns(
    pl.col("date").dt.hour().cast(pl.Float64).alias("hour"),
    pl.col("date").dt.weekday().cast(pl.Float64).alias("weekday"),
    pl.col("distance").cast(pl.Float64),
  );
const train0 = withParts(parts.train);
const numeric = ["distance", "hour", "weekday"];
const stats = numeric.map((name) => {
  // Population standard deviation (ddof = 0), as scikit-learn's StandardScaler.
  const x = pl.col(name);
  const row = train0.select(x.mean().alias("m"), x.sub(x.mean()).pow(2).mean().alias("v")).row(0);
  const [mean, variance] = row as [number, number];
  return { name, mean, std: variance > 0 ? Math.sqrt(variance) : 1 };
});
const top = Object.fromEntries(["origin", "destination"].map((name) => {
  const counts = train0.getColumn(name).valueCounts(false, false, "n").sort({
    by: ["n", name],
    descending: [true, false],
  });
  return [name, (counts.getColumn(name).toArray() as string[]).slice(0, TOP).sort()];
}));
const exprs = [
  ...stats.map((s) => pl.col(s.name).sub(s.mean).div(s.std).cast(pl.Float32).alias(s.name)),
  ...Object.entries(top).flatMap(([name, values]) => [
    ...values.map((v) => pl.col(name).eq(pl.lit(v)).cast(pl.Float32).alias(`${name}_${v}`)),
    pl.col(name).isIn(values).not().cast(pl.Float32).alias(`${name}_other`),
  ]),
];
const matrixOf = (part: pl.DataFrame, prepared?: pl.DataFrame) => {
  const features = (prepared ?? withParts(part)).select(...exprs);
  const columns = features.columns.map((c) => features.getColumn(c).toTypedArray() as Float32Array);
  return {
    x: toRowMajor(columns, features.height),
    labels: part.getColumn("label").toTypedArray() as Int32Array,
    rows: features.height,
  };
};
const trainSplit = matrixOf(parts.train, train0);
const valSplit = matrixOf(parts.val);
const testSplit = matrixOf(parts.test);
const cols = exprs.length;
lap("features");

// train
const backend = await startWasm();
const net = buildNetwork([cols, 64, 64, 2], 42);
lap("setup");
const fit = train(net, { train: trainSplit, val: valSplit, cols, classes: 2 }, {
  epochs: 2,
  batchSize: 1024,
  learningRate: 0.001,
  seed: 42,
  dropout: 0,
  l2: 0,
  patience: 0,
});
lap("train");

// predict (warm-up on a slice, then the whole test split)
predict(net, testSplit.x, Math.min(8192, testSplit.rows), cols);
const predicted = fastestOf(() => predict(net, testSplit.x, testSplit.rows, cols));
const probabilities = predicted.result;
stages["predict"] = predicted.seconds;
clock = performance.now();

console.log(JSON.stringify({
  system: "raw",
  backend,
  rows: { train: trainSplit.rows, val: valSplit.rows, test: testSplit.rows },
  features: cols,
  stages,
  epochs: fit.epochs,
  val_loss: fit.valLoss,
  quality: quality(probabilities, testSplit.labels, 2),
}));
