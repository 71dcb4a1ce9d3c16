/**
 * The WebAssembly forward kernels of a dense network: loads `dense.wasm` (built from
 * `assembly/dense.ts` by `deno task kernels:build`), packs a plan's weights into its memory once,
 * and predicts blocks of rows with SIMD matmul + bias + activation per layer and the softmax
 * head.
 *
 * @module
 */
import { ArtifactError } from "../../errors.ts";
import type { DenseKernelPlan, KernelActivation } from "./dense_plan.ts";

/** The exported API version of `dense.wasm` this wrapper speaks. */
export const DENSE_KERNEL_API_VERSION = 2;

/**
 * The exports of `dense.wasm` (`assembly/dense.ts` and `assembly/dense_train.ts`): offsets are
 * byte addresses in the instance's memory, laid out by the caller.
 */
export interface DenseKernelExports {
  readonly memory: WebAssembly.Memory;
  apiVersion(): number;
  heapBase(): number;
  denseLayer(
    x: number,
    rows: number,
    xStride: number,
    inputs: number,
    w: number,
    bias: number,
    units8: number,
    activation: number,
    out: number,
  ): void;
  softmaxRows(p: number, rows: number, stride: number, units: number, out: number): void;
  compactRows(p: number, rows: number, stride: number, units: number, out: number): void;
  applyMask(y: number, rows: number, units8: number, mask: number, units: number, h: number): void;
  lossGradient(
    z: number,
    rows: number,
    stride: number,
    classes: number,
    targets: number,
    labels: number,
    batchRows: number,
    delta: number,
  ): void;
  lossValue(
    z: number,
    rows: number,
    stride: number,
    classes: number,
    targets: number,
    labels: number,
  ): void;
  lastLoss(): number;
  lastMetric(): number;
  activationBackward(
    d: number,
    rows: number,
    units8: number,
    y: number,
    activation: number,
    mask: number,
    units: number,
  ): void;
  weightGradients(
    h: number,
    rows: number,
    hStride: number,
    inputs: number,
    d: number,
    units8: number,
    gw: number,
    gb: number,
    accumulate: boolean,
  ): void;
  transposeKernel(
    w: number,
    inputs: number,
    units8: number,
    units: number,
    wt: number,
    inputs8: number,
  ): void;
  penaltyGradient(w: number, g: number, n: number, l2: number): number;
  squaredSum(w: number, n: number): number;
  sgdStep(w: number, g: number, n: number, negativeRate: number): void;
  adamStep(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    negativeRate: number,
    correction1: number,
    correction2: number,
  ): void;
  rmspropStep(w: number, g: number, ms: number, mom: number, n: number, rate: number): void;
}

/** Activation codes of `assembly/dense.ts`. */
const ACTIVATION_CODES: Record<KernelActivation, number> = {
  linear: 0,
  relu: 1,
  tanh: 2,
  sigmoid: 3,
};

const FLOAT_BYTES = 4;
const PAGE_BYTES = 65_536;

/** Options of `DenseForwardKernel.load`. */
export interface DenseForwardKernelOptions {
  /**
   * Rows per kernel call: the inputs and two activation buffers of this many rows stay in cache.
   * @default 512
   */
  blockRows?: number;
  /**
   * The compiled kernels, as a path or `file:` URL.
   * @default `dense.wasm` beside this module
   */
  wasmFile?: string | URL;
}

/** Defaults of `DenseForwardKernelOptions`. */
export const DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS: Required<DenseForwardKernelOptions> = {
  blockRows: 512,
  wasmFile: new URL("./dense.wasm", import.meta.url),
};

/** Compiled modules by file, so every kernel instance shares one compilation. */
const modules = new Map<string, Promise<WebAssembly.Module>>();

/** Where each packed layer lives in WebAssembly memory. */
interface PackedLayer {
  readonly inputs: number;
  readonly units: number;
  readonly units8: number;
  readonly kernel: number;
  readonly bias: number;
  readonly activation: number;
}

