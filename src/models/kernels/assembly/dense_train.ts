// The training step of a dense network, in AssemblyScript with SIMD128: the loss head and its
// gradient, the backward pass (activation derivative, kernel and bias gradients, the gradient at
// a layer's input) and the optimiser updates. The forward pass is `denseLayer` of `dense.ts`.
//
// Layouts are the host's (`dense_train.ts` beside `dense.wasm`): activations and gradients are
// rows × units8 with units8 a multiple of 8; a layer's kernel is inputs × units8 (real input
// rows only), its bias units8; padded columns of weights, gradients and optimiser state stay 0.
// Sums over rows run in row order, so a share's gradient is the same on every call.

/** Activation codes shared with `dense.ts` and the host. */
const RELU: i32 = 1;
const TANH: i32 = 2;
const SIGMOID: i32 = 3;
const RELU_KEEP_NAN: i32 = 4;

import { flushTiny, TINY } from "./flush";

/** The loss sum and metric sum of the last `lossGradient` or `lossValue` call. */
let lossSum: f64 = 0;
let metricSum: f64 = 0;

/** The loss sum of the last `lossGradient` or `lossValue` call. */
export function lastLoss(): f64 {
  return lossSum;
}

/** The metric sum (correct rows, or absolute errors) of the last loss call. */
export function lastMetric(): f64 {
  return metricSum;
}

/**
 * h[r, u] = y[r, u] · mask[r · units + u] for u < units8 (inverted dropout). The mask is
 * rows × units, unpadded: the lanes past `units` read the next row's mask, which only ever
 * meets padded columns, and those are never read as inputs. The host leaves 16 spare bytes after
 * the mask.
 */
export function applyMask(y: usize, rows: i32, units8: i32, mask: usize, units: i32, h: usize): void {
  for (let r = 0; r < rows; r++) {
    const yr = y + (<usize>r * <usize>units8 << 2);
    const hr = h + (<usize>r * <usize>units8 << 2);
    const mr = mask + (<usize>r * <usize>units << 2);
    for (let u = 0; u < units8; u += 4) {
      const o = <usize>u << 2;
      v128.store(hr + o, f32x4.mul(v128.load(yr + o), v128.load(mr + o)));
    }
  }
}

/**
 * The loss of `rows` rows of outputs `z` (rows × stride) and, in `delta` (rows × stride), its
 * gradient d(lossSum / batchRows) / dz; the padded columns of `delta` are 0. Classification
 * (`classes` > 0): `targets` holds each row's class weight at its label (rows × classes), the
 * loss is the weighted cross-entropy of the log-softmax and the metric counts rows whose first
 * largest output is the label. Regression: the squared error and the absolute error.
 */
export function lossGradient(
  z: usize, rows: i32, stride: i32, classes: i32,
  targets: usize, labels: usize, batchRows: i32, delta: usize,
): void {
  memory.fill(delta, 0, <usize>rows * <usize>stride << 2);
  lossRows(z, rows, stride, classes, targets, labels, batchRows, delta);
}

/** As `lossGradient`, without the gradient: for validation. */
export function lossValue(
  z: usize, rows: i32, stride: i32, classes: i32, targets: usize, labels: usize,
): void {
  lossRows(z, rows, stride, classes, targets, labels, 1, 0);
}

