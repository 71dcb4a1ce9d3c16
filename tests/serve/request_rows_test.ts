import assert from "node:assert/strict";
import {
  parseCsvRows,
  parseJsonRows,
  readBodyText,
  requestFormat,
  RequestRejectedError,
} from "../../src/serve/mod.ts";
import type { RequestProblem, RequestRows, RowsSchema } from "../../src/serve/mod.ts";

const SCHEMA: RowsSchema = {
  inputs: [
    { name: "Bill", kind: "numeric", dtype: "Float64", min: 30, max: 60, nullable: false },
    { name: "Eggs", kind: "numeric", dtype: "Int64", min: 0, max: 4, nullable: false },
    {
      name: "Island",
      kind: "categorical",
      dtype: "String",
      categories: ["Biscoe", "Dream"],
      nullable: false,
    },
    {
      name: "Banded",
      kind: "categorical",
      dtype: "Boolean",
      categories: ["false", "true"],
      nullable: false,
    },
  ],
  idColumns: ["id"],
  target: "Species",
};

/** Runs `fn`, expects a RequestRejectedError and returns it. */
function rejected(fn: () => unknown): RequestRejectedError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RequestRejectedError, `expected RequestRejectedError, got ${error}`);
    return error;
  }
  assert.fail("expected the call to throw");
}

function problemsOf(fn: () => RequestRows): RequestProblem[] {
  return fn().problems;
}

Deno.test("parseJsonRows() returns the values column by column, ids per row", () => {
  const rows = parseJsonRows(
    JSON.stringify({
      rows: [
        { id: "a", Bill: 41.5, Eggs: 2, Island: "Dream", Banded: true, Species: "Adelie" },
        { id: 7, Bill: " 39 ", Eggs: null, Island: "Biscoe", Banded: false },
      ],
    }),
    SCHEMA,
  );
  assert.equal(rows.count, 2);
  assert.deepEqual([...rows.columns.keys()], ["Bill", "Eggs", "Island", "Banded"]);
  assert.deepEqual(rows.columns.get("Bill"), [41.5, " 39 "]);
  assert.deepEqual(rows.columns.get("Eggs"), [2, null]);
  assert.deepEqual(rows.columns.get("Island"), ["Dream", "Biscoe"]);
  assert.deepEqual(rows.columns.get("Banded"), ["true", "false"]);
  assert.deepEqual(rows.ids, [{ id: "a" }, { id: 7 }]);
});

Deno.test("parseJsonRows() lists every problem with its row and column, and the rows at fault", () => {
  const rows = parseJsonRows(
    JSON.stringify({
      rows: [
        { Bill: 41, Eggs: 1, Island: "Dream", Banded: true, Isalnd: "x" },
        { Bill: 41, Island: "Dream", Banded: true },
        { Bill: true, Eggs: [1], Island: 5, Banded: { a: 1 } },
        "not a row",
        null,
        { Bill: 1e308, Eggs: 1, Island: "x".repeat(2000), Banded: true, id: {} },
        { Bill: 40, Eggs: 1, Island: "Dream", Banded: true },
      ],
    }),
    SCHEMA,
  );
  assert.equal(rows.count, 7);
  assert.deepEqual(rows.rejected, [1, 2, 3, 4, 5, 6]);
  // Row 1 only holds an unknown field: its values can still be checked by scoring.
  assert.deepEqual(rows.unscorable, [2, 3, 4, 5, 6]);
  assert.equal(rows.moreProblems, 0);
  assert.deepEqual(rows.problems, [
    {
      row: 1,
      column: "Isalnd",
      message:
        'unknown field: did you mean "Island"; the model takes ["Bill","Eggs","Island","Banded"] and id fields ["id"]',
    },
    {
      row: 2,
      column: "Eggs",
      message: "missing field: every row needs every input field (null marks an unknown value)",
    },
    {
      row: 3,
      column: "Bill",
      message: "expected a number, numeric text or null, found boolean true",
    },
    { row: 3, column: "Eggs", message: "expected a number, numeric text or null, found an array" },
    { row: 3, column: "Island", message: "expected text or null, found number 5" },
    { row: 3, column: "Banded", message: "expected text or null, found an object" },
    { row: 4, column: null, message: 'expected an object of field values, found text "not a row"' },
    { row: 5, column: null, message: "expected an object of field values, found null" },
    {
      row: 6,
      column: "Bill",
      message:
        "value 1e+308 is too far outside the training range [30, 60] to score (more than 1000000 times its width away); check the units",
    },
    {
      row: 6,
      column: "Island",
      message: "text is 2000 characters long, more than the 1024 allowed",
    },
    { row: 6, column: "id", message: "expected an id as text or a number, found an object" },
  ]);
});

