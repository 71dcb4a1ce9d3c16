import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { detectFormat, loadDataset, scanDataset } from "../../src/data/loader.ts";
import { assertFrameEqual, pl } from "../_helpers/assert_frame.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));
const PENGUINS = fileURLToPath(new URL("../../data/raw/penguins.csv", import.meta.url));

/** A small frame with every column kind the loader must keep: ints, floats, text, bools, nulls. */
function sampleFrame() {
  return pl.DataFrame({
    id: pl.Series("id", [1, 2, 3, 4], pl.Int64),
    mass: pl.Series("mass", [3750.5, null, 4100, 2900.25], pl.Float64),
    species: pl.Series("species", ["Adelie", "Gentoo, big", null, 'say "hi"'], pl.Utf8),
    ok: pl.Series("ok", [true, false, null, true], pl.Bool),
  });
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "loader-test-" });
}

Deno.test("loadDataset() round-trips every format to the same frame", async () => {
  const dir = await tempDir();
  const expected = sampleFrame();
  expected.writeCSV(join(dir, "a.csv"));
  expected.writeCSV(join(dir, "a.tsv"), { separator: "\t" });
  expected.writeParquet(join(dir, "a.parquet"));
  expected.writeJSON(join(dir, "a.json"), { format: "json" });
  expected.writeJSON(join(dir, "a.ndjson"), { format: "lines" });
  expected.writeJSON(join(dir, "a.jsonl"), { format: "lines" });
  expected.writeIPC(join(dir, "a.arrow"));
  expected.writeIPC(join(dir, "a.ipc"));
  expected.writeIPC(join(dir, "a.feather"));
  for (
    const name of [
      "a.csv",
      "a.tsv",
      "a.parquet",
      "a.json",
      "a.ndjson",
      "a.jsonl",
      "a.arrow",
      "a.ipc",
      "a.feather",
    ]
  ) {
    assertFrameEqual(loadDataset(join(dir, name)), expected, name);
  }
});

Deno.test("loadDataset() reads an explicit format whatever the extension", async () => {
  const dir = await tempDir();
  const expected = sampleFrame();
  expected.writeCSV(join(dir, "table.dat"));
  expected.writeIPCStream(join(dir, "stream.bin"));
  assertFrameEqual(loadDataset(join(dir, "table.dat"), { format: "csv" }), expected);
  assertFrameEqual(loadDataset(join(dir, "stream.bin"), { format: "arrow" }), expected);
});

Deno.test("loadDataset() reads the shipped penguins file with types inferred from every row", () => {
  const df = loadDataset(PENGUINS);
  assert.deepEqual(df.shape, { height: 344, width: 7 });
  assert.deepEqual(df.dtypes.map(String), [
    "DataType(String)",
    "DataType(String)",
    "DataType(Float64)",
    "DataType(Float64)",
    "DataType(Int64)",
    "DataType(Int64)",
    "DataType(String)",
  ]);
  assert.equal(df.getColumn("Sex").nullCount(), 10);
});

Deno.test("loadDataset() infers JSON types from all records, so a late 15.5 keeps the column float", () => {
  const df = loadDataset(join(FIXTURES, "late_float.json"));
  assert.equal(String(df.getColumn("Miles_per_Gallon").dtype), "DataType(Float64)");
  assert.equal(df.getColumn("Miles_per_Gallon").get(230), 15.5);
  assert.equal(df.getColumn("Miles_per_Gallon").get(229), 29);
  assert.equal(String(df.getColumn("id").dtype), "DataType(Int64)");
});

Deno.test("loadDataset() infers CSV types from all rows, so a float after row 10,000 keeps the column float", async () => {
  const dir = await tempDir();
  const values = Array.from({ length: 10_100 }, (_, i) => (i === 10_050 ? "15.5" : String(i)));
  await Deno.writeTextFile(join(dir, "late.csv"), ["x", ...values].join("\n") + "\n");
  const df = loadDataset(join(dir, "late.csv"));
  assert.equal(String(df.getColumn("x").dtype), "DataType(Float64)");
  assert.equal(df.getColumn("x").get(10_050), 15.5);
  assert.equal(df.getColumn("x").get(10_049), 10_049);
  const lazy = scanDataset(join(dir, "late.csv")).collectSync();
  assert.equal(String(lazy.getColumn("x").dtype), "DataType(Float64)");
});

