/**
 * The WebAssembly training kernels of a dense network: one instance of `dense.wasm` holding the
 * network's weights, gradient and optimiser state resident in its memory, in a packed layout kept
 * across steps (each layer's output width padded to a multiple of 8). A step's arithmetic (the
 * forward pass in training mode, the loss head, the backward pass and the optimiser update) runs
 * in SIMD128 loops with one call per layer and stage, and nothing is allocated per step.
 *
 * Each training thread has its own instance; the loop's thread sums the threads' packed
 * gradients in thread order and takes the optimiser step on its instance.
 *
 * @module
 */
import type { BatchBuffers, ShardResult } from "../_train_shard.ts";
import type { DropoutMasks } from "../_network_types.ts";
import {
  DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS,
  type DenseKernelExports,
  instantiateDenseKernels,
} from "./dense_forward.ts";

/** Hidden activations the training kernels cover. */
export const TRAIN_KERNEL_ACTIVATIONS = ["relu", "tanh", "sigmoid"] as const;

/** A hidden activation the training kernels cover. */
export type TrainKernelActivation = (typeof TRAIN_KERNEL_ACTIVATIONS)[number];

/** The optimisers the kernels update with (tfjs defaults apart from the learning rate). */
export type KernelOptimizerName = "adam" | "sgd" | "rmsprop";

/** The network the kernels train: Dense hidden layers with one activation, a linear output. */
export interface DenseTrainShape {
  /** Features per row. */
  inputDim: number;
  /** Units of each hidden layer (empty for a linear model). */
  hiddenUnits: readonly number[];
  /** Activation of the hidden layers. */
  activation: TrainKernelActivation;
  /** Output units: classes (classification) or 1 (regression). */
  outputUnits: number;
  /** Softmax cross-entropy (classification) or squared error (regression). */
  classification: boolean;
  /** Whether dropout masks are applied after the hidden layers. */
  dropout: boolean;
  /** L2 penalty on every kernel. */
  l2: number;
}

/** Options of `DenseTrainKernel.create`. */
export interface DenseTrainKernelOptions {
  /**
   * The compiled kernels, as a path or `file:` URL.
   * @default `dense.wasm` beside this module
   */
  wasmFile?: string | URL;
  /**
   * Called after every call into the module with the export's name, its arguments and the
   * milliseconds it took: how `bench:kernels` splits a step into its stages.
   * @default undefined (no timing)
   */
  onCall?: (name: string, args: readonly number[], ms: number) => void;
}

/**
 * Activation codes of `assembly/dense.ts` for the training forward pass: relu keeps NaN (4), and
 * 8 is added so that outputs below 1e-15 become 0 (no subnormal floats in the backward pass).
 */
const TRAIN_ACTIVATION_CODES: Record<TrainKernelActivation, number> = {
  relu: 4 + 8,
  tanh: 2 + 8,
  sigmoid: 3 + 8,
};
const LINEAR = 0;

const FLOAT_BYTES = 4;
const PAGE_BYTES = 65_536;

/**
 * Rows each kernel call works on: a share runs block by block (forward, loss, backward), so a
 * block's activations and gradients stay in the core's L2 cache. Measured here, a 64×64 layer
 * runs at 21–23 GFLOP/s in blocks of 64–512 rows and at 14 GFLOP/s over 1,024 rows at once.
 */
export const KERNEL_BLOCK_ROWS = 256;

/** Where one layer's packed weights, gradients and activations live (byte offsets). */
interface TrainLayer {
  readonly inputs: number;
  readonly units: number;
  readonly units8: number;
  /** Kernel, `inputs × units8`, then bias, `units8`: offsets into the packed weights. */
  readonly kernel: number;
  readonly bias: number;
  readonly gradKernel: number;
  readonly gradBias: number;
  /** `units × inputs8` transposed kernel (layers after the first). */
  readonly transposed: number;
  readonly inputs8: number;
  /** `blockRows × units8` activation output. */
  readonly output: number;
  /** `blockRows × units8` masked output (hidden layers with dropout), else `output`. */
  readonly masked: number;
  /** `blockRows × units` dropout mask (hidden layers with dropout), else 0. */
  readonly mask: number;
  readonly activation: number;
}

