/**
 * The contract every transformer passes (STYLE.md §6).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { DataFrame, Series } from "nodejs-polars";
import { RowRefused } from "../../src/data/mod.ts";
import type { RowColumn, RowDtype, RowValue } from "../../src/data/mod.ts";
import { transformerFromJson } from "../../src/features/mod.ts";
import type { Transformer, TransformerState } from "../../src/features/mod.ts";
import { assertFrameEqual } from "./assert_frame.ts";

/** Options of `assertTransformerContract`. */
export interface TransformerContractOptions {
  /**
   * A second training frame for the refit rule (`fit(other).fit(sample)` equals `fit(sample)`);
   * it must differ from `sample` so the rule can fail.
   *
   * @default `sample` without its last row
   */
  other?: DataFrame;
  /**
   * A column the transformer needs; the missing-column rule drops it.
   *
   * @default the first column of `sample`
   */
  requiredColumn?: string;
}

/**
 * Asserts the seven rules of the transformer contract:
 * - `transform` before `fit` throws `NotFittedError`
 * - `fit` returns `this`
 * - refitting is idempotent: `fit(other).fit(sample)` equals `fit(sample)`
 * - the input frame is unchanged by `fit` and `transform`
 * - `fromJSON(toJSON())`, through `JSON.stringify`/`JSON.parse`, transforms identically (both
 *   through the class's static `fromJSON` and through the registry)
 * - a missing column throws `SchemaMismatchError`
 * - the row kernel equals the frame path bit for bit on `sample` (when every column of it has a
 *   row dtype), see {@link assertRowKernelMatchesFrame}
 *
 * @param make builds a fresh, unfitted transformer
 * @param sample a training frame the transformer accepts
 * @param options a second training frame and the column to drop
 * @example
 * ```ts
 * assertTransformerContract(() => new StandardScaler(), pl.DataFrame({ a: [1, 2, 3] }));
 * ```
 */
export function assertTransformerContract(
  make: () => Transformer,
  sample: DataFrame,
  options: TransformerContractOptions = {},
): void {
  const other = options.other ?? sample.head(sample.height - 1);
  const requiredColumn = options.requiredColumn ?? sample.columns[0]!;
  const before = sample.clone();

  const unfitted = make();
  assert.equal(unfitted.isFitted, false, "a new transformer is not fitted");
  assert.throws(() => unfitted.transform(sample), {
    name: "NotFittedError",
    message: /not fitted/,
  });
  assert.throws(() => unfitted.toJSON(), { name: "NotFittedError", message: /not fitted/ });
  assert.throws(() => unfitted.featureNamesOut(), { name: "NotFittedError" });

  const transformer = make();
  assert.equal(transformer.fit(sample), transformer, "fit() returns this");
  assert.equal(transformer.isFitted, true, "fit() sets isFitted");
  const expected = transformer.transform(sample);
  assertFrameEqual(sample, before, "the input frame is unchanged:");
  assert.deepEqual(
    expected.columns,
    transformer.featureNamesOut(),
    "featureNamesOut() names the output",
  );

  const refitted = make().fit(other).fit(sample);
  assert.deepEqual(refitted.toJSON(), transformer.toJSON(), "refit state equals a single fit");
  assertFrameEqual(refitted.transform(sample), expected, "refit output equals a single fit:");
  assertFrameEqual(
    make().fitTransform(sample),
    expected,
    "fitTransform() equals fit().transform():",
  );

  const json = JSON.parse(JSON.stringify(transformer.toJSON())) as TransformerState;
  assert.equal(json.kind, transformer.kind);
  const fromJson = (transformer.constructor as unknown as {
    fromJSON(state: TransformerState): Transformer;
  }).fromJSON;
  assert.equal(typeof fromJson, "function", "the class has a static fromJSON()");
  const restored = fromJson(json);
  assert.equal(restored.isFitted, true);
  assertFrameEqual(
    restored.transform(sample),
    expected,
    "fromJSON(toJSON()) transforms identically:",
  );
  assert.deepEqual(restored.toJSON(), transformer.toJSON(), "fromJSON(toJSON()) keeps the state");
  assertFrameEqual(
    transformerFromJson(json).transform(sample),
    expected,
    "the registry rebuilds it identically:",
  );
  assertFrameEqual(sample, before, "the input frame is unchanged:");

  assert.throws(() => transformer.transform(sample.drop(requiredColumn)), {
    name: "SchemaMismatchError",
    message: new RegExp(`missing column "${escapeRegExp(requiredColumn)}"`),
  });

  if (sample.columns.every((name) => rowDtype(sample.getColumn(name)) !== null)) {
    assertRowKernelMatchesFrame(transformer, sample);
  }
}