Deno.test("loadDataset() keeps the selected columns in the requested order", () => {
  const df = loadDataset(PENGUINS, { columns: ["Sex", "Species"] });
  assert.deepEqual(df.columns, ["Sex", "Species"]);
  assert.equal(df.height, 344);
});

Deno.test("loadDataset() selects Parquet columns at read time", async () => {
  const dir = await tempDir();
  sampleFrame().writeParquet(join(dir, "a.parquet"));
  const df = loadDataset(join(dir, "a.parquet"), { columns: ["species", "id"] });
  assertFrameEqual(df, sampleFrame().select("species", "id"));
});

Deno.test("loadDataset() rejects an unknown column with a suggestion and the available list", () => {
  assert.throws(() => loadDataset(PENGUINS, { columns: ["Specis", "Island"] }), {
    name: "SchemaMismatchError",
    message:
      /unknown column "Specis": did you mean "Species" \(available: \["Species","Island","Beak Length \(mm\)".*\]\); fix data\.columns/,
  });
});

Deno.test("loadDataset() applies CSV dtype overrides while parsing", () => {
  const df = loadDataset(PENGUINS, {
    columns: ["Flipper Length (mm)", "Body Mass (g)", "Species"],
    dtypes: { "Flipper Length (mm)": "float", "Body Mass (g)": "string" },
  });
  assert.deepEqual(df.dtypes.map(String), [
    "DataType(Float64)",
    "DataType(String)",
    "DataType(String)",
  ]);
  assert.equal(df.getColumn("Flipper Length (mm)").get(0), 181);
  assert.equal(df.getColumn("Body Mass (g)").get(0), "3750");
});

Deno.test("loadDataset() parses bool, date and datetime overrides", async () => {
  const dir = await tempDir();
  const path = join(dir, "typed.csv");
  await Deno.writeTextFile(
    path,
    "flag,day,at\ntrue,2020-01-02,2020-01-02T10:11:12\nFALSE,2021-03-04,2021-03-04 05:06:07\n",
  );
  const df = loadDataset(path, { dtypes: { flag: "bool", day: "date", at: "datetime" } });
  const expected = pl.DataFrame({ flag: [true, false] }).withColumns(
    pl.Series("day", ["2020-01-02", "2021-03-04"]).cast(pl.Date),
    pl.Series("at", ["2020-01-02T10:11:12", "2021-03-04T05:06:07"]).cast(pl.Datetime("us")),
  );
  assertFrameEqual(df, expected);
});

Deno.test("loadDataset() casts overrides strictly after reading formats without parse-time types", async () => {
  const dir = await tempDir();
  const path = join(dir, "typed.json");
  await Deno.writeTextFile(
    path,
    JSON.stringify([
      { n: 1.0, s: "2.5", b: "True", d: "2020-01-02", i: 1, t: "2020-01-02 10:11:12" },
      { n: 2.0, s: "7", b: "false", d: null, i: 0, t: "2021-03-04" },
    ]),
  );
  const df = loadDataset(path, {
    dtypes: { n: "int", s: "float", b: "bool", d: "date", i: "string", t: "datetime" },
  });
  const expected = pl.DataFrame({
    n: pl.Series("n", [1, 2], pl.Int64),
    s: pl.Series("s", [2.5, 7], pl.Float64),
    b: pl.Series("b", [true, false], pl.Bool),
    d: pl.Series("d", ["2020-01-02", null]).cast(pl.Date),
    i: pl.Series("i", ["1", "0"], pl.Utf8),
    t: pl.Series("t", ["2020-01-02T10:11:12", "2021-03-04T00:00:00"]).cast(pl.Datetime("us")),
  });
  assertFrameEqual(df, expected);
  // The lazy scan converts the same way.
  const ndjson = join(dir, "typed.ndjson");
  expected.select("s", "t").withColumns(pl.col("t").cast(pl.Utf8)).writeJSON(ndjson, {
    format: "lines",
  });
  const scanned = scanDataset(ndjson, { dtypes: { t: "datetime" } }).collectSync();
  assertFrameEqual(scanned, expected.select("s", "t"));
});

