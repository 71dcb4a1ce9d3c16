import assert from "node:assert/strict";
import { assertClose, assertFrameEqual, pl } from "../_helpers/assert_frame.ts";
import { assertTransformerContract } from "../_helpers/transformer_contract.ts";
import { Log1pTransformer } from "../../src/features/mod.ts";
import { DataValidationError } from "../../src/errors.ts";

function floats(name: string, values: (number | null)[]) {
  return pl.Series(name, values, pl.Float64);
}

function sample() {
  return pl.DataFrame([
    floats("a", [0, Math.E - 1, null, NaN, -1, 1e-20]),
    pl.Series("n", [0, 1, 2, 3, 4, 5], pl.Int64),
    pl.Series("s", ["a", "b", "c", "d", "e", "f"]),
  ]);
}

Deno.test("Log1pTransformer passes the transformer contract", () => {
  assertTransformerContract(() => new Log1pTransformer({ columns: ["a", "n"] }), sample());
});

Deno.test("Log1pTransformer.transform() replaces columns by ln(1 + x) as Float64, keeping nulls and NaN", () => {
  const out = new Log1pTransformer({ columns: ["a", "n"] }).fitTransform(sample());
  assert.deepEqual(out.columns, ["a", "n", "s"]);
  const a = out.getColumn("a").toArray() as (number | null)[];
  assert.equal(a[0], 0);
  assertClose(a[1]!, 1, 1e-15);
  assert.equal(a[2], null);
  assert.ok(Number.isNaN(a[3]));
  assert.equal(a[4], -Infinity, "-1 gives -Infinity");
  assert.equal(a[5], 1e-20, "log1p stays accurate near zero");
  const n = out.getColumn("n").toArray() as number[];
  n.forEach((value, i) => assertClose(value, Math.log1p(i), 1e-15, `n[${i}]`));
  assertFrameEqual(out.select("s"), sample().select("s"));
  assert.ok(out.getColumn("n").dtype.equals(pl.Float64), "an integer column comes out as Float64");
});

Deno.test("Log1pTransformer throws DataValidationError for values below -1, naming the column and first bad value", () => {
  const train = pl.DataFrame([floats("debt", [5, -3, 2, -7])]);
  assert.throws(() => new Log1pTransformer().fit(train), (error: unknown) => {
    assert.ok(error instanceof DataValidationError);
    assert.match(
      error.message,
      /Cannot fit "Log1pTransformer": column "debt" has 2 values below -1 \(first -3 at row 2\), expected values >= -1; shift or clip/,
    );
    assert.deepEqual(error.issues[0]!.examples, [-3, -7]);
    assert.deepEqual(error.issues[0]!.rows, [2, 4]);
    return true;
  });
  const fitted = new Log1pTransformer().fit(pl.DataFrame([floats("debt", [0, 1])]));
  assert.throws(() => fitted.transform(pl.DataFrame([floats("debt", [1, 2, -1.5])])), {
    name: "DataValidationError",
    message:
      /Cannot transform with "Log1pTransformer": column "debt" has 1 value below -1 \(first -1.5 at row 3\)/,
  });
});

Deno.test("Log1pTransformer.fit() throws SchemaMismatchError for a text column", () => {
  assert.throws(() => new Log1pTransformer().fit(sample()), {
    name: "SchemaMismatchError",
    message: /column "s" is String, expected a numeric column/,
  });
});
