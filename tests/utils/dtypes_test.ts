import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  dtypeKind,
  frameToMatrix,
  isDateDtype,
  isIntegerDtype,
  isNumericDtype,
  isTemporalDtype,
  isTextDtype,
  NUMERIC_DTYPES,
} from "../../src/utils/mod.ts";

Deno.test("isNumericDtype() counts integers, floats and Decimal as numeric, by name or DataType", () => {
  for (const name of ["Int8", "Int64", "UInt8", "UInt64", "Float32", "Float64", "Decimal"]) {
    assert.equal(isNumericDtype(name), true, name);
  }
  for (const name of ["Bool", "String", "Utf8", "Categorical", "Date", "Datetime", "Null"]) {
    assert.equal(isNumericDtype(name), false, name);
  }
  assert.equal(isNumericDtype(pl.Float64), true);
  assert.equal(isNumericDtype(pl.Utf8), false);
  assert.ok(NUMERIC_DTYPES.has("Decimal"));
});

Deno.test("a Decimal column is numeric, also where polars' Series.isNumeric() says it is not", () => {
  const df = pl.DataFrame({ price: [1.25, 2.5], name: ["a", "b"] })
    .withColumns(pl.col("price").cast(pl.Decimal(10, 2)));
  const price = df.getColumn("price");
  assert.equal(price.dtype.variant, "Decimal");
  assert.equal(isNumericDtype(price.dtype), true);
  // Steps that need numbers accept it: it becomes a feature matrix like a float column.
  assert.deepEqual([...frameToMatrix(df, ["price"]).data], [1.25, 2.5]);
});

Deno.test("the other dtype groups: integers, dates, temporal and text", () => {
  assert.equal(isIntegerDtype("UInt16"), true);
  assert.equal(isIntegerDtype("Float32"), false);
  assert.equal(isIntegerDtype("Decimal"), false);
  assert.equal(isDateDtype(pl.Date), true);
  assert.equal(isDateDtype("Datetime"), true);
  assert.equal(isDateDtype("Duration"), false);
  assert.equal(isTemporalDtype("Duration"), true);
  assert.equal(isTemporalDtype("Time"), true);
  assert.equal(isTemporalDtype("Int64"), false);
  assert.equal(isTextDtype("String"), true);
  assert.equal(isTextDtype("Categorical"), true);
  assert.equal(isTextDtype("Bool"), false);
});

Deno.test("dtypeKind() names the kind of value each dtype holds, by name or DataType", () => {
  const expected = {
    String: "string",
    Utf8: "string",
    Categorical: "string",
    Float32: "float",
    Float64: "float",
    Int8: "int",
    Int16: "int",
    Int32: "int",
    Int64: "int",
    UInt8: "int",
    UInt16: "int",
    UInt32: "int",
    UInt64: "int",
    Bool: "bool",
    Date: "date",
    Datetime: "datetime",
    Decimal: "other",
    Duration: "other",
    Time: "other",
    Null: "other",
    List: "other",
    Struct: "other",
  };
  for (const [name, kind] of Object.entries(expected)) assert.equal(dtypeKind(name), kind, name);
  assert.equal(dtypeKind(pl.Float64), "float");
  assert.equal(dtypeKind(pl.Utf8), "string");
  assert.equal(dtypeKind(pl.Datetime("us")), "datetime");
});

Deno.test("dtypeKind() classifies the columns of a frame", () => {
  const df = pl.DataFrame({
    name: ["a", "b"],
    mass: [1.5, 2.5],
    count: [1, 2],
    ok: [true, false],
  }).withColumns(
    pl.col("count").cast(pl.Int32),
    pl.col("name").cast(pl.Categorical).alias("species"),
    pl.lit("2020-01-02").str.strptime(pl.Date, "%Y-%m-%d").alias("day"),
    pl.col("mass").cast(pl.Decimal(10, 2)).alias("price"),
  );
  assert.deepEqual(
    df.columns.map((name) => [name, dtypeKind(df.getColumn(name).dtype)]),
    [
      ["name", "string"],
      ["mass", "float"],
      ["count", "int"],
      ["ok", "bool"],
      ["species", "string"],
      ["day", "date"],
      ["price", "other"],
    ],
  );
});
