/**
 * Seeded, deterministic train / validation / test splits and k-fold cross-validation indexes.
 *
 * Every function draws from `Random` (integer arithmetic only), so the same seed gives the
 * same row indexes on every run and machine.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Expr } from "nodejs-polars";
import type { SplitConfig } from "../config/schema.ts";
import { ConfigError, DataValidationError, didYouMean, SchemaMismatchError } from "../errors.ts";
import type { ValidationIssue } from "../errors.ts";
import { isNumericDtype, isTemporalDtype, Random } from "../utils/mod.ts";

/** Row positions of each split, each sorted ascending; together they hold every row once. */
export interface SplitIndices {
  /** Rows to fit on. */
  train: Uint32Array;
  /** Rows for early stopping and model selection; empty when `ratios.val` is 0. */
  val: Uint32Array;
  /** Rows held out for the final evaluation. */
  test: Uint32Array;
}

/** Options of `splitIndices` and `splitFrame`. */
export interface SplitOptions {
  /**
   * The target column (`config.data.target`): what `stratified` splits on when
   * `split.stratify_by` is `null`.
   * @default undefined
   */
  target?: string;
}

/** Defaults of `SplitOptions`. */
export const DEFAULT_SPLIT_OPTIONS: SplitOptions = {};

/** The three split frames and the row positions they were taken from. */
export interface SplitFrames {
  /** Rows to fit on. */
  train: DataFrame;
  /** Rows for early stopping and model selection. */
  val: DataFrame;
  /** Rows held out for the final evaluation. */
  test: DataFrame;
  /** The row positions of each frame in the input. */
  indices: SplitIndices;
}

/** One cross-validation fold: row positions, each sorted ascending. */
export interface Fold {
  /** Rows to fit on: every row not in `val`. */
  train: Uint32Array;
  /** Rows this fold validates on. */
  val: Uint32Array;
}

/** The label of a row as cross-validation sees it; `null` (and NaN) is missing. */
export type Label = string | number | null;

type SplitName = "train" | "val" | "test";
const SPLITS: readonly SplitName[] = ["train", "val", "test"];

/**
 * Returns the row positions of the train, validation and test splits of `df`.
 *
 * Sizes: test = round(n · test), val = round(n · val), train = the rest.
 * - `random`: one seeded permutation; its first rows are test, the next val, the rest train.
 * - `stratified` (by `split.stratify_by`, else `options.target`): the split sizes above hold
 *   exactly, and a class of `c` rows gets its exact quota `c · size / n` in each split, rounded
 *   down or up, so every split keeps the class proportions of the whole frame to within one
 *   row. Each class starts at the floor of its quotas; the leftover rows go by largest
 *   remainder (ties: class order, then train, val, test) to splits that still have room, and
 *   an augmenting-path pass moves rows when that greedy pass strands one (a solution always
 *   exists). Classes are taken in sorted order, and each class's rows are shuffled with the
 *   one seeded generator: the first go to test, the next to val, the rest to train. Every
 *   class needs at least 2 rows and at least one train row.
 * - `group` (`split.group_column`): the distinct groups, sorted then shuffled, fill test until
 *   it reaches its size, then val, then train gets the rest, so no group spans two splits and
 *   test and val overshoot their size by less than one group.
 * - `time` (`split.time_column`): rows ordered by time (stable); the oldest go to train, then
 *   val, the newest to test. Rows with equal times never straddle a boundary: a boundary
 *   inside a run of ties moves past it, so the tied rows stay in the earlier split.
 *
 * @param df the frame to split (already cleaned)
 * @param config `config.split`
 * @param options `target`, used by `stratified` when `split.stratify_by` is `null`
 * @returns sorted row positions of each split
 * @throws {ConfigError} when the ratios do not sum to 1, or the column a method needs is not
 *   configured
 * @throws {SchemaMismatchError} when the column to stratify, group or order by is missing
 * @throws {DataValidationError} when that column holds nulls, a class is too small to
 *   stratify, or a split would come out empty
 * @example
 * ```ts
 * const { train, val, test } = splitIndices(df, config.split, { target: config.data.target });
 * ```
 */
