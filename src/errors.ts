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

/** Options accepted by every error class: the underlying cause and the fix, when known. */
export interface ErrorOptions {
  /** The error this one wraps. */
  cause?: unknown;
  /** What the user can do about it, in one sentence, when known. */
  fix?: string;
}

/**
 * The base class of every error deno-mlops throws on purpose: bad config, bad data, missing
 * state, broken artifacts, refused requests. Callers (the CLI among them) recognise project
 * errors with `error instanceof MlopsError`; anything else is a bug.
 *
 * @example
 * ```ts
 * try { await runTraining(config); } catch (error) {
 *   if (error instanceof MlopsError) console.error(error.message, error.fix ?? "");
 * }
 * ```
 */
export class MlopsError extends Error {
  /** What the user can do about it, when known (often also the end of the message). */
  readonly fix?: string;

  /**
   * @param message what failed, the state found, the state expected and the remedy
   * @param options the wrapped cause and the fix
   */
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "MlopsError";
    if (options.fix !== undefined) this.fix = options.fix;
  }
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
export class ConfigError extends MlopsError {
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
export class DataValidationError extends MlopsError {
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
export class SchemaMismatchError extends MlopsError {
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
export class NotFittedError extends MlopsError {
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
export class ArtifactError extends MlopsError {
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
export class TrainingThreadError extends MlopsError {
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
 * Training diverged: the loss became NaN or infinite.
 *
 * @example
 * ```ts
 * try { await model.fit(x, y, options); } catch (e) { if (e instanceof TrainingDivergedError) trial.fail(e.message); }
 * ```
 */
export class TrainingDivergedError extends MlopsError {
  /** Epoch (from 0) in which the loss went bad. */
  readonly epoch: number;
  /** Batch (from 0) in which the loss went bad, or -1 for the validation loss. */
  readonly batch: number;

  /**
   * @param message what failed and how to fix it
   * @param where the epoch and batch
   * @param options the wrapped cause
   */
  constructor(
    message: string,
    where: { epoch: number; batch: number },
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = "TrainingDivergedError";
    this.epoch = where.epoch;
    this.batch = where.batch;
  }
}

/** What a lock file records about its holder. */
export interface LockHolder {
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder. */
  hostname: string;
  /** ISO time the lock was taken. */
  started: string;
  /** A random token, so a holder removes only its own lock. */
  token: string;
}

/**
 * The gate refused a promotion, or a promotion or rollback was asked for in a way that cannot
 * be done; nothing in production changed.
 *
 * @example
 * ```ts
 * throw new PromotionRefusedError(`Cannot promote run "x": the gate refused it`, ["..."]);
 * ```
 */
export class PromotionRefusedError extends MlopsError {
  /** Every reason the promotion was refused. */
  readonly reasons: string[];

  /**
   * Creates the error with every reason for the refusal.
   *
   * @param message what failed and how to go on
   * @param reasons every reason, one sentence each
   * @param options the wrapped cause
   */
  constructor(message: string, reasons: string[] = [], options: ErrorOptions = {}) {
    super(message, options);
    this.name = "PromotionRefusedError";
    this.reasons = reasons;
  }
}

/**
 * Another promotion or rollback held the registry lock for longer than the wait allowed.
 *
 * @example
 * ```ts
 * throw new RegistryLockedError(`Cannot lock the registry "models/production/.lock": ...`, holder);
 * ```
 */
export class RegistryLockedError extends MlopsError {
  /** The holder as recorded in the lock file, or `null` when unreadable. */
  readonly holder: LockHolder | null;

  /**
   * Creates the error with the lock's holder.
   *
   * @param message what failed, who holds the lock and what to do
   * @param holder the holder
   * @param options the wrapped cause
   */
  constructor(message: string, holder: LockHolder | null = null, options: ErrorOptions = {}) {
    super(message, options);
    this.name = "RegistryLockedError";
    this.holder = holder;
  }
}

/**
 * A request to the object store (S3 API) failed: the endpoint could not be reached, it answered
 * with an error, or it timed out after the retries. Nothing was published by the failed call.
 *
 * @example
 * ```ts
 * throw new StorageError(`Cannot put "s3://models/run.json": the endpoint answered 503 after 3 attempts`, { status: 503 });
 * ```
 */
export class StorageError extends MlopsError {
  /** The HTTP status the store answered with, or `null` when none came (timeout, refused). */
  readonly status: number | null;

