/**
 * Options and artifact validation shared by the transformers: the `columns` param, parsing
 * options with their key paths, reading `{ kind, version, params, state }` back, and the
 * consistency checks of a learned state.
 *
 * @module
 */
import { z } from "zod";
import { ArtifactError, DataValidationError, didYouMean } from "../../errors.ts";
import type { ValidationIssue } from "../../errors.ts";
import type { JsonObject } from "./_json.ts";
import { listNames } from "./_columns.ts";

const CORRUPTED = "the file is corrupted or was edited, refit the pipeline";

const COLUMNS_MESSAGE = "expected a non-empty list of column names";

/** The `columns` param every transformer accepts: which columns to transform (default: all). */
export const COLUMNS_PARAM = z
  .array(z.string({ error: COLUMNS_MESSAGE }).min(1, { error: COLUMNS_MESSAGE }), {
    error: COLUMNS_MESSAGE,
  })
  .min(1, { error: COLUMNS_MESSAGE })
  .refine((names) => new Set(names).size === names.length, {
    error: "expected column names without repeats",
  })
  .optional();

/** The state field holding the columns of the frame given to `fit`. */
export const INPUT_COLUMNS_STATE = z.array(z.string());

/** One problem found while checking options or params: a key path and what was wrong. */
export interface ParamIssue {
  /** Dotted key path inside the params object, e.g. `top_n` or `feature_range[1]`. */
  path: string;
  /** What was expected and what was found, e.g. `expected a positive integer, got 0`. */
  message: string;
}

/**
 * Turns zod issues into `ParamIssue`s with the offending value quoted and close key names
 * suggested.
 *
 * @param issues the zod issues
 * @param input the value that was parsed
 * @param knownKeys the parameter names the schema accepts, for unknown-key suggestions
 * @param noun what a key is called in messages
 * @returns one issue per problem (one per unknown key)
 * @example
 * ```ts
 * paramIssues(result.error.issues, params, ["top_n"]);
 * ```
 */
export function paramIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  knownKeys: readonly string[],
  noun = "parameter",
): ParamIssue[] {
  return issues.flatMap((issue): ParamIssue[] => {
    const path = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: path === "" ? key : `${path}.${key}`,
        message: `unknown ${noun}${didYouMean(key, knownKeys)} (known: ${listNames(knownKeys)})`,
      }));
    }
    const value = valueAt(input, issue.path);
    // Our schemas word their messages "expected ..."; zod's own start with a capital.
    const detail = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
    return [{ path, message: `${detail}, got ${formatValue(value)}` }];
  });
}

/**
 * Validates options against a transformer's params schema, for direct (non-config) use.
 *
 * @param schema the strict params schema of the transformer
 * @param options the options as given
 * @param kind the transformer kind, for the message
 * @returns the parsed options
 * @throws {TypeError} when an option has the wrong type or is unknown
 * @throws {RangeError} when an option is out of range
 * @example
 * ```ts
 * const options = parseOptions(ONE_HOT_ENCODER_PARAMS, this.#options, "OneHotEncoder");
 * ```
 */
export function parseOptions<T>(schema: z.ZodType<T>, options: unknown, kind: string): T {
  const result = schema.safeParse(options);
  if (result.success) return result.data;
  const knownKeys = objectKeys(schema);
  const issues = paramIssues(result.error.issues, options, knownKeys);
  const text = issues.map((issue) => `option ${issue.path}: ${issue.message}`).join("; ");
  const typeProblem = result.error.issues.some((issue) =>
    issue.code === "invalid_type" || issue.code === "unrecognized_keys"
  );
  const message = `Cannot fit "${kind}": ${text}`;
  throw typeProblem ? new TypeError(message) : new RangeError(message);
}

/**
 * Returns the keys of a zod object schema (empty for other schemas).
 *
 * @param schema a zod schema
 * @returns its shape's keys
 * @example
 * ```ts
 * objectKeys(z.strictObject({ a: z.number() })); // ["a"]
 * ```
 */
export function objectKeys(schema: z.ZodType): string[] {
  const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
  return shape === undefined ? [] : Object.keys(shape);
}

/**
 * Checks a serialised transformer and returns its validated params and state.
 *
 * @param json the value read from an artifact
 * @param kind the kind the caller rebuilds
 * @param version the state version the caller understands
 * @param paramsSchema the transformer's params schema
 * @param stateSchema the transformer's state schema
 * @returns the params and state, typed
 * @throws {ArtifactError} when the kind, version, params or state do not match
 * @example
 * ```ts
 * const { params, state } = readState(json, "StandardScaler", 1, PARAMS, STATE);
 * ```
 */
