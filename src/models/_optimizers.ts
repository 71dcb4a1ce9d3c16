/**
 * The training loop's optimisers, on flat `Float32Array`s: every trainable value of a network
 * side by side (variables in order, each row-major), updated in place in plain JavaScript.
 *
 * Each one reproduces the tfjs optimiser of the same name bit for bit (tfjs 4.22 with its
 * defaults: Adam β1 0.9, β2 0.999; RMSprop decay 0.9, momentum 0, not centred; ε is the
 * backend's 1e-7): every tfjs kernel is one IEEE float32 operation per value, and each `f(...)`
 * below rounds a double result to float32, which gives the same float32 for `+ − × ÷ √`
 * (double has more than twice float32's precision, so rounding twice never differs). The test
 * compares them with `tf.train.*` step by step. Updating flat arrays costs a few microseconds per
 * step where the tfjs optimisers dispatch about ten wasm kernels per variable, and it lets the
 * data-parallel loop apply one summed gradient without building a tensor per shard.
 *
 * @module
 */

/** The optimisers the loop can use. */
export type FlatOptimizerName = "adam" | "sgd" | "rmsprop";

/** Updates flat weights from flat gradients of the same layout. */
export interface FlatOptimizer {
  /**
   * Takes one step: `weights` is updated in place.
   *
   * @param gradients the gradient of the loss at `weights`
   * @param weights the current values
   */
  step(gradients: Float32Array, weights: Float32Array): void;
}

const f = Math.fround;
/** tfjs's `ENGINE.backend.epsilon()` for float32 backends (wasm and cpu). */
const EPSILON = f(1e-7);

/**
 * Creates an optimiser over `size` values with tfjs's default settings for `name`.
 *
 * @param name adam, sgd or rmsprop
 * @param learningRate the step size
 * @param size the number of values it updates
 * @returns the optimiser, with zeroed state
 * @example
 * ```ts
 * const optimizer = createFlatOptimizer("adam", 0.001, weights.length);
 * optimizer.step(gradients, weights);
 * ```
 */
export function createFlatOptimizer(
  name: FlatOptimizerName,
  learningRate: number,
  size: number,
): FlatOptimizer {
  switch (name) {
    case "adam":
      return adam(learningRate, size);
    case "sgd":
      return sgd(learningRate);
    case "rmsprop":
      return rmsprop(learningRate, size);
  }
}

function sgd(learningRate: number): FlatOptimizer {
  // tfjs: value + (−lr) · g
  const c = f(-learningRate);
  return {
    step(g, w) {
      for (let i = 0; i < w.length; i++) w[i] = f(f(c * g[i]!) + w[i]!);
    },
  };
}

function adam(learningRate: number, size: number): FlatOptimizer {
  const beta1 = f(0.9);
  const beta2 = f(0.999);
  const oneMinusBeta1 = f(1 - 0.9);
  const oneMinusBeta2 = f(1 - 0.999);
  const negativeRate = f(-learningRate);
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  let accBeta1 = beta1;
  let accBeta2 = beta2;
  return {
    step(g, w) {
      const correction1 = f(1 - accBeta1);
      const correction2 = f(1 - accBeta2);
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]!;
        const mi = f(f(m[i]! * beta1) + f(gi * oneMinusBeta1));
        const vi = f(f(v[i]! * beta2) + f(f(gi * gi) * oneMinusBeta2));
        m[i] = mi;
        v[i] = vi;
        const mHat = f(mi / correction1);
        const vHat = f(vi / correction2);
        w[i] = f(f(f(mHat / f(f(Math.sqrt(vHat)) + EPSILON)) * negativeRate) + w[i]!);
      }
      accBeta1 = f(accBeta1 * beta1);
      accBeta2 = f(accBeta2 * beta2);
    },
  };
}

function rmsprop(learningRate: number, size: number): FlatOptimizer {
  const decay = f(0.9);
  const oneMinusDecay = f(1 - 0.9);
  const momentum = f(0);
  const rate = f(learningRate);
  const meanSquare = new Float32Array(size);
  const moment = new Float32Array(size);
  return {
    step(g, w) {
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]!;
        const ms = f(f(meanSquare[i]! * decay) + f(f(gi * gi) * oneMinusDecay));
        const mo = f(f(moment[i]! * momentum) + f(f(gi * rate) / f(Math.sqrt(f(ms + EPSILON)))));
        meanSquare[i] = ms;
        moment[i] = mo;
        w[i] = f(w[i]! - mo);
      }
    },
  };
}
