/**
 * Training threads for `gbdt`: Web Workers that help the growing thread build the histograms
 * of large nodes and partition their rows. The binned rows, the tree's gradient pairs, the
 * round's row list and the chunks' sums live in `SharedArrayBuffer`s, and work is handed over
 * with `Atomics`, so a task costs no message and no copy.
 *
 * A large node's rows are cut into `histogramChunks(rows)` contiguous chunks, which depend on
 * the row count alone. Every thread, the growing one included, claims chunks until none is
 * left, so a thread the machine leaves waiting holds nobody up. Each chunk is summed from zero
 * into its own slot and the slots are added in chunk order, exactly as `buildHistogramFromPairs`
 * does on one thread: the trees are the same, bit for bit, whatever the thread count.
 * Partitioned chunks are joined in chunk order, which is the one-thread order too.
 *
 * Protocol, per task: the growing thread sets the claim counter `NEXT` to the new task's tag
 * (which voids any claim on the old task), writes the command (task, range, features, chunk
 * count), resets `COMPLETED` and bumps `STEP`, all with `Atomics`. Every thread reads the
 * command, then claims chunk `NEXT & 63` with a compare-and-swap while `NEXT` still carries
 * the tag of the step it read and the chunk is below the chunk count, runs it and adds 1 to
 * `COMPLETED`; the growing thread waits until `COMPLETED` equals the chunk count. A thread
 * that read a command being rewritten finds `NEXT` carrying another tag and claims nothing.
 *
 * @module
 */
import { TrainingThreadError } from "../../errors.ts";
import type { BinnedMatrix } from "./binning.ts";
import {
  accumulateHistogram,
  addHistogramSums,
  BINS_PER_FEATURE,
  buildHistogramFromPairs,
  chunkOf,
  clearHistogramSums,
  type Histogram,
  histogramChunks,
  type HistogramSums,
  MAX_CHUNKS,
  writeHistogram,
} from "./histogram.ts";
import { partitionRows } from "./partition.ts";

/** Nodes with fewer rows than this are handled on the growing thread alone. */
export const PARALLEL_MIN_ROWS = 50_000;

/** Indexes into the shared control array. */
export const CONTROL = {
  /** The task number the workers should run; `STOP` ends them. */
  step: 0,
  /** What to run: `TASK.histogram` or `TASK.partition`. */
  task: 1,
  /** 1 when the node holds every row (no row list), else 0. */
  all: 2,
  /** First row of the node, as an index into the shared row list (or a row, with `all`). */
  start: 3,
  /** End of the node's rows. */
  end: 4,
  /** Number of features to build. */
  features: 5,
  /** The feature a partition splits on. */
  feature: 6,
  /** Chunks of this task. */
  chunks: 7,
  /** The claim counter: the task's tag × 64 plus the next chunk to claim. */
  next: 8,
  /** Chunks of this task finished. */
  completed: 9,
  /** Set to 1 by a worker that failed. */
  failed: 10,
  /** Length of the control array. */
  length: 11,
} as const;

/**
 * The claim counter's tag of task `step`: the step modulo 2^24, times 64 (room for the
 * chunk index, below `MAX_CHUNKS` ≤ 64).
 *
 * @param step the task's step
 * @returns the value `CONTROL.next` starts the task at
 * @example
 * ```ts
 * claimTag(3); // 192
 * ```
 */
export function claimTag(step: number): number {
  return (step % (1 << 24)) * 64;
}

/** The tasks a worker runs. */
export const TASK = {
  /** Sum each claimed chunk into its slot of the chunk sums. */
  histogram: 0,
  /** Partition each claimed chunk; its left count goes to its `lefts` slot. */
  partition: 1,
} as const;

/** `CONTROL.step` value that stops the workers. */
export const STOP = -1;

/** How long the growing thread waits for the chunks before giving up. */
const TASK_TIMEOUT_MS = 120_000;

/** How long a worker may take to start. */
const START_TIMEOUT_MS = 120_000;

/** What a worker is sent to start. */
export interface HistogramWorkerInit {
  type: "init";
  /** The worker's number, from 1 (the growing thread is 0). */
  index: number;
  /** Shape of the binned rows. */
  rows: number;
  cols: number;
  stride: number;
  /** The shared memory. */
  buffers: SharedBuffers;
}

