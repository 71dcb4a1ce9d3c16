// Fused forward pass of a dense network, in AssemblyScript with SIMD128; the training step's
// kernels are in `dense_train.ts` and exported from here.
//
// The host owns the memory layout: it writes packed weights once, then per block of rows
// writes the inputs and calls `denseLayer` once per layer and `softmaxRows` or `compactRows`
// for the head. Every layer's output width is padded to a multiple of 8 so that the inner
// loop runs on whole f32x4 vectors; packed kernels carry zero rows for the padded inputs of
// the next layer, so padded values never reach a real output.
//
// Rebuild with `deno task kernels:build`; `tests/models/kernels/dense_forward_test.ts` checks
// that the committed `dense.wasm` is what this file builds to.

import { flushTiny } from "./flush";

/** Activation codes shared with `dense_forward.ts`. */
const LINEAR: i32 = 0;
const RELU: i32 = 1;
const TANH: i32 = 2;
const SIGMOID: i32 = 3;
/** relu that keeps NaN (`max(x, 0)`, as tf.relu does): the training forward pass. */
const RELU_KEEP_NAN: i32 = 4;

export {
  activationBackward,
  adamStep,
  applyMask,
  lastLoss,
  lastMetric,
  lossGradient,
  lossValue,
  penaltyGradient,
  rmspropStep,
  sgdStep,
  squaredSum,
  transposeKernel,
  weightGradients,
} from "./dense_train";

/** Version of the exported API; `dense_forward.ts` refuses a module with another one. */
export function apiVersion(): i32 {
  return 2;
}

/** First byte the host may use. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

/** Added to an activation code: flush the outputs below `TINY` to 0 (the training pass). */
const FLUSH: i32 = 8;

@inline
function activate(v: v128, code: i32): v128 {
  const act = code & 7;
  let y = v;
  if (act == RELU) {
    // `0 < x ? x : 0`, so NaN becomes 0: what tfjs's fused Dense relu gives on its wasm
    // backend (XNNPACK's clamp), which `LayersModel.predict` and `DenseNetworkModel.predict` run.
    y = f32x4.pmax(f32x4.splat(0), v);
  } else if (act == RELU_KEEP_NAN) {
    y = f32x4.max(v, f32x4.splat(0));
  } else if (act == TANH) {
    y = tanh4(v);
  } else if (act == SIGMOID) {
    const one = f32x4.splat(1);
    y = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(v))));
  }
  return code & FLUSH ? flushTiny(y) : y;
}

/**
 * e^x on four lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by the Cephes expf polynomial
 * (about 1 ulp), 2^n written into the exponent bits. x is clamped to [-87.3, 88.3] so 2^n stays
 * a normal float: the ends give about 1e-38 and 2e38 instead of 0 and Infinity, which sigmoid
 * and tanh turn into the same 0 and 1. NaN stays NaN (f32x4.max and min propagate it).
 */
@inline
function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504089)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

/**
 * tanh on four lanes: the Taylor series to x⁹ below |x| = 0.3 (error under 1e-7 relative),
 * else sign(x) · (1 − 2 / (e^{2|x|} + 1)).
 */
@inline
function tanh4(x: v128): v128 {
  const a = f32x4.abs(x);
  const one = f32x4.splat(1);
  const e = exp4(f32x4.add(a, a));
  const large = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(e, one)));
  const signed = v128.or(large, v128.and(x, i32x4.splat(0x80000000)));
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(<f32>(62.0 / 2835.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>(-17.0 / 315.0)));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>(2.0 / 15.0)));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>(-1.0 / 3.0)));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(x, x2), p));
  return v128.bitselect(small, signed, f32x4.lt(a, f32x4.splat(0.3)));
}

/**
 * out[r, u] = act(Σ_k x[r, k] · w[k, u] + bias[u]) for `rows` rows.
 *
 * x: rows × xStride f32 (only the first `inputs` columns are read);
 * w: inputs × units8 f32, row-major; bias: units8 f32; out: rows × units8 f32.
 * units8 is a multiple of 8.
 */
