/**
 * Batch prediction of dense networks through the WebAssembly forward kernels, with tfjs as the
 * fallback: a model the kernels do not cover (or kernels that cannot load) predicts with tfjs,
 * after one log line saying why.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { getLogger, type Logger } from "@logtape/logtape";
import type { Matrix } from "../../utils/mod.ts";
import { checkFeatureShape, checkMatrix } from "../base_model.ts";
import type { DenseNetworkModel } from "../mlp.ts";
import { DenseForwardKernel, type DenseForwardKernelOptions } from "./dense_forward.ts";
import { planDenseNetwork } from "./dense_plan.ts";

/** Which code computes a predictor's numbers. */
export type DensePredictorEngine = "wasm-kernels" | "tfjs";

/** Options of `DenseNetworkPredictor.fromModel` and `fromLayersModel`. */
export interface DenseNetworkPredictorOptions extends DenseForwardKernelOptions {
  /**
   * Where the fallback line goes.
   * @default getLogger(["deno-mlops", "models"])
   */
  logger?: Logger | null;
}

/** Defaults of `DenseNetworkPredictorOptions` (beyond the kernel's own). */
export const DEFAULT_DENSE_NETWORK_PREDICTOR_OPTIONS: { logger: Logger | null } = {
  logger: null,
};

/**
 * Predicts with a dense network on the WebAssembly kernels when they cover it, and with tfjs
 * otherwise. The weights are copied when the predictor is created: create a new one after the
 * model trains or loads again.
 *
 * @example
 * ```ts
 * const predictor = await DenseNetworkPredictor.fromModel(model);
 * predictor.engine; // "wasm-kernels"
 * const p = predictor.predict(x); // what model.predict(x) gives, within float rounding
 * ```
 */
export class DenseNetworkPredictor {
  readonly #kernel: DenseForwardKernel | null;
  readonly #fallback: (x: Matrix) => Float32Array;
  readonly #check: (x: Matrix) => void;
  readonly #reason: string | null;

  private constructor(
    kernel: DenseForwardKernel | null,
    reason: string | null,
    fallback: (x: Matrix) => Float32Array,
    check: (x: Matrix) => void,
  ) {
    this.#kernel = kernel;
    this.#reason = reason;
    this.#fallback = fallback;
    this.#check = check;
  }

  /**
   * Builds a predictor for a fitted `MlpModel` or `LinearModel`. It checks its input as
   * `model.predict` does (so NaN features throw `DataValidationError` on both paths) and falls
   * back to `model.predict`.
   *
   * @param model the fitted model
   * @param options logger, rows per kernel call, and where the `.wasm` file is
   * @returns the predictor
   * @throws {NotFittedError} before `fit` or `load`
   * @example
   * ```ts
   * const predictor = await DenseNetworkPredictor.fromModel(await loadModel(dir) as MlpModel);
   * ```
   */
  static async fromModel(
    model: DenseNetworkModel,
    options: DenseNetworkPredictorOptions = {},
  ): Promise<DenseNetworkPredictor> {
    const layers = model.layersModel();
    const action = `predict with "${model.family}"`;
    return await DenseNetworkPredictor.#create(
      layers,
      options,
      (x) => model.predict(x),
      (x) => checkMatrix(x, { inputDim: model.inputDim, action }),
    );
  }

  /**
   * Builds a predictor for any tfjs model, falling back to its `predict`. Inputs are checked
   * for shape only: NaN propagates as in tfjs.
   *
   * @param model the tfjs model (kept by the caller; the fallback calls it)
   * @param options logger, rows per kernel call, and where the `.wasm` file is
   * @returns the predictor
   * @example
   * ```ts
   * const predictor = await DenseNetworkPredictor.fromLayersModel(tf.sequential({ layers }));
   * ```
   */
  static async fromLayersModel(
    model: tf.LayersModel,
    options: DenseNetworkPredictorOptions = {},
  ): Promise<DenseNetworkPredictor> {
    const inputDim = model.inputs[0]?.shape[1] ?? 0;
    return await DenseNetworkPredictor.#create(
      model,
      options,
      (x) =>
        tf.tidy(() => {
          const y = model.predict(tf.tensor2d(x.data, [x.rows, x.cols])) as tf.Tensor;
          return y.dataSync() as Float32Array;
        }),
      (x) => checkFeatureShape(x, inputDim, `predict with "${model.name}"`),
    );
  }

  static async #create(
    model: tf.LayersModel,
    options: DenseNetworkPredictorOptions,
    fallback: (x: Matrix) => Float32Array,
    check: (x: Matrix) => void,
  ): Promise<DenseNetworkPredictor> {
    const { logger, ...kernelOptions } = { ...DEFAULT_DENSE_NETWORK_PREDICTOR_OPTIONS, ...options };
    const log = logger ?? getLogger(["deno-mlops", "models"]);
    const { plan, unsupported } = planDenseNetwork(model);
    if (plan === null) {
      log.info("Dense kernels do not cover this model ({reason}); predicting with tfjs", {
        reason: unsupported,
      });
      return new DenseNetworkPredictor(null, unsupported, fallback, check);
    }
    try {
      const kernel = await DenseForwardKernel.load(plan, kernelOptions);
      return new DenseNetworkPredictor(kernel, null, fallback, check);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      log.warn("Dense kernels unavailable ({reason}); predicting with tfjs", { reason });
      return new DenseNetworkPredictor(null, reason, fallback, check);
    }
  }

  /** `"wasm-kernels"`, or `"tfjs"` when the model or the kernels made it fall back. */
  get engine(): DensePredictorEngine {
    return this.#kernel === null ? "tfjs" : "wasm-kernels";
  }

  /** Why the predictor fell back to tfjs, or `null` on the kernels. */
  get fallbackReason(): string | null {
    return this.#reason;
  }

  /**
   * Predicts every row: probabilities (`rows × classes`) after a softmax, else the last
   * layer's outputs (`rows × units`), row-major.
   *
   * @param x features, one column per model input
   * @returns the predictions
   * @throws {SchemaMismatchError} when the column count differs from the model's
   * @throws {DataValidationError} from a predictor made by `fromModel`, when a feature is NaN
   *   or infinite
   * @example
   * ```ts
   * const p = predictor.predict({ data, rows: 2, cols: 45 }); // 2 × 2 probabilities
   * ```
   */
  predict(x: Matrix): Float32Array {
    this.#check(x);
    if (this.#kernel === null) return this.#fallback(x);
    return this.#kernel.predict(x.data.subarray(0, x.rows * x.cols), x.rows);
  }
}
