/**
 * The search space: checking the `search` section, sampling trials from it (grid or random),
 * and applying a trial's values to the base config at their key paths.
 *
 * @module
 */
import { ConfigError, didYouMean } from "../../errors.ts";
import type { ConfigIssue } from "../../errors.ts";
import { parseConfig, parseKeyPath, setAtKeyPath } from "../../config/mod.ts";
import type { Config, SearchConfig } from "../../config/mod.ts";
import { hasModelFamily, modelFamily } from "../../models/mod.ts";
import { Random } from "../../utils/mod.ts";

/** How trials are chosen from the search space. */
export const SEARCH_STRATEGIES = ["grid", "random"] as const;

/** A search strategy: `grid` (every combination, in a fixed order) or `random` (seeded draws). */
export type SearchStrategy = (typeof SEARCH_STRATEGIES)[number];

/** One hyperparameter's search space: a list of values, or a numeric range. */
export type SearchSpace = SearchConfig[string];

/** Trials a random search runs when `trials` is not given. */
export const DEFAULT_RANDOM_TRIALS = 20;

/** Most combinations a grid search enumerates without an explicit `trials` cap. */
export const MAX_GRID_TRIALS = 10_000;

/** One trial to run: its index, its seed and the config values it sets. */
export interface TrialSpec {
  /** The trial index, from 0, in sampling order. */
  id: number;
  /** `new Random(studySeed).derive("trial-<id>")`: the seed its random values were drawn from. */
  seed: number;
  /** The value of each search key (a dotted config path), in the order of the search space. */
  params: Record<string, unknown>;
}

/** Options of {@link sampleTrials}. */
export interface SampleTrialsOptions {
  /**
   * `grid` enumerates every combination (the first key changing slowest); `random` draws each
   * value independently from its list (uniformly) or range (in its scale).
   * @default "random"
   */
  strategy?: SearchStrategy;
  /**
   * How many trials: a cap for `grid`, the number of draws for `random`; `null` means every
   * combination for `grid` and {@link DEFAULT_RANDOM_TRIALS} for `random`.
   * @default null
   */
  trials?: number | null;
  /**
   * The study seed; trial `i` draws from `new Random(seed).derive("trial-" + i)`.
   * @default 42
   */
  seed?: number;
  /**
   * Values a grid search takes from each range: evenly spaced in the range's scale, ends
   * included (an integer range with fewer integers takes them all).
   * @default 5
   */
  gridPoints?: number;
}

/** Defaults of {@link SampleTrialsOptions}. */
export const DEFAULT_SAMPLE_TRIALS_OPTIONS: Readonly<Required<SampleTrialsOptions>> = {
  strategy: "random",
  trials: null,
  seed: 42,
  gridPoints: 5,
};

/**
 * Lists the trials of a search: every grid combination in a fixed order, or seeded random draws.
 *
 * Grid: the keys are taken in the order of the search space and the first key changes slowest;
 * a range contributes `gridPoints` values evenly spaced in its scale (log: geometric), rounded
 * to integers when `integer` is set; `trials` keeps the first combinations. Random: the value of
 * key `k` in trial `i` is drawn from `new Random(new Random(trialSeed).derive(k))`, where
 * `trialSeed = new Random(seed).derive("trial-" + i)`, so it depends on nothing but the seed, the
 * trial index and the key. A list value is chosen uniformly; a range value uniformly in its
 * scale (log: uniform in log space), as an integer when `integer` is set, and continuous values
 * are rounded to 6 significant digits so they read and copy well.
 *
 * @param search the search space: `config.search`, keyed by dotted config path
 * @param options the strategy, the number of trials, the seed and the grid resolution
 * @returns the trials, by index
 * @throws {ConfigError} naming `search.<key>` for an empty space, an empty list, a range whose
 *   low is not below its high, a log range with low <= 0, an integer range holding no integer,
 *   or overlapping keys; and for an unknown strategy or a bad `trials` or `gridPoints`
 * @example
 * ```ts
 * sampleTrials({ "training.learning_rate": [0.01, 0.1], "model.params.dropout": [0, 0.2] }, {
 *   strategy: "grid",
 * }).map((t) => t.params);
 * // [{ lr 0.01, dropout 0 }, { lr 0.01, dropout 0.2 }, { lr 0.1, dropout 0 }, { lr 0.1, dropout 0.2 }]
 * ```
 */
