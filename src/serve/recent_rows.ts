/**
 * A bounded, seeded sample of the recent rows a model scored, column by column, as the service
 * received them: what the live drift monitor compares with the training profile.
 *
 * @module
 */
import { Random } from "../utils/mod.ts";
import type { RowValue } from "./request_rows.ts";

/**
 * At most `capacity` rows, favouring recent ones. The first `capacity` rows fill the sample in
 * order; after that, every new row replaces a slot drawn uniformly at random (a seeded
 * {@link Random}). A row therefore survives `m` later rows with probability
 * `(1 − 1/capacity)^m`: old rows fade out geometrically, about 63% of the sample is replaced
 * every `capacity` new rows, and memory never grows past `capacity` rows of the given columns,
 * however many rows pass through. Values are kept as received (the request parser bounds the
 * length of text values). The same seed and the same rows give the same sample.
 *
 * @example
 * ```ts
 * const recent = new RecentRows(["Island", "Body Mass (g)"], 1000, 42);
 * recent.add(new Map([["Island", ["Dream"]], ["Body Mass (g)", [3700]]]), 1);
 * recent.rows; // 1
 * ```
 */
export class RecentRows {
  readonly #columns: Map<string, RowValue[]>;
  readonly #capacity: number;
  readonly #rng: Random;
  #rows = 0;
  #seen = 0;

  /**
   * @param columns the columns kept (other columns of added rows are ignored)
   * @param capacity most rows kept, a positive integer
   * @param seed the seed of the slot choice
   * @throws {RangeError} when `capacity` is not a positive integer
   */
  constructor(columns: readonly string[], capacity: number, seed: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(
        `Cannot keep recent rows: capacity must be a positive integer, got ${capacity}`,
      );
    }
    this.#columns = new Map(columns.map((name) => [name, []]));
    this.#capacity = capacity;
    this.#rng = new Random(seed);
  }

  /** Most rows kept. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Rows kept now, at most `capacity`. */
  get rows(): number {
    return this.#rows;
  }

  /** Rows added since the sample was made, kept or not. */
  get seen(): number {
    return this.#seen;
  }

  /**
   * Adds rows: each fills the next free slot, or once the sample is full replaces a random one.
   * Costs O(rows × columns), with no allocation once full.
   *
   * @param columns the values of each kept column for the rows (a missing column adds nulls)
   * @param count how many rows
   * @throws {RangeError} when a column holds fewer than `count` values
   * @example
   * ```ts
   * recent.add(request.columns, request.count);
   * ```
   */
  add(columns: ReadonlyMap<string, readonly RowValue[]>, count: number): void {
    for (const [name, values] of columns) {
      if (this.#columns.has(name) && values.length < count) {
        throw new RangeError(
          `Cannot add ${count} row(s) to the recent rows: column "${name}" holds ${values.length} value(s)`,
        );
      }
    }
    const sources = [...this.#columns].map(([name, kept]) => ({
      kept,
      values: columns.get(name) ?? null,
    }));
    for (let i = 0; i < count; i++) {
      const slot = this.#rows < this.#capacity ? this.#rows++ : this.#rng.int(this.#capacity);
      for (const { kept, values } of sources) {
        kept[slot] = values === null ? null : values[i] ?? null;
      }
    }
    this.#seen += count;
  }

  /**
   * The kept values of every column, in slot order (a copy).
   *
   * @returns the columns, each `rows` long
   * @example
   * ```ts
   * driftOfColumns(run, recent.columns());
   * ```
   */
  columns(): Map<string, RowValue[]> {
    return new Map([...this.#columns].map(([name, kept]) => [name, kept.slice(0, this.#rows)]));
  }
}