function lossRows(
  z: usize, rows: i32, stride: i32, classes: i32,
  targets: usize, labels: usize, batchRows: i32, delta: usize,
): void {
  let loss: f64 = 0;
  let metric: f64 = 0;
  const scale: f32 = <f32>(-1.0 / <f64>batchRows);
  if (classes > 0) {
    for (let r = 0; r < rows; r++) {
      const zr = z + (<usize>r * <usize>stride << 2);
      const tr = targets + (<usize>r * <usize>classes << 2);
      let max = load<f32>(zr);
      let best = 0;
      for (let c = 1; c < classes; c++) {
        const v = load<f32>(zr + (<usize>c << 2));
        if (v > max || isNaN(v)) {
          if (!isNaN(max)) best = c;
          max = v;
        }
      }
      let sum: f32 = 0;
      for (let c = 0; c < classes; c++) sum += Mathf.exp(load<f32>(zr + (<usize>c << 2)) - max);
      const logSum = Mathf.log(sum);
      let rowLoss: f32 = 0;
      let upstreamSum: f32 = 0;
      for (let c = 0; c < classes; c++) {
        const t = load<f32>(tr + (<usize>c << 2));
        const logP = (load<f32>(zr + (<usize>c << 2)) - max) - logSum;
        rowLoss += t * logP;
        upstreamSum += t * scale;
      }
      loss -= <f64>rowLoss;
      if (best == load<i32>(labels + (<usize>r << 2))) metric += 1;
      if (delta != 0) {
        const dr = delta + (<usize>r * <usize>stride << 2);
        for (let c = 0; c < classes; c++) {
          const logP = (load<f32>(zr + (<usize>c << 2)) - max) - logSum;
          const upstream = load<f32>(tr + (<usize>c << 2)) * scale;
          const d = upstream - upstreamSum * Mathf.exp(logP);
          store<f32>(dr + (<usize>c << 2), Mathf.abs(d) < TINY ? 0 : d);
        }
      }
    }
  } else {
    const overRows: f32 = <f32>(1.0 / <f64>batchRows);
    for (let r = 0; r < rows; r++) {
      const diff = load<f32>(z + (<usize>r * <usize>stride << 2)) - load<f32>(targets + (<usize>r << 2));
      loss += <f64>(diff * diff);
      metric += <f64>Mathf.abs(diff);
      const d = overRows * (diff * 2);
      if (delta != 0) store<f32>(delta + (<usize>r * <usize>stride << 2), Mathf.abs(d) < TINY ? 0 : d);
    }
  }
  lossSum = loss;
  metricSum = metric;
}

/**
 * In place, the gradient at a hidden layer's pre-activation: d ← d · mask · act'(y), where `y`
 * is the activation's output (rows × units8) and `mask` the layer's dropout mask (rows × units,
 * or 0 for none). relu: y > 0; tanh: 1 − y²; sigmoid: y (1 − y).
 */
export function activationBackward(
  d: usize, rows: i32, units8: i32, y: usize, act: i32, mask: usize, units: i32,
): void {
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  act &= 7; // without the training pass's flush flag
  for (let r = 0; r < rows; r++) {
    const dr = d + (<usize>r * <usize>units8 << 2);
    const yr = y + (<usize>r * <usize>units8 << 2);
    const mr = mask + (<usize>r * <usize>units << 2);
    for (let u = 0; u < units8; u += 4) {
      const o = <usize>u << 2;
      let g = v128.load(dr + o);
      if (mask != 0) g = f32x4.mul(g, v128.load(mr + o));
      const a = v128.load(yr + o);
      if (act == RELU || act == RELU_KEEP_NAN) {
        g = v128.and(g, f32x4.gt(a, zero));
      } else if (act == TANH) {
        g = f32x4.mul(f32x4.sub(one, f32x4.mul(a, a)), g);
      } else if (act == SIGMOID) {
        g = f32x4.mul(g, f32x4.mul(a, f32x4.sub(one, a)));
      }
      v128.store(dr + o, flushTiny(g));
    }
  }
}

/**
 * gw[k, u] = Σ_r h[r, k] · d[r, u] for k < inputs and u < units8 (rows summed in order), and
 * gb[u] = Σ_r d[r, u]; with `accumulate` the sums start from gw and gb (the blocks before).
 * h: rows × hStride; d: rows × units8; gw: inputs × units8.
 */
