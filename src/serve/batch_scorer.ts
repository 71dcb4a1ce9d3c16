/**
 * Scores requests: with the run's row engine when it has one (`compileRowScorer`: plain
 * TypeScript, no polars, the same answers as `scoreRows`), else with `scoreRows`, the code
 * `deno task predict` runs on each batch, merging the requests that arrive together into one
 * call.
 *
 * Row engine: adaptive micro-batching. Concurrent small requests for the same run are gathered
 * and scored with one engine call (one model call: a network's fixed cost per call, about
 * 0.1 ms, is paid once for all of them). A batch opens with its first request and grows turn by
 * turn of the event loop (`setImmediate`, microseconds when idle) while requests keep arriving:
 * it is scored after the first turn that brings no new request and leaves none announced
 * ({@link BatchScorer.expect}: its body is being read), or at once when it holds a request of
 * every client seen in the last second (the connection, given with the announcement: an
 * HTTP/1.1 client sends its next request only after its answer, so nobody else can come), or
 * holds `batchRows` rows, and at the latest `batchWaitMs` after it opened. So a batch forms
 * only while the service is busy, when requests queue anyway: a lone client, or traffic the
 * service keeps up with, waits one turn at most.
 * Every row of the batch is computed on its own (parsing, cleaning, features and the model are
 * row-wise), so each caller gets its rows' predictions bit-identical to scoring them alone.
 *
 * Requests the row engine leaves to polars (more than `rowEngineMaxRows` rows, or rows it cannot
 * answer exactly: see `RowFallback`) go to `scoreRows`, whose cost is mostly fixed per call (a
 * few dozen polars operations), so requests that are ready in the same turn of the event loop
 * are queued and scored together on the next turn.
 *
 * Whatever the engine, each request gets exactly its own answer: its predictions, or its own
 * problems (422) and nothing scored, whatever the other requests in the call hold.
 *
 * @module
 */
import type { Series } from "nodejs-polars";
import { setImmediate } from "node:timers";
import { DataValidationError, SchemaMismatchError } from "../errors.ts";
import { columnsToFrame, scoreRows } from "../pipelines/mod.ts";
import type {
  RowProblem,
  RowScorer,
  RowScores,
  RunArtifacts,
  ScoredRows,
} from "../pipelines/mod.ts";
import type { RequestProblem } from "../errors.ts";
import { rowsRejected } from "./request_rows.ts";
import type { RequestRows, RowValue } from "./request_rows.ts";

/** The prediction of one row: its id fields, the prediction and (classification) probabilities. */
export interface Prediction {
  /** An id field echoed from the request, when `data.id_columns` names it. */
  [id: string]: RowValue | Record<string, number> | undefined;
  /** The predicted class, or the predicted value for regression. */
  prediction: string | number;
  /** Classification: the probability of every class, summing to 1. */
  probabilities?: Record<string, number>;
}

/** Values that were scored but deserve a look. */
export interface RequestWarning {
  /** The input column. */
  column: string;
  /** `out_of_range`: outside the training range; `unseen_category`: never seen in training. */
  kind: "out_of_range" | "unseen_category";
  /** How many of the request's values. */
  count: number;
  /** What it means for the predictions. */
  message: string;
}

/** The answer to one request. */
export interface ScoredRequest {
  /** The run that produced the predictions. */
  runId: string;
  /** One prediction per row, in request order. */
  predictions: Prediction[];
  /** Values scored all the same but outside what the model saw in training. */
  warnings: RequestWarning[];
}

/** The code that scores: the row engine, or `scoreRows` on a polars frame. */
export type ScoringEngine = "rows" | "polars";

/** One scoring call, as reported to {@link BatchScorerOptions.onBatch}. */
export interface BatchInfo {
  /** Requests merged into the call. */
  requests: number;
  /** Rows scored (or checked) by the call. */
  rows: number;
  /** Seconds the call took. */
  seconds: number;
  /** Which engine scored. */
  engine: ScoringEngine;
}