Deno.test("parseJsonRows() refuses numbers that overflow to Infinity and __proto__ fields", () => {
  const problems = problemsOf(() =>
    parseJsonRows(
      '{"rows": [{"Bill": 1e400, "Eggs": 1, "Island": "Dream", "Banded": true, "__proto__": {"polluted": 1}}]}',
      SCHEMA,
    )
  );
  assert.deepEqual(problems.map((p) => [p.row, p.column, p.message.split(/[:;]/)[0]]), [
    [1, "__proto__", "unknown field"],
    [1, "Bill", "not a finite number"],
  ]);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
});

Deno.test("parseJsonRows() answers 400 for text that is not JSON, with a hint about NaN", () => {
  const error = rejected(() => parseJsonRows('{"rows": [{"Bill": NaN}]}', SCHEMA));
  assert.equal(error.status, 400);
  assert.equal(error.code, "invalid_json");
  assert.match(
    error.message,
    /^Cannot parse the request body as JSON: .*NaN and Infinity are not JSON/,
  );
});

Deno.test("parseJsonRows() answers 422 for a body that is not {rows: [...]} or has no rows", () => {
  const cases: Array<[string, RegExp]> = [
    ["[]", /the body is an array, expected \{"rows": \[\{\.\.\.\}, \.\.\.\]\}/],
    ['{"row": []}', /unknown top-level field "row": did you mean "rows"/],
    ["{}", /the body has no "rows" field/],
    ['{"rows": {"Bill": 1}}', /"rows" is an object/],
    ['{"rows": []}', /it has no rows; send at least one row/],
  ];
  for (const [body, message] of cases) {
    const error = rejected(() => parseJsonRows(body, SCHEMA));
    assert.equal(error.status, 422, body);
    assert.match(error.message, message, body);
  }
});

Deno.test("parseJsonRows() answers 413 for more rows than maxRows", () => {
  const row = { Bill: 40, Eggs: 1, Island: "Dream", Banded: true };
  const error = rejected(() =>
    parseJsonRows(JSON.stringify({ rows: [row, row, row] }), SCHEMA, { maxRows: 2 })
  );
  assert.equal(error.status, 413);
  assert.equal(error.code, "too_many_rows");
  assert.match(error.message, /it has 3 rows, more than the 2 allowed \(serve\.max_rows\)/);
});

Deno.test("parseJsonRows() caps the problem list and counts the rest", () => {
  const rows = Array.from(
    { length: 5 },
    () => ({ Bill: "x".repeat(10), Eggs: 1, Island: 1, Banded: true }),
  );
  const parsed = parseJsonRows(JSON.stringify({ rows }), SCHEMA, { maxProblems: 3 });
  assert.equal(parsed.problems.length, 3);
  // Two problems a row: Island is refused and Bill cannot be parsed as a number.
  assert.equal(parsed.moreProblems, 7);
  assert.deepEqual(parsed.rejected, [1, 2, 3, 4, 5]);
});

Deno.test("parseCsvRows() reads quoted fields, CRLF and empty fields as null", () => {
  const rows = parseCsvRows(
    '\uFEFFid,Bill,Eggs,Island,Banded\r\n"a,1",41.5,2,"Dre""am",true\r\n\r\nb,,0,Biscoe,false',
    SCHEMA,
  );
  assert.equal(rows.count, 2);
  assert.deepEqual(rows.columns.get("Bill"), ["41.5", null]);
  assert.deepEqual(rows.columns.get("Island"), ['Dre"am', "Biscoe"]);
  assert.deepEqual(rows.ids, [{ id: "a,1" }, { id: "b" }]);
});

