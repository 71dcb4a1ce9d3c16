import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadDataset } from "../../src/data/loader.ts";
import { formatValidationReport, validate } from "../../src/data/validator.ts";
import { DataValidationError } from "../../src/errors.ts";
import type { ColumnRules, ValidationConfig } from "../../src/config/schema.ts";
import { pl } from "../_helpers/assert_frame.ts";

const PENGUINS = fileURLToPath(new URL("../../data/raw/penguins.csv", import.meta.url));

function rules(partial: Partial<ColumnRules>): ColumnRules {
  return { nullable: true, unique: false, ...partial };
}

/** Six rows with known violations in every rule. */
function brokenFrame() {
  return pl.DataFrame({
    id: pl.Series("id", [1, 2, 2, 4, 4, 4], pl.Int64),
    score: pl.Series("score", [0.5, NaN, null, 12, -3, 7], pl.Float64),
    grade: pl.Series("grade", ["a", "b", "x", null, "x", "zz"], pl.Utf8),
    amount: pl.Series("amount", ["1", "2", "3", "4", "5", "6"], pl.Utf8),
  });
}

const BROKEN_SCHEMA: ValidationConfig = {
  strict: false,
  min_rows: 10,
  columns: {
    id: rules({ dtype: "int", nullable: false, unique: true }),
    score: rules({ dtype: "float", nullable: false, min: 0, max: 10 }),
    grade: rules({ dtype: "string", allowed: ["a", "b"] }),
    amount: rules({ dtype: "int" }),
    missing: rules({}),
  },
};

function penguinSchema(): ValidationConfig {
  const measurement = (min: number, max: number) =>
    rules({ dtype: "float", nullable: false, min, max });
  return {
    strict: true,
    min_rows: 100,
    columns: {
      Species: rules({
        dtype: "string",
        nullable: false,
        allowed: ["Adelie", "Chinstrap", "Gentoo"],
      }),
      Island: rules({
        dtype: "string",
        nullable: false,
        allowed: ["Biscoe", "Dream", "Torgersen"],
      }),
      "Beak Length (mm)": measurement(30, 60),
      "Beak Depth (mm)": measurement(13, 22),
      "Flipper Length (mm)": measurement(170, 235),
      "Body Mass (g)": measurement(2500, 6500),
      Sex: rules({ dtype: "string", nullable: false, allowed: ["MALE", "FEMALE"] }),
    },
  };
}

Deno.test("validate() reports exactly the expected issues of a frame with known violations", () => {
  const report = validate(brokenFrame(), BROKEN_SCHEMA, { target: "label" });
  assert.equal(report.ok, false);
  assert.equal(report.rows, 6);
  assert.equal(report.columns, 4);
  const summary = report.issues.map(({ column, rule, count, examples, rows }) => ({
    column,
    rule,
    count,
    examples,
    rows,
  }));
  assert.deepEqual(summary, [
    { column: null, rule: "min_rows", count: 6, examples: [], rows: [] },
    { column: "label", rule: "target", count: 1, examples: [], rows: [] },
    { column: "id", rule: "unique", count: 3, examples: [2, 4], rows: [3, 5, 6] },
    { column: "score", rule: "nullable", count: 2, examples: [NaN, null], rows: [2, 3] },
    { column: "score", rule: "min", count: 1, examples: [-3], rows: [5] },
    { column: "score", rule: "max", count: 1, examples: [12], rows: [4] },
    { column: "grade", rule: "allowed", count: 3, examples: ["x", "zz"], rows: [3, 5, 6] },
    {
      column: "amount",
      rule: "dtype",
      count: 6,
      examples: ["1", "2", "3", "4", "5"],
      rows: [1, 2, 3, 4, 5],
    },
    { column: "missing", rule: "present", count: 1, examples: [], rows: [] },
  ]);
  const messages = Object.fromEntries(
    report.issues.map((i) => [`${i.column} ${i.rule}`, i.message]),
  );
  assert.equal(messages["null min_rows"], "found 6 rows, expected at least 10");
  assert.equal(messages["score max"], "1 value above the maximum 10");
  assert.match(
    messages["amount dtype"]!,
    /expected int, found string .*set data\.dtypes\."amount" to int/,
  );
  assert.match(messages["grade allowed"]!, /3 values not in the allowed list \["a","b"\]/);
});

