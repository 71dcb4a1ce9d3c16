/**
 * Histogram threads for `gbdt` training: Web Workers that each sum a contiguous share of a
 * large node's rows into their own histogram sums, or partition that share, while the loop's
 * thread does the first share. The binned rows, the tree's gradient pairs, the round's row
 * list and every thread's sums live in `SharedArrayBuffer`s; a build is handed over with `Atomics`, so it costs no message
 * and no copy beyond the sums.
 *
 * The shares are fixed by the node's row count and the thread count, and the loop adds the
 * threads' sums to its own in thread order, so a given thread count always gives the same
 * histograms, and so the same trees.
 *
 * Protocol, per build: the loop writes the command (task, row range, features) and
 * bumps `STEP`; each worker sums its share into its slot and stores the step in its `DONE`
 * slot; the loop waits for every slot and adds the slots in order.
 *
 * @module
 */
import { TrainingThreadError } from "../../errors.ts";
import type { BinnedMatrix } from "./binning.ts";
import {
  accumulateHistogram,
  BINS_PER_FEATURE,
  buildHistogramFromPairs,
  clearHistogramSums,
  type Histogram,
  type HistogramSums,
  writeHistogram,
} from "./histogram.ts";
import { partitionRows } from "./partition.ts";

/** Nodes with fewer rows than this are summed on the loop's thread alone. */
export const PARALLEL_MIN_ROWS = 50_000;

/** Indexes into the shared control array. */
export const CONTROL = {
  /** The build number the workers should run; `STOP` ends them. */
  step: 0,
  /** Unused. */
  slot: 1,
  /** 1 when the node holds every row (no row list), else 0. */
  all: 2,
  /** First row of the node, as an index into the shared row list (or a row, with `all`). */
  start: 3,
  /** End of the node's rows. */
  end: 4,
  /** Number of features to build. */
  features: 5,
  /** Set to 1 by a worker that failed. */
  failed: 6,
  /** What to run: `TASK.histogram` or `TASK.partition`. */
  task: 7,
  /** The feature a partition splits on. */
  feature: 8,
  /** Worker `i` (from 1) writes the build it finished at `done + i`. */
  done: 9,
} as const;

/** The tasks a worker runs. */
export const TASK = {
  /** Sum the share's rows into the worker's histogram sums. */
  histogram: 0,
  /** Partition the share's rows; the left count goes to the worker's `lefts` slot. */
  partition: 1,
} as const;

/** `CONTROL.step` value that stops the workers. */
export const STOP = -1;

/** How long the loop waits for a worker's share before giving up. */
const BUILD_TIMEOUT_MS = 120_000;

/** How long a worker may take to start. */
const START_TIMEOUT_MS = 120_000;

/** What a worker is sent to start. */
export interface HistogramWorkerInit {
  type: "init";
  /** The worker's share index, from 1 (the loop's thread is share 0). */
  index: number;
  /** Shares per build, the loop's thread included. */
  threads: number;
  /** Shape of the binned rows. */
  rows: number;
  cols: number;
  stride: number;
  /** The shared memory. */
  buffers: {
    control: SharedArrayBuffer;
    features: SharedArrayBuffer;
    bins: SharedArrayBuffer;
    pairs: SharedArrayBuffer;
    rowList: SharedArrayBuffer;
    scratch: SharedArrayBuffer;
    sides: SharedArrayBuffer;
    lefts: SharedArrayBuffer;
    gh: SharedArrayBuffer;
    counts: SharedArrayBuffer;
  };
}

/**
 * Returns the part `[start, end)` of share `index` of `threads` of the range `[from, to)`.
 *
 * @param index the share, from 0
 * @param threads how many shares
 * @param from the range's start
 * @param to the range's end
 * @returns the share's bounds
 * @example
 * ```ts
 * shareOf(1, 2, 0, 10); // [5, 10]
 * ```
 */
export function shareOf(
  index: number,
  threads: number,
  from: number,
  to: number,
): [number, number] {
  const n = to - from;
  return [from + Math.floor(index * n / threads), from + Math.floor((index + 1) * n / threads)];
}