Deno.test("parseCsvRows() answers 400 for malformed CSV instead of guessing", () => {
  const cases: Array<[string, RegExp]> = [
    [
      "Bill,Eggs,Island,Banded\n40,1,Dream,true,extra\n",
      /line 2 has 5 fields, expected 4 as in the header/,
    ],
    ["Bill,Eggs,Island,Banded\n40,1\n", /line 2 has 2 fields, expected 4/],
    ['Bill,Eggs,Island,Banded\n40,1,"Dream,true\n', /the quote opened on line 2 is never closed/],
    ['Bill,Eggs,Island,Banded\n40,1,"Dream"x,true\n', /text after a closing quote/],
    ["Bill,Bill,Eggs,Island,Banded\n", /column "Bill" appears twice in the header/],
  ];
  for (const [body, message] of cases) {
    const error = rejected(() => parseCsvRows(body, SCHEMA));
    assert.equal(error.status, 400, body);
    assert.equal(error.code, "invalid_csv");
    assert.match(error.message, message, body);
  }
});

Deno.test("parseCsvRows() reports unknown and missing columns, then bad values, by row", () => {
  const error = rejected(() => parseCsvRows("Bil,Eggs,Island\n40,1,Dream\n", SCHEMA));
  assert.equal(error.status, 422);
  assert.equal(error.code, "invalid_rows");
  assert.match(error.message, /the request has problems, so nothing was scored/);
  assert.deepEqual(error.problems.map((p) => [p.row, p.column, p.message.split(";")[0]]), [
    [null, "Bil", 'unknown field: did you mean "Bill"'],
    [null, "Bill", "missing column: the header needs every input column"],
    [null, "Banded", "missing column: the header needs every input column"],
  ]);
  const values = problemsOf(() =>
    parseCsvRows(
      `Bill,Eggs,Island,Banded\n40,1,Dream,true\n1e300,1,${"y".repeat(1100)},true\n`,
      SCHEMA,
    )
  );
  assert.deepEqual(values.map((p) => [p.row, p.column]), [[2, "Bill"], [2, "Island"]]);
});

Deno.test("parseCsvRows() answers 422 without rows and 413 past maxRows", () => {
  assert.equal(rejected(() => parseCsvRows("", SCHEMA)).status, 422);
  assert.equal(rejected(() => parseCsvRows("Bill,Eggs,Island,Banded\n", SCHEMA)).status, 422);
  const body = "Bill,Eggs,Island,Banded\n" + "40,1,Dream,true\n".repeat(4);
  const error = rejected(() => parseCsvRows(body, SCHEMA, { maxRows: 3 }));
  assert.equal(error.status, 413);
  assert.match(error.message, /more than 3 rows/);
});

Deno.test("parseCsvRows() never treats a body as a file path", () => {
  const empty = rejected(() => parseCsvRows("/etc/hostname", SCHEMA));
  assert.equal(empty.status, 422);
  assert.equal(empty.code, "no_rows");
  const problems = rejected(() => parseCsvRows("/etc/hostname\nx\n", SCHEMA)).problems;
  assert.equal(problems[0]!.column, "/etc/hostname");
  assert.match(problems[0]!.message, /^unknown field/);
});

Deno.test("requestFormat() accepts JSON and CSV with parameters and refuses the rest with 415", () => {
  assert.equal(requestFormat("application/json"), "json");
  assert.equal(requestFormat("Application/JSON; charset=UTF-8"), "json");
  assert.equal(requestFormat("text/csv;charset=utf-8"), "csv");
  for (
    const type of [
      null,
      "",
      "text/plain",
      "application/x-www-form-urlencoded",
      "text/csv; charset=latin1",
    ]
  ) {
    const error = rejected(() => requestFormat(type));
    assert.equal(error.status, 415, String(type));
    assert.equal(error.code, "unsupported_media_type");
  }
});

Deno.test("readBodyText() refuses a declared or streamed body over the limit with 413", async () => {
  const small = new Request("http://x/", { method: "POST", body: "héllo" });
  assert.equal(await readBodyText(small, 100), "héllo");
  const declared = new Request("http://x/", {
    method: "POST",
    body: "x".repeat(101),
    headers: { "content-length": "101" },
  });
  await assert.rejects(readBodyText(declared, 100), { name: "RequestRejectedError", status: 413 });
  const chunks = [new Uint8Array(60), new Uint8Array(60)];
  const streamed = new Request("http://x/", {
    method: "POST",
    body: new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    }),
  });
  await assert.rejects(readBodyText(streamed, 100), {
    name: "RequestRejectedError",
    status: 413,
    message: /over 100 bytes/,
  });
});