/**
 * Asserts that a fitted transformer's row kernel answers what `transform` answers, row by row:
 * the same output names and dtypes, nulls and NaN in the same places, every other number with
 * the same Float64 bits, the same text; and a row the frame path refuses (its one-row frame
 * throws) is refused by the kernel with a `RowRefused`, and no other row is. A kernel that
 * declares a slack (`slackUlps > 0`: polars computes it with the platform libm, which V8 does
 * not reproduce to the last bit) must bracket the frame's value within that slack instead.
 *
 * @param transformer a fitted transformer
 * @param frame the rows to compare on; every column Float64, an integer type or text
 * @example
 * ```ts
 * assertRowKernelMatchesFrame(new StandardScaler().fit(train), test);
 * ```
 */
export function assertRowKernelMatchesFrame(transformer: Transformer, frame: DataFrame): void {
  const label = `${transformer.kind} row kernel`;
  const columns: RowColumn[] = frame.columns.map((name) => {
    const dtype = rowDtype(frame.getColumn(name));
    assert.notEqual(dtype, null, `${label}: column "${name}" has no row dtype`);
    return { name, dtype: dtype! };
  });
  const kernel = transformer.compileRow(columns);
  const rows = frameRows(frame);
  let whole: DataFrame | null = null;
  try {
    whole = transformer.transform(frame);
  } catch {
    // Some row is refused: each row is compared alone below.
  }
  if (whole !== null) {
    assert.deepEqual(
      kernel.columns.map((c) => c.name),
      whole.columns,
      `${label}: output names`,
    );
    assert.deepEqual(
      kernel.columns.map((c) => c.dtype),
      whole.columns.map((name) => rowDtype(whole!.getColumn(name))),
      `${label}: output dtypes`,
    );
  }
  const expectedRows = whole === null ? null : frameRows(whole);
  rows.forEach((row, i) => {
    let expected: RowValue[] | null;
    if (expectedRows !== null) expected = expectedRows[i]!;
    else {
      try {
        expected = frameRows(transformer.transform(frame.slice(i, 1)))[0]!;
      } catch {
        expected = null;
      }
    }
    let actual: RowValue[] | null;
    try {
      actual = kernel.apply(row);
    } catch (error) {
      if (!(error instanceof RowRefused)) throw error;
      actual = null;
    }
    const where = `${label}, row ${i} ${JSON.stringify(row.map(String))}`;
    if (expected === null || actual === null) {
      assert.equal(actual === null, expected === null, `${where}: refused by one path only`);
      return;
    }
    assert.equal(actual.length, expected.length, `${where}: width`);
    if (kernel.slackUlps === 0) {
      actual.forEach((value, k) => assertSameCell(value, expected![k]!, `${where}, column ${k}`));
      return;
    }
    // An inexact kernel (a libm function) brackets polars' value within its declared slack;
    // the row scorer sends a row to polars when the bracket straddles a Float32 boundary.
    const low = kernel.apply(row, -kernel.slackUlps);
    const high = kernel.apply(row, kernel.slackUlps);
    actual.forEach((value, k) => {
      const wanted = expected![k]!;
      if (typeof value !== "number" || typeof wanted !== "number" || Number.isNaN(wanted)) {
        assertSameCell(value, wanted, `${where}, column ${k}`);
        return;
      }
      const [a, b] = [low[k] as number, high[k] as number];
      assert.ok(
        Math.min(a, b) <= wanted && wanted <= Math.max(a, b),
        `${where}, column ${k}: ${wanted} outside the kernel's slack [${a}, ${b}]`,
      );
    });
  });
}

/** The row dtype of a polars column, or `null` for dtypes rows do not carry. */
function rowDtype(series: Series): RowDtype | null {
  const variant = series.dtype.variant as string;
  if (variant === "Float64") return "f64";
  if (/^U?Int(8|16|32|64)$/.test(variant)) return "i64";
  if (variant === "String" || variant === "Utf8") return "str";
  return null;
}

/** The frame's rows as row values: numbers (integers as numbers), text and nulls. */
function frameRows(frame: DataFrame): RowValue[][] {
  const columns = frame.columns.map((name) =>
    (frame.getColumn(name).toArray() as unknown[]).map((v): RowValue =>
      v === null || v === undefined ? null : typeof v === "bigint" ? Number(v) : v as RowValue
    )
  );
  return Array.from({ length: frame.height }, (_, i) => columns.map((values) => values[i]!));
}

const BITS = new Float64Array(1);
const WORDS = new BigUint64Array(BITS.buffer);

function float64Bits(x: number): bigint {
  BITS[0] = x;
  return WORDS[0]!;
}

function assertSameCell(actual: RowValue, expected: RowValue, where: string): void {
  if (typeof actual === "number" && typeof expected === "number") {
    if (Number.isNaN(actual) || Number.isNaN(expected)) {
      assert.equal(Number.isNaN(actual), Number.isNaN(expected), `${where}: NaN position`);
      return;
    }
    assert.equal(
      float64Bits(actual),
      float64Bits(expected),
      `${where}: Float64 bits of ${actual} and ${expected}`,
    );
    return;
  }
  assert.equal(actual === null, expected === null, `${where}: null position`);
  assert.equal(actual, expected, where);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