  /**
   * Creates the error with the status the store answered.
   *
   * @param message what failed, naming the object URL, and what to do
   * @param options the wrapped cause, the fix and the HTTP status
   */
  constructor(message: string, options: ErrorOptions & { status?: number | null } = {}) {
    super(message, options);
    this.name = "StorageError";
    this.status = options.status ?? null;
  }
}

/**
 * A conditional write was refused because the object changed since it was read (`If-Match`)
 * or already exists (`If-None-Match: *`); the object is unchanged.
 *
 * @example
 * ```ts
 * throw new StoragePreconditionError(`Cannot put "s3://models/production/penguins/current.json": it changed since it was read`);
 * ```
 */
export class StoragePreconditionError extends StorageError {
  /**
   * @param message what failed, naming the object URL, and what to do
   * @param options the wrapped cause and the fix
   */
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, { ...options, status: 412 });
    this.name = "StoragePreconditionError";
  }
}

/** One problem in a request, located by row and column where it has a location. */
export interface RequestProblem {
  /** 1-based row of the request (CSV: data row, header excluded), or `null` for the whole body. */
  row: number | null;
  /** The field or column at fault, or `null` when the problem is not about one field. */
  column: string | null;
  /** What is wrong and, where known, how to fix it. */
  message: string;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  /** A stable machine-readable code, e.g. `invalid_rows`, `body_too_large`. */
  error: string;
  /** What failed, the state found and the fix, in one sentence. */
  message: string;
  /** Every problem found, when the request had located problems (422). */
  problems?: RequestProblem[];
  /** The request's `X-Request-Id`, added by the service to every error it answers. */
  request_id?: string;
}

/**
 * A request cannot be answered as asked; the service turns it into `status` and an
 * {@link ErrorBody}.
 *
 * @example
 * ```ts
 * throw new RequestRejectedError(415, "unsupported_media_type", `Cannot read the body: media type "text/plain" is not accepted, send application/json or text/csv`);
 * ```
 */
export class RequestRejectedError extends MlopsError {
  /** The HTTP status to answer with (4xx or 503). */
  readonly status: number;
  /** The stable error code of the body. */
  readonly code: string;
  /** Located problems; empty when the error is about the request as a whole. */
  readonly problems: RequestProblem[];
  /** Extra response headers, e.g. `Allow` for 405 or `Retry-After` for 503. */
  readonly headers: Record<string, string>;

  /**
   * @param status the HTTP status, 400 to 599
   * @param code the stable error code
   * @param message what failed and how to fix it
   * @param options located problems, extra headers and the wrapped cause
   * @throws {RangeError} when `status` is not an HTTP error status
   */
  constructor(
    status: number,
    code: string,
    message: string,
    options: { problems?: RequestProblem[]; headers?: Record<string, string>; cause?: unknown } =
      {},
  ) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(
        `Cannot create RequestRejectedError: status ${status} is not an HTTP error status (400-599)`,
      );
    }
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = "RequestRejectedError";
    this.status = status;
    this.code = code;
    this.problems = options.problems ?? [];
    this.headers = options.headers ?? {};
  }

  /**
   * The JSON body to send.
   *
   * @returns `{ error, message, problems? }`
   * @example
   * ```ts
   * new RequestRejectedError(400, "invalid_json", "Cannot parse the body").toBody();
   * // { error: "invalid_json", message: "Cannot parse the body" }
   * ```
   */
  toBody(): ErrorBody {
    return this.problems.length > 0
      ? { error: this.code, message: this.message, problems: this.problems }
      : { error: this.code, message: this.message };
  }
}

/** A service answered a reload request with something other than its reload answer. */
export class ServiceReloadError extends MlopsError {
  /**
   * @param message what failed and what to do
   * @param options the cause
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ServiceReloadError";
  }
}

/**
 * The work queue failed: Redis cannot be reached or dropped for longer than the reconnect
 * window, a worker refused a job (another code version, other data), or a job failed on a worker.
 *
 * @example
 * ```ts
 * throw new QueueError(`Cannot reach the work queue at "redis://10.0.0.5:6379": ...; start redis-server there or pass another --queue`);
 * ```
 */
export class QueueError extends MlopsError {
  /**
   * @param message what failed, where (the queue URL, the job, the worker) and how to fix it
   * @param options the wrapped cause
   */
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options);
    this.name = "QueueError";
  }
}

/** Thrown by task bodies for command-line usage mistakes; exits with status 2. */
export class UsageError extends MlopsError {
  /** @param message what is wrong with the command line and how to call it */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The transport broke: the peer is not a ZMTP 3 socket, closed the connection, or timed out. */
export class ZmtpError extends MlopsError {
  /**
   * @param message what failed
   * @param options the wrapped cause
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "ZmtpError";
  }
}

/** The kernel did not start, died, or broke the protocol. */
export class KernelError extends MlopsError {
  /**
   * @param message what failed and how to fix it
   * @param options the wrapped cause
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = "KernelError";
  }
}

/** Why a notebook run stopped. */
export type NotebookFailureReason =
  | "error"
  | "timeout"
  | "kernel-died"
  | "kernel-failed"
  | "interrupted";

/**
 * A notebook run stopped: a cell raised, timed out, or the kernel died or could not start.
 *
 * The message names the notebook, the cell, a source excerpt, the kernel's traceback (ANSI
 * colours removed) and the partial executed copy.
 *
 * @example
 * ```ts
 * try {
 *   await runNotebook("notebooks/01_eda.ipynb");
 * } catch (error) {
 *   if (error instanceof NotebookExecutionError) console.error(error.cell, error.traceback);
 * }
 * ```
 */
export class NotebookExecutionError extends MlopsError {
  /** The notebook that failed, as given. */
  readonly notebook: string;
  /** 1-based number of the failing cell in the notebook, or `null` when no cell was running. */
  readonly cell: number | null;
  /** Why the run stopped. */
  readonly reason: NotebookFailureReason;
  /** The partial executed copy, or `null` when none was written. */
  readonly out: string | null;
  /**
   * The kernel's traceback without ANSI colours, or its last stderr lines when it died; empty
   * when there is none.
   */
  readonly traceback: string[];

  /**
   * @param message what failed, where, and how to fix it
   * @param details the notebook, cell, reason, partial copy and traceback
   * @param options the wrapped cause
   */
  constructor(
    message: string,
    details: {
      notebook: string;
      cell: number | null;
      reason: NotebookFailureReason;
      out: string | null;
      traceback: string[];
    },
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = "NotebookExecutionError";
    this.notebook = details.notebook;
    this.cell = details.cell;
    this.reason = details.reason;
    this.out = details.out;
    this.traceback = details.traceback;
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