Deno.test("validate() finds the same allowed violations with short and long lists, on text and categorical columns", () => {
  const grades = ["a", "b", "x", null, "x", "zz", "b", "A"];
  const short = ["a", "b", "c"];
  // Nine values: matched by lookup rather than comparisons; the extra ones never occur.
  const long = [...short, "d", "e", "f", "g", "h", "i"];
  const outcome = (grade: pl.Series, allowed: string[]) =>
    validate(pl.DataFrame([grade]), {
      strict: false,
      min_rows: 0,
      columns: { grade: rules({ allowed }) },
    }, {}).issues.map(({ rule, count, examples, rows }) => ({ rule, count, examples, rows }));
  const expected = [{ rule: "allowed", count: 4, examples: ["x", "zz", "A"], rows: [3, 5, 6, 8] }];
  const text = pl.Series("grade", grades, pl.Utf8);
  assert.deepEqual(outcome(text, short), expected);
  assert.deepEqual(outcome(text, long), expected);
  assert.deepEqual(outcome(text.cast(pl.Categorical), short), expected);
  assert.deepEqual(outcome(text, ["b"]), [
    { rule: "allowed", count: 5, examples: ["a", "x", "zz", "A"], rows: [1, 3, 5, 6, 8] },
  ]);
});

Deno.test("validate() lets float rules accept integer columns and ignores nulls in ranges", () => {
  const df = pl.DataFrame({
    mass: pl.Series("mass", [3000, null, 4000], pl.Int64),
    sex: pl.Series("sex", ["MALE", null, "FEMALE"], pl.Utf8),
  });
  const report = validate(df, {
    strict: true,
    min_rows: 3,
    columns: {
      mass: rules({ dtype: "float", min: 2500, max: 6500 }),
      sex: rules({ dtype: "string", allowed: ["MALE", "FEMALE"], unique: true }),
    },
  }, { target: "sex" });
  assert.deepEqual(report, { ok: true, rows: 3, columns: 2, issues: [] });
});

Deno.test("validate() reports an int rule on a float column and a range rule on text", () => {
  const df = pl.DataFrame({ x: [1.5, 2], s: ["a", "b"] });
  const report = validate(df, {
    strict: false,
    min_rows: 1,
    columns: { x: rules({ dtype: "int" }), s: rules({ min: 0 }) },
  });
  assert.deepEqual(report.issues.map((i) => [i.column, i.rule, i.count]), [
    ["x", "dtype", 2],
    ["s", "min", 2],
  ]);
  assert.match(report.issues[1]!.message, /cannot compare string values with 0/);
});

Deno.test("validate() in strict mode throws DataValidationError carrying every issue", () => {
  const strict = { ...BROKEN_SCHEMA, strict: true };
  assert.throws(() => validate(brokenFrame(), strict), (error: unknown) => {
    assert.ok(error instanceof DataValidationError);
    assert.equal(error.issues.length, 8);
    assert.equal(
      error.message,
      "Cannot accept data: 8 validation rules failed (min_rows: 6 rows, id unique: 3 rows, " +
        "score nullable: 2 rows, score min: 1 row, score max: 1 row, grade allowed: 3 rows, " +
        "amount dtype: 6 rows, missing present: 1 column); fix the data or validation.columns " +
        "in the profile",
    );
    return true;
  });
  // options.strict overrides the schema's flag both ways.
  assert.equal(validate(brokenFrame(), strict, { strict: false }).issues.length, 8);
  assert.throws(
    () => validate(brokenFrame(), BROKEN_SCHEMA, { strict: true }),
    DataValidationError,
  );
});

