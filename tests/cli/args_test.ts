import assert from "node:assert/strict";
import {
  CONFIG_ARG_SPEC,
  configOptionsFromArgs,
  formatUsage,
  parseTaskArgs,
} from "../../src/cli/_args.ts";

const SPEC = {
  flags: ["dry-run"],
  options: ["config", "out"],
  multi: ["set"],
  positional: 1,
};

Deno.test("parseTaskArgs() reads flags, options in both forms, repeated options and positionals", () => {
  const parsed = parseTaskArgs(
    [
      "--config",
      "cars",
      "--out=preds.csv",
      "--set",
      "training.epochs=5",
      "--dry-run",
      "input.csv",
      "--set=a.b=[1, 2]",
    ],
    SPEC,
  );
  assert.deepEqual(parsed, {
    flags: { help: false, "dry-run": true },
    options: { config: "cars", out: "preds.csv" },
    multi: { set: ["training.epochs=5", "a.b=[1, 2]"] },
    positional: ["input.csv"],
  });
});

Deno.test("parseTaskArgs() fills every declared flag and multi option when none are given", () => {
  assert.deepEqual(parseTaskArgs([], SPEC), {
    flags: { help: false, "dry-run": false },
    options: {},
    multi: { set: [] },
    positional: [],
  });
});

Deno.test("parseTaskArgs() accepts --help and -h without declaring them", () => {
  assert.equal(parseTaskArgs(["--help"], {}).flags["help"], true);
  assert.equal(parseTaskArgs(["-h"], {}).flags["help"], true);
});

Deno.test("parseTaskArgs() treats everything after -- and negative numbers as positionals", () => {
  const parsed = parseTaskArgs(["-3", "--", "--config"], { options: ["config"], positional: 2 });
  assert.deepEqual(parsed.positional, ["-3", "--config"]);
  assert.deepEqual(parsed.options, {});
});

Deno.test("parseTaskArgs() throws UsageError naming the closest known option for an unknown one", () => {
  assert.throws(() => parseTaskArgs(["--confgi", "cars"], SPEC), {
    name: "UsageError",
    message:
      'Cannot parse arguments: unknown option "--confgi": did you mean "--config", run with --help to see the options',
  });
  assert.throws(() => parseTaskArgs(["--zzzzzz"], SPEC), {
    name: "UsageError",
    message:
      'Cannot parse arguments: unknown option "--zzzzzz", run with --help to see the options',
  });
  assert.throws(() => parseTaskArgs(["-c", "cars"], SPEC), {
    name: "UsageError",
    message: /unknown option "-c".*write options as --name/,
  });
});

Deno.test("parseTaskArgs() throws UsageError for a missing value, a repeated option, a flag value and extra positionals", () => {
  assert.throws(() => parseTaskArgs(["--config"], SPEC), {
    name: "UsageError",
    message: /"--config" needs a value/,
  });
  assert.throws(() => parseTaskArgs(["--config", "--dry-run"], SPEC), {
    name: "UsageError",
    message: /"--config" needs a value/,
  });
  assert.throws(() => parseTaskArgs(["--out", "a", "--out", "b"], SPEC), {
    name: "UsageError",
    message: /"--out" is given twice \("a" and "b"\)/,
  });
  assert.throws(() => parseTaskArgs(["--dry-run=yes"], SPEC), {
    name: "UsageError",
    message: /"--dry-run" is a flag and takes no value/,
  });
  assert.throws(() => parseTaskArgs(["a.csv", "b.csv"], SPEC), {
    name: "UsageError",
    message:
      'Cannot parse arguments: expected at most 1 positional argument, got 2 ("a.csv", "b.csv")',
  });
});

Deno.test("parseTaskArgs() throws TypeError when the spec declares a name twice", () => {
  assert.throws(() => parseTaskArgs([], { flags: ["x"], options: ["x"] }), { name: "TypeError" });
});

Deno.test("configOptionsFromArgs() maps --config to the profile and --set to overrides", () => {
  const parsed = parseTaskArgs(
    [
      "--config",
      "config/profiles/cars.yaml",
      "--set",
      "training.epochs=5",
      "--set",
      "serve.port=9000",
    ],
    CONFIG_ARG_SPEC,
  );
  assert.deepEqual(configOptionsFromArgs(parsed), {
    profile: "config/profiles/cars.yaml",
    overrides: ["training.epochs=5", "serve.port=9000"],
  });
  assert.deepEqual(configOptionsFromArgs(parseTaskArgs([], CONFIG_ARG_SPEC)), {
    profile: null,
    overrides: [],
  });
});

Deno.test("formatUsage() lists every option with its description and the help flag", () => {
  const usage = formatUsage(
    "predict",
    {
      ...SPEC,
      descriptions: { ...CONFIG_ARG_SPEC.descriptions, out: "where to write predictions" },
    },
    "Predict with the production model.",
  );
  assert.equal(
    usage,
    [
      "Usage: deno task predict [options] [arg]",
      "",
      "Predict with the production model.",
      "",
      "Options:",
      "  --config <value>  the profile instead of the default one, e.g. cars or config/profiles/cars.yaml",
      "  --out <value>     where to write predictions",
      "  --set <value>     override one value, e.g. --set training.epochs=5 (repeatable)",
      "  --dry-run",
      "  -h, --help        show this help",
      "",
    ].join("\n"),
  );
});
