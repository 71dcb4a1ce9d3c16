/**
 * Random-forest trees grown on Web Workers: tree `t` is grown by thread `t % threads` (thread 0
 * is the caller's), each from its own seed (`treeSeed`), so the forest is the same at any
 * thread count. The workers receive the binned rows once (their bytes are shared memory) and
 * grow their trees ahead; the caller takes the trees in order.
 *
 * @module
 */
import { Random } from "../../utils/mod.ts";
import type { BinnedMatrix } from "./binning.ts";
import { bootstrapCounts, treeSeed } from "./bootstrap.ts";
import type { Tree } from "./grow.ts";
import { growImpurityTree, type ImpurityTreeOptions } from "./impurity_tree.ts";

/** Everything a tree's growth reads, the same for every tree. */
export interface ForestJob {
  /** The binned training rows (bytes in shared memory when threads are used). */
  binned: BinnedMatrix;
  /** The class weight of every row (1 without class weights). */
  rowWeight: Float64Array;
  /** Labels (classification) or null. */
  labels: Int32Array | null;
  /** Targets (regression) or null. */
  values: Float64Array | null;
  /** Whether each tree draws a bootstrap sample. */
  bootstrap: boolean;
  /** The forest's seed. */
  seed: number;
  /** The trees' shape. */
  options: ImpurityTreeOptions;
}

/** One grown tree (one per class for classification) and its bootstrap counts. */
export interface GrownTree {
  trees: Tree[];
  counts: Float64Array;
}

/**
 * Grows tree `t` of a forest: its bootstrap sample (or every row), then the tree, from
 * `treeSeed(seed, t)`.
 *
 * @param job the forest's data and options
 * @param t the tree's index
 * @returns the tree (per class) and the sample's counts
 * @example
 * ```ts
 * const { trees, counts } = growForestTree(job, 0);
 * ```
 */
export function growForestTree(job: ForestJob, t: number): GrownTree {
  const n = job.binned.rows;
  const random = new Random(treeSeed(job.seed, t));
  const counts = job.bootstrap ? bootstrapCounts(n, random) : new Float64Array(n).fill(1);
  const weights = Float64Array.from(counts, (c, i) => c * job.rowWeight[i]!);
  const trees = growImpurityTree(
    { binned: job.binned, weights, counts, labels: job.labels, values: job.values },
    job.options,
    random,
  );
  return { trees, counts };
}

/** Messages between the caller and a forest worker. */
export type ForestWorkerMessage =
  | { type: "grow"; job: ForestJob; trees: number[] }
  | { type: "tree"; t: number; grown: GrownTree }
  | { type: "error"; message: string };

/**
 * The forest's trees in order, grown on `threads` threads. Dispose it (`using`) to end the
 * workers however training ends.
 */
export class ForestThreads implements Disposable {
  #job: ForestJob;
  #threads: number;
  #workers: Worker[] = [];
  #pending = new Map<number, PromiseWithResolvers<GrownTree>>();
  #failure: Error | null = null;

  /**
   * Starts `threads − 1` workers and sends each its share of the `count` trees.
   *
   * @param job the forest's data and options
   * @param count the number of trees
   * @param threads the threads, the caller's included (1: no worker)
   */
  constructor(job: ForestJob, count: number, threads: number) {
    this.#job = job;
    this.#threads = Math.max(1, Math.min(threads, count));
    for (let t = 0; t < count; t++) {
      if (t % this.#threads !== 0) this.#pending.set(t, Promise.withResolvers<GrownTree>());
    }
    for (let w = 1; w < this.#threads; w++) {
      const worker = new Worker(new URL("./_forest_worker.ts", import.meta.url).href, {
        type: "module",
      });
      worker.onmessage = (event: MessageEvent<ForestWorkerMessage>) => {
        const message = event.data;
        if (message.type === "tree") this.#pending.get(message.t)?.resolve(message.grown);
        else if (message.type === "error") this.#fail(new Error(message.message));
      };
      worker.onerror = (event) => {
        event.preventDefault();
        this.#fail(new Error(`a forest worker failed: ${event.message}`));
      };
      const trees = [...this.#pending.keys()].filter((t) => t % this.#threads === w);
      worker.postMessage({ type: "grow", job, trees } satisfies ForestWorkerMessage);
      this.#workers.push(worker);
    }
  }

  /**
   * Tree `t`: grown here when it is this thread's, else awaited from its worker.
   *
   * @param t the tree's index, asked in order
   * @returns the tree (per class) and its bootstrap counts
   * @throws {Error} when a worker failed
   */
  async tree(t: number): Promise<GrownTree> {
    if (this.#failure !== null) throw this.#failure;
    if (t % this.#threads === 0) return growForestTree(this.#job, t);
    const grown = await this.#pending.get(t)!.promise;
    this.#pending.delete(t);
    return grown;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#failure);
    // Rejections nobody awaits yet must not become unhandled.
    for (const pending of this.#pending.values()) pending.promise.catch(() => {});
  }

  /** Ends the workers. */
  [Symbol.dispose](): void {
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
  }
}