/** Options of {@link BatchScorer}. */
export interface BatchScorerOptions {
  /**
   * Most rows merged into one `scoreRows` call; a larger request is scored alone.
   * @default 10000
   */
  maxBatchRows?: number;
  /**
   * Most rows of a request the row engine scores; larger requests go to `scoreRows`.
   * @default 1024
   */
  rowEngineMaxRows?: number;
  /**
   * Longest a request for the row engine waits for others to join its batch, in milliseconds
   * (`serve.batching.max_wait_ms`); it waits only while requests keep arriving (see the module
   * description). `0` scores every request alone, at once.
   * @default 2
   */
  batchWaitMs?: number;
  /**
   * A gathered batch is scored as soon as it holds this many rows (`serve.batching.max_rows`);
   * a request of at least this many rows is scored alone.
   * @default 256
   */
  batchRows?: number;
  /**
   * Most problems listed in a 422 answer.
   * @default 100
   */
  maxProblems?: number;
  /**
   * Run a full garbage collection after this many `scoreRows` calls, when the process was
   * started with `--v8-flags=--expose-gc` (`deno task serve` is); `0` never does. Every call
   * leaves hundreds of dead polars objects whose native finalizers V8 runs in one go: left to
   * pile up, the collection that finally runs stops the server for seconds; collected every few
   * calls, it costs tens of milliseconds.
   * @default 4
   */
  collectGarbageEvery?: number;
  /**
   * Called after every scoring call, of either engine (metrics).
   * @default null
   */
  onBatch?: ((info: BatchInfo) => void) | null;
  /**
   * Called when the row engine leaves a request to `scoreRows`, with its reason (metrics).
   * @default null
   */
  onFallback?: ((reason: string) => void) | null;
}

/** Defaults of {@link BatchScorerOptions}. */
export const DEFAULT_BATCH_SCORER_OPTIONS: Readonly<Required<BatchScorerOptions>> = {
  maxBatchRows: 10_000,
  rowEngineMaxRows: 1024,
  batchWaitMs: 2,
  batchRows: 256,
  maxProblems: 100,
  collectGarbageEvery: 4,
  onBatch: null,
  onFallback: null,
};

interface Pending {
  run: RunArtifacts;
  /** The rows that go to scoring: the request's rows without those of the wrong shape. */
  rows: RequestRows;
  /** The request as received when some rows were left out, else `null`. */
  original: RequestRows | null;
  /** For each row of `rows`, its 0-based position in `original`. */
  origin: number[] | null;
  /** The client (its connection) that sent it, when known. */
  source: string | null;
  resolve: (scored: ScoredRequest) => void;
  reject: (error: unknown) => void;
}

/** Requests for one row engine waiting to be scored together. */
interface Gathered {
  scorer: RowScorer;
  items: Pending[];
  rows: number;
  /** The clients of its requests, where known. */
  sources: Set<string>;
  /** When the batch is scored at the latest (`performance.now()` time). */
  deadline: number;
  /** Requests it held when the current turn was scheduled; `-1` when none is. */
  atTurn: number;
}

/** The clients seen lately by one row engine, with when each was last seen. */
interface Clients {
  seen: Map<string, number>;
  /** When clients not seen for {@link ACTIVE_MS} were last dropped. */
  pruned: number;
}

/** A client not seen for this many ms no longer counts as one that may send. */
const ACTIVE_MS = 1000;

/**
 * A request announced with {@link BatchScorer.expect}: hand it to `score`, or `cancel()` it
 * when it will not be scored (its body failed), so nobody waits for it.
 */
export interface ExpectedRequest {
  /** Withdraws the announcement; later calls, and calls after `score`, do nothing. */
  cancel(): void;
}

/** An {@link ExpectedRequest} of one scorer: settled once, by `cancel` or by `score`. */
class Announcement implements ExpectedRequest {
  readonly owner: BatchScorer;
  readonly source: string | null;
  #open = true;
  #onCancel: () => void;

  constructor(owner: BatchScorer, source: string | null, onCancel: () => void) {
    this.owner = owner;
    this.source = source;
    this.#onCancel = onCancel;
  }

