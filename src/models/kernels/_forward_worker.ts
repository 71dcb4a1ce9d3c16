/**
 * A prediction thread of `predictOnThreads`: loads the forward kernels with the plan it is sent,
 * predicts its share from shared memory, writes the predictions back and reports done (or failed)
 * in its control slot. The calling thread ends it after the call.
 *
 * @module
 */
import { DenseForwardKernel } from "./dense_forward.ts";
import { type ForwardWorkerInit, reportShare } from "./forward_threads.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ForwardWorkerInit>) => void) | null;
};

scope.onmessage = async (event) => {
  const init = event.data;
  const control = new Int32Array(init.control);
  try {
    const kernel = await DenseForwardKernel.load(init.plan);
    const x = new Float32Array(init.x, 0, init.rows * init.plan.inputDim);
    new Float32Array(init.out).set(kernel.predict(x, init.rows));
    reportShare(control, init.index, true);
  } catch {
    reportShare(control, init.index, false);
  }
};