/**
 * A dense network's training step in WebAssembly.
 *
 * The packed weights (`weights`) and the packed gradient (`gradients`) are views of the
 * instance's memory, `size` values each; `setWeights` and `readWeights` convert from and to
 * tfjs's flat layout (each layer's kernel, row-major, then its bias).
 *
 * @example
 * ```ts
 * const kernel = await DenseTrainKernel.create(shape, 1024);
 * kernel.setWeights(flatWeights);
 * const { cost } = kernel.shareGradients(batch, { start: 0, end: m, batchRows: m, masks: null, penalty: true });
 * kernel.optimizerStep();
 * ```
 */
export class DenseTrainKernel {
  /** Packed weight values (padded columns included). */
  readonly size: number;
  /** The packed weights, resident in WebAssembly memory. */
  readonly weights: Float32Array;
  /** The packed gradient of the last `shareGradients` call (plus what was summed into it). */
  readonly gradients: Float32Array;
  /** The batch buffers, in WebAssembly memory: gathering into them costs no copy. */
  readonly batch: BatchBuffers;
  /** Rows the batch buffers hold. */
  readonly maxRows: number;
  /** Rows per kernel call. */
  readonly blockRows: number;
  readonly #wasm: DenseKernelExports;
  readonly #shape: DenseTrainShape;
  readonly #layers: readonly TrainLayer[];
  readonly #base: number;
  readonly #gradientBase: number;
  readonly #state: readonly [number, number];
  readonly #x: number;
  readonly #targets: number;
  readonly #labels: number;
  readonly #deltas: readonly [number, number];
  readonly #zeros: number;
  readonly #heap: Float32Array;
  #optimizer: { name: KernelOptimizerName; learningRate: number; steps: number } | null = null;
  #accBeta1 = Math.fround(0.9);
  #accBeta2 = Math.fround(0.999);

