import assert from "node:assert/strict";
import { formatJson } from "../../src/notebook/mod.ts";

const state = {
  kind: "ColumnTransformer",
  steps: [
    { name: "numeric", columns: ["Beak Length (mm)", "Beak Depth (mm)"], mean: [43.9, 17.2] },
    {
      name: "categorical",
      columns: ["Island", "Sex"],
      categories: [["Biscoe", "Dream"], ["FEMALE", "MALE"]],
    },
  ],
  empty: { list: [], map: {} },
};

Deno.test("formatJson() keeps what fits on one line and breaks only what does not", () => {
  assert.equal(formatJson({ a: [1, 2], b: "x" }), '{"a": [1, 2], "b": "x"}');
  assert.equal(
    formatJson(state, { width: 100 }),
    [
      "{",
      '  "kind": "ColumnTransformer",',
      '  "steps": [',
      '    {"name": "numeric", "columns": ["Beak Length (mm)", "Beak Depth (mm)"], "mean": [43.9, 17.2]},',
      "    {",
      '      "name": "categorical",',
      '      "columns": ["Island", "Sex"],',
      '      "categories": [["Biscoe", "Dream"], ["FEMALE", "MALE"]]',
      "    }",
      "  ],",
      '  "empty": {"list": [], "map": {}}',
      "}",
    ].join("\n"),
  );
});

Deno.test("formatJson() output stays within the width where it can and parses back to the value", () => {
  for (const width of [20, 40, 96]) {
    const text = formatJson(state, { width });
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(state)));
    const long = text.split("\n").filter((line) => line.length > width && /[[{]/.test(line));
    assert.deepEqual(long.filter((line) => !/[[{]$/.test(line)), [], `width ${width}`);
  }
  const compact = formatJson(state, { width: 96 }).split("\n").length;
  const indented = JSON.stringify(state, null, 2).split("\n").length;
  assert.ok(compact * 2 < indented, `${compact} lines against ${indented}`);
});

Deno.test("formatJson() honours toJSON, drops undefined members and refuses what JSON cannot hold", () => {
  assert.equal(formatJson({ at: { toJSON: () => "now" }, gone: undefined }), '{"at": "now"}');
  assert.throws(() => formatJson(undefined), { name: "TypeError", message: /no JSON form/ });
  assert.throws(() => formatJson(1, { width: 5 }), RangeError);
});

Deno.test("formatJson() fills the lines of a list of scalars that does not fit on one", () => {
  const columns = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];
  assert.equal(
    formatJson({ columns }, { width: 50 }),
    [
      "{",
      '  "columns": [',
      '    "Beak Length (mm)", "Beak Depth (mm)",',
      '    "Flipper Length (mm)", "Body Mass (g)"',
      "  ]",
      "}",
    ].join("\n"),
  );
});
