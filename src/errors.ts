/**
 * The typed errors that callers of deno-mlops can catch and handle.
 *
 * Programmer mistakes use the built-in `TypeError` and `RangeError`; conditions a caller may
 * handle (bad config, bad data, missing state, broken artifacts) use the classes below. Every
 * message starts with the action that failed, gives the state found and the state expected,
 * and ends with the remedy where one is known.
 *
 * @module
 */

/** Options accepted by every error class: the underlying cause, when there is one. */
export interface ErrorOptions {
  /** The error this one wraps. */
  cause?: unknown;
}

/** One problem found in a config file, located by file, line, column and key path. */
export interface ConfigIssue {
  /** The file the value came from, relative to the project root, or `"--set"` for overrides. */
  file: string;
  /** 1-based line of the value in `file`, or 0 when unknown. */
  line: number;
  /** 1-based column of the value in `file`, or 0 when unknown. */
  column: number;
  /** Dotted key path with array indexes, e.g. `model.hidden_units[1]`. */
  path: string;
  /** What was expected and what was found, e.g. `expected a positive integer, got -3`. */
  message: string;
}

/**
 * A config file is missing, unreadable or invalid.
 *
 * @example
 * ```ts
 * throw new ConfigError(`Cannot read config "training.epochs": expected a positive integer, found "ten"`);
 * ```
 */
export class ConfigError extends Error {
  /** Every problem found, in file order; empty when the error is not about values. */
  readonly issues: ConfigIssue[];

  /**
   * @param message what failed and how to fix it
   * @param issues every located problem
   * @param options the wrapped cause
   */
  constructor(message: string, issues: ConfigIssue[] = [], options: ErrorOptions = {}) {
    super(message, options);
    this.name = "ConfigError";
    this.issues = issues;
  }
}

/** One rule broken by the data, with a count and a few example values. */
export interface ValidationIssue {
  /** Column the rule applies to, or `null` for a table-level rule. */
  column: string | null;
  /** Rule name: `dtype`, `nullable`, `min`, `max`, `allowed`, `unique`, `min_rows`, `present`, `target`. */
  rule: string;
  /** Number of rows (or columns, for table rules) breaking the rule. */
  count: number;
  /** Human-readable detail: what was expected and what was found. */
  message: string;
  /** Up to five offending values, as found. */
  examples: unknown[];
  /** 1-based row numbers of up to five offending rows (data rows, header excluded). */
  rows: number[];
}

/**
 * Data broke one or more rules; `issues` lists every problem, not only the first.
 *
 * @example
 * ```ts
 * throw new DataValidationError(`Cannot accept "penguins.csv": 3 rules failed`, issues);
 * ```
 */
export class DataValidationError extends Error {
  /** Every violation found. */
  readonly issues: ValidationIssue[];

  /**
   * @param message what failed and how to fix it
   * @param issues every violation found
   * @param options the wrapped cause
   */
  constructor(message: string, issues: ValidationIssue[] = [], options: ErrorOptions = {}) {
    super(message, options);
    this.name = "DataValidationError";
    this.issues = issues;
  }
}

/** A frame's columns or types do not match what a fitted step or a run expects. */
export class SchemaMismatchError extends Error {
  /**
   * @param message what failed, the columns found and those expected
   * @param options the wrapped cause
   */
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.name = "SchemaMismatchError";
  }
}

/** A stateful step was used before `fit`. */
export class NotFittedError extends Error {
  /**
   * @param message what failed and that `fit()` must be called first
   * @param options the wrapped cause
   */
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.name = "NotFittedError";
  }
}

/** A data file, run folder or model artifact is missing, unreadable or corrupted. */
export class ArtifactError extends Error {
  /**
   * @param message what failed, naming the file and the check
   * @param options the wrapped cause
   */
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.name = "ArtifactError";
  }
}

/** A data-parallel training thread (`training.threads` > 1) could not start, failed or stalled. */
export class TrainingThreadError extends Error {
  /**
   * @param message which thread, what happened, and `training.threads: 1` as the way around it
   * @param options the wrapped cause
   */
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.name = "TrainingThreadError";
  }
}

/**
 * Returns the candidate closest to `name` by edit distance, or `undefined` when none is close.
 *
 * Used to add `did you mean "income"` to errors about unknown names.
 *
 * @param name the unknown name as given
 * @param candidates the names that exist
 * @returns the closest candidate within a distance of a third of its length (at least 2)
 * @example
 * ```ts
 * closestMatch("incme", ["age", "income"]); // "income"
 * ```
 */
export function closestMatch(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * Formats `: did you mean "x"` for `name`, or an empty string when nothing is close.
 *
 * @param name the unknown name as given
 * @param candidates the names that exist
 * @returns the suffix to append to an error message
 * @example
 * ```ts
 * `unknown column "incme"${didYouMean("incme", ["income"])}`; // unknown column "incme": did you mean "income"
 * ```
 */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const match = closestMatch(name, candidates);
  return match === undefined ? "" : `: did you mean "${match}"`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
