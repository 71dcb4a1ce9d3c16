/**
 * A data-parallel training thread (see `_train_threads.ts`): it builds its share engine (a copy
 * of the network on tfjs ops, or its own instance of the WebAssembly kernels), answers
 * `{ type: "ready" }`, then for every step loads the shared weights, computes the gradient of its
 * share of the shared batch into its slot and stores the step in its `DONE` slot. It blocks on
 * `Atomics.wait` between steps and ends when `STEP` becomes `STOP`.
 *
 * @module
 */
import { initBackend } from "./backend.ts";
import { buildDenseLayers, denseTrainableNetwork } from "./mlp.ts";
import { shareBounds } from "./_train_shard.ts";
import { createShareEngine } from "./_train_engine.ts";
import { batchViews, CONTROL, STOP, type WorkerInit } from "./_train_threads.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<WorkerInit>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = async (event) => {
  const init = event.data;
  if (init?.type !== "init") return;
  let run: () => void;
  try {
    run = await prepare(init);
  } catch (error) {
    scope.postMessage({ type: "error", message: firstLine(error) });
    return;
  }
  scope.postMessage({ type: "ready" });
  run();
};

async function prepare(init: WorkerInit): Promise<() => void> {
  const { index, threads, spec, buffers } = init;
  await initBackend(init.backend);
  const engine = await createShareEngine(init.engine, spec, () => {
    const { dense } = buildDenseLayers("replica", spec);
    return denseTrainableNetwork(spec, dense);
  }, init.batchSize);
  const control = new Int32Array(buffers.control);
  const batches = buffers.batches.map(batchViews);
  const masks = buffers.masks.map((buffer) => new Float32Array(buffer));
  const weights = new Float32Array(buffers.weights);
  const size = weights.length;
  const gradients = new Float32Array(buffers.gradients, (index - 1) * size * 4, size);
  const stats = new Float64Array(buffers.stats);
  return () => {
    let seen = 0;
    for (;;) {
      Atomics.wait(control, CONTROL.step, seen);
      const step = Atomics.load(control, CONTROL.step);
      if (step === STOP) return;
      if (step === seen) continue;
      seen = step;
      try {
        const rows = control[CONTROL.rows]!;
        const [start, end] = shareBounds(index, threads, rows);
        engine.loadWeights(weights);
        const result = engine.shareGradients(batches[control[CONTROL.slot]!]!, {
          start,
          end,
          batchRows: rows,
          masks: masks.length === 0
            ? null
            : (layer, count, units) =>
              masks[layer]!.subarray(start * units, (start + count) * units),
          penalty: false,
        });
        gradients.set(engine.gradients);
        stats[2 * index] = result.cost;
        stats[2 * index + 1] = result.metric;
      } catch (error) {
        Atomics.store(control, CONTROL.failed, 1);
        scope.postMessage({ type: "error", message: firstLine(error) });
      }
      Atomics.store(control, CONTROL.done + index, step);
      Atomics.notify(control, CONTROL.done + index);
    }
  };
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split("\n")[0]!;
}
