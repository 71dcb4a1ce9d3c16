/**
 * Property-based fuzzing (npm `fast-check`) of every place that reads untrusted input: the config
 * loader (YAML text, `--set` overrides, environment variables, objects), the data loaders (CSV,
 * TSV, JSON, NDJSON, and bytes that are none of them), the validator, and the prediction request
 * parser, alone and through the HTTP app.
 *
 * Each property holds when the code returns a result or throws one of the project's typed errors
 * for that input: never another exception, never longer than {@link FuzzOptions.maxCaseMs} for
 * one case, never a polluted `Object.prototype`, and never a silently wrong number (numbers that
 * go in come out unchanged; rule counts match a count made here in plain TypeScript).
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import pl from "nodejs-polars";
import { stringify as toYaml } from "yaml";
import { loadConfig, parseConfig } from "../../src/config/mod.ts";
import type { ColumnRules, ValidationConfig } from "../../src/config/mod.ts";
import { loadDataset, validate } from "../../src/data/mod.ts";
import type { ColumnSignature } from "../../src/data/mod.ts";
import { flattenConfig, promoteRun } from "../../src/models/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import { createApp, ModelHolder, parseCsvRows, parseJsonRows } from "../../src/serve/mod.ts";
import type { RowsSchema } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { DataValidationError } from "../../src/errors.ts";
import type { ValidationIssue } from "../../src/errors.ts";
import { makeTempProject, REPO_ROOT } from "./project.ts";

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /**
   * Cases per property.
   * @default 200
   */
  numRuns?: number;
  /**
   * The fast-check seed; print it so a failure replays.
   * @default 1
   */
  seed?: number;
  /**
   * Only these properties (by name); `null` runs all.
   * @default null
   */
  only?: readonly string[] | null;
  /**
   * Longest one case may take, in ms, before it counts as a hang.
   * @default 5000
   */
  maxCaseMs?: number;
}

/** Defaults of {@link FuzzOptions}. */
export const DEFAULT_FUZZ_OPTIONS: Readonly<Required<FuzzOptions>> = {
  numRuns: 200,
  seed: 1,
  only: null,
  maxCaseMs: 5_000,
};

/** The outcome of one property. */
export interface FuzzResult {
  /** The property's name, e.g. `config: YAML text`. */
  name: string;
  /** Cases run. */
  runs: number;
  /** The seed (replay with it). */
  seed: number;
  /** Whether a case broke the property. */
  failed: boolean;
  /** fast-check's report of the failure (counterexample, seed, path), or `null`. */
  report: string | null;
  /** How the cases ended: `ok`, or the typed error's name, with counts. */
  outcomes: Record<string, number>;
  /** The slowest case, in ms (a case re-run after a stall counts with its second time). */
  slowestMs: number;
  /**
   * Cases slower than the hang limit once but not when run again (the machine was busy); a case
   * slow twice fails the property.
   */
  stalls: number;
}

/** The names of the properties, in the order they run. */
export const FUZZ_PROPERTIES = [
  "config: YAML text",
  "config: --set overrides and environment",
  "config: objects (parseConfig)",
  "data: CSV and TSV text",
  "data: numbers survive CSV and JSON exactly",
  "data: JSON and NDJSON",
  "data: bytes that are no format",
  "validator: rules and counts",
  "request: JSON body parser",
  "request: CSV body parser",
  "request: the HTTP app end to end",
] as const;

interface Context {
  /** A project whose config files the YAML property replaces. */
  yamlRoot: string;
  /** A valid project for overrides. */
  root: string;
  /** Real key paths of the config, for overrides. */
  keyPaths: string[];
  /** A folder for data files. */
  dataDir: string;
  /** The app serving a trained run, built on first use. */
  app: () => Promise<{ request: (body: string, type: string) => Promise<Response> }>;
  /** Closes what the context opened. */
  close: () => Promise<void>;
}

/**
 * Runs the fuzz properties and returns one result per property; failures are returned, not
 * thrown (see {@link assertFuzzPassed}).
 *
 * @param options cases per property, seed, a subset, the hang limit
 * @returns the results, in {@link FUZZ_PROPERTIES} order
 * @example
 * ```ts
 * const results = await runFuzz({ numRuns: 200, seed: 42 });
 * assertFuzzPassed(results);
 * ```
 */
