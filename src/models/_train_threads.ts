/**
 * Data-parallel training threads: Web Workers that each hold a copy of the network and compute
 * the gradient of their share of every batch while the loop's own thread computes the first
 * share. Everything they exchange lives in `SharedArrayBuffer`s (the gathered batch, the dropout
 * masks, the weights, one gradient slot per worker), and steps are handed over with `Atomics`,
 * so a step costs no message and no copy beyond the gradients themselves.
 *
 * Protocol, per step: the loop draws the masks of the batch it gathered, writes its rows and
 * buffer slot and bumps `STEP`; each worker loads the shared weights into its engine (its tfjs variables or its
 * WebAssembly kernels), computes its share and stores the step in its `DONE` slot; the loop waits
 * for every slot, adds the gradients in worker order (so the sum is the same on every run), takes
 * the optimiser step and writes the weights to the shared buffer for the next step. There are two
 * batch buffers: while the threads compute a batch, the loop gathers the next into the other one
 * once its own share is done, so the gather (random reads, bound by memory latency) overlaps the
 * threads' work.
 *
 * @module
 */
import { TrainingThreadError } from "../errors.ts";
import type { BatchBuffers } from "./_train_shard.ts";
import type { DenseNetworkSpec } from "./_network_types.ts";
import type { TrainingEngineName } from "./_train_engine.ts";

/** Indexes into the shared control array. */
export const CONTROL = {
  /** The step number the workers should run; `STOP` ends them. */
  step: 0,
  /** Rows of the current batch. */
  rows: 1,
  /** Set to 1 by a worker that failed. */
  failed: 2,
  /** Which of the two batch buffers holds the current batch. */
  slot: 3,
  /** Worker `i` (from 1) writes the step it finished at `done + i`. */
  done: 4,
} as const;

/** `CONTROL.step` value that stops the workers. */
export const STOP = -1;

/** How long the loop waits for a worker's share before giving up. */
const STEP_TIMEOUT_MS = 120_000;

/** How long a worker may take to start (load modules, start the backend). */
const START_TIMEOUT_MS = 120_000;

/** What a worker is sent to start. */
export interface WorkerInit {
  type: "init";
  /** The worker's share index, from 1 (the loop's thread is share 0). */
  index: number;
  /** Shares per batch, the loop's thread included. */
  threads: number;
  /** The network to copy. */
  spec: DenseNetworkSpec;
  /** tfjs backend to start: the loop's. */
  backend: "wasm" | "cpu";
  /** What the share's gradient runs on: the loop's engine. */
  engine: TrainingEngineName;
  /** Rows of a batch at most. */
  batchSize: number;
  /** Features per row. */
  d: number;
  /** Targets per row. */
  k: number;
  /** The shared memory. */
  buffers: {
    control: SharedArrayBuffer;
    /** Two batches: the loop gathers the next while the threads compute the current one. */
    batches: { x: SharedArrayBuffer; targets: SharedArrayBuffer; labels: SharedArrayBuffer }[];
    masks: SharedArrayBuffer[];
    weights: SharedArrayBuffer;
    gradients: SharedArrayBuffer;
    stats: SharedArrayBuffer;
  };
}

/**
 * The workers of one `trainNetwork` call, and the shared memory they use.
 */
export class TrainingThreads {
  /** The two batch buffers the loop gathers into, in turn. */
  readonly batches: readonly [BatchBuffers, BatchBuffers];
  /** Dropout masks of the whole batch, one per hidden layer (empty without dropout). */
  readonly masks: Float32Array[];
  /** The weights, flat; the loop updates them, the workers read them. */
  readonly weights: Float32Array;
  #control: Int32Array;
  #gradients: Float32Array;
  #stats: Float64Array;
  #workers: Worker[];
  #threads: number;
  #size: number;
  #step = 0;
  #errors: string[];

  private constructor(
    init: Omit<WorkerInit, "type" | "index">,
    workers: Worker[],
    errors: string[],
    size: number,
  ) {
    const { buffers } = init;
    const [first, second] = buffers.batches.map(batchViews);
    this.batches = [first!, second!];
    this.masks = buffers.masks.map((buffer) => new Float32Array(buffer));
    this.weights = new Float32Array(buffers.weights);
    this.#control = new Int32Array(buffers.control);
    this.#gradients = new Float32Array(buffers.gradients);
    this.#stats = new Float64Array(buffers.stats);
    this.#workers = workers;
    this.#threads = init.threads;
    this.#size = size;
    this.#errors = errors;
  }

