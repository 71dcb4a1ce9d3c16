/**
 * WebAssembly kernels for dense networks: the forward pass (matmul + bias + activation per
 * layer, softmax head) in SIMD128 over blocks of rows, with weights packed once into the
 * module's memory, and a predictor that falls back to tfjs for layers the kernels do not cover.
 * The AssemblyScript source is `assembly/dense.ts`; `deno task kernels:build` rebuilds
 * `dense.wasm`.
 *
 * @module
 */
export {
  DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS,
  DENSE_KERNEL_API_VERSION,
  DenseForwardKernel,
} from "./dense_forward.ts";
export type { DenseForwardKernelOptions } from "./dense_forward.ts";
export { KERNEL_ACTIVATIONS, planDenseNetwork } from "./dense_plan.ts";
export type {
  DenseKernelLayer,
  DenseKernelPlan,
  DensePlanResult,
  KernelActivation,
} from "./dense_plan.ts";
export {
  DEFAULT_DENSE_NETWORK_PREDICTOR_OPTIONS,
  DenseNetworkPredictor,
} from "./dense_predictor.ts";
export type { DenseNetworkPredictorOptions, DensePredictorEngine } from "./dense_predictor.ts";