export async function runFuzz(options: FuzzOptions = {}): Promise<FuzzResult[]> {
  const settings = { ...DEFAULT_FUZZ_OPTIONS, ...options };
  const context = await makeContext();
  const results: FuzzResult[] = [];
  try {
    for (const name of FUZZ_PROPERTIES) {
      if (settings.only !== null && !settings.only.includes(name)) continue;
      results.push(await runProperty(name, context, settings));
    }
  } finally {
    await context.close();
  }
  return results;
}

/**
 * Throws fast-check's report of every failed property.
 *
 * @param results the results of {@link runFuzz}
 * @throws {AssertionError} listing each failure with its seed and counterexample
 * @example
 * ```ts
 * assertFuzzPassed(await runFuzz());
 * ```
 */
export function assertFuzzPassed(results: readonly FuzzResult[]): void {
  const failed = results.filter((r) => r.failed);
  assert.equal(
    failed.length,
    0,
    failed.map((r) => `${r.name} (seed ${r.seed}):\n${r.report}`).join("\n\n"),
  );
}

// ---------------------------------------------------------------------------------------------

async function runProperty(
  name: (typeof FUZZ_PROPERTIES)[number],
  context: Context,
  settings: Required<FuzzOptions>,
): Promise<FuzzResult> {
  const outcomes: Record<string, number> = {};
  let slowest = 0;
  let stalls = 0;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).join(",");
  /** Runs one case: checks time and prototypes, counts the outcome. */
  const guard = async (run: () => Promise<string> | string) => {
    const timed = async () => {
      const started = performance.now();
      try {
        return { outcome: await run(), ms: performance.now() - started };
      } finally {
        assert.equal(
          Object.getOwnPropertyNames(Object.prototype).join(","),
          prototypeKeys,
          "Object.prototype was polluted",
        );
        assert.equal(({} as Record<string, unknown>)["polluted"], undefined, "prototype polluted");
      }
    };
    let { outcome, ms } = await timed();
    if (ms > settings.maxCaseMs) {
      // A hang repeats; a stall of a busy machine does not: run the case once more to tell.
      const again = await timed();
      assert.ok(
        again.ms <= settings.maxCaseMs,
        `one case took ${Math.round(ms)} ms twice (a hang)`,
      );
      stalls++;
      ({ outcome, ms } = again);
    }
    slowest = Math.max(slowest, ms);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  const property = PROPERTIES[name](context, guard);
  const details = await fc.check(property, { numRuns: settings.numRuns, seed: settings.seed });
  return {
    name,
    runs: details.numRuns,
    seed: settings.seed,
    failed: details.failed,
    report: details.failed
      ? `${fc.defaultReportMessage(details) ?? "failed"}\nError: ${
        details.errorInstance instanceof Error
          ? details.errorInstance.message
          : String(details.errorInstance)
      }`
      : null,
    outcomes,
    slowestMs: Math.round(slowest * 10) / 10,
    stalls,
  };
}

type Guard = (run: () => Promise<string> | string) => Promise<void>;
type PropertyFactory = (
  context: Context,
  guard: Guard,
  // deno-lint-ignore no-explicit-any -- each property has its own tuple of generated values
) => fc.IAsyncProperty<any>;