/**
 * A dense network's forward pass in WebAssembly, with its weights resident in the instance's
 * memory: load once per model, then `predict` any number of times.
 *
 * Numbers match tfjs's `predict` on the wasm backend within float rounding (sums run in another
 * order). NaN inputs behave as there: NaN in every output of the row, except that a Dense
 * layer's relu maps NaN to 0 (tfjs fuses relu into the matmul's clamp), so a relu network
 * gives finite numbers for such a row.
 *
 * @example
 * ```ts
 * const { plan } = planDenseNetwork(model.layersModel());
 * const kernel = await DenseForwardKernel.load(plan!);
 * const p = kernel.predict(x.data, x.rows); // rows × outputUnits
 * ```
 */
export class DenseForwardKernel {
  readonly #exports: DenseKernelExports;
  readonly #layers: readonly PackedLayer[];
  readonly #plan: DenseKernelPlan;
  readonly #blockRows: number;
  readonly #input: number;
  readonly #buffers: readonly [number, number];
  readonly #output: number;

  private constructor(
    exports: DenseKernelExports,
    plan: DenseKernelPlan,
    blockRows: number,
  ) {
    this.#exports = exports;
    this.#plan = plan;
    this.#blockRows = blockRows;
    let at = align(exports.heapBase());
    const layers: PackedLayer[] = [];
    const reserve = (floats: number) => {
      const start = at;
      at = align(at + floats * FLOAT_BYTES);
      return start;
    };
    for (const layer of plan.layers) {
      const units8 = Math.ceil(layer.units / 8) * 8;
      layers.push({
        inputs: layer.inputs,
        units: layer.units,
        units8,
        kernel: reserve(layer.inputs * units8),
        bias: reserve(units8),
        activation: ACTIVATION_CODES[layer.activation],
      });
    }
    const widest = Math.max(...layers.map((layer) => layer.units8));
    this.#input = reserve(blockRows * plan.inputDim);
    this.#buffers = [reserve(blockRows * widest), reserve(blockRows * widest)];
    this.#output = reserve(blockRows * this.outputUnits);
    const memory = exports.memory;
    if (at > memory.buffer.byteLength) {
      memory.grow(Math.ceil((at - memory.buffer.byteLength) / PAGE_BYTES));
    }
    this.#layers = layers;
    // Pack once: each kernel row padded to units8 with zeros, each bias likewise.
    const heap = new Float32Array(memory.buffer);
    plan.layers.forEach((layer, i) => {
      const packed = layers[i]!;
      for (let k = 0; k < layer.inputs; k++) {
        heap.set(
          layer.kernel.subarray(k * layer.units, (k + 1) * layer.units),
          packed.kernel / FLOAT_BYTES + k * packed.units8,
        );
      }
      heap.set(layer.bias, packed.bias / FLOAT_BYTES);
    });
  }

  /**
   * Compiles (once per file) and instantiates the kernels, and packs the plan's weights.
   *
   * @param plan the network, from `planDenseNetwork`
   * @param options rows per kernel call and where the `.wasm` file is
   * @returns the loaded kernel
   * @throws {RangeError} when `blockRows` is not a positive integer
   * @throws {ArtifactError} when `dense.wasm` cannot be read, is not valid WebAssembly, or speaks
   *   another API version; run `deno task kernels:build`
   * @example
   * ```ts
   * const kernel = await DenseForwardKernel.load(plan, { blockRows: 1024 });
   * ```
   */
  static async load(
    plan: DenseKernelPlan,
    options: DenseForwardKernelOptions = {},
  ): Promise<DenseForwardKernel> {
    const { blockRows, wasmFile } = { ...DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS, ...options };
    if (!Number.isSafeInteger(blockRows) || blockRows < 1) {
      throw new RangeError(
        `Cannot load the dense kernels: blockRows is ${blockRows}, expected a positive integer`,
      );
    }
    const exports = await instantiateDenseKernels(wasmFile);
    return new DenseForwardKernel(exports, plan, blockRows);
  }

  /** The network the kernels run, weights included (unpacked). */
  get plan(): DenseKernelPlan {
    return this.#plan;
  }