export function denseLayer(
  x: usize, rows: i32, xStride: i32, inputs: i32,
  w: usize, bias: usize, units8: i32, act: i32, out: usize,
): void {
  const xRow = <usize>xStride << 2;
  const wRow = <usize>units8 << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = x + <usize>r * xRow;
    const x1 = x0 + xRow;
    const x2 = x1 + xRow;
    const x3 = x2 + xRow;
    const o0 = out + <usize>r * wRow;
    const o1 = o0 + wRow;
    const o2 = o1 + wRow;
    const o3 = o2 + wRow;
    for (let u = 0; u < units8; u += 8) {
      const uo = <usize>u << 2;
      const b0 = v128.load(bias + uo);
      const b1 = v128.load(bias + uo, 16);
      let a00 = b0, a01 = b1, a10 = b0, a11 = b1;
      let a20 = b0, a21 = b1, a30 = b0, a31 = b1;
      let wp = w + uo;
      for (let k = 0; k < inputs; k++) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        const ko = <usize>k << 2;
        const s0 = v128.load32_splat(x0 + ko);
        const s1 = v128.load32_splat(x1 + ko);
        const s2 = v128.load32_splat(x2 + ko);
        const s3 = v128.load32_splat(x3 + ko);
        a00 = f32x4.add(a00, f32x4.mul(s0, w0));
        a01 = f32x4.add(a01, f32x4.mul(s0, w1));
        a10 = f32x4.add(a10, f32x4.mul(s1, w0));
        a11 = f32x4.add(a11, f32x4.mul(s1, w1));
        a20 = f32x4.add(a20, f32x4.mul(s2, w0));
        a21 = f32x4.add(a21, f32x4.mul(s2, w1));
        a30 = f32x4.add(a30, f32x4.mul(s3, w0));
        a31 = f32x4.add(a31, f32x4.mul(s3, w1));
        wp += wRow;
      }
      v128.store(o0 + uo, activate(a00, act));
      v128.store(o0 + uo, activate(a01, act), 16);
      v128.store(o1 + uo, activate(a10, act));
      v128.store(o1 + uo, activate(a11, act), 16);
      v128.store(o2 + uo, activate(a20, act));
      v128.store(o2 + uo, activate(a21, act), 16);
      v128.store(o3 + uo, activate(a30, act));
      v128.store(o3 + uo, activate(a31, act), 16);
    }
  }
  for (; r < rows; r++) {
    const x0 = x + <usize>r * xRow;
    const o0 = out + <usize>r * wRow;
    for (let u = 0; u < units8; u += 8) {
      const uo = <usize>u << 2;
      let a00 = v128.load(bias + uo);
      let a01 = v128.load(bias + uo, 16);
      let wp = w + uo;
      for (let k = 0; k < inputs; k++) {
        const s0 = v128.load32_splat(x0 + (<usize>k << 2));
        a00 = f32x4.add(a00, f32x4.mul(s0, v128.load(wp)));
        a01 = f32x4.add(a01, f32x4.mul(s0, v128.load(wp, 16)));
        wp += wRow;
      }
      v128.store(o0 + uo, activate(a00, act));
      v128.store(o0 + uo, activate(a01, act), 16);
    }
  }
}

/**
 * Softmax over the first `units` of each row of `p` (rows × stride f32), written packed
 * (rows × units) to `out`, which may equal `p`. Same steps as tfjs: subtract the row
 * maximum, exponentiate, divide by the sum.
 */
export function softmaxRows(p: usize, rows: i32, stride: i32, units: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const row = p + (<usize>r * <usize>stride << 2);
    const dst = out + (<usize>r * <usize>units << 2);
    let max = load<f32>(row);
    for (let u = 1; u < units; u++) {
      const v = load<f32>(row + (<usize>u << 2));
      if (v > max || isNaN(v)) max = v;
    }
    let sum: f32 = 0;
    for (let u = 0; u < units; u++) {
      const e = Mathf.exp(load<f32>(row + (<usize>u << 2)) - max);
      store<f32>(dst + (<usize>u << 2), e);
      sum += e;
    }
    for (let u = 0; u < units; u++) {
      const at = dst + (<usize>u << 2);
      store<f32>(at, load<f32>(at) / sum);
    }
  }
}

/** Copies the first `units` of each row of `p` (rows × stride f32) packed to `out`. */
export function compactRows(p: usize, rows: i32, stride: i32, units: i32, out: usize): void {
  for (let r = 0; r < rows; r++) {
    memory.copy(out + (<usize>r * <usize>units << 2), p + (<usize>r * <usize>stride << 2), <usize>units << 2);
  }
}
