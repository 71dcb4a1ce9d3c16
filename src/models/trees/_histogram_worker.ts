/**
 * A `gbdt` training thread (see `_histogram_threads.ts`): it answers `{ type: "ready" }`, then
 * for every task claims and runs chunks (histogram sums or partitions of a large node's rows)
 * until none is left. It blocks on `Atomics.wait` between tasks and ends when `STEP` becomes
 * `STOP`.
 *
 * @module
 */
import {
  CONTROL,
  type HistogramWorkerInit,
  runChunks,
  sharedViews,
  STOP,
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
  const { rows, cols, stride, buffers } = init;
  const views = sharedViews(buffers, { rows, cols, stride });
  const control = views.control;
  let seen = 0;
  for (;;) {
    Atomics.wait(control, CONTROL.step, seen);
    const step = Atomics.load(control, CONTROL.step);
    if (step === STOP) return;
    if (step === seen) continue;
    seen = step;
    try {
      runChunks(views, step);
    } catch (error) {
      scope.postMessage({ type: "error", message: firstLine(error) });
      Atomics.store(control, CONTROL.failed, 1);
      Atomics.notify(control, CONTROL.completed);
    }
  }
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split("\n")[0]!;
}