export function splitIndices(
  df: DataFrame,
  config: SplitConfig,
  options: SplitOptions = {},
): SplitIndices {
  const { target } = { ...DEFAULT_SPLIT_OPTIONS, ...options };
  const ratios = checkRatios(config.ratios);
  const n = df.height;
  switch (config.method) {
    case "random":
      return splitRandom(n, ratios, config.seed);
    case "stratified": {
      const column = config.stratify_by ?? target;
      if (column === undefined) {
        throw new ConfigError(
          `Cannot split with method "stratified": no column to stratify by; set "split.stratify_by" or pass the target column in options.target`,
        );
      }
      return splitStratified(df, column, ratios, config.seed);
    }
    case "group": {
      if (config.group_column === null) {
        throw new ConfigError(
          `Cannot split with method "group": "split.group_column" is not set; name the column holding the group key`,
        );
      }
      return splitGroup(df, config.group_column, ratios, config.seed);
    }
    case "time": {
      if (config.time_column === null) {
        throw new ConfigError(
          `Cannot split with method "time": "split.time_column" is not set; name the column to order rows by`,
        );
      }
      return splitTime(df, config.time_column, ratios);
    }
    default:
      throw new ConfigError(
        `Cannot split with method ${
          JSON.stringify(config.method)
        }: expected one of "random", "stratified", "group", "time"; fix "split.method"`,
      );
  }
}

/**
 * Splits `df` into train, validation and test frames; see `splitIndices` for the methods.
 *
 * @param df the frame to split; it is not changed
 * @param config `config.split`
 * @param options `target`, used by `stratified` when `split.stratify_by` is `null`
 * @returns the three frames (rows in their original order) and their row positions
 * @throws {ConfigError} see `splitIndices`
 * @throws {SchemaMismatchError} see `splitIndices`
 * @throws {DataValidationError} see `splitIndices`
 * @example
 * ```ts
 * const { train, val, test } = splitFrame(clean, config.split, { target: "Species" });
 * ```
 */
export function splitFrame(
  df: DataFrame,
  config: SplitConfig,
  options: SplitOptions = {},
): SplitFrames {
  const indices = splitIndices(df, config, options);
  return {
    train: takeFrameRows(df, indices.train),
    val: takeFrameRows(df, indices.val),
    test: takeFrameRows(df, indices.test),
    indices,
  };
}

/**
 * Row numbers as run-length-encoded `[start, length]` pairs: each pair is `length` consecutive
 * numbers from `start`. Mostly-contiguous row sets (a split of a file) stay small as JSON.
 */
export type RowRanges = [start: number, length: number][];

/**
 * Encodes row numbers, in their order, as `[start, length]` runs of consecutive numbers.
 *
 * @param rows the row numbers, in the order they are to be read back
 * @returns the runs; `decodeRowRanges` gives `rows` back
 * @example
 * ```ts
 * encodeRowRanges([0, 1, 2, 5, 6, 9]); // [[0, 3], [5, 2], [9, 1]]
 * ```
 */
export function encodeRowRanges(rows: ArrayLike<number>): RowRanges {
  const ranges: RowRanges = [];
  let start = -1;
  let length = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (length > 0 && row === start + length) {
      length++;
      continue;
    }
    if (length > 0) ranges.push([start, length]);
    start = row;
    length = 1;
  }
  if (length > 0) ranges.push([start, length]);
  return ranges;
}

/**
 * Decodes `[start, length]` runs back into row numbers.
 *
 * @param ranges the runs from `encodeRowRanges`
 * @returns the row numbers, in order
 * @throws {RangeError} when a start is negative or not an integer, or a length is not a
 *   positive integer
 * @example
 * ```ts
 * decodeRowRanges([[0, 3], [9, 1]]); // Uint32Array [0, 1, 2, 9]
 * ```
 */
export function decodeRowRanges(ranges: readonly (readonly [number, number])[]): Uint32Array {
  let total = 0;
  for (const [start, length] of ranges) {
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(length) || length < 1) {
      throw new RangeError(
        `Cannot decode row ranges: [${start}, ${length}] is not [start >= 0, length >= 1] integers`,
      );
    }
    total += length;
  }
  const rows = new Uint32Array(total);
  let k = 0;
  for (const [start, length] of ranges) {
    for (let i = 0; i < length; i++) rows[k++] = start + i;
  }
  return rows;
}

/**
 * Returns `k` seeded cross-validation folds of `n` rows; every row is in exactly one `val`.
 *
 * The rows are permuted once; fold `i` validates on the `i`-th slice, and the first `n % k`
 * folds hold one row more (as scikit-learn's `KFold(shuffle=True)`).
 *
 * @param n the number of rows
 * @param k the number of folds, at least 2 and at most `n`
 * @param seed the seed of the permutation
 * @returns `k` folds, each with sorted `train` and `val` row positions
 * @throws {RangeError} when `k` or `n` is not a valid count, or `k` exceeds `n`
 * @example
 * ```ts
 * kFold(10, 5, 42).map((fold) => fold.val.length); // [2, 2, 2, 2, 2]
 * ```
 */