export function sampleTrials(search: SearchConfig, options: SampleTrialsOptions = {}): TrialSpec[] {
  const { strategy, trials, seed, gridPoints } = { ...DEFAULT_SAMPLE_TRIALS_OPTIONS, ...options };
  checkStrategy(strategy);
  if (trials !== null && (!Number.isSafeInteger(trials) || trials < 1)) {
    throw new ConfigError(
      `Cannot sample trials: "trials" is ${JSON.stringify(trials)}, expected a positive integer`,
    );
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new ConfigError(
      `Cannot sample trials: the seed is ${JSON.stringify(seed)}, expected a non-negative integer`,
    );
  }
  if (!Number.isSafeInteger(gridPoints) || gridPoints < 2) {
    throw new ConfigError(
      `Cannot sample trials: "gridPoints" is ${
        JSON.stringify(gridPoints)
      }, expected an integer of at least 2`,
    );
  }
  const keys = checkSearchSpace(search);
  const studyRng = new Random(seed);
  const trialSeed = (i: number) => studyRng.derive(`trial-${i}`);

  if (strategy === "random") {
    const count = trials ?? DEFAULT_RANDOM_TRIALS;
    return Array.from({ length: count }, (_, id) => {
      const seedOfTrial = trialSeed(id);
      const keyRng = new Random(seedOfTrial);
      const params: Record<string, unknown> = {};
      for (const key of keys) {
        params[key] = drawValue(search[key]!, new Random(keyRng.derive(key)));
      }
      return { id, seed: seedOfTrial, params };
    });
  }

  const axes = keys.map((key) => gridValues(search[key]!, gridPoints));
  const total = axes.reduce((product, values) => product * values.length, 1);
  if (trials === null && total > MAX_GRID_TRIALS) {
    throw new ConfigError(
      `Cannot enumerate the grid: it has ${total} combinations, more than ${MAX_GRID_TRIALS}; cap it with --trials N, shorten the lists, or use --strategy random`,
    );
  }
  const count = Math.min(trials ?? total, total);
  return Array.from({ length: count }, (_, id) => {
    const params: Record<string, unknown> = {};
    // Mixed-radix decoding of the index: the last key changes fastest.
    let rest = id;
    const picks = new Array<number>(keys.length);
    for (let j = keys.length - 1; j >= 0; j--) {
      const size = axes[j]!.length;
      picks[j] = rest % size;
      rest = Math.floor(rest / size);
    }
    keys.forEach((key, j) => {
      params[key] = structuredClone(axes[j]![picks[j]!]);
    });
    return { id, seed: trialSeed(id), params };
  });
}

/**
 * Formats a trial's values for tables and chart labels: `name=value` pairs, each key shortened
 * to its last segment when that is unambiguous.
 *
 * @param params the trial's values, keyed by dotted config path
 * @param ignored values the trial did not apply (another family's params), left out
 * @returns e.g. `hidden_units=[32,16] learning_rate=0.00312 dropout=0.1`
 * @example
 * ```ts
 * formatTrialParams({ "training.learning_rate": 0.0031234, "model.params.dropout": 0.1 });
 * // "learning_rate=0.003123 dropout=0.1"
 * ```
 */