export function weightGradients(
  h: usize, rows: i32, hStride: i32, inputs: i32, d: usize, units8: i32, gw: usize, gb: usize,
  accumulate: bool,
): void {
  const hRow = <usize>hStride << 2;
  const dRow = <usize>units8 << 2;
  for (let u = 0; u < units8; u += 8) {
    const uo = <usize>u << 2;
    let k = 0;
    for (; k + 4 <= inputs; k += 4) {
      const g0 = gw + (<usize>k * dRow) + uo;
      let a00 = f32x4.splat(0), a01 = a00, a10 = a00, a11 = a00;
      let a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      if (accumulate) {
        a00 = v128.load(g0);
        a01 = v128.load(g0, 16);
        a10 = v128.load(g0 + dRow);
        a11 = v128.load(g0 + dRow, 16);
        a20 = v128.load(g0 + 2 * dRow);
        a21 = v128.load(g0 + 2 * dRow, 16);
        a30 = v128.load(g0 + 3 * dRow);
        a31 = v128.load(g0 + 3 * dRow, 16);
      }
      let hp = h + (<usize>k << 2);
      let dp = d + uo;
      for (let r = 0; r < rows; r++) {
        const d0 = v128.load(dp);
        const d1 = v128.load(dp, 16);
        const s0 = v128.load32_splat(hp);
        const s1 = v128.load32_splat(hp, 4);
        const s2 = v128.load32_splat(hp, 8);
        const s3 = v128.load32_splat(hp, 12);
        a00 = f32x4.add(a00, f32x4.mul(s0, d0));
        a01 = f32x4.add(a01, f32x4.mul(s0, d1));
        a10 = f32x4.add(a10, f32x4.mul(s1, d0));
        a11 = f32x4.add(a11, f32x4.mul(s1, d1));
        a20 = f32x4.add(a20, f32x4.mul(s2, d0));
        a21 = f32x4.add(a21, f32x4.mul(s2, d1));
        a30 = f32x4.add(a30, f32x4.mul(s3, d0));
        a31 = f32x4.add(a31, f32x4.mul(s3, d1));
        hp += hRow;
        dp += dRow;
      }
      v128.store(g0, a00);
      v128.store(g0, a01, 16);
      v128.store(g0 + dRow, a10);
      v128.store(g0 + dRow, a11, 16);
      v128.store(g0 + 2 * dRow, a20);
      v128.store(g0 + 2 * dRow, a21, 16);
      v128.store(g0 + 3 * dRow, a30);
      v128.store(g0 + 3 * dRow, a31, 16);
    }
    for (; k < inputs; k++) {
      const g0 = gw + (<usize>k * dRow) + uo;
      let a0 = f32x4.splat(0), a1 = a0;
      if (accumulate) {
        a0 = v128.load(g0);
        a1 = v128.load(g0, 16);
      }
      let hp = h + (<usize>k << 2);
      let dp = d + uo;
      for (let r = 0; r < rows; r++) {
        const s = v128.load32_splat(hp);
        a0 = f32x4.add(a0, f32x4.mul(s, v128.load(dp)));
        a1 = f32x4.add(a1, f32x4.mul(s, v128.load(dp, 16)));
        hp += hRow;
        dp += dRow;
      }
      v128.store(g0, a0);
      v128.store(g0, a1, 16);
    }
    let b0 = f32x4.splat(0), b1 = b0;
    if (accumulate) {
      b0 = v128.load(gb + uo);
      b1 = v128.load(gb + uo, 16);
    }
    let dp = d + uo;
    for (let r = 0; r < rows; r++) {
      b0 = f32x4.add(b0, v128.load(dp));
      b1 = f32x4.add(b1, v128.load(dp, 16));
      dp += dRow;
    }
    v128.store(gb + uo, b0);
    v128.store(gb + uo, b1, 16);
  }
}

/**
 * wt[u, k] = w[k, u] for k < inputs, u < units: the transposed kernel (units × inputs8) that
 * `denseLayer` multiplies a layer's output gradient by to get the gradient at its input. The
 * padded entries of `wt` are never written (the host zeroes them once).
 */
export function transposeKernel(w: usize, inputs: i32, units8: i32, units: i32, wt: usize, inputs8: i32): void {
  for (let k = 0; k < inputs; k++) {
    const wr = w + (<usize>k * <usize>units8 << 2);
    for (let u = 0; u < units; u++) {
      store<f32>(wt + ((<usize>u * <usize>inputs8 + <usize>k) << 2), load<f32>(wr + (<usize>u << 2)));
    }
  }
}

/**
 * Adds the L2 penalty's gradient to a kernel's, g ← l2 · (2 · w) + g, and returns Σ w².
 */
