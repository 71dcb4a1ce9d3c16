/**
 * Prediction of a large block of rows on several cores: the rows are cut into one contiguous
 * share per thread; Web Workers started for the call each load the forward kernels with the same
 * packed weights and predict their share from shared memory while the calling thread predicts the
 * first share. The call blocks until every share is done, and the workers end with it, so nothing
 * outlives the call (a live worker would keep the process from exiting). Each row's prediction
 * does not depend on the threads: the result equals one thread's, byte for byte.
 *
 * A worker that fails to start or to predict is replaced by the calling thread, which predicts
 * that share itself after one log line: the numbers are the same, only slower.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { DenseForwardKernel } from "./dense_forward.ts";
import type { DenseKernelPlan } from "./dense_plan.ts";

/** Rows below which one thread predicts: starting a worker costs about 30 ms. */
export const PARALLEL_PREDICT_MIN_ROWS = 131_072;

/** How long the calling thread waits for a worker's share before predicting it itself. */
const SHARE_TIMEOUT_MS = 60_000;

/** Control slots: worker `i` (from 1) writes 1 (done) or −1 (failed) at `i`. */
const PENDING = 0;
const DONE = 1;
const FAILED = -1;

/** What a prediction worker is sent. */
export interface ForwardWorkerInit {
  /** The worker's slot in `control`, from 1. */
  index: number;
  /** The network, weights included. */
  plan: DenseKernelPlan;
  /** Rows of the worker's share. */
  rows: number;
  /** Control slots, one per thread. */
  control: SharedArrayBuffer;
  /** The share's `rows × inputDim` features. */
  x: SharedArrayBuffer;
  /** Where the share's `rows × outputUnits` predictions go. */
  out: SharedArrayBuffer;
}

/**
 * Predicts `rows` rows with `kernel` on `threads` threads (see the module's description).
 *
 * @param kernel the calling thread's kernels; its plan is sent to the workers
 * @param x `rows × inputDim` features, row-major
 * @param rows the rows
 * @param threads threads to use, the calling one included; fewer are used for small inputs
 * @returns `rows × outputUnits` predictions, equal to `kernel.predict(x, rows)`
 * @example
 * ```ts
 * const p = predictOnThreads(kernel, x.data, x.rows, 2);
 * ```
 */
export function predictOnThreads(
  kernel: DenseForwardKernel,
  x: Float32Array,
  rows: number,
  threads: number,
): Float32Array {
  const used = Math.max(1, Math.min(threads, Math.floor(rows / (PARALLEL_PREDICT_MIN_ROWS / 2))));
  if (used < 2) return kernel.predict(x, rows);
  const d = kernel.inputDim;
  const width = kernel.outputUnits;
  const bounds = (i: number) => [Math.floor(i * rows / used), Math.floor((i + 1) * rows / used)];
  const control = new Int32Array(new SharedArrayBuffer(4 * used));
  const shares = Array.from({ length: used - 1 }, (_, j) => {
    const [start, end] = bounds(j + 1) as [number, number];
    const input = new SharedArrayBuffer(Math.max(4, (end - start) * d * 4));
    new Float32Array(input).set(x.subarray(start * d, end * d));
    return {
      index: j + 1,
      start,
      end,
      input,
      out: new SharedArrayBuffer(Math.max(4, (end - start) * width * 4)),
    };
  });
  const workers: Worker[] = [];
  const out = new Float32Array(rows * width);
  try {
    for (const share of shares) {
      const worker = new Worker(new URL("./_forward_worker.ts", import.meta.url).href, {
        type: "module",
      });
      workers.push(worker);
      const init: ForwardWorkerInit = {
        index: share.index,
        plan: kernel.plan,
        rows: share.end - share.start,
        control: control.buffer as SharedArrayBuffer,
        x: share.input,
        out: share.out,
      };
      worker.postMessage(init);
    }
    const [, firstEnd] = bounds(0) as [number, number];
    out.set(kernel.predict(x.subarray(0, firstEnd * d), firstEnd), 0);
    for (const share of shares) {
      const state = waitForShare(control, share.index);
      if (state === DONE) {
        out.set(
          new Float32Array(share.out, 0, (share.end - share.start) * width),
          share.start * width,
        );
      } else {
        getLogger(["deno-mlops", "models"]).warn(
          "Prediction thread {index} {problem}; this thread predicts its {rows} rows instead",
          {
            index: share.index,
            problem: state === FAILED
              ? "failed"
              : `did not finish within ${SHARE_TIMEOUT_MS / 1000} s`,
            rows: share.end - share.start,
          },
        );
        const m = share.end - share.start;
        out.set(kernel.predict(x.subarray(share.start * d, share.end * d), m), share.start * width);
      }
    }
    return out;
  } finally {
    for (const worker of workers) worker.terminate();
  }
}

function waitForShare(control: Int32Array, index: number): number {
  const deadline = performance.now() + SHARE_TIMEOUT_MS;
  for (;;) {
    const state = Atomics.load(control, index);
    if (state !== PENDING) return state;
    const left = deadline - performance.now();
    if (left <= 0) return PENDING;
    Atomics.wait(control, index, PENDING, left);
  }
}

/** Marks share `index` done or failed (run by the worker). */
export function reportShare(control: Int32Array, index: number, ok: boolean): void {
  Atomics.store(control, index, ok ? DONE : FAILED);
  Atomics.notify(control, index);
}