Deno.test("loadDataset() names the column, row, line and value when a CSV value breaks its override", () => {
  assert.throws(
    () => loadDataset(join(FIXTURES, "bad_override.csv"), { dtypes: { mass: "int" } }),
    {
      name: "SchemaMismatchError",
      message:
        /column "mass" has value "heavy" at row 3 \(line 4\) that does not convert to int; fix the data or change data\.dtypes\."mass"/,
    },
  );
});

Deno.test("loadDataset() names the row and value when a cast after reading fails, never nulling it", async () => {
  const dir = await tempDir();
  const path = join(dir, "fractions.parquet");
  pl.DataFrame({ x: [1.0, 2.0, 2.5, 3.5] }).writeParquet(path);
  assert.throws(() => loadDataset(path, { dtypes: { x: "int" } }), {
    name: "SchemaMismatchError",
    message:
      /column "x" has value 2\.5 at row 3 that does not convert to int \(2 values fail in all\)/,
  });
  const text = join(dir, "text.ndjson");
  await Deno.writeTextFile(text, '{"flag":"true"}\n{"flag":"yes"}\n');
  assert.throws(() => loadDataset(text, { dtypes: { flag: "bool" } }), {
    name: "SchemaMismatchError",
    message: /column "flag" has value "yes" at row 2 that does not convert to bool/,
  });
});

Deno.test("loadDataset() rejects an override of a column that does not exist or cannot convert", async () => {
  assert.throws(() => loadDataset(PENGUINS, { dtypes: { Sexx: "string" } }), {
    name: "SchemaMismatchError",
    message: /unknown column "Sexx": did you mean "Sex"/,
  });
  const dir = await tempDir();
  const path = join(dir, "dates.parquet");
  pl.DataFrame({ d: pl.Series("d", ["2020-01-02"]).cast(pl.Date) }).writeParquet(path);
  assert.throws(() => loadDataset(path, { dtypes: { d: "float" } }), {
    name: "SchemaMismatchError",
    message: /column "d" holds date values, which do not convert to float/,
  });
});

Deno.test("loadDataset() reports the missing file's absolute path and the data:pull remedy under data/raw", async () => {
  const dir = await tempDir();
  const missing = join(dir, "data", "raw", "cars.json");
  assert.throws(() => loadDataset(missing), (error: Error) => {
    assert.equal(error.name, "ArtifactError");
    assert.ok(error.message.includes(`"${missing}"`), error.message);
    assert.match(
      error.message,
      /does not exist; check the path; the files listed in data\/manifest\.json are copied there by `deno task data:pull`/,
    );
    return true;
  });
  const cwd = Deno.cwd();
  assert.throws(() => loadDataset("no/such/file.csv"), (error: Error) => {
    assert.ok(error.message.includes(`"${join(cwd, "no/such/file.csv")}"`), error.message);
    assert.match(error.message, /check data\.path/);
    return true;
  });
});

Deno.test("loadDataset() lists the supported extensions for an unsupported one", () => {
  assert.throws(() => loadDataset("table.xlsx"), {
    name: "ArtifactError",
    message:
      /unsupported file extension "\.xlsx" \(supported: \.csv, \.tsv, \.parquet, \.json, \.ndjson, \.jsonl, \.arrow, \.ipc, \.feather\)/,
  });
});

Deno.test("loadDataset() reports the 1-based line of ragged rows, counting quoted line breaks", () => {
  assert.throws(() => loadDataset(join(FIXTURES, "ragged.csv")), {
    name: "ArtifactError",
    message:
      /line 4 has 4 fields, expected 3 as in the header \(2 malformed lines in all, the first at lines 4, 8\)/,
  });
});

Deno.test("loadDataset() reports a row with too few fields instead of padding it with nulls", () => {
  assert.throws(() => loadDataset(join(FIXTURES, "short_row.csv")), {
    name: "ArtifactError",
    message: /line 3 has 2 fields, expected 3 as in the header; fix the row/,
  });
});

Deno.test("loadDataset() reports a blank line inside the data instead of adding a null row", async () => {
  const dir = await tempDir();
  const path = join(dir, "blank.csv");
  await Deno.writeTextFile(path, "a,b\n1,2\n\n3,4\n");
  assert.throws(() => loadDataset(path), {
    name: "ArtifactError",
    message: /line 3 is blank, expected 2/,
  });
});

