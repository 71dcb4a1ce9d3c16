// Flushing of tiny values, shared by the forward and training kernels.

/**
 * Values whose magnitude is below this become 0 wherever the kernels could otherwise make a
 * subnormal float: x86 computes subnormals about 100 times slower, and WebAssembly cannot flush
 * them in hardware. Gradients this small change no weight (Adam, RMSprop: far below their
 * epsilon of 1e-7), and the products of two such values stay normal floats (1e-30 and up).
 */
export const TINY: f32 = 1e-15;

/** `v` with the lanes whose magnitude is below `TINY` set to 0 (NaN stays NaN). */
@inline
export function flushTiny(v: v128): v128 {
  return v128.andnot(v, f32x4.lt(f32x4.abs(v), f32x4.splat(TINY)));
}
