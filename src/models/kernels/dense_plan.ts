/**
 * Reads a tfjs dense network into the plain description the WebAssembly forward kernels run:
 * each Dense layer's weights and activation, and the output head. Anything the kernels do not
 * compute is reported with the layer that stops it, so the caller can fall back to tfjs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The elementwise activations the kernels compute inside a layer. */
export const KERNEL_ACTIVATIONS = ["linear", "relu", "tanh", "sigmoid"] as const;

/** An elementwise activation the kernels compute. */
export type KernelActivation = (typeof KERNEL_ACTIVATIONS)[number];

/** One Dense layer as the kernels run it. */
export interface DenseKernelLayer {
  /** Width of the layer's input. */
  readonly inputs: number;
  /** Width of the layer's output. */
  readonly units: number;
  /** `inputs × units` weights, row-major (tfjs's kernel layout). */
  readonly kernel: Float32Array;
  /** `units` biases (zeros for a layer without bias). */
  readonly bias: Float32Array;
  /** Activation applied to `x · kernel + bias`. */
  readonly activation: KernelActivation;
}

/** A dense network as the kernels run it: layers in order, then the head. */
export interface DenseKernelPlan {
  /** Width of the network's input. */
  readonly inputDim: number;
  /** The Dense layers, input side first. */
  readonly layers: readonly DenseKernelLayer[];
  /** `"softmax"` over the last layer's outputs, or `"none"`. */
  readonly head: "softmax" | "none";
}

/** What `planDenseNetwork` found: a plan, or why the kernels cannot run the model. */
export type DensePlanResult =
  | { readonly plan: DenseKernelPlan; readonly unsupported: null }
  | { readonly plan: null; readonly unsupported: string };

/**
 * Describes a sequential tfjs model of Dense layers for the forward kernels.
 *
 * Supported: Dense layers with a linear, relu, tanh, sigmoid or (last layer only) softmax
 * activation, with or without bias; Activation layers that apply linear, tanh or sigmoid to a
 * linear Dense layer before them, or softmax at the end; Dropout (the identity at prediction);
 * the input layer. Anything else gives `unsupported`, naming the layer. A separate relu
 * Activation layer is refused because tfjs keeps NaN there, while a Dense layer's own relu (as
 * tfjs fuses it, and as the kernels compute it) maps NaN to 0.
 *
 * @param model the tfjs model; its weights are copied
 * @returns `{ plan, unsupported: null }`, or `{ plan: null, unsupported: reason }`
 * @example
 * ```ts
 * const { plan, unsupported } = planDenseNetwork(model.layersModel());
 * if (plan === null) logger.info(unsupported);
 * ```
 */
export function planDenseNetwork(model: tf.LayersModel): DensePlanResult {
  if (model.getClassName() !== "Sequential") {
    return refuse(`model "${model.name}" is a ${model.getClassName()}, expected a Sequential`);
  }
  const inputShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || inputShape?.length !== 2 || typeof inputShape[1] !== "number") {
    return refuse(`model "${model.name}" has input shape ${JSON.stringify(inputShape)}`);
  }
  const inputDim = inputShape[1];
  const layers: DenseKernelLayer[] = [];
  let head: "softmax" | "none" = "none";
  const all = model.layers;
  for (const [index, layer] of all.entries()) {
    const kind = layer.getClassName();
    const config = layer.getConfig();
    const where = `layer "${layer.name}" (${kind})`;
    if (head === "softmax") return refuse(`${where} follows the softmax`);
    if (kind === "InputLayer" || kind === "Dropout") continue;
    const activation = String(config["activation"]);
    const last = index === all.length - 1;
    if (kind === "Dense") {
      const weights = layer.getWeights();
      const kernel = weights[0];
      if (kernel === undefined || kernel.rank !== 2) return refuse(`${where} has no 2-d kernel`);
      const [inputs, units] = kernel.shape as [number, number];
      const bias = config["useBias"] === false
        ? new Float32Array(units)
        : new Float32Array(weights[1]!.dataSync());
      const entry = { inputs, units, kernel: new Float32Array(kernel.dataSync()), bias };
      if (activation === "softmax" && last) {
        layers.push({ ...entry, activation: "linear" });
        head = "softmax";
      } else if (isKernelActivation(activation)) {
        layers.push({ ...entry, activation });
      } else {
        return refuse(`${where} has activation "${activation}"`);
      }
      continue;
    }
    if (kind === "Activation") {
      const previous = layers.at(-1);
      if (activation === "softmax" && last && previous !== undefined) {
        head = "softmax";
      } else if (
        // A separate relu layer keeps NaN (tf.relu) where the fused kernel maps it to 0.
        isKernelActivation(activation) && activation !== "relu" &&
        previous?.activation === "linear" &&
        all[index - 1]?.getClassName() === "Dense"
      ) {
        layers[layers.length - 1] = { ...previous, activation };
      } else {
        return refuse(`${where} applies "${activation}" where the kernels cannot fuse it`);
      }
      continue;
    }
    return refuse(`${where} is not a Dense or Activation layer`);
  }
  if (layers.length === 0) return refuse(`model "${model.name}" has no Dense layer`);
  let width = inputDim;
  for (const layer of layers) {
    if (layer.inputs !== width) {
      return refuse(`a Dense layer takes ${layer.inputs} inputs after ${width} outputs`);
    }
    width = layer.units;
  }
  return { plan: { inputDim, layers, head }, unsupported: null };
}

function isKernelActivation(name: string): name is KernelActivation {
  return (KERNEL_ACTIVATIONS as readonly string[]).includes(name);
}

function refuse(reason: string): DensePlanResult {
  return { plan: null, unsupported: reason };
}