/**
 * The workers of one `gbdt` fit, and the shared memory they read: builds histograms of large
 * nodes on `threads` threads. Close it (or let `using` dispose of it) when the fit ends.
 *
 * @example
 * ```ts
 * using pool = await HistogramThreads.start({ threads: 2, binned });
 * growTree(binned, { grad, hess, rows: pool.shareRows(rows) }, { ...options, threads: pool });
 * ```
 */
export class HistogramThreads {
  /** Shared gradient pairs of the tree being grown (see `interleaveGradients`). */
  readonly pairs: Float64Array;
  /** Shared row list; `shareRows` copies a tree's rows into it. */
  readonly rowList: Uint32Array;
  #scratch: Uint32Array;
  #sides: Uint8Array;
  #lefts: Int32Array;
  #binned: BinnedMatrix;
  #control: Int32Array;
  #features: Int32Array;
  #sums: HistogramSums[];
  #workers: Worker[];
  #threads: number;
  #step = 0;
  #errors: string[];

  private constructor(
    init: Omit<HistogramWorkerInit, "type" | "index">,
    binned: BinnedMatrix,
    workers: Worker[],
    errors: string[],
  ) {
    const { buffers, threads, cols } = init;
    this.pairs = new Float64Array(buffers.pairs);
    this.rowList = new Uint32Array(buffers.rowList);
    this.#scratch = new Uint32Array(buffers.scratch);
    this.#sides = new Uint8Array(buffers.sides);
    this.#lefts = new Int32Array(buffers.lefts);
    this.#binned = binned;
    this.#control = new Int32Array(buffers.control);
    this.#features = new Int32Array(buffers.features);
    this.#sums = Array.from({ length: threads - 1 }, (_, i) => workerSums(buffers, cols, i + 1));
    this.#workers = workers;
    this.#threads = threads;
    this.#errors = errors;
  }

  /**
   * Starts `threads − 1` workers on the binned rows (which must be shared memory, as
   * `binMatrix` makes them) and waits until all are ready.
   *
   * @param options the thread count and the binned training rows
   * @returns the running threads
   * @throws {RangeError} when `threads` < 2 or the bins are not in shared memory
   * @throws {TrainingThreadError} when a worker cannot start
   */
  static async start(
    options: { threads: number; binned: BinnedMatrix },
  ): Promise<HistogramThreads> {
    const { threads, binned } = options;
    if (!Number.isInteger(threads) || threads < 2) {
      throw new RangeError(
        `Cannot start histogram threads: threads is ${threads}, expected 2 or more`,
      );
    }
    if (!(binned.bins.buffer instanceof SharedArrayBuffer)) {
      throw new RangeError(
        "Cannot start histogram threads: the binned rows are not in shared memory; bin them with binMatrix",
      );
    }
    const n = binned.rows;
    const cells = binned.cols * BINS_PER_FEATURE;
    const shared = (bytes: number) => new SharedArrayBuffer(Math.max(bytes, 8));
    const init: Omit<HistogramWorkerInit, "type" | "index"> = {
      threads,
      rows: n,
      cols: binned.cols,
      stride: binned.stride,
      buffers: {
        control: shared(4 * (CONTROL.done + threads)),
        features: shared(4 * binned.cols),
        bins: binned.bins.buffer,
        pairs: shared(16 * n),
        rowList: shared(4 * n),
        scratch: shared(4 * n),
        sides: shared(BINS_PER_FEATURE),
        lefts: shared(4 * threads),
        gh: shared(8 * 2 * cells * (threads - 1)),
        counts: shared(4 * cells * (threads - 1)),
      },
    };
    const errors: string[] = [];
    const workers: Worker[] = [];
    try {
      await Promise.all(
        Array.from({ length: threads - 1 }, (_, i) => {
          const worker = new Worker(new URL("./_histogram_worker.ts", import.meta.url).href, {
            type: "module",
          });
          workers.push(worker);
          return ready(worker, { ...init, type: "init", index: i + 1 }, errors);
        }),
      );
    } catch (error) {
      for (const worker of workers) worker.terminate();
      throw error;
    }
    return new HistogramThreads(init, binned, workers, errors);
  }