/** The shared memory of the threads. */
export interface SharedBuffers {
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
}

/** Typed views of the shared memory, as every thread uses them. */
export interface SharedViews {
  control: Int32Array;
  features: Int32Array;
  binned: BinnedMatrix;
  pairs: Float32Array;
  rowList: Uint32Array;
  scratch: Uint32Array;
  sides: Uint8Array;
  lefts: Int32Array;
  /** One slot of sums per chunk. */
  chunkSums: HistogramSums[];
}

/**
 * Typed views of the shared memory.
 *
 * @param buffers the shared buffers
 * @param shape the binned rows' shape
 * @returns the views
 * @example
 * ```ts
 * const views = sharedViews(init.buffers, { rows: init.rows, cols: init.cols, stride: init.stride });
 * ```
 */
export function sharedViews(
  buffers: SharedBuffers,
  shape: { rows: number; cols: number; stride: number },
): SharedViews {
  const cells = shape.cols * BINS_PER_FEATURE;
  return {
    control: new Int32Array(buffers.control),
    features: new Int32Array(buffers.features),
    binned: { bins: new Uint8Array(buffers.bins), ...shape },
    pairs: new Float32Array(buffers.pairs),
    rowList: new Uint32Array(buffers.rowList),
    scratch: new Uint32Array(buffers.scratch),
    sides: new Uint8Array(buffers.sides),
    lefts: new Int32Array(buffers.lefts),
    chunkSums: Array.from({ length: MAX_CHUNKS }, (_, c) => ({
      gh: new Float64Array(buffers.gh, c * cells * 2 * 8, cells * 2),
      counts: new Uint32Array(buffers.counts, c * cells * 4, cells),
    })),
  };
}

/**
 * Claims and runs chunks of task `step` until none is left; called by every thread.
 *
 * @param views the shared memory
 * @param step the task's step, as read from `CONTROL.step`
 * @example
 * ```ts
 * runChunks(views, Atomics.load(views.control, CONTROL.step));
 * ```
 */
export function runChunks(views: SharedViews, step: number): void {
  const { control } = views;
  const tag = claimTag(step);
  const chunks = Atomics.load(control, CONTROL.chunks);
  const task = Atomics.load(control, CONTROL.task);
  const from = Atomics.load(control, CONTROL.start);
  const to = Atomics.load(control, CONTROL.end);
  const all = Atomics.load(control, CONTROL.all) === 1;
  const features = Int32Array.from(
    { length: Atomics.load(control, CONTROL.features) },
    (_, k) => Atomics.load(views.features, k),
  );
  const left = new Uint8Array(BINS_PER_FEATURE);
  if (task === TASK.partition) {
    for (let b = 0; b < BINS_PER_FEATURE; b++) left[b] = Atomics.load(views.sides, b);
  }
  const side = { feature: Atomics.load(control, CONTROL.feature), left };
  for (;;) {
    const ticket = Atomics.load(control, CONTROL.next);
    const chunk = ticket - tag;
    if (chunk < 0 || chunk >= chunks) return;
    if (Atomics.compareExchange(control, CONTROL.next, ticket, ticket + 1) !== ticket) continue;
    const [start, end] = chunkOf(chunk, chunks, from, to);
    if (task === TASK.partition) {
      views.lefts[chunk] = partitionRows(views.binned, side, views.rowList, views.scratch, {
        start,
        end,
      });
    } else {
      const sums = views.chunkSums[chunk]!;
      clearHistogramSums(sums, features);
      accumulateHistogram(
        views.binned,
        views.pairs,
        { rows: all ? null : views.rowList, start, end, features },
        sums,
      );
    }
    if (Atomics.add(control, CONTROL.completed, 1) + 1 === chunks) {
      Atomics.notify(control, CONTROL.completed);
    }
  }
}

/**
 * The workers of one `gbdt` fit, and the shared memory they use: builds the histograms of
 * large nodes and partitions their rows on `threads` threads. Close it (or let `using`
 * dispose of it) when the fit ends.
 *
 * @example
 * ```ts
 * using pool = await HistogramThreads.start({ threads: 2, binned });
 * growTree(binned, { grad, hess, rows: pool.shareRows(rows) }, { ...options, threads: pool });
 * ```
 */
