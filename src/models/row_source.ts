/**
 * Training rows that need not sit in memory: a `RowSource` reads any run of rows as a matrix
 * and its targets. Out-of-core training writes each split's feature matrix and targets to
 * binary row files (`RowFileWriter`) and trains and evaluates from them window by window;
 * `matrixRowSource` gives rows held in memory the same shape.
 *
 * @module
 */
import { ArtifactError } from "../errors.ts";
import type { Matrix } from "../utils/mod.ts";
import type { Targets } from "./_model_types.ts";

/** Rows of features and targets read by position, in windows. */
export interface RowSource {
  /** Rows in all. */
  readonly rows: number;
  /** Feature columns. */
  readonly cols: number;
  /** Class names in label order (classification), or `null` (regression). */
  readonly classes: readonly string[] | null;
  /**
   * Rows a window holds when training shuffles window by window: the whole source when it is
   * in memory, a bounded number when it is read from disk.
   */
  readonly windowRows: number;
  /**
   * Rows of a chunk: a window is made of `windowRows / chunkRows` chunks drawn from anywhere in
   * the source, so a window mixes rows from far apart (of a time-ordered file: from different
   * months). The whole source when it is in memory.
   */
  readonly chunkRows: number;
  /**
   * Reads rows `[start, start + count)`.
   *
   * @param start the first row
   * @param count how many rows (clipped at the end)
   * @returns their features and targets
   */
  read(start: number, count: number): Promise<{ x: Matrix; y: Targets }>;
  /**
   * Reads chunks (chunk `c` is rows `[c · chunkRows, (c + 1) · chunkRows)`) into one window,
   * in the order given.
   *
   * @param chunks chunk indexes
   * @returns their features and targets, one after the other
   */
  readChunks(chunks: readonly number[]): Promise<{ x: Matrix; y: Targets }>;
}

/**
 * Tells a row source from a `{ x, y }` pair held in memory.
 *
 * @param value a row source or a pair
 * @returns whether it is a row source
 * @example
 * ```ts
 * isRowSource(matrixRowSource(x, y)); // true
 * ```
 */
export function isRowSource(value: RowSource | { x: Matrix; y: Targets }): value is RowSource {
  return typeof (value as RowSource).read === "function";
}

/**
 * Wraps a matrix and its targets held in memory as a row source whose one window is every row.
 *
 * @param x the features
 * @param y the targets of the same rows
 * @returns the row source (reads are views, not copies)
 * @example
 * ```ts
 * const source = matrixRowSource(x, y); // source.windowRows === x.rows
 * ```
 */
export function matrixRowSource(x: Matrix, y: Targets): RowSource {
  return {
    rows: x.rows,
    cols: x.cols,
    classes: y.kind === "classification" ? y.classes : null,
    windowRows: Math.max(1, x.rows),
    chunkRows: Math.max(1, x.rows),
    read(start, count) {
      const end = Math.min(x.rows, start + count);
      return Promise.resolve({ x: sliceMatrix(x, start, end), y: sliceTargets(y, start, end) });
    },
    readChunks(chunks) {
      if (chunks.length === 1 && chunks[0] === 0) return this.read(0, x.rows);
      throw new RangeError(
        `Cannot read chunks ${JSON.stringify(chunks)} of rows held as one chunk`,
      );
    },
  };
}

/**
 * Rows `[start, end)` of a matrix, as a view.
 *
 * @param x the matrix
 * @param start the first row
 * @param end one past the last row
 * @returns the view
 * @example
 * ```ts
 * sliceMatrix(x, 0, 10).rows; // 10
 * ```
 */
export function sliceMatrix(x: Matrix, start: number, end: number): Matrix {
  return { data: x.data.subarray(start * x.cols, end * x.cols), rows: end - start, cols: x.cols };
}

/**
 * Targets of rows `[start, end)`, as a view.
 *
 * @param y the targets
 * @param start the first row
 * @param end one past the last row
 * @returns the view
 * @example
 * ```ts
 * sliceTargets(y, 0, 10);
 * ```
 */
export function sliceTargets(y: Targets, start: number, end: number): Targets {
  return y.kind === "classification"
    ? { kind: "classification", labels: y.labels.subarray(start, end), classes: y.classes }
    : { kind: "regression", values: y.values.subarray(start, end) };
}

/** A split's rows written by {@link RowFileWriter}: where they are and their shape. */
export interface RowFile {
  /** The features file: `rows × cols` little-endian Float32, row-major. */
  xPath: string;
  /** The targets file: Int32 labels (classification) or Float32 values (regression). */
  yPath: string;
  rows: number;
  cols: number;
  /** Class names in label order, or `null` for regression. */
  classes: string[] | null;
}

/**
 * Appends matrices and targets to a split's row files, batch after batch, so a split larger
 * than memory is written without being held.
 *
 * @example
 * ```ts
 * const writer = new RowFileWriter("data/processed/out_of_core/x1/train", 45, ["a", "b"]);
 * writer.append(matrix, targets);
 * const file = writer.close();
 * ```
 */
export class RowFileWriter {
  #x: Deno.FsFile;
  #y: Deno.FsFile;
  #file: RowFile;

