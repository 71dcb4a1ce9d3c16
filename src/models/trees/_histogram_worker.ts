/**
 * A histogram thread of `gbdt` training (see `_histogram_threads.ts`): it answers
 * `{ type: "ready" }`, then for every build sums its share of the node's rows into its slot of
 * the shared sums (or partitions that share, storing its left count) and stores the build
 * number in its `DONE` slot. It blocks on `Atomics.wait`
 * between builds and ends when `STEP` becomes `STOP`.
 *
 * @module
 */
import { accumulateHistogram, clearHistogramSums } from "./histogram.ts";
import { partitionRows } from "./partition.ts";
import {
  CONTROL,
  type HistogramWorkerInit,
  shareOf,
  STOP,
  TASK,
  workerSums,
} from "./_histogram_threads.ts";

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HistogramWorkerInit>) => void) | null;
  postMessage(message: unknown): void;
};

scope.onmessage = (event) => {
  const init = event.data;
  if (init?.type !== "init") return;
  scope.postMessage({ type: "ready" });
  run(init);
};

function run(init: HistogramWorkerInit): void {
  const { index, threads, rows, cols, stride, buffers } = init;
  const control = new Int32Array(buffers.control);
  const features = new Int32Array(buffers.features);
  const binned = { bins: new Uint8Array(buffers.bins), rows, cols, stride };
  const pairs = new Float64Array(buffers.pairs);
  const rowList = new Uint32Array(buffers.rowList);
  const scratch = new Uint32Array(buffers.scratch);
  const sides = new Uint8Array(buffers.sides);
  const lefts = new Int32Array(buffers.lefts);
  const sums = workerSums(buffers, cols, index);
  let seen = 0;
  for (;;) {
    Atomics.wait(control, CONTROL.step, seen);
    const step = Atomics.load(control, CONTROL.step);
    if (step === STOP) return;
    if (step === seen) continue;
    seen = step;
    try {
      if (control[CONTROL.task] === TASK.partition) {
        const [start, end] = shareOf(
          index,
          threads,
          control[CONTROL.start]!,
          control[CONTROL.end]!,
        );
        lefts[index] = partitionRows(
          binned,
          { feature: control[CONTROL.feature]!, left: sides },
          rowList,
          scratch,
          { start, end },
        );
        Atomics.store(control, CONTROL.done + index, step);
        Atomics.notify(control, CONTROL.done + index);
        continue;
      }
      const all = control[CONTROL.all] === 1;
      const [start, end] = shareOf(index, threads, control[CONTROL.start]!, control[CONTROL.end]!);
      const built = features.subarray(0, control[CONTROL.features]!);
      clearHistogramSums(sums, built);
      accumulateHistogram(
        binned,
        pairs,
        { rows: all ? null : rowList, start, end, features: built },
        sums,
      );
    } catch (error) {
      scope.postMessage({ type: "error", message: firstLine(error) });
      Atomics.store(control, CONTROL.failed, 1);
    }
    Atomics.store(control, CONTROL.done + index, step);
    Atomics.notify(control, CONTROL.done + index);
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}