export class HistogramThreads {
  /** Shared gradient pairs of the tree being grown (see `interleaveGradients`). */
  readonly pairs: Float32Array;
  /** Shared row list; `shareRows` copies a tree's rows into it. */
  readonly rowList: Uint32Array;
  #views: SharedViews;
  #workers: Worker[];
  #threads: number;
  #step = 0;
  #errors: string[];

  private constructor(views: SharedViews, workers: Worker[], threads: number, errors: string[]) {
    this.pairs = views.pairs;
    this.rowList = views.rowList;
    this.#views = views;
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
        `Cannot start gbdt training threads: threads is ${threads}, expected an integer of 2 or more`,
      );
    }
    if (!(binned.bins.buffer instanceof SharedArrayBuffer)) {
      throw new RangeError(
        "Cannot start gbdt training threads: the binned rows are not in shared memory; bin them with binMatrix",
      );
    }
    const n = binned.rows;
    const cells = binned.cols * BINS_PER_FEATURE;
    const shared = (bytes: number) => new SharedArrayBuffer(Math.max(bytes, 8));
    const buffers: SharedBuffers = {
      control: shared(4 * CONTROL.length),
      features: shared(4 * binned.cols),
      bins: binned.bins.buffer,
      pairs: shared(8 * n),
      rowList: shared(4 * n),
      scratch: shared(4 * n),
      sides: shared(BINS_PER_FEATURE),
      lefts: shared(4 * MAX_CHUNKS),
      gh: shared(8 * 2 * cells * MAX_CHUNKS),
      counts: shared(4 * cells * MAX_CHUNKS),
    };
    const shape = { rows: n, cols: binned.cols, stride: binned.stride };
    const errors: string[] = [];
    const workers: Worker[] = [];
    try {
      await Promise.all(
        Array.from({ length: threads - 1 }, (_, i) => {
          const worker = new Worker(new URL("./_histogram_worker.ts", import.meta.url).href, {
            type: "module",
          });
          workers.push(worker);
          return ready(worker, { type: "init", index: i + 1, ...shape, buffers }, errors);
        }),
      );
    } catch (error) {
      for (const worker of workers) worker.terminate();
      throw error;
    }
    return new HistogramThreads(sharedViews(buffers, shape), workers, threads, errors);
  }

  /** Threads working, the growing one included. */
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
   * `buildHistogramFromPairs` on the threads, with the same result. A node under
   * `PARALLEL_MIN_ROWS` rows, or whose arrays are not this pool's shared ones, is built on the
   * calling thread alone.
   *
   * @param data the gradient pairs and rows (`pairs` and a view of `rowList`)
   * @param features the features to build
   * @param out the histogram to overwrite for those features
   * @param sums the calling thread's scratch sums
   * @throws {TrainingThreadError} when a worker failed or did not answer
   */
  build(
    data: { pairs: Float32Array; rows: Uint32Array },
    features: Int32Array,
    out: Histogram,
    sums: HistogramSums,
  ): void {
    const views = this.#views;
    const { rows, pairs } = data;
    const all = rows.length === views.binned.rows;
    if (
      rows.length < PARALLEL_MIN_ROWS || this.#workers.length === 0 || pairs !== this.pairs ||
      (!all && rows.buffer !== this.rowList.buffer)
    ) {
      buildHistogramFromPairs(views.binned, data, features, out, sums);
      return;
    }
    const from = all ? 0 : rows.byteOffset / 4;
    const chunks = histogramChunks(rows.length);
    this.#run(features, null, {
      task: TASK.histogram,
      all: all ? 1 : 0,
      start: from,
      end: from + rows.length,
      chunks,
    });
    clearHistogramSums(sums, features);
    for (let c = 0; c < chunks; c++) addHistogramSums(sums, views.chunkSums[c]!, features);
    writeHistogram(sums, features, out);
  }

  /**
   * Stable partition of `rows[range]` by a split: the rows whose bin's entry in `split.left`
   * is 1 first, in order, then the others, in order, exactly as on one thread. A node of
   * `PARALLEL_MIN_ROWS` rows or more (in the shared row list) is partitioned in chunks on
   * every thread, and the chunks are then joined.
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
    const views = this.#views;
    const { scratch, rowList: list, lefts } = views;
    const { start, end } = range;
    if (
      end - start < PARALLEL_MIN_ROWS || this.#workers.length === 0 ||
      rows.buffer !== list.buffer
    ) {
      const own = scratch.subarray(0, rows.length);
      const left = partitionRows(views.binned, split, rows, own, range);
      rows.set(own.subarray(start, end - left), start + left);
      return left;
    }
    const offset = rows.byteOffset / 4;
    const from = offset + start;
    const to = offset + end;
    const chunks = histogramChunks(to - from);
    this.#run(new Int32Array(0), split.left, {
      task: TASK.partition,
      start: from,
      end: to,
      feature: split.feature,
      chunks,
    });
    // Join: every chunk's left rows after chunk 0's, then every chunk's right rows.
    let at = from + lefts[0]!;
    for (let c = 1; c < chunks; c++) {
      const [s] = chunkOf(c, chunks, from, to);
      list.copyWithin(at, s, s + lefts[c]!);
      at += lefts[c]!;
    }
    const left = at - from;
    for (let c = 0; c < chunks; c++) {
      const [s, e] = chunkOf(c, chunks, from, to);
      const right = e - s - lefts[c]!;
      list.set(scratch.subarray(s, s + right), at);
      at += right;
    }
    return left;
  }

  /** Stops and ends every worker. */
  close(): void {
    const control = this.#views.control;
    Atomics.store(control, CONTROL.step, STOP);
    Atomics.notify(control, CONTROL.step);
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
  }

  /** Same as `close`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Posts a task, runs chunks on this thread too, and waits until every chunk is done. */
  #run(
    features: Int32Array,
    sides: Uint8Array | null,
    command: Partial<Record<keyof typeof CONTROL, number>> & { chunks: number },
  ): void {
    const views = this.#views;
    const control = views.control;
    const step = this.#step + 1;
    // Void claims on the last task before its command is overwritten.
    Atomics.store(control, CONTROL.next, claimTag(step));
    for (const [key, value] of Object.entries(command)) {
      Atomics.store(control, CONTROL[key as keyof typeof CONTROL], value);
    }
    if (!("all" in command)) Atomics.store(control, CONTROL.all, 0);
    Atomics.store(control, CONTROL.features, features.length);
    for (let k = 0; k < features.length; k++) Atomics.store(views.features, k, features[k]!);
    if (sides !== null) {
      for (let b = 0; b < BINS_PER_FEATURE; b++) Atomics.store(views.sides, b, sides[b]!);
    }
    Atomics.store(control, CONTROL.completed, 0);
    this.#step = step;
    Atomics.store(control, CONTROL.step, step);
    Atomics.notify(control, CONTROL.step);
    runChunks(views, step);
    const chunks = command.chunks;
    for (;;) {
      const done = Atomics.load(control, CONTROL.completed);
      if (Atomics.load(control, CONTROL.failed) !== 0) {
        throw new TrainingThreadError(
          `Cannot train gbdt: a training thread failed${
            this.#errors.length ? ` (${this.#errors.join("; ")})` : ""
          }; set training.threads to 1 to train on one thread`,
        );
      }
      if (done === chunks) return;
      if (Atomics.wait(control, CONTROL.completed, done, TASK_TIMEOUT_MS) === "timed-out") {
        throw new TrainingThreadError(
          `Cannot train gbdt: the training threads did not finish a task within ${
            TASK_TIMEOUT_MS / 1000
          } s; set training.threads to 1`,
        );
      }
    }
  }
}

function ready(worker: Worker, init: HistogramWorkerInit, errors: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new TrainingThreadError(
          `Cannot train gbdt: training thread ${init.index} did not start within ${
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
            `Cannot train gbdt: training thread ${init.index} failed (${event.data.message}); set training.threads to 1`,
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
          `Cannot train gbdt: training thread ${init.index} failed to start (${event.message}); set training.threads to 1`,
        ),
      );
    };
    worker.postMessage(init);
  });
}