Deno.test("loadDataset() accepts empty fields, which are nulls, not ragged rows", async () => {
  const dir = await tempDir();
  const path = join(dir, "nulls.csv");
  await Deno.writeTextFile(path, "a,b\n1,\n,4\r\n");
  assertFrameEqual(
    loadDataset(path),
    pl.DataFrame({
      a: pl.Series("a", [1, null], pl.Int64),
      b: pl.Series("b", [null, 4], pl.Int64),
    }),
  );
});

Deno.test("loadDataset() tells an empty file from a header-only file", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "empty.csv"), "");
  assert.throws(() => loadDataset(join(dir, "empty.csv")), {
    name: "ArtifactError",
    message: /the file is empty \(0 bytes\)/,
  });
  assert.throws(() => loadDataset(join(FIXTURES, "header_only.csv")), {
    name: "ArtifactError",
    message: /the file has a header line \(3 columns\) but no data rows/,
  });
  await Deno.writeTextFile(join(dir, "empty.json"), "[]");
  assert.throws(() => loadDataset(join(dir, "empty.json")), {
    name: "ArtifactError",
    message: /the file holds no records/,
  });
});

Deno.test("loadDataset() reports the line and column of invalid JSON", () => {
  assert.throws(() => loadDataset(join(FIXTURES, "invalid.json")), {
    name: "ArtifactError",
    message: /invalid JSON at line 3, column 12: .*; fix the file/,
  });
});

Deno.test("loadDataset() rejects JSON that is not an array of records", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "object.json"), '\n {"a": [1, 2]}');
  assert.throws(() => loadDataset(join(dir, "object.json")), {
    name: "ArtifactError",
    message: /expected a JSON array of records, found "\{" at line 2, column 2/,
  });
});

Deno.test("loadDataset() reports the line of invalid NDJSON", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "bad.ndjson"), '{"a": 1}\n\n{"a": 2\n{"a": 3}\n');
  assert.throws(() => loadDataset(join(dir, "bad.ndjson")), {
    name: "ArtifactError",
    message: /line 3 is not valid JSON \(.*\); fix the line/,
  });
  await Deno.writeTextFile(join(dir, "list.ndjson"), '{"a": 1}\n[1, 2]\n');
  assert.throws(() => loadDataset(join(dir, "list.ndjson")), {
    name: "ArtifactError",
    message: /line 2 holds an array, expected a JSON object/,
  });
});

Deno.test("loadDataset() wraps a polars failure once, with the file, the format and the cause", async () => {
  const dir = await tempDir();
  await Deno.writeTextFile(join(dir, "fake.parquet"), "not parquet at all\n");
  assert.throws(() => loadDataset(join(dir, "fake.parquet")), (error: Error) => {
    assert.equal(error.name, "ArtifactError");
    assert.match(
      error.message,
      /^Cannot load dataset ".*fake\.parquet" as parquet: .*; check that the file is valid parquet/,
    );
    assert.ok(error.cause instanceof Error);
    return true;
  });
});

Deno.test("scanDataset() scans CSV and Parquet lazily with column selection and overrides", async () => {
  const dir = await tempDir();
  sampleFrame().writeParquet(join(dir, "a.parquet"));
  const parquet = scanDataset(join(dir, "a.parquet"), {
    columns: ["id", "mass"],
    dtypes: { id: "float" },
  })
    .filter(pl.col("id").gt(1))
    .collectSync();
  assertFrameEqual(parquet, pl.DataFrame({ id: [2.0, 3.0, 4.0], mass: [null, 4100, 2900.25] }));
  const csv = scanDataset(PENGUINS, {
    columns: ["Body Mass (g)"],
    dtypes: { "Body Mass (g)": "float" },
  })
    .collectSync();
  assert.equal(String(csv.getColumn("Body Mass (g)").dtype), "DataType(Float64)");
  assert.equal(csv.height, 344);
  assertFrameEqual(scanDataset(PENGUINS).collectSync(), loadDataset(PENGUINS));
});

Deno.test("scanDataset() scans NDJSON and Arrow, and wraps JSON arrays eagerly", async () => {
  const dir = await tempDir();
  const expected = sampleFrame();
  expected.writeJSON(join(dir, "a.ndjson"), { format: "lines" });
  expected.writeIPC(join(dir, "a.feather"));
  for (const name of ["a.ndjson", "a.feather", "late.json"]) {
    const path = name === "late.json" ? join(FIXTURES, "late_float.json") : join(dir, name);
    const lazy = scanDataset(path);
    assert.equal(typeof lazy.collectSync, "function", name);
    assertFrameEqual(lazy.collectSync(), loadDataset(path), name);
  }
});