export function kFold(n: number, k: number, seed: number): Fold[] {
  checkFoldCount(k);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Cannot build folds of ${n} rows: expected a non-negative integer`);
  }
  if (k > n) {
    throw new RangeError(
      `Cannot build ${k} folds of ${n} rows: every fold needs at least one row; use at most ${n} folds`,
    );
  }
  const order = new Random(seed).permutation(n);
  const foldOf = new Uint32Array(n);
  const base = Math.floor(n / k);
  const extra = n % k;
  let position = 0;
  for (let fold = 0; fold < k; fold++) {
    const size = base + (fold < extra ? 1 : 0);
    for (let j = 0; j < size; j++) foldOf[order[position++]!] = fold;
  }
  return foldsFromAssignment(foldOf, k);
}

/**
 * Returns `k` seeded stratified folds: every row is in exactly one `val`, each fold's count of
 * every class is within one row of its exact share, and fold sizes differ by at most one.
 *
 * Classes are taken in sorted order (numbers before strings); each class's rows are shuffled
 * with the one seeded generator and the classes are laid end to end; the row at position `p`
 * of that sequence validates in fold `p % k` (as scikit-learn's
 * `StratifiedKFold(shuffle=True)` guarantees, though not its exact rows).
 *
 * @param labels one label per row
 * @param k the number of folds, at least 2
 * @param seed the seed of the shuffles
 * @returns `k` folds, each with sorted `train` and `val` row positions
 * @throws {RangeError} when `k` is not an integer of at least 2
 * @throws {DataValidationError} when a label is null or NaN, or a class has fewer rows than `k`
 * @example
 * ```ts
 * stratifiedKFold(["a", "a", "b", "b"], 2, 42).map((fold) => fold.val.length); // [2, 2]
 * ```
 */
export function stratifiedKFold(labels: ArrayLike<Label>, k: number, seed: number): Fold[] {
  checkFoldCount(k);
  const { codes, classes, counts } = encodeLabels(labels, null, "build stratified folds");
  classes.forEach((name, c) => {
    if (counts[c]! < k) {
      throw new DataValidationError(
        `Cannot build ${k} stratified folds: class ${JSON.stringify(name)} has ${
          counts[c]
        } rows, fewer than the ${k} folds; use at most ${
          counts[c]
        } folds, or merge or drop the class`,
        [issueOf(
          null,
          "min_rows",
          counts[c]!,
          `class ${JSON.stringify(name)} has ${counts[c]} rows, expected at least ${k}`,
          [name],
        )],
      );
    }
  });
  const rng = new Random(seed);
  const rowsByClass = groupRows(codes, counts);
  const foldOf = new Uint32Array(codes.length);
  let position = 0;
  for (const rows of rowsByClass) {
    const order = rng.permutation(rows.length);
    for (let j = 0; j < rows.length; j++) foldOf[rows[order[j]!]!] = position++ % k;
  }
  return foldsFromAssignment(foldOf, k);
}

// ---------------------------------------------------------------- methods

interface Ratios {
  train: number;
  val: number;
  test: number;
}

interface Sizes {
  train: number;
  val: number;
  test: number;
}

function splitRandom(n: number, ratios: Ratios, seed: number): SplitIndices {
  const sizes = splitSizes(n, ratios);
  const order = new Random(seed).permutation(n);
  return {
    test: sortedCopy(order.subarray(0, sizes.test)),
    val: sortedCopy(order.subarray(sizes.test, sizes.test + sizes.val)),
    train: sortedCopy(order.subarray(sizes.test + sizes.val)),
  };
}

function splitStratified(
  df: DataFrame,
  column: string,
  ratios: Ratios,
  seed: number,
): SplitIndices {
  const sizes = splitSizes(df.height, ratios);
  const { codes, classes, counts } = encodeLabels(
    columnValues(df, column, "stratify by"),
    column,
    'split with method "stratified"',
  );
  counts.forEach((count, c) => {
    if (count < 2) throw tooSmallClass(column, classes[c]!, count, "at least 2");
  });
  const allocation = allocateStratified(counts, sizes);
  allocation.forEach((row, c) => {
    if (row.train === 0) {
      throw tooSmallClass(
        column,
        classes[c]!,
        counts[c]!,
        "enough for one train row at these ratios",
      );
    }
  });
  const rng = new Random(seed);
  const splitOf = new Uint8Array(df.height);
  groupRows(codes, counts).forEach((rows, c) => {
    const order = rng.permutation(rows.length);
    const { test, val } = allocation[c]!;
    for (let j = 0; j < rows.length; j++) {
      splitOf[rows[order[j]!]!] = j < test ? 2 : j < test + val ? 1 : 0;
    }
  });
  return indicesFromAssignment(splitOf);
}

function splitGroup(df: DataFrame, column: string, ratios: Ratios, seed: number): SplitIndices {
  const sizes = splitSizes(df.height, ratios);
  const { codes, classes, counts } = encodeLabels(
    columnValues(df, column, "group by"),
    column,
    'split with method "group"',
  );
  const order = new Random(seed).permutation(classes.length);
  const splitOfGroup = new Uint8Array(classes.length);
  const filled = { train: 0, val: 0, test: 0 };
  for (const group of order) {
    const split: SplitName = filled.test < sizes.test
      ? "test"
      : filled.val < sizes.val
      ? "val"
      : "train";
    splitOfGroup[group] = SPLITS.indexOf(split);
    filled[split] += counts[group]!;
  }
  for (const split of SPLITS) {
    if (filled[split] === 0 && (split !== "val" || sizes.val > 0)) {
      throw emptySplit(
        split,
        `the ${classes.length} groups of "${column}" run out before it gets one; use more groups, fewer splits or another method`,
      );
    }
  }
  const splitOf = new Uint8Array(df.height);
  for (let i = 0; i < codes.length; i++) splitOf[i] = splitOfGroup[codes[i]!]!;
  return indicesFromAssignment(splitOf);
}

function splitTime(df: DataFrame, column: string, ratios: Ratios): SplitIndices {
  const n = df.height;
  const sizes = splitSizes(n, ratios);
  requireColumn(df, column, 'split with method "time"', "split.time_column");
  const series = df.getColumn(column);
  const missing = series.nullCount() +
    (series.isFloat() ? Number(df.select(pl.col(column).isNan().sum()).row(0)[0] ?? 0) : 0);
  if (missing > 0) throw missingLabels(column, missing, 'split with method "time"');
  // Numeric and temporal types have a `<=` that agrees with the order and the ties of a dense
  // rank (NaN is refused before; -0 and 0 tie in both), so a boundary can be found by comparing
  // with a value.
  const result = isNumericDtype(series.dtype) || isTemporalDtype(series.dtype)
    ? timeSplitByBoundaries(df, column, sizes)
    : indicesFromAssignment(timeSplitByRank(df, column, sizes));
  for (const split of ["val", "test"] as const) {
    if (result[split].length === 0 && sizes[split] > 0) {
      throw emptySplit(
        split,
        `rows with equal "${column}" stay in the earlier split and none are left; the data needs more distinct times`,
      );
    }
  }
  return result;
}

/**
 * The splits from the times at their boundaries, without ordering the rows: with sorted times
 * t, the train boundary moved past ties keeps exactly the rows with time <= t[train - 1], and
 * the validation boundary those with time <= t[end - 1]. Polars sees that a time-ordered column
 * is sorted, so this is a few vectorised passes; when the rows are in time order each split is
 * a run of positions and no row needs a label.
 */
function timeSplitByBoundaries(df: DataFrame, column: string, sizes: Sizes): SplitIndices {
  const n = df.height;
  const time = pl.col(column);
  const nth = (position: number) => time.sort().gather([position]);
  const count = (condition: Expr) => Number(df.select(condition.sum().alias("rows")).row(0)[0]);
  const inTrain = time.ltEq(nth(sizes.train - 1));
  const trainEnd = count(inTrain);
  const valBoundary = Math.max(trainEnd, sizes.train + sizes.val);
  const inVal = valBoundary > trainEnd ? time.ltEq(nth(valBoundary - 1)) : null;
  const valEnd = inVal === null ? trainEnd : count(inVal);
  // The first trainEnd rows are the train rows when none of them is later than the boundary
  // time (the count already matches); likewise for validation.
  const runs = df.select(
    time.head(trainEnd).max().ltEq(nth(sizes.train - 1)).alias("train"),
    inVal === null
      ? pl.lit(true).alias("val")
      : time.slice(trainEnd, valEnd - trainEnd).max().ltEq(nth(valBoundary - 1)).alias("val"),
  ).row(0);
  if (runs[0] === true && runs[1] === true) {
    return {
      train: positions(0, trainEnd),
      val: positions(trainEnd, valEnd),
      test: positions(valEnd, n),
    };
  }
  const code = inVal === null
    ? pl.when(inTrain).then(pl.lit(0)).otherwise(pl.lit(2))
    : pl.when(inTrain).then(pl.lit(0)).when(inVal).then(pl.lit(1)).otherwise(pl.lit(2));
  return indicesFromAssignment(
    df.select(code.cast(pl.UInt8).alias("split")).getColumn("split").toTypedArray() as Uint8Array,
  );
}

/** The positions `start` to `end` (exclusive). */
function positions(start: number, end: number): Uint32Array {
  const out = new Uint32Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

/** The split of every row from a stable counting sort by dense rank, for any orderable type. */
function timeSplitByRank(df: DataFrame, column: string, sizes: Sizes): Uint8Array {
  const n = df.height;
  // Dense ranks give equal times equal integers; a counting sort by rank is stable.
  const ranks = df.select(pl.col(column).rank("dense").cast(pl.UInt32).alias("r")).getColumn("r")
    .toTypedArray() as Uint32Array;
  let maxRank = 0;
  for (const r of ranks) if (r > maxRank) maxRank = r;
  const starts = new Uint32Array(maxRank + 2);
  for (const r of ranks) starts[r + 1]!++;
  for (let r = 1; r < starts.length; r++) starts[r]! += starts[r - 1]!;
  const sorted = new Uint32Array(n);
  for (let i = 0; i < n; i++) sorted[starts[ranks[i]!]!++] = i;

  const trainEnd = pastTies(ranks, sorted, sizes.train);
  const valEnd = pastTies(ranks, sorted, Math.max(trainEnd, sizes.train + sizes.val));
  const splitOf = new Uint8Array(n);
  for (let j = trainEnd; j < n; j++) splitOf[sorted[j]!] = j < valEnd ? 1 : 2;
  return splitOf;
}

/** Moves a boundary in time-sorted rows forward past rows tied with the row before it. */
function pastTies(ranks: Uint32Array, sorted: Uint32Array, boundary: number): number {
  let b = boundary;
  while (b > 0 && b < sorted.length && ranks[sorted[b]!] === ranks[sorted[b - 1]!]) b++;
  return b;
}

// ---------------------------------------------------------------- stratified allocation

/** Per class and split: the floor of the exact quota and its remainder, in integers. */
interface Quotas {
  /** floor(count · size / n) per class and split. */
  floor: number[][];
  /** (count · size) mod n: the fractional part of the quota times n. */
  remainder: number[][];
}

/**
 * Integer counts per class and split with row sums equal to the class counts, column sums
 * equal to `sizes`, and every count the floor or the ceiling of its exact quota
 * `count · size / n`. Such an allocation always exists (the quotas form a transportation
 * problem with integer margins); integer arithmetic keeps it exact.
 */
function allocateStratified(counts: number[], sizes: Sizes): Sizes[] {
  const n = counts.reduce((a, b) => a + b, 0);
  const quotas: Quotas = { floor: [], remainder: [] };
  for (const count of counts) {
    const products = SPLITS.map((s) => count * sizes[s]);
    quotas.remainder.push(products.map((p) => p % n));
    quotas.floor.push(products.map((p) => (p - (p % n)) / n));
  }
  const alloc = quotas.floor.map((row) => [...row]);
  const left = counts.map((count, c) => count - alloc[c]!.reduce((a, b) => a + b, 0));
  const room = SPLITS.map((s, j) => sizes[s] - alloc.reduce((sum, row) => sum + row[j]!, 0));

  // Largest remainder first; ties by class order, then train, val, test.
  const candidates: Array<[number, number, number]> = [];
  quotas.remainder.forEach((row, c) => row.forEach((r, j) => candidates.push([r, c, j])));
  candidates.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  for (const [remainder, c, j] of candidates) {
    if (remainder > 0 && left[c]! > 0 && room[j]! > 0) {
      alloc[c]![j]!++;
      left[c]!--;
      room[j]!--;
    }
  }
  // The greedy pass can strand a leftover row whose splits are full; an augmenting path then
  // moves rows: the class takes a place in split j from a class with an extra row there, which
  // moves that row to a split it can rise in, and so on until a split with room is reached.
  for (let c = 0; c < counts.length; c++) {
    while (left[c]! > 0) {
      if (!augment(c, alloc, quotas, room)) {
        throw new Error(
          `Cannot allocate stratified split sizes ${JSON.stringify(sizes)} for class counts ${
            JSON.stringify(counts)
          }: no allocation within one row of the quotas; this is a bug, please report it`,
        );
      }
      left[c]!--;
    }
  }
  return alloc.map((row) => ({ train: row[0]!, val: row[1]!, test: row[2]! }));
}

/** Whether class `c` can take one more row in split `j`: it sits at the floor of a fractional quota. */
function canRise(alloc: number[][], quotas: Quotas, c: number, j: number): boolean {
  return alloc[c]![j]! === quotas.floor[c]![j]! && quotas.remainder[c]![j]! > 0;
}

/** Finds and applies one augmenting path from class `start` to a split with room. */
function augment(start: number, alloc: number[][], quotas: Quotas, room: number[]): boolean {
  // Breadth-first search over splits; from a split we may reach any class holding an extra row
  // there (it can fall back to its floor) and continue to a split that class can rise in.
  const splitCount = room.length;
  const cameFrom = new Array<[number, number] | null>(splitCount).fill(null); // [class, fromSplit]
  const seen = new Array<boolean>(splitCount).fill(false);
  const queue: number[] = [];
  for (let j = 0; j < splitCount; j++) {
    if (canRise(alloc, quotas, start, j)) {
      seen[j] = true;
      cameFrom[j] = [start, -1];
      queue.push(j);
    }
  }
  while (queue.length > 0) {
    const j = queue.shift()!;
    if (room[j]! > 0) {
      room[j]!--;
      for (let split = j; split !== -1;) {
        const [c, from] = cameFrom[split]!;
        alloc[c]![split]!++;
        if (from !== -1) alloc[c]![from]!--;
        split = from;
      }
      return true;
    }
    for (let c = 0; c < alloc.length; c++) {
      if (alloc[c]![j]! <= quotas.floor[c]![j]!) continue;
      for (let next = 0; next < splitCount; next++) {
        if (!seen[next] && canRise(alloc, quotas, c, next)) {
          seen[next] = true;
          cameFrom[next] = [c, j];
          queue.push(next);
        }
      }
    }
  }
  return false;
}

// ---------------------------------------------------------------- helpers

function checkRatios(ratios: SplitConfig["ratios"]): Ratios {
  const { train, val, test } = ratios;
  const text = `train ${train} + val ${val} + test ${test}`;
  const valid = [train, val, test].every((r) => Number.isFinite(r) && r >= 0 && r < 1) &&
    train > 0 && test > 0;
  if (!valid) {
    throw new ConfigError(
      `Cannot split: "split.ratios" (${text}) must each lie in [0, 1), with train and test above 0`,
    );
  }
  const sum = train + val + test;
  if (Math.abs(sum - 1) > 1e-9) {
    throw new ConfigError(
      `Cannot split: "split.ratios" sum to ${sum} (${text}), expected 1; adjust them so they add up to 1`,
    );
  }
  return { train, val, test };
}

function splitSizes(n: number, ratios: Ratios): Sizes {
  const test = Math.round(n * ratios.test);
  const val = Math.round(n * ratios.val);
  const sizes = { train: n - test - val, val, test };
  for (const split of SPLITS) {
    if (sizes[split] <= 0 && (split !== "val" || ratios.val > 0)) {
      throw emptySplit(
        split,
        `${n} rows at ratios train ${ratios.train}, val ${ratios.val}, test ${ratios.test} give it ${
          Math.max(0, sizes[split])
        } rows; use more rows or larger ratios`,
      );
    }
  }
  return sizes;
}

function columnValues(df: DataFrame, column: string, what: string): Label[] {
  requireColumn(df, column, what, what === "group by" ? "split.group_column" : "split.stratify_by");
  const series = df.getColumn(column);
  const values = series.toArray() as unknown[];
  return values.map((v) =>
    v === null || v === undefined
      ? null
      : typeof v === "number" || typeof v === "string"
      ? v
      : typeof v === "bigint"
      ? Number(v)
      : v instanceof Date
      ? v.getTime()
      : String(v)
  );
}

function requireColumn(df: DataFrame, column: string, what: string, key: string): void {
  if (df.columns.includes(column)) return;
  throw new SchemaMismatchError(
    `Cannot ${what} column "${column}" (from "${key}"): it is missing${
      didYouMean(column, df.columns)
    } (found ${JSON.stringify(df.columns)})`,
  );
}

interface EncodedLabels {
  /** Class index of every row. */
  codes: Uint32Array;
  /** Class names in sorted order: numbers ascending, then strings by code unit. */
  classes: Array<string | number>;
  /** Rows per class. */
  counts: number[];
}

function encodeLabels(
  labels: ArrayLike<Label>,
  column: string | null,
  action: string,
): EncodedLabels {
  const n = labels.length;
  const seen = new Map<string | number, number>();
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (label === null || label === undefined || Number.isNaN(label)) {
      missing++;
      continue;
    }
    seen.set(label, (seen.get(label) ?? 0) + 1);
  }
  if (missing > 0) throw missingLabels(column, missing, action);
  const classes = [...seen.keys()].sort(compareLabels);
  const index = new Map(classes.map((name, c) => [name, c]));
  const codes = new Uint32Array(n);
  for (let i = 0; i < n; i++) codes[i] = index.get(labels[i] as string | number)!;
  return { codes, classes, counts: classes.map((name) => seen.get(name)!) };
}

function compareLabels(a: string | number, b: string | number): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Row positions of every class, ascending. */
function groupRows(codes: Uint32Array, counts: number[]): Uint32Array[] {
  const rows = counts.map((count) => new Uint32Array(count));
  const filled = new Uint32Array(counts.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    rows[c]![filled[c]!++] = i;
  }
  return rows;
}

/** Builds sorted index arrays from a split code per row (0 train, 1 val, 2 test). */
function indicesFromAssignment(splitOf: Uint8Array): SplitIndices {
  const sizes = [0, 0, 0];
  for (const s of splitOf) sizes[s]!++;
  const out = sizes.map((size) => new Uint32Array(size));
  const filled = [0, 0, 0];
  for (let i = 0; i < splitOf.length; i++) {
    const s = splitOf[i]!;
    out[s]![filled[s]!++] = i;
  }
  return { train: out[0]!, val: out[1]!, test: out[2]! };
}

function foldsFromAssignment(foldOf: Uint32Array, k: number): Fold[] {
  const sizes = new Array<number>(k).fill(0);
  for (const f of foldOf) sizes[f]!++;
  const n = foldOf.length;
  const folds: Fold[] = sizes.map((size) => ({
    train: new Uint32Array(n - size),
    val: new Uint32Array(size),
  }));
  const valFilled = new Array<number>(k).fill(0);
  const trainFilled = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const own = foldOf[i]!;
    for (let f = 0; f < k; f++) {
      if (f === own) folds[f]!.val[valFilled[f]!++] = i;
      else folds[f]!.train[trainFilled[f]!++] = i;
    }
  }
  return folds;
}

function sortedCopy(values: Uint32Array): Uint32Array {
  return Uint32Array.from(values).sort();
}

function takeFrameRows(df: DataFrame, rows: Uint32Array): DataFrame {
  // Sorted distinct positions that form one run (each split of time-ordered data) are a slice:
  // the same rows in the same order, copied in one sequential pass instead of a gather. It is
  // rechunked like a gather's output, because polars sums floats chunk by chunk and fitted
  // statistics (a scaler's mean) must not depend on where the input's chunks began.
  const first = rows[0];
  if (first !== undefined && rows[rows.length - 1]! - first + 1 === rows.length) {
    return df.select(pl.col("*").slice(first, rows.length)).rechunk();
  }
  return df.select(pl.col("*").gather(pl.Series("rows", rows)));
}

function checkFoldCount(k: number): void {
  if (!Number.isInteger(k) || k < 2) {
    throw new RangeError(`Cannot build ${k} folds: expected an integer of at least 2`);
  }
}

function issueOf(
  column: string | null,
  rule: string,
  count: number,
  message: string,
  examples: unknown[],
): ValidationIssue {
  return { column, rule, count, message, examples, rows: [] };
}

function missingLabels(column: string | null, count: number, action: string): DataValidationError {
  const message = column === null
    ? `${count} labels are null or NaN`
    : `column "${column}" has ${count} null or NaN values`;
  return new DataValidationError(
    `Cannot ${action}: ${message}; drop or fill them first (cleaning.nulls)`,
    [issueOf(column, "nullable", count, message, [null])],
  );
}

function tooSmallClass(column: string, name: string | number, count: number, needed: string) {
  const message = `class ${JSON.stringify(name)} has ${count} rows, needs ${needed}`;
  return new DataValidationError(
    `Cannot split with method "stratified" by "${column}": ${message}; drop or merge the class, set "split.ratios.val" to 0 for fewer splits, or use "split.method: random"`,
    [issueOf(column, "min_rows", count, message, [name])],
  );
}

function emptySplit(split: SplitName, detail: string): DataValidationError {
  const message = `the ${split} split would be empty: ${detail}`;
  return new DataValidationError(`Cannot split: ${message}`, [
    issueOf(null, "min_rows", 0, message, []),
  ]);
}

/**
 * How a split is drawn when the rows arrive in batches (out-of-core training): the same rows
 * as `splitIndices` on the whole frame, for the methods that allow it.
 * - `random`: `codes` holds each row's split (0 train, 1 val, 2 test) from the same seeded
 *   permutation as `splitIndices`: one byte per row.
 * - `time`: `boundaries` holds the times at the train and validation boundaries (rows with
 *   time ≤ `train` are train, ≤ `val` are validation, the rest test), found by the caller from
 *   the exact order statistics at `ranks` (see {@link timeSplitBoundaries}).
 */
export type StreamedSplit =
  | { method: "random"; sizes: { train: number; val: number; test: number }; codes: Uint8Array }
  | { method: "time"; sizes: { train: number; val: number; test: number }; column: string };

/**
 * Plans the split of `n` rows that arrive in batches: the split sizes, and for `random` each
 * row's split. `stratified` and `group` need every label before any row is placed and are
 * refused.
 *
 * @param n rows to split
 * @param config `config.split`
 * @returns the plan
 * @throws {ConfigError} for bad ratios, a missing time column, or a method that cannot stream
 * @throws {DataValidationError} when a split would be empty
 * @example
 * ```ts
 * const plan = planStreamedSplit(3_000_000, config.split); // { method: "time", sizes, column }
 * ```
 */
export function planStreamedSplit(n: number, config: SplitConfig): StreamedSplit {
  const sizes = splitSizes(n, checkRatios(config.ratios));
  if (config.method === "random") {
    const order = new Random(config.seed).permutation(n);
    const codes = new Uint8Array(n);
    for (let i = 0; i < sizes.test; i++) codes[order[i]!] = 2;
    for (let i = sizes.test; i < sizes.test + sizes.val; i++) codes[order[i]!] = 1;
    return { method: "random", sizes, codes };
  }
  if (config.method === "time") {
    if (config.time_column === null) {
      throw new ConfigError(
        `Cannot split with method "time": "split.time_column" is not set; name the column to order rows by`,
      );
    }
    return { method: "time", sizes, column: config.time_column };
  }
  throw new ConfigError(
    `Cannot split with method "${config.method}" out of core: it needs every label before any row is placed; use split.method "random" or "time", or set data.out_of_core to false`,
  );
}

/**
 * The boundary times of a time split from the sorted times, as `splitIndices` places them: the
 * train boundary is the time at rank `sizes.train - 1` (ties stay in train), the validation
 * boundary the time at rank `max(trainEnd, train + val) - 1`.
 *
 * @param sizes the split sizes
 * @param timeAt the exact time at a 0-based rank of the sorted times
 * @param countAtMost how many rows have a time ≤ a value
 * @param column the time column, for messages
 * @returns the two boundaries (`val` is `null` when validation is empty by its ratio)
 * @throws {DataValidationError} when ties leave validation or test empty
 * @example
 * ```ts
 * const b = await timeSplitBoundaries(plan.sizes, rank => ..., t => ..., "date");
 * ```
 */
export async function timeSplitBoundaries(
  sizes: { train: number; val: number; test: number },
  timeAt: (rank: number) => Promise<number>,
  countAtMost: (time: number) => Promise<number>,
  column: string,
): Promise<{ train: number; val: number | null; counts: { train: number; val: number } }> {
  const train = await timeAt(sizes.train - 1);
  const trainEnd = await countAtMost(train);
  const valBoundary = Math.max(trainEnd, sizes.train + sizes.val);
  const val = valBoundary > trainEnd ? await timeAt(valBoundary - 1) : null;
  const valEnd = val === null ? trainEnd : await countAtMost(val);
  const n = sizes.train + sizes.val + sizes.test;
  const detail =
    `rows with equal "${column}" stay in the earlier split and none are left; the data needs more distinct times`;
  if (valEnd - trainEnd === 0 && sizes.val > 0) throw emptySplit("val", detail);
  if (n - valEnd === 0 && sizes.test > 0) throw emptySplit("test", detail);
  return { train, val, counts: { train: trainEnd, val: valEnd - trainEnd } };
}