export function formatTrialParams(
  params: Readonly<Record<string, unknown>>,
  ignored: Readonly<Record<string, unknown>> = {},
): string {
  const keys = Object.keys(params).filter((key) => !Object.hasOwn(ignored, key));
  const last = keys.map((key) => {
    const segments = parseKeyPath(key);
    const tail = segments[segments.length - 1];
    return typeof tail === "string" ? tail : key;
  });
  return keys.map((key, i) => {
    const short = last.filter((name) => name === last[i]).length === 1 ? last[i]! : key;
    return `${short}=${formatValue(params[key])}`;
  }).join(" ");
}

/**
 * Returns a copy of `config` with each search value set at its dotted path, validated.
 *
 * @param config the base config
 * @param params values keyed by dotted config path (`model.params.hidden_units`,
 *   `cleaning.nulls."Body Mass (g)".strategy`, `model.params.hidden_units[1]`)
 * @returns the trial's config
 * @throws {ConfigError} when a path cannot be set or the result is not a valid config
 * @example
 * ```ts
 * const trialConfig = applyTrialParams(config, { "training.learning_rate": 0.003 });
 * ```
 */
export function applyTrialParams(
  config: Config,
  params: Readonly<Record<string, unknown>>,
): Config {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  // A trial that switches family drops the base family's params first, as a config layer that
  // changes model.family does (see the config loader); its own model.params.* values follow.
  if (Object.hasOwn(params, FAMILY_KEY)) {
    const family = params[FAMILY_KEY];
    setAtPath(copy, FAMILY_KEY, family);
    if (family !== config.model.family) {
      setAtPath(copy, "model.params", {});
      // The loader also drops the old family's model.params.* search spaces; a search that
      // lists model.family keeps them, since they may name any searched family's params.
      const search = copy["search"] as Record<string, unknown> | undefined;
      if (search !== undefined && !Array.isArray(search[FAMILY_KEY])) {
        for (const key of Object.keys(search)) {
          if (key.startsWith("model.params")) delete search[key];
        }
      }
    }
  }
  for (const [key, value] of Object.entries(params)) {
    if (key !== FAMILY_KEY) setAtPath(copy, key, value);
  }
  return parseConfig(copy);
}

/** The search key that switches model family. */
export const FAMILY_KEY = "model.family";

/** A search value a trial leaves out, and why. */
export interface IgnoredTrialParam {
  /** The search key, e.g. `model.params.hidden_units`. */
  key: string;
  /** Why the trial does not set it. */
  reason: string;
}

/** The top-level `model.params` name a search key sets, or `null` for other keys. */
function modelParamName(key: string): string | null {
  if (!key.startsWith("model.params.")) return null;
  const path = parseKeyPath(key);
  const name = path[2];
  return typeof name === "string" ? name : null;
}

/** The param names of a registered family (its defaults' keys), or `null` when unknown. */
function familyParamNames(family: unknown): string[] | null {
  if (typeof family !== "string" || !hasModelFamily(family)) return null;
  return Object.keys(modelFamily(family).params.parse({}) as Record<string, unknown>);
}

/**
 * Splits a trial's values into those it sets and those it ignores: when the search lists
 * `model.family`, a `model.params.<name>` value applies only to trials whose family has a param
 * `<name>`; the other trials leave it out, with the reason. Without `model.family` in the
 * trial, every value is kept (a bad one fails as before).
 *
 * @param params the trial's values, keyed by dotted config path
 * @returns the values to set and the ones ignored
 * @example
 * ```ts
 * familyTrialParams({ "model.family": "gbdt", "model.params.hidden_units": [8], "model.params.l2": 1 });
 * // { params: { "model.family": "gbdt", "model.params.l2": 1 },
 * //   ignored: [{ key: "model.params.hidden_units", reason: "not a param of the gbdt family" }] }
 * ```
 */