/** Runs `fn`; returns `ok`, or the name of an allowed error, or rethrows anything else. */
async function outcomeOf(fn: () => unknown, allowed: readonly string[]): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    if (!allowed.includes(name)) {
      throw new Error(
        `unexpected ${name} (allowed: ${allowed.join(", ")}): ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    assert.ok((error as Error).message.length > 0, `${name} without a message`);
    return name;
  }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const YAML_TOKENS = [
  "project:",
  "  name: fuzz",
  "  seed: -1",
  "data:",
  "  path: data/raw/penguins.csv",
  "  path: ../../etc/passwd",
  "  target: Species",
  "  task: clustering",
  "training:",
  "  epochs: 5",
  "  epochs: -3",
  "  epochs: 1e309",
  "  epochs: .nan",
  "  epochs: !!str 5",
  "split:",
  "  test_size: 2",
  "anchors: &a [1, 2, *a]",
  "bomb: &b [*b, *b]",
  "<<: *a",
  "ref: *undefined",
  "!!binary AAAA",
  "!replace",
  "!!js/function 'function () {}'",
  "!!python/object:os.system",
  "__proto__: {polluted: 1}",
  "constructor: {prototype: {polluted: 1}}",
  "? [complex, key]",
  "%YAML 1.2",
  "%TAG ! tag:x,2000:",
  "---",
  "...",
  "- item",
  "{",
  "}",
  "[",
  "]",
  '"unterminated',
  "'single",
  "\t",
  ": ",
  "~",
  "null",
  "key: value: other",
  "  - nested: [",
];

function yamlText(): fc.Arbitrary<string> {
  const real = Deno.readTextFileSync(`${REPO_ROOT}/config/config.yaml`);
  const lines = real.split("\n");
  const token = fc.oneof(
    fc.constantFrom(...YAML_TOKENS),
    fc.string({ maxLength: 20 }),
    fc.constantFrom(...lines),
  );
  const edited = fc.array(
    fc.tuple(fc.nat(lines.length), fc.nat(3), token),
    { minLength: 1, maxLength: 6 },
  ).map((edits) => {
    const out = [...lines];
    for (const [at, kind, text] of edits) {
      if (kind === 0) out.splice(at, 1);
      else if (kind === 1) out.splice(at, 0, text);
      else if (kind === 2) out[at] = `${out[at] ?? ""}${text}`;
      else out.splice(at, 0, ...out.slice(at, at + 3));
    }
    return out.join("\n");
  });
  return fc.oneof(
    { arbitrary: edited, weight: 3 },
    { arbitrary: fc.array(token, { maxLength: 30 }).map((t) => t.join("\n")), weight: 2 },
    {
      arbitrary: fc.anything({ maxDepth: 4, withNullPrototype: true }).map((v) => {
        try {
          return toYaml(v);
        } catch {
          return String(v);
        }
      }),
      weight: 1,
    },
    { arbitrary: fc.string({ unit: "binary", maxLength: 300 }), weight: 1 },
  );
}

const CELLS = [
  "",
  "NaN",
  "nan",
  "inf",
  "-inf",
  "Infinity",
  "1e309",
  "-1e309",
  "1e308",
  "0x1F",
  "1_000",
  " 42 ",
  "null",
  "NA",
  "true",
  "FALSE",
  "2024-02-30",
  "2024-01-01T00:00:00Z",
  '"',
  '""',
  "a,b",
  "a\nb",
  "\r",
  "\u0000",
  "é",
  "😀",
  "\ufeff",
];

function csvText(): fc.Arbitrary<{ text: string; sep: string; header: string[] }> {
  const cell = fc.oneof(
    fc.constantFrom(...CELLS),
    fc.string({ maxLength: 8 }),
    fc.double().map(String),
    fc.integer().map(String),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  );
  return fc.record({
    header: fc.array(
      fc.oneof(
        fc.constantFrom("a", "b", "a", "", "^a$", "*", "__proto__"),
        fc.string({ maxLength: 6 }),
      ),
      {
        minLength: 1,
        maxLength: 5,
      },
    ),
    rows: fc.array(fc.array(cell, { maxLength: 6 }), { maxLength: 8 }),
    sep: fc.constantFrom(",", "\t"),
    quote: fc.boolean(),
    endNewline: fc.boolean(),
  }).map(({ header, rows, sep, quote, endNewline }) => {
    const field = (value: string) =>
      quote && /[",\t\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
    const text = [header, ...rows].map((r) => r.map(field).join(sep)).join("\n") +
      (endNewline ? "\n" : "");
    return { text, sep, header };
  });
}

const KEYS = [
  "Island",
  "Sex",
  "Beak Length (mm)",
  "Beak Depth (mm)",
  "Flipper Length (mm)",
  "Body Mass (g)",
  "Species",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "",
];

function requestValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(null, true, false, 1e308, -1e308, 5e-324, 0, -0),
    fc.constantFrom("NaN", "Infinity", "-Infinity", "1e308", "1e309", "", " 42 ", "0x10", "Dream"),
    fc.constantFrom("Biscoe", "Dream", "Torgersen", "MALE", "FEMALE", "."),
    fc.string({ maxLength: 12 }),
    fc.jsonValue({ maxDepth: 1 }),
  );
}

function requestRow(): fc.Arbitrary<unknown> {
  const full = fc.record(
    Object.fromEntries(KEYS.slice(0, 6).map((k) => [k, requestValue()])),
  ) as fc.Arbitrary<Record<string, unknown>>;
  return fc.oneof(
    { arbitrary: full, weight: 4 },
    {
      arbitrary: fc.tuple(full, fc.constantFrom(...KEYS), requestValue()).map(([row, k, v]) => {
        const copy = { ...row };
        Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true });
        return copy;
      }),
      weight: 2,
    },
    {
      arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), requestValue(), {
        maxKeys: 8,
      }),
      weight: 1,
    },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 },
  );
}

/** A row a model can score: numbers around the training ranges, known or unseen categories. */
function scorableRow(): fc.Arbitrary<Record<string, unknown>> {
  const around = (min: number, max: number) =>
    fc.double({ min: min - (max - min), max: max + (max - min), noNaN: true });
  return fc.record({
    "Beak Length (mm)": around(33.1, 59.6),
    "Beak Depth (mm)": around(13.1, 21.2),
    "Flipper Length (mm)": fc.oneof(around(172, 231), around(172, 231).map(String)),
    "Body Mass (g)": around(2700, 6300),
    Island: fc.constantFrom("Biscoe", "Dream", "Torgersen", "Atlantis"),
    Sex: fc.constantFrom("MALE", "FEMALE", "MALE"),
  });
}

function requestBody(): fc.Arbitrary<string> {
  return fc.oneof(
    {
      arbitrary: fc.array(scorableRow(), { minLength: 1, maxLength: 12 }).map((rows) =>
        stringify({ rows })
      ),
      weight: 3,
    },
    {
      arbitrary: fc.array(requestRow(), { maxLength: 12 }).map((rows) => stringify({ rows })),
      weight: 6,
    },
    {
      arbitrary: fc.tuple(fc.array(requestRow(), { maxLength: 4 }), fc.string()).map((
        [rows, key],
      ) => stringify({ rows, [key]: 1 })),
      weight: 1,
    },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map(stringify), weight: 1 },
    { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
    {
      arbitrary: fc.constantFrom(
        '{"rows": [{"Island": NaN}]}',
        '{"rows": [{"Island": Infinity}]}',
        '{"__proto__": {"polluted": 1}, "rows": []}',
        '{"rows": [{"__proto__": {"polluted": 1}}]}',
        '{"rows": {"length": 5}}',
        '{"rows": null}',
        "",
        "[]",
      ),
      weight: 1,
    },
  );
}

/** JSON text of a value (`undefined` and functions become `null`). */
function stringify(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

/** The penguins run's input signature, for the parser alone. */
const PENGUIN_SCHEMA: RowsSchema = {
  inputs: [
    numeric("Beak Length (mm)", 33.1, 59.6),
    numeric("Beak Depth (mm)", 13.1, 21.2),
    numeric("Flipper Length (mm)", 172, 231),
    numeric("Body Mass (g)", 2700, 6300),
    {
      name: "Island",
      kind: "categorical",
      dtype: "String",
      categories: ["Biscoe", "Dream", "Torgersen"],
      nullable: false,
    },
    {
      name: "Sex",
      kind: "categorical",
      dtype: "String",
      categories: ["FEMALE", "MALE"],
      nullable: false,
    },
  ],
  idColumns: [],
  target: "Species",
};

function numeric(name: string, min: number, max: number): ColumnSignature {
  return { name, kind: "numeric", dtype: "Float64", min, max, nullable: false };
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const CONFIG_ERRORS = ["ConfigError"];
const DATA_ERRORS = ["ArtifactError", "SchemaMismatchError"];
const REQUEST_STATUSES = new Set([400, 413, 415, 422]);

const PROPERTIES: Record<(typeof FUZZ_PROPERTIES)[number], PropertyFactory> = {
  "config: YAML text": (context, guard) =>
    fc.asyncProperty(yamlText(), (text) =>
      guard(async () => {
        await Deno.writeTextFile(`${context.yamlRoot}/config/config.yaml`, text);
        return await outcomeOf(() => loadConfig({ root: context.yamlRoot }), CONFIG_ERRORS);
      })),

  "config: --set overrides and environment": (context, guard) => {
    const path = fc.oneof(
      fc.constantFrom(...context.keyPaths),
      fc.constantFrom("__proto__.polluted", "constructor.prototype.polluted", "a[999999999]", "x."),
      fc.string({ maxLength: 20 }),
    );
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map(stringify),
      fc.constantFrom(".nan", ".inf", "1e309", "&a [*a]", "!!binary AA", "", "[", "{a: 1}"),
      fc.string({ maxLength: 20 }),
    );
    const env = fc.dictionary(
      fc.string({ maxLength: 20 }).map((k) => `DENO_MLOPS__${k}`),
      fc.string({ maxLength: 20 }),
      { maxKeys: 2 },
    );
    return fc.asyncProperty(
      fc.array(fc.tuple(path, value), { maxLength: 3 }),
      env,
      fc.array(fc.string({ maxLength: 30 }), { maxLength: 1 }),
      (sets, variables, raw) =>
        guard(() =>
          outcomeOf(
            () =>
              loadConfig({
                root: context.root,
                overrides: [...sets.map(([p, v]) => `${p}=${v}`), ...raw],
                env: variables,
              }),
            CONFIG_ERRORS,
          )
        ),
    );
  },

  "config: objects (parseConfig)": (_context, guard) => {
    const base = {
      data: { path: "data/raw/penguins.csv", target: "Species" },
      training: { epochs: 5 },
    };
    const mutated = fc.tuple(
      fc.constantFrom(
        "data",
        "training",
        "split",
        "validation",
        "cleaning",
        "features",
        "serve",
        "registry",
        "model",
        "__proto__",
        "constructor",
      ),
      fc.anything({
        maxDepth: 3,
        withNullPrototype: true,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
      }),
    ).map(([key, value]) => {
      const copy: Record<string, unknown> = structuredClone(base);
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true });
      return copy;
    });
    return fc.asyncProperty(
      fc.oneof(mutated, fc.anything({ maxDepth: 3 })),
      (raw) => guard(() => outcomeOf(() => parseConfig(raw), [...CONFIG_ERRORS, "TypeError"])),
    );
  },

  "data: CSV and TSV text": (context, guard) =>
    fc.asyncProperty(
      csvText(),
      fc.dictionary(
        fc.constantFrom("a", "b", "c", ""),
        fc.constantFrom("string", "float", "int", "bool", "date", "datetime"),
        { maxKeys: 2 },
      ),
      fc.boolean(),
      (csv, dtypes, select) =>
        guard(async () => {
          const path = `${context.dataDir}/fuzz.${csv.sep === "," ? "csv" : "tsv"}`;
          await Deno.writeTextFile(path, csv.text);
          return await outcomeOf(
            () =>
              loadDataset(path, {
                dtypes: dtypes as Record<string, "string">,
                columns: select ? csv.header.slice(0, 1) : null,
              }),
            DATA_ERRORS,
          );
        }),
    ),

  "data: numbers survive CSV and JSON exactly": (context, guard) => {
    const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) =>
      Object.is(x, -0) ? 0 : x
    );
    return fc.asyncProperty(
      fc.array(fc.tuple(finite, fc.integer({ min: -(2 ** 52), max: 2 ** 52 })), {
        minLength: 1,
        maxLength: 30,
      }),
      fc.constantFrom("csv", "json", "ndjson"),
      (rows, format) =>
        guard(async () => {
          const path = `${context.dataDir}/numbers.${format}`;
          const records = rows.map(([x, n]) => ({ x, n }));
          const text = format === "csv"
            ? `x,n\n${rows.map(([x, n]) => `${x},${n}`).join("\n")}\n`
            : format === "json"
            ? JSON.stringify(records)
            : records.map((r) => JSON.stringify(r)).join("\n") + "\n";
          await Deno.writeTextFile(path, text);
          const frame = loadDataset(path, { dtypes: { x: "float", n: "int" } });
          assert.deepEqual(frame.getColumn("x").toArray(), rows.map(([x]) => x), "x changed");
          assert.deepEqual(
            (frame.getColumn("n").toArray() as Array<number | bigint>).map(Number),
            rows.map(([, n]) => n),
            "n changed",
          );
          return "ok";
        }),
    );
  },

  "data: JSON and NDJSON": (context, guard) => {
    const record = fc.dictionary(
      fc.oneof(fc.constantFrom("a", "b", "__proto__", "constructor"), fc.string({ maxLength: 5 })),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 4 },
    );
    const json = fc.oneof(
      fc.array(record, { maxLength: 6 }).map(stringify),
      fc.jsonValue({ maxDepth: 3 }).map(stringify),
      fc.string({ maxLength: 100 }),
    );
    const ndjson = fc.array(
      fc.oneof(record.map(stringify), fc.jsonValue({ maxDepth: 2 }).map(stringify), fc.string()),
      { maxLength: 6 },
    ).map((lines) => lines.join("\n"));
    return fc.asyncProperty(
      fc.oneof(json.map((t) => ["json", t] as const), ndjson.map((t) => ["ndjson", t] as const)),
      fc.dictionary(
        fc.constantFrom("a", "b"),
        fc.constantFrom("string", "float", "int", "bool", "date"),
        {
          maxKeys: 1,
        },
      ),
      ([format, text], dtypes) =>
        guard(async () => {
          const path = `${context.dataDir}/fuzz.${format}`;
          await Deno.writeTextFile(path, text);
          return await outcomeOf(
            () => loadDataset(path, { dtypes: dtypes as Record<string, "string"> }),
            DATA_ERRORS,
          );
        }),
    );
  },

  "data: bytes that are no format": (context, guard) =>
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 400 }),
      fc.constantFrom("csv", "tsv", "json", "ndjson", "parquet", "arrow"),
      (bytes, format) =>
        guard(async () => {
          const path = `${context.dataDir}/bytes.${format}`;
          await Deno.writeFile(path, bytes);
          return await outcomeOf(() => loadDataset(path), DATA_ERRORS);
        }),
    ),

  "validator: rules and counts": (_context, guard) => {
    const float = fc.oneof(
      fc.double(),
      fc.constantFrom(null, Number.NaN, Infinity, -Infinity, 0, 1e308),
    );
    const text = fc.oneof(
      fc.constantFrom(null, "a", "b", "", "Dream"),
      fc.string({ maxLength: 3 }),
    );
    const integer = fc.oneof(fc.constant(null), fc.integer({ min: -5, max: 5 }));
    const rules = fc.record({
      dtype: fc.option(fc.constantFrom("string", "float", "int", "bool", "date", "datetime"), {
        nil: undefined,
      }),
      nullable: fc.boolean(),
      min: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
      max: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }),
      allowed: fc.option(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 3 }),
            fc.integer({ min: -5, max: 5 }),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.boolean(),
          ),
          { maxLength: 4 },
        ),
        { nil: undefined },
      ),
      unique: fc.boolean(),
    }).map((r) =>
      Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as ColumnRules
    );
    return fc.asyncProperty(
      fc.nat(25).chain((n) =>
        fc.tuple(
          fc.array(float, { minLength: n, maxLength: n }),
          fc.array(text, { minLength: n, maxLength: n }),
          fc.array(integer, { minLength: n, maxLength: n }),
        )
      ),
      fc.dictionary(fc.constantFrom("f", "s", "i", "missing"), rules, { maxKeys: 4 }),
      fc.nat(30),
      fc.option(fc.constantFrom("f", "s", "target"), { nil: null }),
      fc.boolean(),
      ([f, s, i], columns, minRows, target, strict) =>
        guard(async () => {
          const frame = pl.DataFrame([
            pl.Series("f", f, pl.Float64),
            pl.Series("s", s, pl.Utf8),
            pl.Series("i", i, pl.Int64),
          ]);
          const schema: ValidationConfig = { strict, min_rows: minRows, columns };
          let report: { issues: ValidationIssue[]; rows: number } | null = null;
          const outcome = await outcomeOf(() => {
            try {
              report = validate(frame, schema, { target });
            } catch (error) {
              // Strict mode throws every issue: check them as a report.
              if (error instanceof DataValidationError) {
                report = { issues: error.issues, rows: f.length };
              }
              throw error;
            }
          }, ["SchemaMismatchError", "DataValidationError"]);
          if (report !== null) checkCounts(report, { f, s, i }, columns, minRows);
          return outcome;
        }),
    );
  },

  "request: JSON body parser": (_context, guard) =>
    fc.asyncProperty(requestBody(), (body) =>
      guard(() => {
        let parsed: ReturnType<typeof parseJsonRows> | null = null;
        const outcome = requestOutcome(() => {
          parsed = parseJsonRows(body, PENGUIN_SCHEMA, { maxRows: 10 });
        });
        if (parsed !== null) checkParsedNumbers(body, parsed);
        return outcome;
      })),

  "request: CSV body parser": (_context, guard) =>
    fc.asyncProperty(csvText(), fc.boolean(), (csv, realHeader) =>
      guard(() => {
        const header = PENGUIN_SCHEMA.inputs.map((c) => JSON.stringify(c.name)).join(",");
        const text = realHeader
          ? `${header}\n${csv.text.split("\n").slice(1).join("\n")}`
          : csv.text;
        return requestOutcome(() => parseCsvRows(text, PENGUIN_SCHEMA, { maxRows: 5 }));
      })),

  "request: the HTTP app end to end": (context, guard) =>
    fc.asyncProperty(
      fc.oneof(
        { arbitrary: requestBody().map((b) => [b, "application/json"] as const), weight: 4 },
        {
          arbitrary: csvText().map((c) => [c.text, "text/csv; charset=utf-8"] as const),
          weight: 1,
        },
        {
          arbitrary: fc.tuple(fc.string({ maxLength: 50 }), fc.string({ maxLength: 30 })),
          weight: 1,
        },
      ),
      async ([body, type]) => {
        // Built (a run trained and loaded) before the first case is timed.
        const { request } = await context.app();
        await guard(async () => {
          const response = await request(body, type);
          const answer = await response.json();
          if (response.status !== 200) {
            assert.ok(
              REQUEST_STATUSES.has(response.status),
              `status ${response.status}: ${JSON.stringify(answer)}`,
            );
            assert.equal(typeof answer.message, "string");
            return `HTTP ${response.status}`;
          }
          const sent = JSON.parse(body).rows as unknown[];
          assert.equal(answer.predictions.length, sent.length, "one prediction per row");
          for (const p of answer.predictions) {
            const probabilities = Object.values(p.probabilities ?? {}) as number[];
            assert.ok(probabilities.every((v) => Number.isFinite(v) && v >= 0 && v <= 1));
            const total = probabilities.reduce((a, b) => a + b, 0);
            assert.ok(Math.abs(total - 1) < 1e-4, `probabilities sum to ${total}`);
          }
          return "HTTP 200";
        });
      },
    ),
};

function requestOutcome(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    const status = (error as { status?: number }).status;
    if (name !== "RequestRejectedError" || status === undefined || !REQUEST_STATUSES.has(status)) {
      throw new Error(`unexpected ${name} (status ${status}): ${(error as Error).message}`, {
        cause: error,
      });
    }
    return `${name} ${status}`;
  }
}

/** Finite numbers sent in a scorable row come out of the parser unchanged. */
function checkParsedNumbers(body: string, parsed: ReturnType<typeof parseJsonRows>): void {
  const rows = (JSON.parse(body) as { rows: unknown[] }).rows;
  const unscorable = new Set(parsed.unscorable);
  rows.forEach((row, i) => {
    if (unscorable.has(i + 1) || typeof row !== "object" || row === null) return;
    for (const column of PENGUIN_SCHEMA.inputs) {
      const sent: unknown = (row as Record<string, unknown>)[column.name];
      if (typeof sent === "number" && column.kind === "numeric") {
        assert.equal(parsed.columns.get(column.name)![i], sent, `row ${i + 1} ${column.name}`);
      }
    }
  });
}

/** Rule counts of the validator against counts made here. */
function checkCounts(
  report: { issues: Array<{ column: string | null; rule: string; count: number }>; rows: number },
  data: { f: Array<number | null>; s: Array<string | null>; i: Array<number | null> },
  columns: Record<string, ColumnRules>,
  minRows: number,
): void {
  const found = (column: string | null, rule: string) =>
    report.issues.find((issue) => issue.column === column && issue.rule === rule)?.count ?? 0;
  assert.equal(report.rows, data.f.length);
  assert.equal(found(null, "min_rows"), data.f.length < minRows ? data.f.length : 0, "min_rows");
  if (columns["missing"] !== undefined) assert.equal(found("missing", "present"), 1, "present");
  const f = columns["f"];
  if (f !== undefined) {
    const values = data.f.filter((v): v is number => v !== null && !Number.isNaN(v));
    if (!f.nullable) {
      assert.equal(found("f", "nullable"), data.f.length - values.length, "f nullable");
    }
    if (f.min !== undefined) {
      assert.equal(found("f", "min"), values.filter((v) => v < f.min!).length, "f min");
    }
    if (f.max !== undefined) {
      assert.equal(found("f", "max"), values.filter((v) => v > f.max!).length, "f max");
    }
  }
  const s = columns["s"];
  if (s !== undefined) {
    const values = data.s.filter((v): v is string => v !== null);
    if (!s.nullable) assert.equal(found("s", "nullable"), data.s.length - values.length, "s null");
    if (s.allowed !== undefined) {
      const allowed = new Set(s.allowed.map(String));
      assert.equal(
        found("s", "allowed"),
        values.filter((v) => !allowed.has(v)).length,
        "s allowed",
      );
    }
    if (s.unique) {
      const seen = new Set<string>();
      const repeats = values.filter((v) => seen.has(v) || (seen.add(v), false)).length;
      assert.equal(found("s", "unique"), repeats, "s unique");
    }
  }
  const i = columns["i"];
  if (i !== undefined && i.unique) {
    const seen = new Set<number>();
    const values = data.i.filter((v): v is number => v !== null);
    const repeats = values.filter((v) => seen.has(v) || (seen.add(v), false)).length;
    assert.equal(found("i", "unique"), repeats, "i unique");
  }
}

// ---------------------------------------------------------------------------------------------

async function makeContext(): Promise<Context> {
  const yamlRoot = await makeTempProject();
  const root = await makeTempProject();
  const dataDir = await Deno.makeTempDir({ prefix: "deno-mlops-fuzz-" });
  const loaded = await loadConfig({ root });
  const keyPaths = [...flattenConfig(JSON.parse(JSON.stringify(loaded.config))).keys()];
  let built: { request: (body: string, type: string) => Promise<Response> } | null = null;
  let holder: ModelHolder | null = null;
  const app = async () => {
    if (built !== null) return built;
    using _logs = captureLogs({ level: "fatal" });
    const result = await runTraining(await loadConfig({ root, overrides: ["training.epochs=3"] }));
    result.model.dispose();
    await promoteRun(loaded.config.registry, loaded.config.project.name, { runId: result.id });
    holder = new ModelHolder(
      { ...loaded.config.registry, project: loaded.config.project.name },
      root,
    );
    await holder.refresh();
    const served = createApp(holder, { accessLog: false, maxRows: 20, maxBodyBytes: 65_536 });
    built = {
      request: (body, type) =>
        Promise.resolve(served.request("/v1/predict", {
          method: "POST",
          headers: { "content-type": type },
          body,
        })),
    };
    return built;
  };
  return {
    yamlRoot,
    root,
    keyPaths,
    dataDir,
    app,
    close: async () => {
      await (holder as ModelHolder | null)?.close();
      for (const dir of [yamlRoot, root, dataDir]) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    },
  };
}