  /**
   * @param stem the path without extension; `.x.f32` and `.y.i32` (or `.y.f32`) are added
   * @param cols the feature columns
   * @param classes class names (classification) or `null` (regression)
   * @throws {ArtifactError} when the files cannot be created
   */
  constructor(stem: string, cols: number, classes: string[] | null) {
    const yPath = `${stem}.y.${classes === null ? "f32" : "i32"}`;
    this.#file = { xPath: `${stem}.x.f32`, yPath, rows: 0, cols, classes };
    try {
      this.#x = Deno.openSync(this.#file.xPath, { write: true, createNew: true });
      this.#y = Deno.openSync(yPath, { write: true, createNew: true });
    } catch (cause) {
      throw new ArtifactError(`Cannot write row files "${stem}.*": ${String(cause)}`, { cause });
    }
  }

  /**
   * Appends rows.
   *
   * @param x their features (`cols` columns)
   * @param y their targets
   * @throws {RangeError} when the shapes do not match
   * @example
   * ```ts
   * writer.append(pipeline.transformToMatrix(batch), encoded);
   * ```
   */
  append(x: Matrix, y: Targets): void {
    if (x.cols !== this.#file.cols) {
      throw new RangeError(
        `Cannot append ${x.cols} columns to row files of ${this.#file.cols} columns`,
      );
    }
    const targets = y.kind === "classification" ? y.labels : y.values;
    if (targets.length !== x.rows) {
      throw new RangeError(`Cannot append ${x.rows} rows with ${targets.length} targets`);
    }
    writeAll(this.#x, new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength));
    writeAll(this.#y, new Uint8Array(targets.buffer, targets.byteOffset, targets.byteLength));
    this.#file.rows += x.rows;
  }

  /**
   * Closes the files.
   *
   * @returns what was written
   * @example
   * ```ts
   * const file = writer.close(); // file.rows
   * ```
   */
  close(): RowFile {
    this.#x.close();
    this.#y.close();
    return { ...this.#file };
  }
}

/** Default rows per window of {@link rowFileSource}. */
export const DEFAULT_WINDOW_ROWS = 1 << 20;

/**
 * Reads a split's row files as a row source, window by window, from disk.
 *
 * @param file the row files
 * @param windowRows rows per shuffling window
 * @param chunkRows rows per chunk; a window holds `windowRows / chunkRows` chunks
 * @returns the row source
 * @example
 * ```ts
 * const rows = rowFileSource(file, 1_048_576, 262_144);
 * const { x, y } = await rows.read(0, 1000);
 * ```
 */
export function rowFileSource(
  file: RowFile,
  windowRows = DEFAULT_WINDOW_ROWS,
  chunkRows = windowRows,
): RowSource {
  const { rows, cols, classes } = file;
  const window = Math.max(1, Math.min(windowRows, rows));
  const chunk = Math.max(1, Math.min(chunkRows, window));
  // Reads rows [start, start + m) into the window's buffers at row `at`.
  const readAt = async (
    start: number,
    m: number,
    at: number,
    x: Float32Array,
    y: Float32Array | Int32Array,
  ) => {
    await Promise.all([
      readInto(
        file.xPath,
        start * cols * 4,
        new Uint8Array(x.buffer, x.byteOffset + at * cols * 4, m * cols * 4),
      ),
      readInto(file.yPath, start * 4, new Uint8Array(y.buffer, y.byteOffset + at * 4, m * 4)),
    ]);
  };
  const gather = async (ranges: readonly [number, number][]) => {
    const m = ranges.reduce((sum, [, count]) => sum + count, 0);
    const data = new Float32Array(m * cols);
    const targets = classes === null ? new Float32Array(m) : new Int32Array(m);
    let at = 0;
    const reads: Promise<void>[] = [];
    for (const [start, count] of ranges) {
      reads.push(readAt(start, count, at, data, targets));
      at += count;
    }
    await Promise.all(reads);
    const x: Matrix = { data, rows: m, cols };
    return classes === null
      ? { x, y: { kind: "regression", values: targets as Float32Array } as Targets }
      : { x, y: { kind: "classification", labels: targets as Int32Array, classes } as Targets };
  };
  return {
    rows,
    cols,
    classes,
    windowRows: window,
    chunkRows: chunk,
    read(start, count) {
      const end = Math.min(rows, start + count);
      return gather([[start, Math.max(0, end - start)]]);
    },
    readChunks(chunks) {
      return gather(
        chunks.map((c) => [c * chunk, Math.max(0, Math.min(rows, (c + 1) * chunk) - c * chunk)]),
      );
    },
  };
}

function writeAll(file: Deno.FsFile, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.byteLength) written += file.writeSync(bytes.subarray(written));
}

async function readInto(path: string, offset: number, into: Uint8Array): Promise<void> {
  if (into.byteLength === 0) return;
  using file = await Deno.open(path, { read: true });
  await file.seek(offset, Deno.SeekMode.Start);
  let read = 0;
  while (read < into.byteLength) {
    const n = await file.read(into.subarray(read));
    if (n === null) {
      throw new ArtifactError(
        `Cannot read rows from "${path}": the file ends ${
          into.byteLength - read
        } bytes early; the out-of-core shards are incomplete, train again`,
      );
    }
    read += n;
  }
}