  /**
   * Starts `threads − 1` workers, each with its copy of the network, and waits until all are
   * ready.
   *
   * @param options the shares, the network, the backend and engine, the batch's shape and the
   *   weight count (in the engine's layout)
   * @returns the running threads
   * @throws {TrainingThreadError} when a worker cannot start
   */
  static async start(options: {
    threads: number;
    spec: DenseNetworkSpec;
    backend: "wasm" | "cpu";
    engine: TrainingEngineName;
    batchSize: number;
    d: number;
    k: number;
    dropoutUnits: readonly number[];
    size: number;
  }): Promise<TrainingThreads> {
    const { threads, spec, backend, engine, batchSize, d, k, size } = options;
    const shared = (bytes: number) => new SharedArrayBuffer(Math.max(bytes, 8));
    const init: Omit<WorkerInit, "type" | "index"> = {
      threads,
      spec,
      backend,
      engine,
      batchSize,
      d,
      k,
      buffers: {
        control: shared(4 * (CONTROL.done + threads)),
        batches: [0, 1].map(() => ({
          x: shared(4 * batchSize * d),
          targets: shared(4 * batchSize * k),
          labels: shared(4 * batchSize),
        })),
        masks: options.dropoutUnits.map((units) => shared(4 * batchSize * units)),
        weights: shared(4 * size),
        gradients: shared(4 * size * (threads - 1)),
        stats: shared(8 * 2 * threads),
      },
    };
    const errors: string[] = [];
    const workers: Worker[] = [];
    try {
      await Promise.all(
        Array.from({ length: threads - 1 }, (_, i) => {
          const worker = new Worker(new URL("./_train_worker.ts", import.meta.url).href, {
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
    return new TrainingThreads(init, workers, errors, size);
  }

  /**
   * Hands the batch of `rows` rows gathered into `batches[slot]` to the workers.
   *
   * @param rows the batch's rows
   * @param slot which batch buffer holds it
   */
  begin(rows: number, slot: 0 | 1): void {
    this.#step++;
    this.#control[CONTROL.rows] = rows;
    this.#control[CONTROL.slot] = slot;
    Atomics.store(this.#control, CONTROL.step, this.#step);
    Atomics.notify(this.#control, CONTROL.step);
  }

  /**
   * Waits for every worker's share and adds it, in worker order, to the loop's own.
   *
   * @param own the loop's share: its flat gradient (summed into in place), cost and metric
   * @returns the batch's cost and metric
   * @throws {TrainingThreadError} when a worker failed or did not answer
   */
  finish(own: { gradients: Float32Array; cost: number; metric: number }): {
    cost: number;
    metric: number;
  } {
    const f = Math.fround;
    let { cost, metric } = own;
    const g = own.gradients;
    for (let i = 1; i < this.#threads; i++) {
      const slot = CONTROL.done + i;
      while (Atomics.load(this.#control, slot) !== this.#step) {
        const answer = Atomics.wait(this.#control, slot, this.#step - 1, STEP_TIMEOUT_MS);
        if (answer === "timed-out") {
          throw new TrainingThreadError(
            `Cannot train: training thread ${i} did not finish step ${this.#step} within ${
              STEP_TIMEOUT_MS / 1000
            } s; set training.threads to 1`,
          );
        }
      }
      if (Atomics.load(this.#control, CONTROL.failed) !== 0) {
        throw new TrainingThreadError(
          `Cannot train: training thread ${i} failed${
            this.#errors.length ? ` (${this.#errors.join("; ")})` : ""
          }; set training.threads to 1 to train on one thread`,
        );
      }
      const slotGradients = this.#gradients.subarray((i - 1) * this.#size, i * this.#size);
      for (let j = 0; j < g.length; j++) g[j] = f(g[j]! + slotGradients[j]!);
      cost += this.#stats[2 * i]!;
      metric += this.#stats[2 * i + 1]!;
    }
    return { cost, metric };
  }

  /** Stops and ends every worker. */
  close(): void {
    Atomics.store(this.#control, CONTROL.step, STOP);
    Atomics.notify(this.#control, CONTROL.step);
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
  }
}

/**
 * Typed views of one shared batch.
 *
 * @param batch the shared buffers
 * @returns the features, targets and labels
 */
export function batchViews(
  batch: { x: SharedArrayBuffer; targets: SharedArrayBuffer; labels: SharedArrayBuffer },
): BatchBuffers {
  return {
    x: new Float32Array(batch.x),
    targets: new Float32Array(batch.targets),
    labels: new Int32Array(batch.labels),
  };
}

function ready(worker: Worker, init: WorkerInit, errors: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new TrainingThreadError(
          `Cannot train: training thread ${init.index} did not start within ${
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
            `Cannot train: training thread ${init.index} failed to start (${event.data.message}); set training.threads to 1`,
          ),
        );
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      clearTimeout(timer);
      reject(
        new TrainingThreadError(
          `Cannot train: training thread ${init.index} failed to start (${event.message}); set training.threads to 1`,
        ),
      );
    };
    worker.postMessage(init);
  });
}