export function penaltyGradient(w: usize, g: usize, n: i32, l2: f32): f64 {
  const l2v = f32x4.splat(l2);
  const two = f32x4.splat(2);
  let squares = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    squares = f32x4.add(squares, f32x4.mul(wv, wv));
    v128.store(g + o, f32x4.add(f32x4.mul(l2v, f32x4.mul(wv, two)), v128.load(g + o)));
  }
  let sum: f64 = <f64>f32x4.extract_lane(squares, 0) + <f64>f32x4.extract_lane(squares, 1) +
    <f64>f32x4.extract_lane(squares, 2) + <f64>f32x4.extract_lane(squares, 3);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    sum += <f64>(wi * wi);
    store<f32>(g + o, l2 * (wi * 2) + load<f32>(g + o));
  }
  return sum;
}

/** Σ w² over n values (the L2 penalty of a kernel, for validation). */
export function squaredSum(w: usize, n: i32): f64 {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const wi = load<f32>(w + (<usize>i << 2));
    sum += <f64>(wi * wi);
  }
  return sum;
}

// The optimisers: tfjs's updates with its defaults, one IEEE float32 operation at a time, so
// they equal the JavaScript ones in `_optimizers.ts` (and tfjs's) bit for bit. n is a multiple
// of 4 (the host pads the weights).

/** w ← (−lr) · g + w. */
export function sgdStep(w: usize, g: usize, n: i32, negativeRate: f32): void {
  const c = f32x4.splat(negativeRate);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(w + o, f32x4.add(f32x4.mul(c, v128.load(g + o)), v128.load(w + o)));
  }
}

/** Adam with β1 0.9, β2 0.999, ε 1e-7; `correction1` = 1 − β1^t, `correction2` = 1 − β2^t. */
export function adamStep(
  w: usize, g: usize, m: usize, v: usize, n: i32,
  negativeRate: f32, correction1: f32, correction2: f32,
): void {
  const beta1 = f32x4.splat(<f32>0.9);
  const beta2 = f32x4.splat(<f32>0.999);
  const oneMinusBeta1 = f32x4.splat(<f32>(<f64>1 - <f64>0.9));
  const oneMinusBeta2 = f32x4.splat(<f32>(<f64>1 - <f64>0.999));
  const c1 = f32x4.splat(correction1);
  const c2 = f32x4.splat(correction2);
  const rate = f32x4.splat(negativeRate);
  const epsilon = f32x4.splat(<f32>1e-7);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const gi = flushTiny(v128.load(g + o));
    const mi = flushTiny(
      f32x4.add(f32x4.mul(v128.load(m + o), beta1), f32x4.mul(gi, oneMinusBeta1)),
    );
    const vi = flushTiny(
      f32x4.add(f32x4.mul(v128.load(v + o), beta2), f32x4.mul(f32x4.mul(gi, gi), oneMinusBeta2)),
    );
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const mHat = f32x4.div(mi, c1);
    const vHat = f32x4.div(vi, c2);
    const update = f32x4.mul(f32x4.div(mHat, f32x4.add(f32x4.sqrt(vHat), epsilon)), rate);
    v128.store(w + o, f32x4.add(update, v128.load(w + o)));
  }
}

/** RMSprop with decay 0.9, momentum 0, not centred, ε 1e-7. */
export function rmspropStep(w: usize, g: usize, ms: usize, mom: usize, n: i32, rate: f32): void {
  const decay = f32x4.splat(<f32>0.9);
  const oneMinusDecay = f32x4.splat(<f32>(<f64>1 - <f64>0.9));
  const momentum = f32x4.splat(0);
  const lr = f32x4.splat(rate);
  const epsilon = f32x4.splat(<f32>1e-7);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    const gi = flushTiny(v128.load(g + o));
    const s = flushTiny(
      f32x4.add(f32x4.mul(v128.load(ms + o), decay), f32x4.mul(f32x4.mul(gi, gi), oneMinusDecay)),
    );
    const step = f32x4.add(
      f32x4.mul(v128.load(mom + o), momentum),
      f32x4.div(f32x4.mul(gi, lr), f32x4.sqrt(f32x4.add(s, epsilon))),
    );
    v128.store(ms + o, s);
    v128.store(mom + o, step);
    v128.store(w + o, f32x4.sub(v128.load(w + o), step));
  }
}
