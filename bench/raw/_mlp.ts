/**
 * The raw floor's model code: a dense network on tfjs-wasm written against the npm packages
 * only (no deno-mlops code), with the same setup the project uses — the SIMD WebAssembly
 * backend, single-threaded under Deno, and a BatchMatMul kernel that transposes explicitly so
 * that the backward pass stays on XNNPACK — and a minimal training loop: each batch gathered
 * from a row-major Float32Array into one tensor, `optimizer.minimize` inside `tf.tidy`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

/** Where the wasm binaries of the project's node_modules are. */
const WASM_DIST = new URL(
  "../../node_modules/@tensorflow/tfjs-backend-wasm/dist/",
  import.meta.url,
).href;

/**
 * Starts the wasm backend and re-registers its BatchMatMul so that transposed operands are
 * transposed first (the wasm kernel only uses XNNPACK for untransposed operands).
 *
 * @returns the backend name
 * @example
 * ```ts
 * await startWasm(); // "wasm"
 * ```
 */
export async function startWasm(): Promise<string> {
  setWasmPaths(WASM_DIST);
  if (!(await tf.setBackend("wasm"))) throw new Error("Cannot start the tfjs wasm backend");
  const original = tf.getKernel(tf.BatchMatMul, "wasm")!;
  const transpose = tf.getKernel(tf.Transpose, "wasm")!.kernelFunc;
  const run = original.kernelFunc;
  tf.unregisterKernel(tf.BatchMatMul, "wasm");
  tf.registerKernel({ ...original, kernelFunc: patched });
  return tf.getBackend();

  function patched(args: Parameters<typeof run>[0]): ReturnType<typeof run> {
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    const a = args.inputs["a"] as tf.TensorInfo;
    const b = args.inputs["b"] as tf.TensorInfo;
    if ((!attrs.transposeA && !attrs.transposeB) || a.shape.length !== 2) return run(args);
    const backend = args.backend as { disposeData(id: object): boolean };
    const made: tf.TensorInfo[] = [];
    const flip = (x: tf.TensorInfo) => {
      const out = transpose({ inputs: { x }, backend: args.backend, attrs: { perm: [1, 0] } });
      made.push(out as tf.TensorInfo);
      return out as tf.TensorInfo;
    };
    try {
      return run({
        inputs: { a: attrs.transposeA ? flip(a) : a, b: attrs.transposeB ? flip(b) : b },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const info of made) backend.disposeData(info.dataId);
    }
  }
}

/** A seeded uniform generator in [0, 1) (mulberry32). */
export function makeRandom(seed: number): () => number {
  let s = seed >>> 0;
  return function next(): number {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A dense network: one kernel and bias per layer, relu between layers, logits out. */
export interface Network {
  kernels: tf.Variable[];
  biases: tf.Variable[];
}

/**
 * Builds a network with Glorot-uniform kernels and zero biases.
 *
 * @param units input width, then each layer's units (the last is the number of classes)
 * @param seed seed of the weights
 * @returns the variables
 */
export function buildNetwork(units: number[], seed: number): Network {
  const random = makeRandom(seed);
  const kernels: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  for (let i = 1; i < units.length; i++) {
    const fanIn = units[i - 1]!;
    const fanOut = units[i]!;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = new Float32Array(fanIn * fanOut);
    for (let j = 0; j < values.length; j++) values[j] = (2 * random() - 1) * limit;
    kernels.push(tf.variable(tf.tensor2d(values, [fanIn, fanOut])));
    biases.push(tf.variable(tf.zeros([fanOut])));
  }
  return { kernels, biases };
}

/** Runs the network; with `dropout` it drops hidden units with masks from `random`. */
function forward(
  net: Network,
  x: tf.Tensor2D,
  dropout: { rate: number; random: () => number } | null,
): tf.Tensor2D {
  let h = x;
  const last = net.kernels.length - 1;
  for (let i = 0; i < last; i++) {
    h = tf.fused.matMul({
      a: h,
      b: net.kernels[i]!,
      bias: net.biases[i]!,
      activation: "relu",
    }) as tf.Tensor2D;
    if (dropout !== null && dropout.rate > 0) {
      const [rows, cols] = h.shape;
      const mask = new Float32Array(rows * cols);
      const keep = 1 / (1 - dropout.rate);
      for (let j = 0; j < mask.length; j++) mask[j] = dropout.random() < dropout.rate ? 0 : keep;
      h = tf.mul(h, tf.tensor2d(mask, [rows, cols]));
    }
  }
  return tf.fused.matMul({ a: h, b: net.kernels[last]!, bias: net.biases[last]! }) as tf.Tensor2D;
}

/** Training settings of {@link train}. */
export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  dropout: number;
  l2: number;
  /** Early stopping on the validation loss, restoring the best weights; 0 = off. */
  patience: number;
}

/** A split: row-major features and class labels. */
export interface Split {
  x: Float32Array;
  labels: Int32Array;
  rows: number;
}

/**
 * Trains `net` with Adam and softmax cross-entropy; evaluates the validation loss each epoch.
 *
 * @returns epochs run and seconds spent
 */
export function train(
  net: Network,
  data: { train: Split; val: Split; cols: number; classes: number },
  settings: TrainSettings,
): { epochs: number; seconds: number; valLoss: number[] } {
  const started = performance.now();
  const { cols: d, classes: k } = data;
  const { x, labels, rows: n } = data.train;
  const variables = [...net.kernels, ...net.biases];
  const optimizer = tf.train.adam(settings.learningRate);
  const random = makeRandom(settings.seed);
  const dropout = { rate: settings.dropout, random: makeRandom(settings.seed + 1) };
  const batch = Math.min(settings.batchSize, n);
  const xb = new Float32Array(batch * d);
  const yb = new Float32Array(batch * k);
  const order = new Uint32Array(n);
  const valLoss: number[] = [];
  let best = Infinity;
  let bestWeights: Float32Array[] | null = null;
  let wait = 0;
  let epoch = 0;
  for (; epoch < settings.epochs; epoch++) {
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    for (let start = 0; start < n; start += batch) {
      const m = Math.min(n, start + batch) - start;
      yb.fill(0);
      for (let i = 0; i < m; i++) {
        const row = order[start + i]!;
        xb.set(x.subarray(row * d, row * d + d), i * d);
        yb[i * k + labels[row]!] = 1;
      }
      tf.tidy(() => {
        const xs = tf.tensor2d(xb.subarray(0, m * d), [m, d]);
        const ys = tf.tensor2d(yb.subarray(0, m * k), [m, k]);
        optimizer.minimize(
          () => {
            const logits = forward(net, xs, settings.dropout > 0 ? dropout : null);
            const loss = tf.div(tf.neg(tf.sum(tf.mul(ys, tf.logSoftmax(logits)))), m) as tf.Scalar;
            return settings.l2 > 0 ? tf.add(loss, penalty(net, settings.l2)) : loss;
          },
          false,
          variables,
        );
      });
    }
    const loss = evaluateLoss(net, data.val, d, k) +
      (settings.l2 > 0 ? tf.tidy(() => penalty(net, settings.l2).dataSync()[0]!) : 0);
    valLoss.push(loss);
    if (settings.patience > 0) {
      if (loss < best) {
        best = loss;
        wait = 0;
        bestWeights = variables.map((v) => v.dataSync().slice() as Float32Array);
      } else if (++wait >= settings.patience) {
        epoch++;
        break;
      }
    }
  }
  if (bestWeights !== null) {
    variables.forEach((v, i) => {
      const t = tf.tensor(bestWeights![i]!, v.shape);
      v.assign(t);
      t.dispose();
    });
  }
  optimizer.dispose();
  return { epochs: epoch, seconds: (performance.now() - started) / 1000, valLoss };
}

function penalty(net: Network, l2: number): tf.Scalar {
  return tf.mul(l2, tf.addN(net.kernels.map((w) => tf.sum(tf.square(w))))) as tf.Scalar;
}

function evaluateLoss(net: Network, split: Split, d: number, k: number): number {
  const probabilities = predict(net, split.x, split.rows, d);
  let sum = 0;
  for (let i = 0; i < split.rows; i++) {
    sum -= Math.log(Math.max(probabilities[i * k + split.labels[i]!]!, 1e-12));
  }
  return sum / split.rows;
}

/**
 * Predicts class probabilities, one tensor per chunk.
 *
 * @returns row-major probabilities
 */
export function predict(net: Network, x: Float32Array, rows: number, d: number, chunk = 65536) {
  const k = net.biases[net.biases.length - 1]!.shape[0]!;
  const out = new Float32Array(rows * k);
  for (let start = 0; start < rows; start += chunk) {
    const m = Math.min(rows, start + chunk) - start;
    tf.tidy(() => {
      const xs = tf.tensor2d(x.subarray(start * d, (start + m) * d), [m, d]);
      out.set(tf.softmax(forward(net, xs, null)).dataSync(), start * k);
    });
  }
  return out;
}

/**
 * Accuracy of the arg-max class and ROC AUC (binary: class 1 positive; otherwise one-vs-rest
 * macro average).
 *
 * @returns the two metrics
 */
export function quality(
  probabilities: Float32Array,
  labels: Int32Array,
  k: number,
): { accuracy: number; roc_auc: number } {
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) {
      if (probabilities[i * k + c]! > probabilities[i * k + best]!) best = c;
    }
    if (best === labels[i]) correct++;
  }
  const aucOf = (c: number) => {
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) scores[i] = probabilities[i * k + c]!;
    return binaryAuc(scores, (i) => labels[i] === c);
  };
  let auc = 0;
  if (k === 2) auc = aucOf(1);
  else {
    for (let c = 0; c < k; c++) auc += aucOf(c);
    auc /= k;
  }
  return { accuracy: correct / n, roc_auc: auc };
}

/** Mann–Whitney AUC with ties counted as half. */
function binaryAuc(scores: Float64Array, positive: (i: number) => boolean): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j < n && scores[order[j]!] === scores[order[i]!]) j++;
    const rank = (i + j + 1) / 2; // ranks from 1, ties averaged
    for (let t = i; t < j; t++) {
      if (positive(order[t]!)) {
        rankSum += rank;
        positives++;
      }
    }
    i = j;
  }
  const negatives = n - positives;
  return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
}

/**
 * Copies Float32 columns into a row-major matrix, a block of rows at a time (cache-friendly).
 *
 * @returns the matrix data
 */
export function toRowMajor(columns: Float32Array[], rows: number): Float32Array {
  const d = columns.length;
  const out = new Float32Array(rows * d);
  const block = 4096;
  for (let s = 0; s < rows; s += block) {
    const e = Math.min(rows, s + block);
    for (let j = 0; j < d; j++) {
      const v = columns[j]!;
      for (let i = s, o = s * d + j; i < e; i++, o += d) out[o] = v[i]!;
    }
  }
  return out;
}