export function readState<P, S>(
  json: unknown,
  kind: string,
  version: number,
  paramsSchema: z.ZodType<P>,
  stateSchema: z.ZodType<S>,
): { params: P; state: S } {
  const action = `Cannot load "${kind}" from JSON`;
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ArtifactError(
      `${action}: expected an object { kind, version, params, state }, got ${formatValue(json)}`,
    );
  }
  const record = json as Record<string, unknown>;
  if (record.kind !== kind) {
    throw new ArtifactError(`${action}: kind is ${formatValue(record.kind)}, expected "${kind}"`);
  }
  if (record.version !== version) {
    throw new ArtifactError(
      `${action}: unsupported version ${
        formatValue(record.version)
      }, expected ${version}; refit the pipeline with this version of deno-mlops`,
    );
  }
  const params = paramsSchema.safeParse(record.params ?? {});
  if (!params.success) {
    const issues = paramIssues(params.error.issues, record.params, objectKeys(paramsSchema));
    throw new ArtifactError(
      `${action}: invalid params: ${
        issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")
      }; ${CORRUPTED}`,
    );
  }
  const state = stateSchema.safeParse(record.state);
  if (!state.success) {
    const issues = paramIssues(state.error.issues, record.state, objectKeys(stateSchema), "field");
    throw new ArtifactError(
      `${action}: invalid state: ${
        issues.map((issue) => `${issue.path || "state"}: ${issue.message}`).join("; ")
      }; ${CORRUPTED}`,
    );
  }
  return { params: params.data, state: state.data };
}

/**
 * Throws `DataValidationError` unless every learned number is finite.
 *
 * A statistic becomes infinite when the data holds infinities or values too large to sum, and
 * it could not be written to JSON.
 *
 * @param kind the transformer kind
 * @param stats learned numbers per column
 * @throws {DataValidationError} naming each column with a non-finite statistic
 * @example
 * ```ts
 * requireFiniteStats("StandardScaler", { a: [mean, std] });
 * ```
 */
export function requireFiniteStats(kind: string, stats: Record<string, number[]>): void {
  const bad = Object.entries(stats).filter(([, values]) => values.some((v) => !Number.isFinite(v)));
  if (bad.length === 0) return;
  const issues: ValidationIssue[] = bad.map(([column, values]) => ({
    column,
    rule: "max",
    count: values.filter((v) => !Number.isFinite(v)).length,
    message: `column "${column}" gives non-finite statistics ${JSON.stringify(values.map(String))}`,
    examples: [],
    rows: [],
  }));
  throw new DataValidationError(
    `Cannot fit "${kind}": ${
      bad.map(([column]) => `"${column}"`).join(", ")
    } holds infinite or too-large values, expected finite numbers; clip or drop them in cleaning`,
    issues,
  );
}

/**
 * Returns params as a JSON object: keys whose value is `undefined` are left out and arrays are
 * copied.
 *
 * @param params parsed params
 * @returns a JSON object safe to store
 * @example
 * ```ts
 * jsonParams({ columns: undefined, top_n: 3 }); // { top_n: 3 }
 * ```
 */
export function jsonParams(params: object): JsonObject {
  return JSON.parse(JSON.stringify(params)) as JsonObject;
}

/**
 * Compares strings by UTF-16 code units, the stable order used for categories.
 *
 * @param a a string
 * @param b another string
 * @returns negative, zero or positive
 * @example
 * ```ts
 * ["b", "a"].sort(compareText); // ["a", "b"]
 * ```
 */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Formats a value for an error message: strings quoted, numbers and booleans as written.
 *
 * @param value any value
 * @returns its display form; `nothing` for `undefined`
 * @example
 * ```ts
 * formatValue("ten"); // '"ten"'
 * ```
 */
export function formatValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return String(value);
  if (typeof value === "bigint" || typeof value === "function" || typeof value === "symbol") {
    return String(value);
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/**
 * Throws `ArtifactError` when a loaded state is inconsistent (lengths or names that do not
 * agree), which `readState`'s schemas cannot see.
 *
 * @param ok whether the state is consistent
 * @param kind the transformer kind
 * @param detail what is inconsistent, e.g. `"mean" has 2 values for 3 columns`
 * @throws {ArtifactError} when `ok` is false
 * @example
 * ```ts
 * requireConsistentState(state.mean.length === state.columns.length, "StandardScaler", "...");
 * ```
 */
export function requireConsistentState(ok: boolean, kind: string, detail: string): void {
  if (!ok) {
    throw new ArtifactError(
      `Cannot load "${kind}" from JSON: invalid state: ${detail}; ${CORRUPTED}`,
    );
  }
}

/**
 * Checks that the per-column arrays of a state have one entry per column and that the
 * transformed columns are among the input columns.
 *
 * @param kind the transformer kind
 * @param state the loaded state with `input_columns` and `columns`
 * @param arrays per-column arrays by field name
 * @throws {ArtifactError} when a length or a name does not agree
 * @example
 * ```ts
 * requireColumnArrays("StandardScaler", state, { mean: state.mean, scale: state.scale });
 * ```
 */
export function requireColumnArrays(
  kind: string,
  state: { input_columns: readonly string[]; columns: readonly string[] },
  arrays: Record<string, readonly unknown[]>,
): void {
  const inputs = new Set(state.input_columns);
  const stray = state.columns.filter((name) => !inputs.has(name));
  requireConsistentState(
    stray.length === 0,
    kind,
    `columns ${listNames(stray)} are not in input_columns ${listNames(state.input_columns)}`,
  );
  requireConsistentState(
    new Set(state.columns).size === state.columns.length && state.columns.length > 0,
    kind,
    `columns ${listNames(state.columns)} must be a non-empty list without repeats`,
  );
  for (const [field, values] of Object.entries(arrays)) {
    requireConsistentState(
      values.length === state.columns.length,
      kind,
      `"${field}" has ${values.length} entries for ${state.columns.length} columns`,
    );
  }
}