  /** Width of the network's input. */
  get inputDim(): number {
    return this.#plan.inputDim;
  }

  /** Values per predicted row: the last layer's units. */
  get outputUnits(): number {
    return this.#plan.layers.at(-1)!.units;
  }

  /**
   * Runs the forward pass over `rows` rows, block by block.
   *
   * @param x `rows × inputDim` values, row-major
   * @param rows number of rows (0 gives an empty result)
   * @returns `rows × outputUnits` values, row-major: probabilities after a softmax head
   * @throws {TypeError} when `x` does not hold `rows × inputDim` values
   * @example
   * ```ts
   * const p = kernel.predict(new Float32Array([0.5, 1, -2]), 1); // one row of 3 features
   * ```
   */
  predict(x: Float32Array, rows: number): Float32Array {
    const d = this.#plan.inputDim;
    if (!Number.isSafeInteger(rows) || rows < 0 || x.length !== rows * d) {
      throw new TypeError(
        `Cannot predict with the dense kernels: ${x.length} values for ${rows} rows, ` +
          `expected rows × ${d}`,
      );
    }
    const width = this.outputUnits;
    const out = new Float32Array(rows * width);
    const wasm = this.#exports;
    // Views are taken after load's memory.grow, which detaches older ones; nothing grows later.
    const heap = new Float32Array(wasm.memory.buffer);
    const softmax = this.#plan.head === "softmax";
    for (let start = 0; start < rows; start += this.#blockRows) {
      const m = Math.min(rows - start, this.#blockRows);
      heap.set(x.subarray(start * d, (start + m) * d), this.#input / FLOAT_BYTES);
      let source = this.#input;
      let stride = d;
      this.#layers.forEach((layer, i) => {
        const target = this.#buffers[i % 2]!;
        wasm.denseLayer(
          source,
          m,
          stride,
          layer.inputs,
          layer.kernel,
          layer.bias,
          layer.units8,
          layer.activation,
          target,
        );
        source = target;
        stride = layer.units8;
      });
      const units = this.#layers.at(-1)!.units;
      if (softmax) wasm.softmaxRows(source, m, stride, units, this.#output);
      else wasm.compactRows(source, m, stride, units, this.#output);
      const first = this.#output / FLOAT_BYTES;
      out.set(heap.subarray(first, first + m * width), start * width);
    }
    return out;
  }
}

/**
 * Instantiates `dense.wasm` (compiled once per file) and checks its API version: each caller gets
 * its own instance, so its own memory.
 *
 * @param wasmFile the compiled kernels, as a path or `file:` URL
 * @returns the instance's exports
 * @throws {ArtifactError} when the file cannot be read, is not valid WebAssembly, or speaks
 *   another API version; run `deno task kernels:build`
 * @example
 * ```ts
 * const wasm = await instantiateDenseKernels(DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS.wasmFile);
 * ```
 */
export async function instantiateDenseKernels(
  wasmFile: string | URL,
): Promise<DenseKernelExports> {
  const module = await compileKernels(wasmFile);
  const instance = await WebAssembly.instantiate(module, {});
  const exports = instance.exports as unknown as DenseKernelExports;
  const version = exports.apiVersion();
  if (version !== DENSE_KERNEL_API_VERSION) {
    throw new ArtifactError(
      `Cannot load the dense kernels from "${String(wasmFile)}": API version ${version}, ` +
        `expected ${DENSE_KERNEL_API_VERSION}; rebuild it with deno task kernels:build`,
    );
  }
  return exports;
}

function compileKernels(file: string | URL): Promise<WebAssembly.Module> {
  const key = String(file);
  let compiled = modules.get(key);
  if (compiled === undefined) {
    compiled = Deno.readFile(file).then((bytes) => WebAssembly.compile(bytes));
    compiled.catch(() => modules.delete(key));
    modules.set(key, compiled);
  }
  return compiled.catch((cause) => {
    throw new ArtifactError(
      `Cannot load the dense kernels from "${key}": ${
        cause instanceof Error ? cause.message : cause
      }; ` +
        `rebuild it with deno task kernels:build`,
      { cause },
    );
  });
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