Deno.test("scanDataset() converts overrides strictly when collected", async () => {
  const dir = await tempDir();
  const path = join(dir, "fractions.parquet");
  pl.DataFrame({ x: [1.0, 2.5] }).writeParquet(path);
  const lazy = scanDataset(path, { dtypes: { x: "int" } });
  assert.throws(() => lazy.collectSync(), /conversion from `f64` to `i64` failed in column 'x'/);
  assert.throws(() => scanDataset(PENGUINS, { columns: ["Speces"] }), {
    name: "SchemaMismatchError",
    message: /did you mean "Species"/,
  });
});

Deno.test("detectFormat() maps extensions case-insensitively and rejects unknown ones", () => {
  assert.equal(detectFormat("a/b.CSV"), "csv");
  assert.equal(detectFormat("x.tsv"), "tsv");
  assert.equal(detectFormat("x.jsonl"), "ndjson");
  assert.equal(detectFormat("x.feather"), "arrow");
  assert.equal(detectFormat("x.ipc"), "arrow");
  assert.throws(() => detectFormat("README"), {
    name: "ArtifactError",
    message: /no file extension/,
  });
});

Deno.test("loadDataset() handles columns named like frame members, such as height and select", async () => {
  const dir = await tempDir();
  const path = join(dir, "members.csv");
  await Deno.writeTextFile(path, "height,select,columns,width\n1.5,a,x,\n2,b,y,3\n");
  const df = loadDataset(path, {
    columns: ["select", "height", "width"],
    dtypes: { width: "float" },
  });
  assert.deepEqual(df.lazy().columns, ["select", "height", "width"]);
  assert.deepEqual(df.toRecords(), [
    { select: "a", height: 1.5, width: null },
    { select: "b", height: 2, width: 3 },
  ]);
  const json = join(dir, "members.json");
  await Deno.writeTextFile(json, '[{"height": 1, "filter": "a"}]');
  assert.deepEqual(loadDataset(json, { dtypes: { height: "float" } }).toRecords(), [{
    height: 1,
    filter: "a",
  }]);
  await Deno.writeTextFile(join(dir, "header.csv"), "height,width\n");
  assert.throws(() => loadDataset(join(dir, "header.csv")), {
    message: /header line \(2 columns\)/,
  });
});

// ---------------------------------------------------------------- data.* reading options

Deno.test("loadDataset() reads separator, quote, null markers and date formats from data options", async () => {
  const dir = await tempDir();
  const path = join(dir, "semi.csv");
  await Deno.writeTextFile(
    path,
    "id;name;mass;day\n1;'Smith; John';NA;02/01/2020\n2;?;3.5;03/01/2020\n3;Li;4;\n",
  );
  const df = loadDataset(path, {
    separator: ";",
    quote: "'",
    null_markers: ["NA", "?"],
    date_formats: { day: "%d/%m/%Y" },
  });
  assertFrameEqual(
    df,
    pl.DataFrame({
      id: pl.Series("id", [1, 2, 3], pl.Int64),
      name: pl.Series("name", ["Smith; John", null, "Li"], pl.Utf8),
      mass: pl.Series("mass", [null, 3.5, 4], pl.Float64),
      day: pl.Series("day", [new Date(Date.UTC(2020, 0, 2)), new Date(Date.UTC(2020, 0, 3)), null])
        .cast(pl.Date),
    }),
  );
  // The lazy scan reads the same options.
  assertFrameEqual(
    scanDataset(path, {
      separator: ";",
      quote: "'",
      null_markers: ["NA", "?"],
      date_formats: { day: "%d/%m/%Y" },
    }).collectSync(),
    df,
  );
});

Deno.test("loadDataset() reads a datetime format, and data.dtypes datetime makes a date format a datetime", async () => {
  const dir = await tempDir();
  const path = join(dir, "times.csv");
  await Deno.writeTextFile(
    path,
    "at,on,x\n2020-01-02 10:30,2020/01/02,1\n2020-01-03 11:45,2020/01/03,2\n",
  );
  const df = loadDataset(path, {
    date_formats: { at: "%Y-%m-%d %H:%M", on: "%Y/%m/%d" },
    dtypes: { on: "datetime" },
  });
  assert.deepEqual(df.dtypes.map(String), [
    String(pl.Datetime("us")),
    String(pl.Datetime("us")),
    String(pl.Int64),
  ]);
  assert.deepEqual(
    (df.getColumn("at").toArray() as unknown as Date[]).map((d) => d.toISOString()),
    ["2020-01-02T10:30:00.000Z", "2020-01-03T11:45:00.000Z"],
  );
});

