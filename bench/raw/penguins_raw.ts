/**
 * The raw floor on the penguins workload: nodejs-polars and tfjs-wasm only, no deno-mlops code.
 * Load the CSV, treat "." in Sex as missing, trim strings, drop incomplete and duplicate rows,
 * take the train/val/test rows that the project's stratified split chose (raw row numbers in
 * `--split`, written by bench/run.ts, so that test accuracy compares models, not splits), scale
 * the four measurements and one-hot Island and Sex with train statistics, and train the MLP
 * 32-16 (relu, dropout 0.1, L2 1e-4, Adam lr 0.01, batch 32, up to 200 epochs, early stopping
 * on the validation loss with patience 20 and best-weight restore).
 *
 *   deno run -A bench/raw/penguins_raw.ts --data data/raw/penguins.csv --split SPLIT.json
 *
 * @module
 */
import pl from "nodejs-polars";
import { buildNetwork, predict, quality, startWasm, toRowMajor, train } from "./_mlp.ts";
import { fastestOf } from "../_results.ts";

const args = Deno.args;
const path = args[args.indexOf("--data") + 1] ?? "data/raw/penguins.csv";
const splitPath = args[args.indexOf("--split") + 1]!;
const NUMERIC = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
const CATEGORICAL = ["Island", "Sex"];
const stages: Record<string, number> = {};
let clock = performance.now();
function lap(name: string): void {
  const now = performance.now();
  stages[name] = (now - clock) / 1000;
  clock = now;
}

let df = pl.readCSV(path, {
  dtypes: Object.fromEntries(NUMERIC.map((name) => [name, pl.Float64])),
  nullValues: { Sex: "." },
}).withRowIndex("row");
lap("load");

df = df.withColumns(...["Species", ...CATEGORICAL].map((c) => pl.col(c).str.strip()))
  .dropNulls()
  .unique({ subset: df.columns.filter((c) => c !== "row"), keep: "first", maintainOrder: true });
lap("clean");

const rows = JSON.parse(await Deno.readTextFile(splitPath)) as Record<string, number[]>;
const parts = Object.fromEntries(["train", "val", "test"].map((name) => {
  const part = df.filter(pl.col("row").isIn(rows[name]!));
  if (part.height !== rows[name]!.length) throw new Error(`split ${name}: rows not found`);
  return [name, part];
})) as Record<"train" | "val" | "test", pl.DataFrame>;
lap("split");

const trainPart = parts.train;
const classes = (trainPart.getColumn("Species").unique().toArray() as string[]).sort();
const exprs = [
  ...NUMERIC.map((name) => {
    const x = pl.col(name);
    const [mean, variance] = trainPart.select(
      x.mean().alias("m"),
      x.sub(x.mean()).pow(2).mean().alias("v"),
    ).row(0) as [number, number];
    return x.sub(mean).div(variance > 0 ? Math.sqrt(variance) : 1).cast(pl.Float32).alias(name);
  }),
  ...CATEGORICAL.flatMap((name) =>
    (trainPart.getColumn(name).unique().toArray() as string[]).sort().map((v) =>
      pl.col(name).eq(pl.lit(v)).cast(pl.Float32).alias(`${name}_${v}`)
    )
  ),
];
const splitOf = (part: pl.DataFrame) => {
  const features = part.select(...exprs);
  const labels = Int32Array.from(
    part.getColumn("Species").toArray() as string[],
    (s) => classes.indexOf(s),
  );
  return {
    x: toRowMajor(
      features.columns.map((c) => features.getColumn(c).toTypedArray() as Float32Array),
      part.height,
    ),
    labels,
    rows: part.height,
  };
};
const data = { train: splitOf(parts.train), val: splitOf(parts.val), test: splitOf(parts.test) };
const cols = exprs.length;
lap("features");

const backend = await startWasm();
const net = buildNetwork([cols, 32, 16, classes.length], 42);
lap("setup");
const fit = train(net, { train: data.train, val: data.val, cols, classes: classes.length }, {
  epochs: 200,
  batchSize: 32,
  learningRate: 0.01,
  seed: 42,
  dropout: 0.1,
  l2: 0.0001,
  patience: 20,
});
lap("train");
predict(net, data.test.x, data.test.rows, cols);
const predicted = fastestOf(() => predict(net, data.test.x, data.test.rows, cols));
const probabilities = predicted.result;
stages["predict"] = predicted.seconds;
clock = performance.now();

console.log(JSON.stringify({
  system: "raw",
  backend,
  rows: { train: data.train.rows, val: data.val.rows, test: data.test.rows },
  features: cols,
  stages,
  epochs: fit.epochs,
  quality: quality(probabilities, data.test.labels, classes.length),
}));