  private constructor(wasm: DenseKernelExports, shape: DenseTrainShape, maxRows: number) {
    this.#wasm = wasm;
    this.#shape = shape;
    this.maxRows = maxRows;
    const blockRows = Math.min(maxRows, KERNEL_BLOCK_ROWS);
    this.blockRows = blockRows;
    let at = align(wasm.heapBase());
    const reserve = (floats: number) => {
      const start = at;
      // 16 spare bytes: a vector read past the last unpadded mask row stays in bounds.
      at = align(at + floats * FLOAT_BYTES + 16);
      return start;
    };
    const widths = [...shape.hiddenUnits, shape.outputUnits];
    // The packed weights first, contiguous, then the gradient and the optimiser state alike.
    let offset = 0;
    const weightOffsets = widths.map((units, i) => {
      const inputs = i === 0 ? shape.inputDim : widths[i - 1]!;
      const units8 = pad8(units);
      const kernel = offset;
      offset += inputs * units8;
      const bias = offset;
      offset += units8;
      return { inputs, units, units8, kernel, bias };
    });
    this.size = offset;
    this.#base = reserve(this.size);
    this.#gradientBase = reserve(this.size);
    this.#state = [reserve(this.size), reserve(this.size)];
    const hidden = shape.hiddenUnits.length;
    this.#layers = weightOffsets.map((w, i) => {
      const output = reserve(blockRows * w.units8);
      const dropped = i < hidden && shape.dropout;
      const inputs8 = pad8(w.inputs);
      return {
        ...w,
        kernel: this.#base + w.kernel * FLOAT_BYTES,
        bias: this.#base + w.bias * FLOAT_BYTES,
        gradKernel: this.#gradientBase + w.kernel * FLOAT_BYTES,
        gradBias: this.#gradientBase + w.bias * FLOAT_BYTES,
        transposed: i === 0 ? 0 : reserve(w.units * inputs8),
        inputs8,
        output,
        masked: dropped ? reserve(blockRows * w.units8) : output,
        mask: dropped ? reserve(blockRows * w.units) : 0,
        activation: i < hidden ? TRAIN_ACTIVATION_CODES[shape.activation] : LINEAR,
      };
    });
    const widest = Math.max(...this.#layers.map((layer) => layer.units8));
    this.#x = reserve(maxRows * shape.inputDim);
    this.#targets = reserve(maxRows * shape.outputUnits);
    this.#labels = reserve(maxRows);
    this.#deltas = [reserve(blockRows * widest), reserve(blockRows * widest)];
    this.#zeros = reserve(Math.max(...this.#layers.map((layer) => layer.inputs8)));
    const memory = wasm.memory;
    if (at > memory.buffer.byteLength) {
      memory.grow(Math.ceil((at - memory.buffer.byteLength) / PAGE_BYTES));
    }
    // Views are taken after the only memory.grow, which detaches older ones.
    const buffer = memory.buffer;
    this.#heap = new Float32Array(buffer);
    this.#heap.fill(0, this.#base / FLOAT_BYTES);
    this.weights = new Float32Array(buffer, this.#base, this.size);
    this.gradients = new Float32Array(buffer, this.#gradientBase, this.size);
    this.batch = {
      x: new Float32Array(buffer, this.#x, maxRows * shape.inputDim),
      targets: new Float32Array(buffer, this.#targets, maxRows * shape.outputUnits),
      labels: new Int32Array(buffer, this.#labels, shape.classification ? maxRows : 0),
    };
  }

  /**
   * Instantiates `dense.wasm` and lays out the network's memory for `maxRows` rows per call.
   *
   * @param shape the network
   * @param maxRows rows per share (the batch size, or a thread's share of it)
   * @param options where the `.wasm` file is, and a hook timing every call (benchmarks)
   * @returns the kernels, weights and optimiser state zeroed
   * @throws {RangeError} when `maxRows` is not a positive integer
   * @throws {ArtifactError} when `dense.wasm` cannot be loaded; run `deno task kernels:build`
   */
  static async create(
    shape: DenseTrainShape,
    maxRows: number,
    options: DenseTrainKernelOptions = {},
  ): Promise<DenseTrainKernel> {
    if (!Number.isSafeInteger(maxRows) || maxRows < 1) {
      throw new RangeError(
        `Cannot create the dense training kernels: maxRows is ${maxRows}, expected a positive integer`,
      );
    }
    const wasmFile = options.wasmFile ?? DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS.wasmFile;
    const wasm = await instantiateDenseKernels(wasmFile);
    const onCall = options.onCall;
    return new DenseTrainKernel(
      onCall === undefined ? wasm : timedExports(wasm, onCall),
      shape,
      maxRows,
    );
  }

  /** Values in tfjs's flat layout: every layer's kernel and bias, unpadded. */
  get flatSize(): number {
    return this.#layers.reduce((sum, layer) => sum + (layer.inputs + 1) * layer.units, 0);
  }

  /**
   * Packs weights given in tfjs's flat layout (each layer's kernel, row-major, then its bias).
   *
   * @param flat `flatSize` values
   * @throws {RangeError} when `flat` has another length
   */
  setWeights(flat: Float32Array): void {
    this.#convert(flat, "pack");
  }

  /**
   * Unpacks the weights into tfjs's flat layout.
   *
   * @param into `flatSize` values, overwritten
   * @throws {RangeError} when `into` has another length
   */
  readWeights(into: Float32Array): void {
    this.#convert(into, "unpack");
  }

  /**
   * Starts the optimiser: `name` with tfjs's defaults, its state zeroed.
   *
   * @param name adam, sgd or rmsprop
   * @param learningRate the step size
   */
  startOptimizer(name: KernelOptimizerName, learningRate: number): void {
    this.#optimizer = { name, learningRate, steps: 0 };
    this.#heap.fill(0, this.#state[0] / FLOAT_BYTES, this.#state[0] / FLOAT_BYTES + this.size);
    this.#heap.fill(0, this.#state[1] / FLOAT_BYTES, this.#state[1] / FLOAT_BYTES + this.size);
    this.#accBeta1 = Math.fround(0.9);
    this.#accBeta2 = Math.fround(0.999);
  }

  /**
   * Updates the weights in place from `gradients` with the started optimiser.
   *
   * @throws {Error} when no optimiser was started
   */
  optimizerStep(): void {
    const optimizer = this.#optimizer;
    if (optimizer === null) {
      throw new Error("Cannot take an optimiser step: call startOptimizer first");
    }
    const f = Math.fround;
    const w = this.#wasm;
    const [a, b] = this.#state;
    switch (optimizer.name) {
      case "sgd":
        w.sgdStep(this.#base, this.#gradientBase, this.size, f(-optimizer.learningRate));
        break;
      case "adam":
        w.adamStep(
          this.#base,
          this.#gradientBase,
          a,
          b,
          this.size,
          f(-optimizer.learningRate),
          f(1 - this.#accBeta1),
          f(1 - this.#accBeta2),
        );
        this.#accBeta1 = f(this.#accBeta1 * f(0.9));
        this.#accBeta2 = f(this.#accBeta2 * f(0.999));
        break;
      case "rmsprop":
        w.rmspropStep(this.#base, this.#gradientBase, a, b, this.size, f(optimizer.learningRate));
        break;
    }
    optimizer.steps++;
  }

  /**
   * Computes the gradient of `lossSum(rows start..end) / batchRows` (plus the L2 penalty when
   * asked) into `gradients`, from the rows `[start, end)` of `batch`.
   *
   * @param batch the gathered batch (this kernel's own `batch`, or a shared one to copy from)
   * @param share the rows, the batch's row count, the dropout masks and whether to add the penalty
   * @returns the share's cost and metric, as `shardGradients` gives them
   * @throws {RangeError} when the share has more rows than `maxRows`
   */
  shareGradients(
    batch: BatchBuffers,
    share: {
      start: number;
      end: number;
      batchRows: number;
      masks: DropoutMasks | null;
      penalty: boolean;
    },
  ): ShardResult {
    const { start, end, batchRows, masks } = share;
    const rows = end - start;
    const shape = this.#shape;
    if (rows > this.maxRows) {
      throw new RangeError(
        `Cannot compute a gradient on ${rows} rows: the kernels hold ${this.maxRows} rows per call`,
      );
    }
    if (rows <= 0) {
      this.gradients.fill(0);
      return { cost: 0, metric: 0 };
    }
    const d = shape.inputDim;
    const k = shape.outputUnits;
    if (batch !== this.batch || start !== 0) {
      this.batch.x.set(batch.x.subarray(start * d, end * d));
      this.batch.targets.set(batch.targets.subarray(start * k, end * k));
      if (shape.classification) this.batch.labels.set(batch.labels.subarray(start, end));
    }
    const w = this.#wasm;
    const layers = this.#layers;
    if (masks === null && layers.some((layer) => layer.mask !== 0)) {
      throw new RangeError("Cannot compute a dropout network's gradient without masks");
    }
    const blockMasks = layers.map((layer, i) =>
      layer.mask === 0 ? null : masks!(i, rows, layer.units)
    );
    let lossSum = 0;
    let metric = 0;
    for (let first = 0; first < rows; first += this.blockRows) {
      const block = Math.min(rows - first, this.blockRows);
      const sums = this.#blockGradients(first, block, batchRows, blockMasks, first > 0);
      lossSum += sums.loss;
      metric += sums.metric;
    }
    let cost = Math.fround(lossSum / batchRows);
    if (share.penalty && shape.l2 > 0) {
      let squares = 0;
      for (const layer of layers) {
        squares += w.penaltyGradient(
          layer.kernel,
          layer.gradKernel,
          layer.inputs * layer.units8,
          shape.l2,
        );
      }
      cost += shape.l2 * squares;
    }
    return { cost, metric };
  }

  /**
   * Sums the loss (unweighted) and the metric of the network on `rows` rows, in inference mode.
   *
   * @param x `rows × inputDim` features
   * @param targets `rows × outputUnits` one-hot targets or values
   * @param labels `rows` class indexes (classification), else empty
   * @param rows the rows
   * @returns the loss sum and the metric sum
   */
  evaluate(
    x: Float32Array,
    targets: Float32Array,
    labels: Int32Array,
    rows: number,
  ): { lossSum: number; metricSum: number } {
    const shape = this.#shape;
    const d = shape.inputDim;
    const k = shape.outputUnits;
    const w = this.#wasm;
    let lossSum = 0;
    let metricSum = 0;
    for (let start = 0; start < rows; start += this.blockRows) {
      const m = Math.min(rows - start, this.blockRows);
      this.batch.x.set(x.subarray(start * d, (start + m) * d));
      this.batch.targets.set(targets.subarray(start * k, (start + m) * k));
      if (shape.classification) this.batch.labels.set(labels.subarray(start, start + m));
      this.#forward(this.#x, m, false);
      const output = this.#layers.at(-1)!;
      w.lossValue(
        output.output,
        m,
        output.units8,
        shape.classification ? k : 0,
        this.#targets,
        this.#labels,
      );
      lossSum += w.lastLoss();
      metricSum += w.lastMetric();
    }
    return { lossSum, metricSum };
  }

  /**
   * The L2 penalty `l2 · Σ w²` over the kernels (0 when `l2` is 0).
   *
   * @returns the penalty
   */
  penalty(): number {
    if (this.#shape.l2 === 0) return 0;
    let squares = 0;
    for (const layer of this.#layers) {
      squares += this.#wasm.squaredSum(layer.kernel, layer.inputs * layer.units8);
    }
    return Math.fround(this.#shape.l2 * squares);
  }

  /** Forward (training mode), loss and backward over rows `[first, first + rows)` of `x`. */
  #blockGradients(
    first: number,
    rows: number,
    batchRows: number,
    masks: readonly (Float32Array | null)[],
    accumulate: boolean,
  ): { loss: number; metric: number } {
    const w = this.#wasm;
    const shape = this.#shape;
    const layers = this.#layers;
    const last = layers.length - 1;
    const x = this.#x + first * shape.inputDim * FLOAT_BYTES;
    layers.forEach((layer, i) => {
      const mask = masks[i];
      if (mask) {
        this.#heap.set(
          mask.subarray(first * layer.units, (first + rows) * layer.units),
          layer.mask / FLOAT_BYTES,
        );
      }
    });
    this.#forward(x, rows, true);
    const output = layers[last]!;
    let delta = this.#deltas[0];
    w.lossGradient(
      output.output,
      rows,
      output.units8,
      shape.classification ? shape.outputUnits : 0,
      this.#targets + first * shape.outputUnits * FLOAT_BYTES,
      this.#labels + first * FLOAT_BYTES,
      batchRows,
      delta,
    );
    const sums = { loss: w.lastLoss(), metric: w.lastMetric() };
    for (let i = last; i >= 0; i--) {
      const layer = layers[i]!;
      const source = i === 0 ? x : layers[i - 1]!.masked;
      const sourceStride = i === 0 ? shape.inputDim : layers[i - 1]!.units8;
      w.weightGradients(
        source,
        rows,
        sourceStride,
        layer.inputs,
        delta,
        layer.units8,
        layer.gradKernel,
        layer.gradBias,
        accumulate,
      );
      if (i === 0) break;
      const below = layers[i - 1]!;
      const next = delta === this.#deltas[0] ? this.#deltas[1] : this.#deltas[0];
      if (!accumulate) {
        w.transposeKernel(
          layer.kernel,
          layer.inputs,
          layer.units8,
          layer.units,
          layer.transposed,
          layer.inputs8,
        );
      }
      w.denseLayer(
        delta,
        rows,
        layer.units8,
        layer.units,
        layer.transposed,
        this.#zeros,
        layer.inputs8,
        LINEAR,
        next,
      );
      w.activationBackward(
        next,
        rows,
        below.units8,
        below.output,
        below.activation,
        below.mask,
        below.units,
      );
      delta = next;
    }
    return sums;
  }

  /** Runs the layers over `rows` rows at `x`; `training` applies the dropout masks. */
  #forward(x: number, rows: number, training: boolean): void {
    const w = this.#wasm;
    let input = x;
    let stride = this.#shape.inputDim;
    for (const layer of this.#layers) {
      w.denseLayer(
        input,
        rows,
        stride,
        layer.inputs,
        layer.kernel,
        layer.bias,
        layer.units8,
        layer.activation,
        layer.output,
      );
      if (training && layer.mask !== 0) {
        w.applyMask(layer.output, rows, layer.units8, layer.mask, layer.units, layer.masked);
        input = layer.masked;
      } else {
        input = layer.output;
      }
      stride = layer.units8;
    }
  }

  #convert(flat: Float32Array, direction: "pack" | "unpack"): void {
    if (flat.length !== this.flatSize) {
      throw new RangeError(
        `Cannot ${direction} weights: ${flat.length} values, expected ${this.flatSize}`,
      );
    }
    const heap = this.#heap;
    let offset = 0;
    for (const layer of this.#layers) {
      const { inputs, units, units8 } = layer;
      const kernelAt = layer.kernel / FLOAT_BYTES;
      for (let row = 0; row < inputs; row++) {
        const packed = kernelAt + row * units8;
        if (direction === "pack") heap.set(flat.subarray(offset, offset + units), packed);
        else flat.set(heap.subarray(packed, packed + units), offset);
        offset += units;
      }
      const biasAt = layer.bias / FLOAT_BYTES;
      if (direction === "pack") heap.set(flat.subarray(offset, offset + units), biasAt);
      else flat.set(heap.subarray(biasAt, biasAt + units), offset);
      offset += units;
    }
  }
}

/** The exports with every function wrapped to time its calls. */
function timedExports(
  wasm: DenseKernelExports,
  onCall: NonNullable<DenseTrainKernelOptions["onCall"]>,
): DenseKernelExports {
  const timed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(wasm)) {
    timed[name] = typeof value !== "function" ? value : (...args: number[]) => {
      const started = performance.now();
      const result = value(...args);
      onCall(name, args, performance.now() - started);
      return result;
    };
  }
  return timed as unknown as DenseKernelExports;
}

function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