  /** Shares per build, the loop's thread included. */
  get threads(): number {
    return this.#threads;
  }

  /**
   * Copies a tree's rows into the shared row list.
   *
   * @param rows the tree's rows, distinct
   * @returns the shared view of them, to grow the tree on
   */
  shareRows(rows: Uint32Array): Uint32Array {
    const view = this.rowList.subarray(0, rows.length);
    view.set(rows);
    return view;
  }

  /**
   * `buildHistogramFromPairs` on the threads: the node's rows are split into one contiguous
   * share per thread. A node under `PARALLEL_MIN_ROWS` rows, or whose arrays are not this
   * pool's shared ones, is built on the calling thread alone.
   *
   * @param data the gradient pairs and rows (`pairs` and a view of `rowList`)
   * @param features the features to build
   * @param out the histogram to overwrite for those features
   * @param sums the calling thread's scratch sums
   * @throws {TrainingThreadError} when a worker failed or did not answer
   */
  build(
    data: { pairs: Float64Array; rows: Uint32Array },
    features: Int32Array,
    out: Histogram,
    sums: HistogramSums,
  ): void {
    const binned = this.#binned;
    const { rows, pairs } = data;
    const all = rows.length === binned.rows;
    if (
      rows.length < PARALLEL_MIN_ROWS || this.#workers.length === 0 ||
      pairs !== this.pairs || (!all && rows.buffer !== this.rowList.buffer)
    ) {
      buildHistogramFromPairs(binned, data, features, out, sums);
      return;
    }
    const from = all ? 0 : rows.byteOffset / 4;
    const to = from + rows.length;
    const control = this.#control;
    this.#features.set(features);
    control[CONTROL.all] = all ? 1 : 0;
    control[CONTROL.start] = from;
    control[CONTROL.end] = to;
    control[CONTROL.features] = features.length;
    control[CONTROL.task] = TASK.histogram;
    this.#begin();

    const [start, end] = shareOf(0, this.#threads, from, to);
    clearHistogramSums(sums, features);
    accumulateHistogram(
      binned,
      pairs,
      { rows: all ? null : this.rowList, start, end, features },
      sums,
    );
    for (let i = 1; i < this.#threads; i++) {
      this.#wait(i);
      addSums(sums, this.#sums[i - 1]!, features);
    }
    writeHistogram(sums, features, out);
  }

  /**
   * Stable partition of `rows[range]` by a split: the rows whose bin's entry in `split.left`
   * is 1 first, in order, then the others, in order, exactly as on one thread. A node of
   * `PARALLEL_MIN_ROWS` rows or more (in the shared row list) is partitioned in one
   * contiguous share per thread, and the shares are then joined.
   *
   * @param split the feature and the per-bin side table (1 = left)
   * @param rows the tree's rows (a view of `rowList`), reordered in place
   * @param range the node's rows
   * @returns how many rows went left
   * @throws {TrainingThreadError} when a worker failed or did not answer
   */
  partition(
    split: { feature: number; left: Uint8Array },
    rows: Uint32Array,
    range: { start: number; end: number },
  ): number {
    const binned = this.#binned;
    const scratch = this.#scratch;
    const { start, end } = range;
    if (
      end - start < PARALLEL_MIN_ROWS || this.#workers.length === 0 ||
      rows.buffer !== this.rowList.buffer
    ) {
      const own = scratch.subarray(0, rows.length);
      const left = partitionRows(binned, split, rows, own, range);
      rows.set(own.subarray(start, end - left), start + left);
      return left;
    }
    const list = this.rowList;
    const offset = rows.byteOffset / 4;
    const from = offset + start;
    const to = offset + end;
    const control = this.#control;
    this.#sides.set(split.left);
    control[CONTROL.start] = from;
    control[CONTROL.end] = to;
    control[CONTROL.feature] = split.feature;
    control[CONTROL.task] = TASK.partition;
    this.#begin();
    const [s0, e0] = shareOf(0, this.#threads, from, to);
    this.#lefts[0] = partitionRows(binned, split, list, scratch, { start: s0, end: e0 });
    for (let i = 1; i < this.#threads; i++) this.#wait(i);
    // Join: every share's left rows after share 0's, then every share's right rows.
    let at = s0 + this.#lefts[0]!;
    for (let i = 1; i < this.#threads; i++) {
      const [si] = shareOf(i, this.#threads, from, to);
      list.copyWithin(at, si, si + this.#lefts[i]!);
      at += this.#lefts[i]!;
    }
    const left = at - from;
    for (let i = 0; i < this.#threads; i++) {
      const [si, ei] = shareOf(i, this.#threads, from, to);
      const right = ei - si - this.#lefts[i]!;
      list.set(scratch.subarray(si, si + right), at);
      at += right;
    }
    return left;
  }

  /** Stops and ends every worker. */
  close(): void {
    Atomics.store(this.#control, CONTROL.step, STOP);
    Atomics.notify(this.#control, CONTROL.step);
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
  }

  /** Same as `close`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #begin(): void {
    this.#step++;
    Atomics.store(this.#control, CONTROL.step, this.#step);
    Atomics.notify(this.#control, CONTROL.step);
  }

  #wait(i: number): void {
    const control = this.#control;
    const slot = CONTROL.done + i;
    while (Atomics.load(control, slot) !== this.#step) {
      if (Atomics.load(control, CONTROL.failed) !== 0) break;
      const answer = Atomics.wait(control, slot, this.#step - 1, BUILD_TIMEOUT_MS);
      if (answer === "timed-out") {
        throw new TrainingThreadError(
          `Cannot train gbdt: histogram thread ${i} did not finish within ${
            BUILD_TIMEOUT_MS / 1000
          } s; set training.threads to 1`,
        );
      }
    }
    if (Atomics.load(control, CONTROL.failed) !== 0) {
      throw new TrainingThreadError(
        `Cannot train gbdt: histogram thread ${i} failed${
          this.#errors.length ? ` (${this.#errors.join("; ")})` : ""
        }; set training.threads to 1 to train on one thread`,
      );
    }
  }
}

/**
 * The sums of worker `index` (from 1) in the shared sums buffers.
 *
 * @param buffers the shared buffers
 * @param cols the number of features
 * @param index the worker's share index
 * @returns views of its sums
 */
export function workerSums(
  buffers: { gh: SharedArrayBuffer; counts: SharedArrayBuffer },
  cols: number,
  index: number,
): HistogramSums {
  const cells = cols * BINS_PER_FEATURE;
  return {
    gh: new Float64Array(buffers.gh, (index - 1) * cells * 2 * 8, cells * 2),
    counts: new Uint32Array(buffers.counts, (index - 1) * cells * 4, cells),
  };
}

function addSums(to: HistogramSums, from: HistogramSums, features: Int32Array): void {
  for (const f of features) {
    const end = (f + 1) * BINS_PER_FEATURE;
    for (let slot = f * BINS_PER_FEATURE; slot < end; slot++) {
      to.gh[2 * slot]! += from.gh[2 * slot]!;
      to.gh[2 * slot + 1]! += from.gh[2 * slot + 1]!;
      to.counts[slot]! += from.counts[slot]!;
    }
  }
}

function ready(worker: Worker, init: HistogramWorkerInit, errors: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new TrainingThreadError(
          `Cannot train gbdt: histogram thread ${init.index} did not start within ${
            START_TIMEOUT_MS / 1000
          } s; set training.threads to 1`,
        ),
      );
    }, START_TIMEOUT_MS);
    worker.onmessage = (event: MessageEvent<{ type: string; message?: string }>) => {
      if (event.data?.type === "ready") {
        clearTimeout(timer);
        resolve();
      } else if (event.data?.type === "error") {
        clearTimeout(timer);
        errors.push(event.data.message ?? "unknown error");
        reject(
          new TrainingThreadError(
            `Cannot train gbdt: histogram thread ${init.index} failed (${event.data.message}); set training.threads to 1`,
          ),
        );
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      clearTimeout(timer);
      errors.push(event.message);
      reject(
        new TrainingThreadError(
          `Cannot train gbdt: histogram thread ${init.index} failed to start (${event.message}); set training.threads to 1`,
        ),
      );
    };
    worker.postMessage(init);
  });
}
