/**
 * WebAssembly kernels for dense networks, in SIMD128 with weights packed once into the module's
 * memory: the forward pass (matmul + bias + activation per layer, softmax head) over blocks of
 * rows, which `DenseNetworkModel.predict` runs, and the training step (forward, loss, backward,
 * optimiser), which `trainNetwork` runs with `training.engine: kernels`.
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
export { DenseTrainKernel, KERNEL_BLOCK_ROWS, TRAIN_KERNEL_ACTIVATIONS } from "./dense_train.ts";
export type {
  DenseTrainKernelOptions,
  DenseTrainShape,
  KernelOptimizerName,
  TrainKernelActivation,
} from "./dense_train.ts";
