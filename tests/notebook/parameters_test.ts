/**
 * The value rules of a parameters cell (`let epochs = 30; // [integer >= 1] ...`): how they are
 * read, how injected values are checked against them, and that `deno task notebooks` refuses a
 * value out of range before any kernel starts, naming the notebook, the parameter and the range.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkNotebookParameters,
  describeRule,
  readNotebookParameters,
  readParameters,
} from "../../src/notebook/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("readParameters() reads a bracketed rule at the start of a declaration's comment", () => {
  const declared = readParameters(
    [
      "let epochs = 30; // [integer >= 1] training epochs",
      "let rate = 0.5 // [number > 0, <= 1]",
      "let folds = 5, repeats = 2; // [integer >= 2]",
      "let note = 3; // a comment with [brackets] later",
    ].join("\n"),
  );
  assert.deepEqual(
    declared.map(({ name, rule }) => [name, rule]),
    [
      ["epochs", { kind: "integer", min: 1, minInclusive: true, max: null, maxInclusive: true }],
      ["rate", { kind: "number", min: 0, minInclusive: false, max: 1, maxInclusive: true }],
      ["folds", null],
      ["repeats", { kind: "integer", min: 2, minInclusive: true, max: null, maxInclusive: true }],
      ["note", null],
    ],
  );
});

Deno.test("readParameters() names the line of a rule it cannot read", () => {
  assert.throws(() => readParameters("let a = 1;\nlet b = 2; // [positive]"), {
    name: "ConfigError",
    message: /the rule "\[positive\]" on line 2 is not of the form "\[integer >= 1\]"/,
  });
  assert.throws(() => readParameters("let b = 2; // [integer => 1]"), {
    name: "ConfigError",
    message: /the rule "\[integer => 1\]" on line 1/,
  });
});

Deno.test("describeRule() words the allowed range", () => {
  const [a, b, c] = readParameters(
    "let a = 1; // [integer >= 1]\nlet b = 0.5; // [number > 0, < 1]\nlet c = 1; // [integer]",
  );
  assert.equal(describeRule(a!.rule!), "an integer of at least 1");
  assert.equal(describeRule(b!.rule!), "a number greater than 0 and less than 1");
  assert.equal(describeRule(c!.rule!), "an integer");
});

Deno.test("every notebook gives its numeric parameters a rule, and its defaults satisfy it", async () => {
  const expected: Record<string, Record<string, string>> = {
    "01_eda.ipynb": {
      tableRows: "an integer of at least 1",
      topColumns: "an integer of at least 1",
    },
    "02_feature_engineering.ipynb": {
      tableRows: "an integer of at least 1",
      topK: "an integer of at least 1",
    },
    "03_model_experiments.ipynb": {
      epochs: "an integer of at least 1",
      folds: "an integer of at least 2",
    },
  };
  for (const [name, rules] of Object.entries(expected)) {
    const path = join(ROOT, "notebooks", name);
    const declared = await readNotebookParameters(path);
    const ruled = Object.fromEntries(
      declared.flatMap((p) => p.rule === null ? [] : [[p.name, describeRule(p.rule)]]),
    );
    assert.deepEqual(ruled, rules, name);
    // profile is typed "string | null" by its annotation.
    assert.equal(declared.find((p) => p.name === "profile")?.annotation, "string | null", name);
    const defaults = Object.fromEntries(
      declared.filter((p) => p.rule !== null).map((p) => [p.name, Number(p.defaultText)]),
    );
    await checkNotebookParameters(path, defaults);
  }
});

Deno.test("checkNotebookParameters() refuses values outside a rule, naming the notebook, the parameter, the range and --param", async () => {
  const path = join(ROOT, "notebooks", "01_eda.ipynb");
  for (const value of [-1, 0, 2.5]) {
    await assert.rejects(checkNotebookParameters(path, { tableRows: value }), {
      name: "ConfigError",
      message: new RegExp(
        `Cannot set parameter "tableRows" of notebook ".*01_eda\\.ipynb": expected an integer of at least 1 \\(the parameters cell says "\\[integer >= 1\\]"\\), got ${value}; e\\.g\\. --param tableRows=5`,
      ),
    });
  }
  await assert.rejects(checkNotebookParameters(path, { tableRows: "ten" }), {
    name: "ConfigError",
    message: /expected a number as declared \("let tableRows = 5"\), got string "ten"/,
  });
  await assert.rejects(checkNotebookParameters(path, { profile: 3 }), {
    name: "ConfigError",
    message: /parameter "profile" .*expected a string or a null/,
  });
  await checkNotebookParameters(path, { tableRows: 1, topColumns: 20, profile: null });
  await checkNotebookParameters(path, { profile: "cars" });
});

Deno.test("deno task notebooks --param tableRows=-1 is refused before any kernel starts", async () => {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "notebooks", "--param", "tableRows=-1"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  });
  const started = performance.now();
  const { code, stdout, stderr } = await command.output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.notEqual(code, 0, text);
  assert.match(
    text,
    /parameter "tableRows" of notebook "notebooks\/01_eda\.ipynb": expected an integer of at least 1 .*got -1; e\.g\. --param tableRows=5/,
  );
  // No notebook started: nothing was announced and nothing was written.
  assert.doesNotMatch(text, /▶/);
  assert.ok(performance.now() - started < 30_000, "refused without starting a kernel");
});