  cancel(): void {
    if (this.settle()) this.#onCancel();
  }

  /** Closes the announcement; `true` the first time. */
  settle(): boolean {
    const open = this.#open;
    this.#open = false;
    return open;
  }
}

/** What one scoring call found, whichever engine made it. */
interface BatchOutput {
  /** The predictions of the rows that could be scored, in order. */
  labels: readonly unknown[];
  /** Classification: per class, the probabilities of those rows. */
  probabilities: ArrayLike<number>[] | null;
  problems: RowProblem[];
  rejected: number[];
  unseen_categories: Record<string, number>;
  out_of_range: Record<string, number>;
}

/**
 * Scores requests with the run's row engine, gathering concurrent ones into one call, or queues
 * them and scores those that are ready together with one `scoreRows` call per run.
 *
 * @example
 * ```ts
 * const scorer = new BatchScorer({ batchWaitMs: 2 });
 * const expected = scorer.expect("127.0.0.1:50412"); // before reading the body
 * const rows = parseJsonRows(await request.text(), rowsSchemaForRun(run));
 * const { predictions } = await scorer.score(run, rows, compileRowScorer(run), expected);
 * ```
 */
export class BatchScorer {
  #settings: Required<BatchScorerOptions>;
  #queue: Pending[] = [];
  #scheduled = false;
  #gathered = new Map<RowScorer, Gathered>();
  #clients = new WeakMap<RowScorer, Clients>();
  #expected = 0;
  #callsSinceCollection = 0;
  #collecting = false;