Deno.test("validate() checks the shipped penguins file against the default schema", () => {
  const report = validate(loadDataset(PENGUINS), penguinSchema(), {
    target: "Species",
    strict: false,
  });
  assert.deepEqual(
    report.issues.map(({ column, rule, count, examples }) => [column, rule, count, examples]),
    [
      ["Beak Length (mm)", "nullable", 2, [null]],
      ["Beak Depth (mm)", "nullable", 2, [null]],
      ["Flipper Length (mm)", "nullable", 2, [null]],
      ["Body Mass (g)", "nullable", 2, [null]],
      ["Sex", "nullable", 10, [null]],
      ["Sex", "allowed", 1, ["."]],
    ],
  );
  assert.deepEqual(report.issues[0]!.rows, [4, 340]);
  assert.deepEqual(report.issues[5]!.rows, [337]);
  assert.throws(() => validate(loadDataset(PENGUINS), penguinSchema()), {
    name: "DataValidationError",
    message:
      /^Cannot accept data: 6 validation rules failed \(.*Sex nullable: 10 rows, Sex allowed: 1 row\)/,
  });
});

Deno.test("validate() handles columns named like frame members and does not change the frame", () => {
  const df = pl.DataFrame({ height: [1.5, null], select: ["a", "a"] });
  const report = validate(df, {
    strict: false,
    min_rows: 1,
    columns: { height: rules({ nullable: false }), select: rules({ unique: true }) },
  });
  assert.deepEqual(report.issues.map((i) => [i.column, i.rule, i.count, i.rows]), [
    ["height", "nullable", 1, [2]],
    ["select", "unique", 1, [2]],
  ]);
  assert.deepEqual(df.toRecords(), [{ height: 1.5, select: "a" }, { height: null, select: "a" }]);
});

Deno.test("formatValidationReport() renders an aligned table under a one-line summary", () => {
  const report = validate(loadDataset(PENGUINS), penguinSchema(), { strict: false });
  assert.equal(
    formatValidationReport(report),
    [
      "Validation failed: 6 rules broken in 344 rows × 7 columns",
      "column               rule      count  examples",
      "Beak Length (mm)     nullable      2  null",
      "Beak Depth (mm)      nullable      2  null",
      "Flipper Length (mm)  nullable      2  null",
      "Body Mass (g)        nullable      2  null",
      "Sex                  nullable     10  null",
      'Sex                  allowed       1  "."',
    ].join("\n"),
  );
  const table = formatValidationReport(validate(brokenFrame(), BROKEN_SCHEMA));
  const lines = table.split("\n");
  assert.equal(lines[0], "Validation failed: 8 rules broken in 6 rows × 4 columns");
  assert.equal(lines[2], "(table)  min_rows      6  found 6 rows, expected at least 10");
  assert.ok(lines.at(-1)!.startsWith("missing  present       1  the column is missing"), table);
  assert.equal(
    formatValidationReport({ ok: true, rows: 1, columns: 2, issues: [] }),
    "Validation passed: 1 row × 2 columns, no rule broken",
  );
});

Deno.test("validate() checks allowed lists that mix text and numbers on a text column as isIn does", () => {
  const df = pl.DataFrame({ s: ["a", "1", null, "b", "a"] });
  const mixed = validate(df, {
    strict: false,
    min_rows: 0,
    columns: { s: rules({ dtype: "string", allowed: ["a", 1] as unknown as string[] }) },
  });
  const texts = validate(df, {
    strict: false,
    min_rows: 0,
    columns: { s: rules({ dtype: "string", allowed: ["a", "1"] }) },
  });
  // Both forms accept "a" and "1" and flag only row 4 ("b"); nulls are left to `nullable`.
  for (const report of [mixed, texts]) {
    assert.deepEqual(
      report.issues.map((i) => [i.column, i.rule, i.count, i.rows]),
      [["s", "allowed", 1, [4]]],
    );
  }
});