Deno.test("readBodyText() refuses bytes that are not UTF-8 with 400", async () => {
  const request = new Request("http://x/", {
    method: "POST",
    body: new Uint8Array([0x7b, 0xff, 0xfe]),
  });
  await assert.rejects(readBodyText(request, 100), {
    name: "RequestRejectedError",
    status: 400,
    code: "invalid_encoding",
  });
});

Deno.test("RequestRejectedError refuses a status that is not an HTTP error", () => {
  assert.throws(() => new RequestRejectedError(200, "ok", "x"), { name: "RangeError" });
  assert.deepEqual(new RequestRejectedError(404, "not_found", "gone").toBody(), {
    error: "not_found",
    message: "gone",
  });
});

Deno.test("parseJsonRows() reports a row's unparsable values beside its missing field", () => {
  const rows = parseJsonRows(
    JSON.stringify({
      rows: [
        { Bill: "long", Island: "Dream", Banded: true },
        { Bill: "inf", Eggs: "2.5", Island: 5, Banded: true },
        { Bill: "abc", Eggs: 1, Island: "Dream", Banded: true },
      ],
    }),
    SCHEMA,
  );
  assert.deepEqual(rows.rejected, [1, 2]);
  assert.deepEqual(rows.unscorable, [1, 2]);
  // Row 3 goes to scoring, whose own "cannot parse" problem it gets: nothing is listed twice.
  const sorted = [...rows.problems].sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  assert.deepEqual(sorted, [
    {
      row: 1,
      column: "Eggs",
      message: "missing field: every row needs every input field (null marks an unknown value)",
    },
    { row: 1, column: "Bill", message: 'cannot parse "long" as a number' },
    { row: 2, column: "Island", message: "expected text or null, found number 5" },
    { row: 2, column: "Bill", message: 'not a finite number: "inf"' },
    { row: 2, column: "Eggs", message: 'cannot parse "2.5" as an integer' },
  ]);
});

Deno.test("parseCsvRows() reports a row's unparsable values beside its refused value", () => {
  const rows = parseCsvRows(
    `Bill,Eggs,Island,Banded\nlong,1,${"x".repeat(2000)},true\n41,1,Dream,true\n`,
    SCHEMA,
  );
  assert.deepEqual(rows.unscorable, [1]);
  assert.deepEqual(rows.problems.map((p) => [p.row, p.column, p.message.slice(0, 28)]), [
    [1, "Island", "text is 2000 characters long"],
    [1, "Bill", 'cannot parse "long" as a num'],
  ]);
});

Deno.test("parseJsonRows() and parseCsvRows() read the run's null markers as null in input fields", () => {
  const schema: RowsSchema = { ...SCHEMA, nullMarkers: ["NA", "?"] };
  const json = parseJsonRows(
    JSON.stringify({
      rows: [
        { id: "NA", Bill: "NA", Eggs: 2, Island: "?", Banded: true },
        { id: "b", Bill: 40, Eggs: "?", Island: "na", Banded: false },
      ],
    }),
    schema,
  );
  assert.deepEqual(json.problems, []);
  assert.deepEqual(json.columns.get("Bill"), [null, 40]);
  assert.deepEqual(json.columns.get("Eggs"), [2, null]);
  // Markers match exactly, and ids are echoed as sent.
  assert.deepEqual(json.columns.get("Island"), [null, "na"]);
  assert.deepEqual(json.ids, [{ id: "NA" }, { id: "b" }]);
  const csv = parseCsvRows("Bill,Eggs,Island,Banded\nNA,1,Dream,true\n41,?,NA,false\n", schema);
  assert.deepEqual(csv.columns.get("Bill"), [null, "41"]);
  assert.deepEqual(csv.columns.get("Eggs"), ["1", null]);
  assert.deepEqual(csv.columns.get("Island"), ["Dream", null]);
  // Without markers the same text is kept, for scoring to judge.
  const plain = parseJsonRows(
    JSON.stringify({ rows: [{ Bill: "NA", Eggs: 1, Island: "?", Banded: true }] }),
    SCHEMA,
  );
  assert.deepEqual(plain.columns.get("Island"), ["?"]);
});