export function familyTrialParams(
  params: Readonly<Record<string, unknown>>,
): { params: Record<string, unknown>; ignored: IgnoredTrialParam[] } {
  if (!Object.hasOwn(params, FAMILY_KEY)) return { params: { ...params }, ignored: [] };
  const family = params[FAMILY_KEY];
  const names = familyParamNames(family);
  if (names === null) return { params: { ...params }, ignored: [] };
  const kept: Record<string, unknown> = {};
  const ignored: IgnoredTrialParam[] = [];
  for (const [key, value] of Object.entries(params)) {
    const name = modelParamName(key);
    if (name !== null && !names.includes(name)) {
      ignored.push({ key, reason: `not a param of the ${String(family)} family` });
    } else kept[key] = value;
  }
  return { params: kept, ignored };
}

function checkStrategy(strategy: string): asserts strategy is SearchStrategy {
  if (!(SEARCH_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ConfigError(
      `Cannot sample trials: unknown strategy "${strategy}"${
        didYouMean(strategy, SEARCH_STRATEGIES)
      }; use one of ${SEARCH_STRATEGIES.map((s) => `"${s}"`).join(" | ")}`,
    );
  }
}

function searchIssue(key: string, message: string): ConfigIssue {
  return { file: "<search>", line: 0, column: 0, path: `search.${key}`, message };
}

function searchError(key: string, action: string, detail: string): ConfigError {
  return new ConfigError(`Cannot ${action} "search.${key}": ${detail}`, [
    searchIssue(key, detail),
  ]);
}

/** Checks the search space; returns its keys in order. */
function checkSearchSpace(search: SearchConfig): string[] {
  if (search === null || typeof search !== "object" || Array.isArray(search)) {
    throw new ConfigError(
      `Cannot sample trials: the search space is ${
        Array.isArray(search) ? "a list" : String(search)
      }, expected a map of config paths to a list or a range`,
    );
  }
  const keys = Object.keys(search);
  if (keys.length === 0) {
    throw new ConfigError(
      `Cannot sample trials: the search space "search" is empty; list at least one hyperparameter in config/model_config.yaml, e.g. "training.learning_rate": { low: 0.001, high: 0.1, scale: log }`,
      [{ file: "<search>", line: 0, column: 0, path: "search", message: "the search is empty" }],
    );
  }
  for (const key of keys) {
    const space = search[key] as unknown;
    if (Array.isArray(space)) {
      if (space.length === 0) {
        throw searchError(key, "sample", "the list is empty; give at least one value");
      }
      continue;
    }
    if (space === null || typeof space !== "object") {
      throw searchError(
        key,
        "sample",
        `expected a list of values or a range { low, high, scale, integer }, got ${
          JSON.stringify(space)
        }`,
      );
    }
    const range = space as { low?: unknown; high?: unknown; scale?: unknown; integer?: unknown };
    const { low, high } = range;
    const scale = range.scale ?? "linear";
    const integer = range.integer ?? false;
    if (typeof low !== "number" || !Number.isFinite(low)) {
      throw searchError(key, "sample", `low is ${JSON.stringify(low)}, expected a finite number`);
    }
    if (typeof high !== "number" || !Number.isFinite(high)) {
      throw searchError(key, "sample", `high is ${JSON.stringify(high)}, expected a finite number`);
    }
    if (scale !== "linear" && scale !== "log") {
      throw searchError(
        key,
        "sample",
        `scale is ${JSON.stringify(scale)}, expected "linear" or "log"`,
      );
    }
    if (typeof integer !== "boolean") {
      throw searchError(key, "sample", `integer is ${JSON.stringify(integer)}, expected a boolean`);
    }
    if (!(low < high)) {
      throw searchError(
        key,
        "sample",
        `low ${low} is not below high ${high}; use low < high (a single value belongs in a list: [${low}])`,
      );
    }
    if (scale === "log" && low <= 0) {
      throw searchError(
        key,
        "sample on a log scale",
        `low is ${low}, expected a number > 0; raise low or use scale: linear`,
      );
    }
    if (integer && Math.ceil(low) > Math.floor(high)) {
      throw searchError(
        key,
        "sample integers from",
        `no integer lies between low ${low} and high ${high}; widen the range or set integer: false`,
      );
    }
  }
  const paths = keys.map((key) => {
    try {
      return parseKeyPath(key);
    } catch (cause) {
      throw new ConfigError(
        `Cannot sample "search.${key}": ${(cause as Error).message}`,
        [searchIssue(key, (cause as Error).message)],
        { cause },
      );
    }
  });
  paths.forEach((a, i) =>
    paths.forEach((b, j) => {
      if (i !== j && a.length < b.length && a.every((segment, n) => segment === b[n])) {
        throw searchError(
          keys[j]!,
          "sample",
          `it lies inside "search.${
            keys[i]
          }", which already sets the whole value; keep one of the two`,
        );
      }
    })
  );
  return keys;
}

interface Range {
  low: number;
  high: number;
  scale: "linear" | "log";
  integer: boolean;
}

function asRange(space: SearchSpace): Range | null {
  if (Array.isArray(space)) return null;
  const range = space as Partial<Range> & { low: number; high: number };
  return {
    low: range.low,
    high: range.high,
    scale: range.scale ?? "linear",
    integer: range.integer ?? false,
  };
}

function drawValue(space: SearchSpace, rng: Random): unknown {
  const range = asRange(space);
  if (range === null) {
    const list = space as unknown[];
    return structuredClone(list[rng.int(list.length)]);
  }
  const { low, high, scale, integer } = range;
  if (integer) {
    const lo = Math.ceil(low);
    const hi = Math.floor(high);
    if (scale === "linear") return lo + rng.int(hi - lo + 1);
    // Log-uniform over [lo, hi + 1), floored: each integer gets the mass of its unit interval.
    const value = Math.floor(Math.exp(Math.log(lo) + rng.next() * Math.log((hi + 1) / lo)));
    return Math.min(hi, Math.max(lo, value));
  }
  const u = rng.next();
  const value = scale === "linear"
    ? low + u * (high - low)
    : Math.exp(Math.log(low) + u * (Math.log(high) - Math.log(low)));
  return clamp(Number(value.toPrecision(6)), low, high);
}

function gridValues(space: SearchSpace, points: number): unknown[] {
  const range = asRange(space);
  if (range === null) return space as unknown[];
  const { low, high, scale, integer } = range;
  const at = (t: number) =>
    scale === "linear" ? low + t * (high - low) : Math.exp(
      Math.log(low) + t * (Math.log(high) - Math.log(low)),
    );
  if (integer) {
    const lo = Math.ceil(low);
    const hi = Math.floor(high);
    if (hi - lo + 1 <= points) return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    const values = Array.from(
      { length: points },
      (_, i) => clamp(Math.round(at(i / (points - 1))), lo, hi),
    );
    return [...new Set(values)];
  }
  return Array.from(
    { length: points },
    (_, i) => i === 0 ? low : i === points - 1 ? high : Number(at(i / (points - 1)).toPrecision(6)),
  );
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function formatValue(value: unknown): string {
  if (typeof value === "number") {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  if (typeof value === "string") return value;
  return JSON.stringify(
    value,
    (_key, v) => typeof v === "number" && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v,
  );
}

function setAtPath(tree: Record<string, unknown>, key: string, value: unknown): void {
  const miss = setAtKeyPath(tree, parseKeyPath(key), value);
  if (miss === null) return;
  const where = miss.where;
  if (miss.expected === "list") {
    throw new ConfigError(
      `Cannot set "${key}": "${where}" is not an item of a list (the list has ${miss.listLength} items)`,
      [searchIssue(key, `no list item at "${where}"`)],
    );
  }
  throw new ConfigError(
    `Cannot set "${key}": the value above "${where}" is not a map`,
    [searchIssue(key, `no map at "${where}"`)],
  );
}

/** Search keys that only apply to a classification task. */
export const CLASSIFICATION_ONLY_SEARCH_KEYS: readonly string[] = ["training.class_weights"];

/**
 * The search space a task can use: a regression drops the keys that only apply to
 * classification (`training.class_weights`), so the shared default space (which tries class
 * weighting) tunes a regression profile too, instead of failing every trial.
 *
 * @param search the search space (`config.search`)
 * @param task `config.data.task`
 * @returns the keys the task keeps, in order, and the keys it skipped
 * @example
 * ```ts
 * searchSpaceForTask({ "training.class_weights": ["none", "balanced"], "model.params.dropout": [0, 0.2] }, "regression");
 * // { search: { "model.params.dropout": [0, 0.2] }, skipped: ["training.class_weights"] }
 * ```
 */
export function searchSpaceForTask(
  search: SearchConfig,
  task: Config["data"]["task"],
): { search: SearchConfig; skipped: string[] } {
  if (task === "classification") return { search, skipped: [] };
  const skipped = Object.keys(search).filter((key) =>
    CLASSIFICATION_ONLY_SEARCH_KEYS.includes(key)
  );
  if (skipped.length === 0) return { search, skipped };
  return {
    search: Object.fromEntries(Object.entries(search).filter(([key]) => !skipped.includes(key))),
    skipped,
  };
}

/** Each list value and range end must be valid at its key on the base config. */
export function checkSearchValues(config: Config, search: SearchConfig): void {
  const familySpace = search[FAMILY_KEY];
  const families = Array.isArray(familySpace) ? familySpace : null;
  // With model.family searched, each model.params.* key must name a param of a searched family
  // (checked first: the family values are only valid once every key is).
  const underFamilies = new Map<string, Record<string, unknown>[]>();
  for (const key of Object.keys(search)) {
    const name = families === null ? null : modelParamName(key);
    const under: Record<string, unknown>[] = name === null ? [{}] : families!
      .filter((family) => familyParamNames(family)?.includes(name) ?? true)
      .map((family) => ({ [FAMILY_KEY]: family }));
    if (under.length === 0) {
      const detail = `no searched family (${
        families!.map((f) => JSON.stringify(f)).join(", ")
      }) has a param "${name}", so no trial would set it`;
      throw new ConfigError(
        `Cannot search "search.${key}": ${detail}; remove it from the search space or add its family to "search.${FAMILY_KEY}"`,
        [searchIssue(key, detail)],
      );
    }
    underFamilies.set(key, under);
  }
  for (const [key, space] of Object.entries(search)) {
    const range = asRange(space);
    const values = range === null
      ? space as unknown[]
      : range.integer
      ? [Math.ceil(range.low), Math.floor(range.high)]
      : [range.low, range.high];
    // A model.params.* value is checked under each searched family that has the param.
    const under = underFamilies.get(key) ?? [{}];
    for (const value of values) {
      try {
        for (const base of under) applyTrialParams(config, { ...base, [key]: value });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        const detail = error.issues.length > 0
          ? error.issues.map((i) => `${i.path}: ${i.message}`).join("; ")
          : error.message;
        throw new ConfigError(
          `Cannot search "search.${key}": the value ${
            JSON.stringify(value)
          } is not valid there (${detail}); fix the list or range in config/model_config.yaml`,
          [searchIssue(key, detail)],
          { cause: error },
        );
      }
    }
  }
}

/** A trial's config: the base config with its values applied; errors name the search keys. */
export function trialConfig(config: Config, spec: TrialSpec): Config {
  try {
    return applyTrialParams(config, familyTrialParams(spec.params).params);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const detail = error.issues.length > 0
      ? error.issues.map((i) => `${i.path}: ${i.message}`).join("; ")
      : error.message;
    throw new ConfigError(
      `Cannot build trial ${spec.id} (${
        formatTrialParams(spec.params)
      }): the values contradict each other or the config (${detail}); change the search space so every combination is valid`,
      Object.keys(spec.params).map((key) => searchIssue(key, detail)),
      { cause: error },
    );
  }
}
