/**
 * Prediction throughput of the WebAssembly dense-network kernels against tfjs: the
 * flights-shaped MLP (45 → 64 → 64 → 2, relu, softmax), fitted for one epoch on 2,048 seeded
 * rows so it holds non-trivial weights, then scoring `--rows` seeded rows (default 1M).
 *
 * Both sides run the same checks on the input (`MlpModel.predict` and
 * `DenseNetworkPredictor.predict` check shape and finiteness); "kernel only" is the forward pass
 * without that check. Prints rows/s, GFLOP/s (2 · Σ inputs · units per row) and the largest
 * difference between the two predictions; it writes nothing.
 *
 *   deno task bench:kernels [--rows 1000000] [--repeat 3] [--block-rows 512]
 *
 * @module
 */
import {
  DenseForwardKernel,
  DenseNetworkPredictor,
  initBackend,
  MlpModel,
  planDenseNetwork,
} from "../src/models/mod.ts";
import { Random } from "../src/utils/mod.ts";
import { describeMachine, median } from "./_results.ts";

const args = Deno.args;
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const rows = Number(flag("rows") ?? 1_000_000);
const repeat = Number(flag("repeat") ?? 3);
const blockRows = Number(flag("block-rows") ?? 512);

const INPUT = 45;
const HIDDEN = [64, 64];
const CLASSES = ["on_time", "delayed"];
const FLOPS_PER_ROW = 2 * (INPUT * 64 + 64 * 64 + 64 * CLASSES.length);

await initBackend("wasm");
const rng = new Random(20);
function features(n: number): Float32Array {
  const data = new Float32Array(n * INPUT);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return data;
}

const model = new MlpModel({
  task: "classification",
  inputDim: INPUT,
  classes: CLASSES,
  hiddenUnits: HIDDEN,
  activation: "relu",
  seed: 20,
});
const trainRows = 2_048;
const labels = new Int32Array(trainRows).map((_, i) => i % 2);
await model.fit({ data: features(trainRows), rows: trainRows, cols: INPUT }, {
  kind: "classification",
  labels,
  classes: CLASSES,
}, { epochs: 1, batchSize: 256 });

const x = { data: features(rows), rows, cols: INPUT };
const predictor = await DenseNetworkPredictor.fromModel(model, { blockRows });
const kernel = await DenseForwardKernel.load(planDenseNetwork(model.layersModel()).plan!, {
  blockRows,
});

function time(run: () => Float32Array): { seconds: number; out: Float32Array } {
  const started = performance.now();
  const out = run();
  return { seconds: (performance.now() - started) / 1000, out };
}

const cases = [
  { name: "tfjs MlpModel.predict", run: () => model.predict(x) },
  { name: "kernels DenseNetworkPredictor.predict", run: () => predictor.predict(x) },
  { name: "kernels only (no input check)", run: () => kernel.predict(x.data, rows) },
];
// One warm-up pass each, then `repeat` timed passes, interleaved.
const outputs = cases.map((c) => c.run());
const seconds: number[][] = cases.map(() => []);
for (let r = 0; r < repeat; r++) {
  cases.forEach((c, i) => seconds[i]!.push(time(c.run).seconds));
}

let maxDifference = 0;
for (let i = 0; i < outputs[0]!.length; i++) {
  maxDifference = Math.max(maxDifference, Math.abs(outputs[0]![i]! - outputs[1]![i]!));
}

console.log(await describeMachine());
console.log(
  `flights-shaped MLP ${INPUT}→${HIDDEN.join("→")}→${CLASSES.length}, ${rows} rows, ` +
    `block ${blockRows} rows, median of ${repeat}:`,
);
cases.forEach((c, i) => {
  const s = median(seconds[i]!);
  console.log(
    `  ${c.name.padEnd(40)} ${(rows / s / 1e6).toFixed(2).padStart(6)}M rows/s  ` +
      `${(rows * FLOPS_PER_ROW / s / 1e9).toFixed(1).padStart(5)} GFLOP/s  ` +
      `(${seconds[i]!.map((t) => t.toFixed(3)).join(", ")} s)`,
  );
});
console.log(
  `  largest |tfjs − kernels| over ${outputs[0]!.length} probabilities: ${maxDifference}`,
);
model.dispose();