Deno.test("loadDataset() refuses a value that does not match its date format, naming the row", async () => {
  const dir = await tempDir();
  const path = join(dir, "mixed.csv");
  await Deno.writeTextFile(
    path,
    "day,x\n2020-01-02,1\n03/01/2020,2\n2020-01-04,3\n2020-01-05 10:00,4\n",
  );
  assert.throws(() => loadDataset(path, { date_formats: { day: "%Y-%m-%d" } }), {
    name: "SchemaMismatchError",
    message:
      /column "day" has value "03\/01\/2020" at row 2 that does not match data\.date_formats\."day" "%Y-%m-%d" \(2 values fail in all\); fix the value or the format/,
  });
  assert.throws(() => loadDataset(path, { date_formats: { nope: "%Y" } }), {
    name: "SchemaMismatchError",
    message: /unknown column "nope"/,
  });
  assert.throws(() => loadDataset(path, { date_formats: { x: "%Y" }, dtypes: { x: "int" } }), {
    name: "ConfigError",
    message: /data\.dtypes types it int; set data\.dtypes\."x" to date or datetime/,
  });
});

Deno.test("loadDataset() names data.separator when a header splits at another separator", async () => {
  const dir = await tempDir();
  for (const [separator, shown] of [[";", '";"'], ["\t", '"\\t"'], ["|", '"|"']] as const) {
    const path = join(dir, "wrong.csv");
    await Deno.writeTextFile(
      path,
      ["a", "b", "c"].join(separator) + "\n" + ["1", "2,5", "x"].join(separator) + "\n",
    );
    assert.throws(() => loadDataset(path), {
      name: "ArtifactError",
      message: new RegExp(
        `the header reads as one column .* but it splits into 3 columns at ${
          shown.replace(/[|\\]/g, "\\$&")
        }; set data\\.separator: ${shown.replace(/[|\\]/g, "\\$&")}$`,
      ),
    });
    assert.deepEqual(loadDataset(path, { separator }).columns, ["a", "b", "c"]);
  }
});

Deno.test("loadDataset() decodes latin1 and reads invalid UTF-8 with utf8-lossy", async () => {
  const dir = await tempDir();
  const path = join(dir, "latin.csv");
  // "café" in Latin-1: é is the single byte 0xE9.
  await Deno.writeFile(
    path,
    new Uint8Array([
      ...new TextEncoder().encode("name,x\ncaf"),
      0xe9,
      ...new TextEncoder().encode(",1\n"),
    ]),
  );
  assert.deepEqual(loadDataset(path, { encoding: "latin1" }).getColumn("name").toArray(), ["café"]);
  assert.deepEqual(loadDataset(path, { encoding: "utf8-lossy" }).getColumn("name").toArray(), [
    "caf\uFFFD",
  ]);
});

Deno.test("formats that are not delimited text refuse separator, quote, encoding and null markers", async () => {
  const dir = await tempDir();
  const path = join(dir, "a.json");
  sampleFrame().writeJSON(path, { format: "json" });
  for (
    const [key, options] of [
      ["separator", { separator: ";" }],
      ["quote", { quote: "'" }],
      ["encoding", { encoding: "latin1" as const }],
      ["null_markers", { null_markers: ["NA"] }],
    ] as const
  ) {
    assert.throws(() => loadDataset(path, options), {
      name: "ConfigError",
      message: new RegExp(
        `the json format does not read data\\.${key} .*it applies to delimited text files \\(csv, tsv\\) only; remove data\\.${key}`,
      ),
    });
  }
  // Date formats apply to text columns of any format.
  const dates = join(dir, "d.json");
  await Deno.writeTextFile(dates, '[{"d": "2020-01-02", "x": 1}]');
  assert.equal(
    String(loadDataset(dates, { date_formats: { d: "%Y-%m-%d" } }).dtypes[0]),
    String(pl.Date),
  );
});
