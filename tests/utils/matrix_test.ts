import assert from "node:assert/strict";
import { pl } from "../_helpers/assert_frame.ts";
import type { DataFrame } from "nodejs-polars";
import { frameToMatrix, Random, takeRows } from "../../src/utils/mod.ts";

/** 40,007 rows: three copy blocks and a partial one, not a multiple of any block size. */
const ROWS = 40_007;

/** Seeded columns of every type a feature frame may hold, with awkward values. */
function mixedFrame(rows: number): DataFrame {
  const random = new Random(7);
  const int64 = BigInt64Array.from({ length: rows }, (_, i) =>
    // Beyond 2^53 the Int64 → Float64 rounding matters too.
    i % 97 === 0 ? 2n ** 60n + 3n * BigInt(i) : BigInt(random.int(2001) - 1000));
  const floats = Float64Array.from(
    { length: rows },
    (_, i) => i % 101 === 0 ? NaN : i % 103 === 0 ? -0 : random.normal() * 1e5 + 1 / 3,
  );
  return pl.DataFrame([
    pl.Series("int64", int64),
    pl.Series("float64", floats, pl.Float64),
    pl.Series("bool", Array.from({ length: rows }, () => random.next() < 0.2), pl.Bool),
    pl.Series("int32", Int32Array.from({ length: rows }, () => random.int(1 << 30)), pl.Int32),
    pl.Series("float32", Float32Array.from({ length: rows }, () => random.normal()), pl.Float32),
    pl.Series("uint8", Array.from({ length: rows }, () => random.int(256)), pl.UInt8),
    pl.Series("hot", Array.from({ length: rows }, (_, i) => i % 5 === 0), pl.Bool),
  ]);
}

/** The straightforward copy: each value as polars casts it to Float64, stored as Float32. */
function referenceMatrix(df: DataFrame, columns: readonly string[]): Float32Array {
  const data = new Float32Array(df.height * columns.length);
  columns.forEach((name, j) => {
    const values = df.getColumn(name).cast(pl.Float64).toArray() as number[];
    values.forEach((value, i) => data[i * columns.length + j] = value);
  });
  return data;
}

function bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

Deno.test("frameToMatrix() stores every Int, Float and Bool value as the Float64 cast rounded to Float32", () => {
  const df = mixedFrame(ROWS);
  const matrix = frameToMatrix(df);
  assert.equal(matrix.rows, ROWS);
  assert.equal(matrix.cols, 7);
  assert.deepEqual(bytes(matrix.data), bytes(referenceMatrix(df, df.columns)));
  // Spot checks that the reference itself means what it says.
  assert.equal(matrix.data[0], Math.fround(2 ** 60));
  assert.ok(Number.isNaN(matrix.data[101 * 7 + 1]!));
  assert.ok(Object.is(matrix.data[103 * 7 + 1], -0));
  assert.deepEqual(Array.from(matrix.data.subarray(5 * 7 + 6, 5 * 7 + 7)), [1]);
});

Deno.test("frameToMatrix() copies the requested columns in the requested order", () => {
  const df = mixedFrame(1_001);
  const columns = ["hot", "float32", "int64"];
  const matrix = frameToMatrix(df, columns);
  assert.equal(matrix.cols, 3);
  assert.deepEqual(bytes(matrix.data), bytes(referenceMatrix(df, columns)));
});

Deno.test("frameToMatrix() reads a frame of several chunks like a single-chunk one", () => {
  const parts = [mixedFrame(17_000), mixedFrame(9_001), mixedFrame(3)];
  const chunked = pl.concat(parts, { how: "vertical", rechunk: false });
  assert.ok(chunked.nChunks() > 1);
  const matrix = frameToMatrix(chunked);
  assert.equal(matrix.rows, 26_004);
  assert.deepEqual(bytes(matrix.data), bytes(frameToMatrix(chunked.rechunk()).data));
  assert.deepEqual(bytes(matrix.data), bytes(referenceMatrix(chunked, chunked.columns)));
});

Deno.test("frameToMatrix() handles frames without rows or without columns", () => {
  const empty = mixedFrame(10).head(0);
  assert.deepEqual(frameToMatrix(empty), { data: new Float32Array(0), rows: 0, cols: 7 });
  assert.deepEqual(frameToMatrix(mixedFrame(4), []), {
    data: new Float32Array(0),
    rows: 4,
    cols: 0,
  });
});

Deno.test("frameToMatrix() throws SchemaMismatchError for a missing, text or null column", () => {
  const df = pl.DataFrame([
    pl.Series("a", [1, 2], pl.Float64),
    pl.Series("s", ["x", "y"]),
    pl.Series("n", [1, null], pl.Float64),
    pl.Series("b", [true, null], pl.Bool),
  ]);
  assert.throws(() => frameToMatrix(df, ["a", "z"]), {
    name: "SchemaMismatchError",
    message: /^Cannot build a matrix: missing column "z" \(found \["a","s","n","b"\]\)$/,
  });
  assert.throws(() => frameToMatrix(df, ["a", "s"]), {
    name: "SchemaMismatchError",
    message:
      /^Cannot build a matrix: column "s" is .*String.*, expected a numeric column; encode it first$/,
  });
  assert.throws(() => frameToMatrix(df, ["n"]), {
    name: "SchemaMismatchError",
    message: /^Cannot build a matrix: column "n" has 1 null values; impute or drop them first$/,
  });
  assert.throws(() => frameToMatrix(df, ["b"]), {
    name: "SchemaMismatchError",
    message: /column "b" has 1 null values/,
  });
});

Deno.test("takeRows() returns the requested rows in the requested order", () => {
  const matrix = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), rows: 3, cols: 2 };
  assert.deepEqual(takeRows(matrix, [2, 0, 2]), {
    data: Float32Array.from([5, 6, 1, 2, 5, 6]),
    rows: 3,
    cols: 2,
  });
});