  /**
   * @param options batch sizes and wait, problem limit, garbage collection and the metrics
   *   callbacks
   * @throws {RangeError} when `maxBatchRows`, `batchRows` or `maxProblems` is not a positive
   *   integer, or `rowEngineMaxRows`, `collectGarbageEvery` or `batchWaitMs` is negative
   */
  constructor(options: BatchScorerOptions = {}) {
    this.#settings = { ...DEFAULT_BATCH_SCORER_OPTIONS, ...options };
    for (const key of ["collectGarbageEvery", "rowEngineMaxRows", "batchWaitMs"] as const) {
      const value = this.#settings[key];
      if (!Number.isInteger(value) || value < 0) {
        throw new RangeError(
          `Cannot create BatchScorer: ${key} must be a non-negative integer, got ${value}`,
        );
      }
    }
    for (const key of ["maxBatchRows", "batchRows", "maxProblems"] as const) {
      const value = this.#settings[key];
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(
          `Cannot create BatchScorer: ${key} must be a positive integer, got ${value}`,
        );
      }
    }
  }

  /** Requests waiting to be scored: gathered for the row engine or queued for `scoreRows`. */
  get pending(): number {
    let gathered = 0;
    for (const group of this.#gathered.values()) gathered += group.items.length;
    return this.#queue.length + gathered;
  }

  /** Requests announced with {@link expect} and not yet scored or cancelled. */
  get expected(): number {
    return this.#expected;
  }

  /**
   * Announces a request whose rows are on their way (its body is being read): row-engine
   * batches wait for it until their deadline. Pass the result to {@link score}, or cancel it
   * when the request fails before scoring.
   *
   * @param source the client sending it, e.g. its address and port: a batch holding a request
   *   of every client seen lately is scored at once (nobody else can send)
   * @returns the announcement
   * @example
   * ```ts
   * const expected = scorer.expect();
   * try { rows = parse(await readBody()); } catch (e) { expected.cancel(); throw e; }
   * await scorer.score(run, rows, rowScorer, expected);
   * ```
   */
  expect(source: string | null = null): ExpectedRequest {
    this.#expected++;
    return new Announcement(this, source, () => {
      this.#expected--;
      for (const group of [...this.#gathered.values()]) this.#releaseIfComplete(group);
    });
  }

  /**
   * Scores the rows of one request with `run`: with `rowScorer` when it can answer them,
   * together with the concurrent requests for the same run (see the module description), else
   * with `scoreRows` together with the other requests queued in the same turn of the event
   * loop.
   *
   * Rows whose values were refused (`rows.unscorable`) are left out of scoring; the others are
   * still checked, so a refusal lists every problem of the request at once.
   *
   * @param run the run the request leased
   * @param rows the request's checked rows
   * @param rowScorer the run's row engine, or `null` to score with `scoreRows`
   * @param expected the request's announcement from {@link expect}, if it was announced
   * @returns the predictions and warnings
   * @throws {RequestRejectedError} 422 with the request's problems (row, column, message) when
   *   any of its rows cannot be scored; nothing of it is scored then
   * @example
   * ```ts
   * const scored = await scorer.score(lease.run, rows, lease.scorer);
   * ```
   */
  score(
    run: RunArtifacts,
    rows: RequestRows,
    rowScorer: RowScorer | null = null,
    expected: ExpectedRequest | null = null,
  ): Promise<ScoredRequest> {
    // Settled without releasing the batches: the request joins one first.
    const ours = expected instanceof Announcement && expected.owner === this;
    if (ours && expected.settle()) this.#expected--;
    const source = ours ? expected.source : null;
    return new Promise<ScoredRequest>((resolve, reject) => {
      let pending: Pending = {
        run,
        rows,
        original: null,
        origin: null,
        source,
        resolve,
        reject,
      };
      if (rows.rejected.length > 0) {
        const bad = new Set(rows.unscorable);
        const origin: number[] = [];
        for (let i = 0; i < rows.count; i++) if (!bad.has(i + 1)) origin.push(i);
        pending = { ...pending, rows: selectRows(rows, origin), original: rows, origin };
        if (origin.length === 0) {
          this.#refuse(pending, [], 0, new Set());
          return;
        }
      }
      if (rowScorer !== null && pending.rows.count <= this.#settings.rowEngineMaxRows) {
        const { batchWaitMs, batchRows } = this.#settings;
        if (batchWaitMs > 0 && pending.rows.count < batchRows) {
          this.#gather(rowScorer, pending);
          return;
        }
        if (this.#scoreWithRows(rowScorer, [pending])) return;
      }
      this.#enqueue(pending);
    });
  }

  /** Adds a request to its row engine's batch; scores it when full or complete, or waits a turn. */
  #gather(rowScorer: RowScorer, item: Pending): void {
    const now = performance.now();
    let clients = this.#clients.get(rowScorer);
    if (clients === undefined) {
      clients = { seen: new Map(), pruned: now };
      this.#clients.set(rowScorer, clients);
    }
    if (item.source !== null) clients.seen.set(item.source, now);
    if (now - clients.pruned > ACTIVE_MS) {
      for (const [source, at] of clients.seen) {
        if (now - at > ACTIVE_MS) clients.seen.delete(source);
      }
      clients.pruned = now;
    }
    let group = this.#gathered.get(rowScorer);
    if (group === undefined) {
      group = {
        scorer: rowScorer,
        items: [],
        rows: 0,
        sources: new Set(),
        deadline: now + this.#settings.batchWaitMs,
        atTurn: -1,
      };
      this.#gathered.set(rowScorer, group);
    }
    group.items.push(item);
    group.rows += item.rows.count;
    if (item.source !== null) group.sources.add(item.source);
    if (group.rows >= this.#settings.batchRows) {
      this.#release(group);
      return;
    }
    if (this.#releaseIfComplete(group)) return;
    if (group.atTurn < 0) this.#nextTurn(group);
  }

  /** Looks at the batch again on the next turn of the event loop. */
  #nextTurn(group: Gathered): void {
    group.atTurn = group.items.length;
    setImmediate(() => {
      if (this.#gathered.get(group.scorer) !== group) return;
      const grew = group.items.length > group.atTurn;
      if (performance.now() >= group.deadline || (!grew && this.#expected === 0)) {
        this.#release(group);
      } else {
        this.#nextTurn(group);
      }
    });
  }

  /**
   * Scores a batch now when nobody else can send to it: no request is announced and every
   * client seen lately has a request in it.
   */
  #releaseIfComplete(group: Gathered): boolean {
    if (this.#expected > 0) return false;
    const seen = this.#clients.get(group.scorer)?.seen.size ?? 0;
    if (seen === 0 || group.sources.size < seen) return false;
    this.#release(group);
    return true;
  }

  /** Scores a gathered batch; requests the engine cannot answer go to `scoreRows`. */
  #release(group: Gathered): void {
    if (this.#gathered.get(group.scorer) !== group) return;
    this.#gathered.delete(group.scorer);
    if (this.#scoreWithRows(group.scorer, group.items)) return;
    if (group.items.length === 1) {
      this.#enqueue(group.items[0]!);
      return;
    }
    // A row of one request needs polars, or the model refused one: each on its own, so only
    // that request leaves the row engine.
    for (const item of group.items) {
      if (!this.#scoreWithRows(group.scorer, [item])) this.#enqueue(item);
    }
  }

  #enqueue(item: Pending): void {
    this.#queue.push(item);
    if (!this.#scheduled) {
      this.#scheduled = true;
      // The next turn, after pending I/O: requests that arrived together are read by then.
      setImmediate(() => this.#flush());
    }
  }

  /**
   * Scores requests for one run with one row-engine call; `false` when they must be scored
   * otherwise (then nothing is answered, and a lone request's fallback is reported).
   */
  #scoreWithRows(rowScorer: RowScorer, batch: Pending[]): boolean {
    const started = performance.now();
    let scores: RowScores;
    try {
      const outcome = rowScorer.scoreColumns(mergeColumns(batch));
      if (outcome.fallback) {
        if (batch.length === 1) this.#settings.onFallback?.(outcome.reason);
        return false;
      }
      scores = outcome;
    } catch (error) {
      // The model refused the rows, or something unforeseen: scoreRows answers it as it would.
      if (batch.length === 1) {
        this.#settings.onFallback?.(error instanceof Error ? error.message : String(error));
      }
      return false;
    }
    this.#report(batch, started, "rows");
    try {
      this.#answer(batch[0]!.run, batch, {
        labels: scores.predictions?.prediction ?? [],
        probabilities: scores.predictions?.probabilities ?? null,
        problems: scores.problems,
        rejected: scores.rejected,
        unseen_categories: scores.unseen_categories,
        out_of_range: scores.out_of_range,
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
    return true;
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    const byRun = new Map<RunArtifacts, Pending[]>();
    for (const item of queue) {
      const group = byRun.get(item.run);
      if (group) group.push(item);
      else byRun.set(item.run, [item]);
    }
    for (const [run, group] of byRun) {
      let batch: Pending[] = [];
      let rows = 0;
      for (const item of group) {
        if (batch.length > 0 && rows + item.rows.count > this.#settings.maxBatchRows) {
          this.#scoreBatch(run, batch);
          batch = [];
          rows = 0;
        }
        batch.push(item);
        rows += item.rows.count;
      }
      if (batch.length > 0) this.#scoreBatch(run, batch);
    }
    this.#maybeCollect();
  }

  /**
   * Collects garbage once the answers just built are written: on a timer turn, so the responses
   * go out first, and only when no request waits to be scored (unless that keeps happening for
   * four times the interval).
   */
  #maybeCollect(): void {
    const gc = (globalThis as { gc?: () => void }).gc;
    const every = this.#settings.collectGarbageEvery;
    if (gc === undefined || every === 0 || this.#collecting) return;
    if (this.#callsSinceCollection < every) return;
    this.#collecting = true;
    setTimeout(() => {
      this.#collecting = false;
      // Requests are waiting: their flush comes first and calls this again when done.
      if (this.#queue.length > 0 && this.#callsSinceCollection < 4 * every) return;
      this.#callsSinceCollection = 0;
      gc();
    }, 0);
  }

  #scoreBatch(run: RunArtifacts, batch: Pending[]): void {
    const started = performance.now();
    this.#callsSinceCollection++;
    let scored: ScoredRows;
    try {
      scored = scoreRows(run, buildFrame(run, batch));
    } catch (error) {
      this.#report(batch, started, "polars");
      if (batch.length > 1) {
        // One request broke the whole call (e.g. an encoder set to fail on unknown values):
        // score each alone, so only that request fails.
        for (const item of batch) this.#scoreBatch(run, [item]);
        return;
      }
      const item = batch[0]!;
      if (error instanceof DataValidationError || error instanceof SchemaMismatchError) {
        const problem = {
          row: null,
          column: null,
          message: `the model refused the rows: ${error.message}`,
        };
        this.#refuse(item, [problem], 0, new Set());
      } else {
        item.reject(error);
      }
      return;
    }
    this.#report(batch, started, "polars");
    try {
      this.#answer(run, batch, polarsOutput(run, scored));
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }

  /** Refuses a request with its problems of shape and those scoring found, in row order. */
  #refuse(item: Pending, found: RequestProblem[], more: number, rows: Set<number>): void {
    const original = item.original ?? item.rows;
    const all = [...original.problems, ...found].sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
    const limit = this.#settings.maxProblems;
    const bad = new Set([...original.rejected, ...rows]);
    const wholeRequest = all.some((p) => p.row === null);
    item.reject(
      rowsRejected(
        all.slice(0, limit),
        Math.max(0, all.length - limit) + more + original.moreProblems,
        wholeRequest ? null : bad.size,
        original.count,
      ),
    );
  }

  #report(batch: Pending[], started: number, engine: ScoringEngine): void {
    this.#settings.onBatch?.({
      requests: batch.length,
      rows: batch.reduce((sum, item) => sum + item.rows.count, 0),
      seconds: (performance.now() - started) / 1000,
      engine,
    });
  }

  /** Splits one call's output back into the answers of its requests. */
  #answer(run: RunArtifacts, batch: Pending[], scored: BatchOutput): void {
    const owner = new Int32Array(batch.reduce((sum, item) => sum + item.rows.count, 0));
    const starts: number[] = [];
    let offset = 0;
    batch.forEach((item, b) => {
      starts.push(offset);
      owner.fill(b, offset, offset + item.rows.count);
      offset += item.rows.count;
    });
    // Problems and rejected rows of each request, numbered as in the request.
    const problems = batch.map(() => [] as RequestProblem[]);
    const badRows = batch.map(() => new Set<number>());
    const extra = batch.map(() => 0);
    const requestRow = (b: number, row: number) => {
      const origin = batch[b]!.origin;
      return origin === null ? row : origin[row - 1]! + 1;
    };
    for (const r of scored.rejected) {
      const b = owner[r - 1]!;
      badRows[b]!.add(requestRow(b, r - starts[b]!));
    }
    for (const p of scored.problems) {
      const b = owner[p.row - 1]!;
      const row = requestRow(b, p.row - starts[b]!);
      badRows[b]!.add(row);
      if (problems[b]!.length < this.#settings.maxProblems) {
        problems[b]!.push({ row, column: p.column, message: p.problem });
      } else {
        extra[b]!++;
      }
    }

    const classes = [...run.model.classes];
    const { labels, probabilities } = scored;
    const flagged = Object.keys(scored.out_of_range).length > 0 ||
      Object.keys(scored.unseen_categories).length > 0;

    let next = 0; // position in `output`, which holds only the rows that could be scored
    batch.forEach((item, b) => {
      const count = item.rows.count;
      if (badRows[b]!.size > 0 || problems[b]!.length > 0 || item.original !== null) {
        next += count - badRows[b]!.size; // skip its rows that were scored
        this.#refuse(item, problems[b]!, extra[b]!, badRows[b]!);
        return;
      }
      const predictions = new Array<Prediction>(count);
      for (let i = 0; i < count; i++, next++) {
        const prediction: Prediction = { prediction: labels[next] as string | number };
        if (probabilities !== null) {
          prediction.probabilities = Object.fromEntries(
            classes.map((c, k) => [c, probabilities[k]![next]!]),
          );
        }
        const ids = item.rows.ids?.[i];
        predictions[i] = ids === undefined ? prediction : { ...ids, ...prediction };
      }
      item.resolve({
        runId: run.id,
        predictions,
        warnings: flagged ? requestWarnings(run, item.rows, scored) : [],
      });
    });
  }
}

/** The rows at 0-based `positions` of `rows`, without problems. */
function selectRows(rows: RequestRows, positions: number[]): RequestRows {
  return {
    count: positions.length,
    columns: new Map(
      [...rows.columns].map(([name, values]) => [name, positions.map((i) => values[i]!)]),
    ),
    ids: rows.ids === null ? null : positions.map((i) => rows.ids![i]!),
    problems: [],
    rejected: [],
    unscorable: [],
    moreProblems: 0,
  };
}

/** The columns of several requests' rows, one request after the other. */
function mergeColumns(batch: readonly Pending[]): Map<string, readonly RowValue[]> {
  if (batch.length === 1) return batch[0]!.rows.columns;
  const merged = new Map<string, RowValue[]>();
  for (const name of batch[0]!.rows.columns.keys()) {
    merged.set(name, batch.flatMap((item) => item.rows.columns.get(name)!));
  }
  return merged;
}

/**
 * Builds one frame from the rows of several requests, as `columnsToFrame` does (the frame the
 * row engine's answers are defined on): numbers stay numbers unless mixed with text.
 */
function buildFrame(run: RunArtifacts, batch: Pending[]) {
  const columns = mergeColumns(batch);
  return columnsToFrame(
    run,
    new Map(run.signature.columns.map((column) => [column.name, columns.get(column.name)!])),
  );
}

/** The output of a `scoreRows` call as plain values. */
function polarsOutput(run: RunArtifacts, scored: ScoredRows): BatchOutput {
  const output = scored.predictions;
  return {
    labels: output === null ? [] : output.getColumn("prediction").toArray(),
    probabilities: output === null || run.model.task === "regression"
      ? null
      : run.model.classes.map((c) =>
        (output.getColumn(`proba_${c}`) as Series).toArray() as number[]
      ),
    problems: scored.problems,
    rejected: scored.rejected,
    unseen_categories: scored.unseen_categories,
    out_of_range: scored.out_of_range,
  };
}

/** Counts a request's values outside the training range or categories, for its warnings. */
function requestWarnings(
  run: RunArtifacts,
  rows: RequestRows,
  scored: BatchOutput,
): RequestWarning[] {
  const { cleaning } = run.loaded.config;
  const warnings: RequestWarning[] = [];
  for (const column of run.signature.columns) {
    const values = rows.columns.get(column.name)!;
    if (column.kind === "numeric" && scored.out_of_range[column.name] !== undefined) {
      let count = 0;
      for (const value of values) {
        if (value === null) continue;
        const x = typeof value === "number" ? value : Number(value.trim());
        if (Number.isFinite(x) && (x < column.min || x > column.max)) count++;
      }
      if (count > 0) {
        warnings.push({
          column: column.name,
          kind: "out_of_range",
          count,
          message: `${count} value${
            count === 1 ? "" : "s"
          } outside the training range [${column.min}, ${column.max}]: scored all the same, but the model is extrapolating`,
        });
      }
    }
    if (column.kind === "categorical" && scored.unseen_categories[column.name] !== undefined) {
      const known = new Set(column.categories);
      const missing = new Set((cleaning.na_values[column.name] ?? []).map(String));
      let count = 0;
      for (const value of values) {
        if (value === null) continue;
        const text = cleaning.trim_strings ? String(value).trim() : String(value);
        if (!known.has(text) && !missing.has(text)) count++;
      }
      if (count > 0) {
        warnings.push({
          column: column.name,
          kind: "unseen_category",
          count,
          message: `${count} value${count === 1 ? "" : "s"} never seen in training (known: ${
            JSON.stringify(column.categories)
          }): scored with the encoder's rule for unknown values`,
        });
      }
    }
  }
  return warnings;
}
