/**
 * Reading and checking the body of a prediction request: the media type, the size limit, JSON
 * `{"rows": [...]}` or CSV text, and every field of every row against the run's input
 * signature, before anything is scored.
 *
 * Checks here are about the shape of the request (unknown and missing fields, types, sizes,
 * values no model can score); parsing values to the training types, cleaning and the missing
 * values a run cannot handle are left to `scoreRows`, the same code `deno task predict` runs.
 * Row problems are returned, not thrown, so the service can still check the other rows with
 * `scoreRows` and answer every problem at once.
 *
 * @module
 */
import { didYouMean } from "../errors.ts";
import { parseFloatText, stripText } from "../data/mod.ts";
import type { ColumnSignature } from "../data/mod.ts";
import {
  describeInputKind,
  MAX_RANGE_MULTIPLE,
  refusalLimits,
  tooFarProblem,
} from "../pipelines/mod.ts";
import { isIntegerDtype } from "../utils/mod.ts";
import type { RunArtifacts } from "../pipelines/mod.ts";
import { RequestRejectedError } from "../errors.ts";
import type { RequestProblem } from "../errors.ts";
import { readCsvRecords } from "./_csv_records.ts";

/** One value of a row as the service passes it on: text, a finite number or null. */
export type RowValue = string | number | null;

/** What a request may hold, taken from the run that will score it. */
export interface RowsSchema {
  /** The model's input columns, in training order. */
  inputs: readonly ColumnSignature[];
  /** Id columns (`data.id_columns`): accepted and echoed in the predictions. */
  idColumns: readonly string[];
  /** The target column: accepted and ignored (rows copied from a labelled file), or `null`. */
  target: string | null;
  /**
   * `data.null_markers`: text values of input fields read as null, as the training file's were.
   * @default []
   */
  nullMarkers?: readonly string[];
  /**
   * `data.date_formats`: the strftime format of date columns written in one, for messages.
   * @default {}
   */
  dateFormats?: Readonly<Record<string, string>>;
}

/** Rows read from a request, column by column, ready to be built into a frame. */
export interface RequestRows {
  /** Number of rows. */
  count: number;
  /** The values of every input column, in `RowsSchema.inputs` order. */
  columns: Map<string, RowValue[]>;
  /** Per row, the id fields it holds (echoed in its prediction); `null` when none were sent. */
  ids: Array<Record<string, RowValue>> | null;
  /**
   * Problems of shape found in rows (unknown or missing fields, wrong types, sizes, impossible
   * numbers), by row; such rows must not be scored. At most `maxProblems` are listed.
   */
  problems: RequestProblem[];
  /** The 1-based rows that have a problem, in order. */
  rejected: number[];
  /**
   * The rows among `rejected` whose input values cannot go to scoring (a value was refused or
   * is missing); the others only hold an unknown field, and scoring still checks their values.
   */
  unscorable: number[];
  /** Problems found beyond those listed. */
  moreProblems: number;
}

/** Options of {@link parseJsonRows} and {@link parseCsvRows}. */
export interface ParseRowsOptions {
  /**
   * Most rows in one request; more is answered with 413.
   * @default 10000
   */
  maxRows?: number;
  /**
   * Longest text value accepted, in characters; longer is a problem of its row.
   * @default 1024
   */
  maxValueChars?: number;
  /**
   * How far outside the training range `[min, max]` a number may lie, in multiples of the
   * range's width, before it is rejected as impossible to score (overflow in the model);
   * values closer than that are scored and flagged.
   * @default 1000000
   */
  maxRangeMultiple?: number;
  /**
   * Most problems listed in a 422 answer; the rest are counted in a last entry.
   * @default 100
   */
  maxProblems?: number;
}

/** Defaults of {@link ParseRowsOptions}. */
export const DEFAULT_PARSE_ROWS_OPTIONS: Readonly<Required<ParseRowsOptions>> = {
  maxRows: 10_000,
  maxValueChars: 1024,
  maxRangeMultiple: MAX_RANGE_MULTIPLE,
  maxProblems: 100,
};

/** The media types a prediction request may use, by the format they name. */
export const REQUEST_MEDIA_TYPES = {
  json: "application/json",
  csv: "text/csv",
} as const;

/** A body format the service reads. */
export type RequestFormat = keyof typeof REQUEST_MEDIA_TYPES;

/**
 * Returns the schema that requests scored by `run` are checked against.
 *
 * @param run the loaded run
 * @returns its input columns, id columns, target, null markers and date formats
 * @example
 * ```ts
 * const schema = rowsSchemaForRun(run);
 * schema.inputs.map((c) => c.name); // ["Beak Length (mm)", ..., "Sex"]
 * ```
 */
export function rowsSchemaForRun(run: RunArtifacts): RowsSchema {
  return {
    inputs: run.signature.columns,
    idColumns: run.loaded.config.data.id_columns,
    target: run.loaded.config.data.target,
    nullMarkers: run.loaded.config.data.null_markers,
    dateFormats: run.loaded.config.data.date_formats,
  };
}

/**
 * Picks the body format from a `Content-Type` header.
 *
 * @param contentType the header value, or `null` when absent
 * @returns `"json"` or `"csv"`
 * @throws {RequestRejectedError} 415 when the header is missing or names another media type,
 *   or a charset other than UTF-8
 * @example
 * ```ts
 * requestFormat("application/json; charset=utf-8"); // "json"
 * ```
 */
export function requestFormat(contentType: string | null): RequestFormat {
  const accepted = `send ${REQUEST_MEDIA_TYPES.json} or ${REQUEST_MEDIA_TYPES.csv}`;
  if (contentType === null || contentType.trim() === "") {
    throw new RequestRejectedError(
      415,
      "unsupported_media_type",
      `Cannot read the request body: it has no Content-Type header; ${accepted}`,
    );
  }
  const [type = "", ...params] = contentType.split(";").map((part) => part.trim());
  const media = type.toLowerCase();
  const format = (Object.keys(REQUEST_MEDIA_TYPES) as RequestFormat[]).find((key) =>
    REQUEST_MEDIA_TYPES[key] === media
  );
  if (format === undefined) {
    throw new RequestRejectedError(
      415,
      "unsupported_media_type",
      `Cannot read the request body: media type ${
        JSON.stringify(clip(type, 100))
      } is not accepted; ${accepted}`,
    );
  }
  for (const param of params) {
    const [name = "", value = ""] = param.split("=").map((s) => s.trim().toLowerCase());
    if (name === "charset" && !["utf-8", "utf8", '"utf-8"'].includes(value)) {
      throw new RequestRejectedError(
        415,
        "unsupported_media_type",
        `Cannot read the request body: charset ${
          JSON.stringify(clip(value, 40))
        } is not accepted; send UTF-8 text`,
      );
    }
  }
  return format;
}

/**
 * Reads a request body as UTF-8 text, stopping as soon as it exceeds `maxBytes`.
 *
 * A `Content-Length` above the limit is refused before any byte is read; a body sent without
 * one (chunked) is counted as it arrives.
 *
 * A whole body must arrive within `timeoutMs` of the first read, so a client that sends one
 * byte a second cannot hold the request open.
 *
 * @param request the request
 * @param maxBytes the largest body accepted
 * @param options `timeoutMs`: how long the whole body may take to arrive (`Infinity`: no limit,
 *   the default)
 * @returns the body text
 * @throws {RequestRejectedError} 413 when the body is larger than `maxBytes`; 408 when it has
 *   not arrived within `timeoutMs`; 400 when it is not valid UTF-8 or the connection fails while
 *   reading
 * @example
 * ```ts
 * const text = await readBodyText(request, 10 * 1024 * 1024, { timeoutMs: 10_000 });
 * ```
 */
export async function readBodyText(
  request: Request,
  maxBytes: number,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? Infinity;
  const tooLarge = (size: string) =>
    new RequestRejectedError(
      413,
      "body_too_large",
      `Cannot read the request body: it is ${size}, more than the ${maxBytes} bytes allowed (serve.max_body_bytes); split the rows into smaller requests`,
    );
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(`${declared} bytes`);
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const late = () =>
    new RequestRejectedError(
      408,
      "body_timeout",
      `Cannot read the request body: it did not arrive within ${timeoutMs} ms (serve.body_timeout_ms, ${size} bytes received); send the whole body at once, or fewer rows`,
    );
  const deadline = Number.isFinite(timeoutMs)
    ? new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(late());
        // Cancelling ends the pending read as if the body were complete: `timedOut` says not.
        reader.cancel().catch(() => {});
      }, timeoutMs);
    })
    : null;
  try {
    while (true) {
      const { done, value } = deadline === null
        ? await reader.read()
        : await Promise.race([reader.read(), deadline]);
      if (timedOut) throw late();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(`over ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (cause) {
    if (cause instanceof RequestRejectedError) throw cause;
    throw new RequestRejectedError(
      400,
      "body_unreadable",
      "Cannot read the request body: the connection failed while it was sent; send it again",
      { cause },
    );
  } finally {
    clearTimeout(timer);
  }
  const bytes = chunks.length === 1 ? chunks[0]! : concatBytes(chunks, size);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new RequestRejectedError(
      400,
      "invalid_encoding",
      "Cannot read the request body: it is not valid UTF-8 text; encode it as UTF-8",
      { cause },
    );
  }
}

/**
 * Reads `{"rows": [{...}, ...]}` and checks every row against `schema`.
 *
 * Every row must be an object holding every input column; id columns and the target are
 * accepted too, any other field is a problem. Values must be text, a finite number or `null`;
 * a categorical or temporal column takes text only. Numeric text is accepted and parsed later by
 * `scoreRows`. Text equal to one of `schema.nullMarkers` is null, as in the training file.
 *
 * @param text the body
 * @param schema what the rows may hold
 * @param options limits
 * @returns the rows, column by column, with the problems of rows that break a rule (a row with
 *   a problem holds `null` where its value was refused)
 * @throws {RequestRejectedError} 400 when the text is not JSON; 413 when there are more than
 *   `maxRows` rows; 422 when the body is not `{"rows": [...]}` or has no rows
 * @example
 * ```ts
 * const rows = parseJsonRows('{"rows": [{"Island": "Dream", ...}]}', schema);
 * rows.columns.get("Island"); // ["Dream"]
 * ```
 */
export function parseJsonRows(
  text: string,
  schema: RowsSchema,
  options: ParseRowsOptions = {},
): RequestRows {
  const settings = { ...DEFAULT_PARSE_ROWS_OPTIONS, ...options };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    const detail = cause instanceof SyntaxError ? `: ${clip(cause.message, 200)}` : "";
    throw new RequestRejectedError(
      400,
      "invalid_json",
      `Cannot parse the request body as JSON${detail}; send {"rows": [{...}, ...]} (NaN and Infinity are not JSON: send null or a number)`,
      { cause },
    );
  }
  const shape = `expected {"rows": [{...}, ...]}`;
  if (!isPlainObject(body)) {
    throw invalidBody(`the body is ${describeValue(body)}, ${shape}`);
  }
  const unknownKeys = Object.keys(body).filter((key) => key !== "rows");
  if (unknownKeys.length > 0) {
    throw invalidBody(
      `unknown top-level field ${JSON.stringify(clip(unknownKeys[0]!, 100))}${
        didYouMean(unknownKeys[0]!, ["rows"])
      }, ${shape}`,
    );
  }
  if (!Object.hasOwn(body, "rows")) throw invalidBody(`the body has no "rows" field, ${shape}`);
  const rows = body["rows"];
  if (!Array.isArray(rows)) {
    throw invalidBody(`"rows" is ${describeValue(rows)}, ${shape}`);
  }
  checkRowCount(rows.length, settings.maxRows);

  const problems = new ProblemList(settings.maxProblems);
  const checker = new ValueChecker(settings, problems, schema);
  const columns = new Map<string, RowValue[]>(
    schema.inputs.map((c) => [c.name, new Array<RowValue>(rows.length)]),
  );
  const accepted = new Set(acceptedFields(schema));
  let ids: Array<Record<string, RowValue>> | null = null;

  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const number = i + 1;
    if (!isPlainObject(row)) {
      problems.add({
        row: number,
        column: null,
        message: `expected an object of field values, found ${describeValue(row)}`,
      });
      continue;
    }
    for (const key of Object.keys(row)) {
      if (!accepted.has(key)) {
        problems.add(
          {
            row: number,
            column: clip(key, 100),
            message: problems.listing ? unknownField(key, schema) : "",
          },
          false,
        );
      }
    }
    for (const column of schema.inputs) {
      if (!Object.hasOwn(row, column.name)) {
        problems.add({
          row: number,
          column: column.name,
          message: "missing field: every row needs every input field (null marks an unknown value)",
        });
        continue;
      }
      columns.get(column.name)![i] = checker.check(row[column.name], column, number);
    }
    for (const id of schema.idColumns) {
      if (!Object.hasOwn(row, id)) continue;
      ids ??= Array.from({ length: rows.length }, () => ({}));
      // defineProperty, not assignment: an id named "__proto__" stays a plain field.
      Object.defineProperty(ids[i]!, id, {
        value: checker.checkId(row[id], id, number),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  checkUnscorableValues(schema, columns, problems);
  return { count: rows.length, columns, ids, ...problems.rowProblems() };
}

/**
 * Reads CSV text (a header line, then one line per row) and checks it against `schema`.
 *
 * The CSV is read strictly: fields are separated by commas, a field holding a comma, quote or
 * line break is quoted with `"`, and every line has as many fields as the header. An empty field,
 * or one equal to a `schema.nullMarkers` entry, is `null`; every value stays text for
 * `scoreRows` to parse. Blank lines are skipped.
 *
 * @param text the body
 * @param schema what the rows may hold
 * @param options limits
 * @returns the rows, column by column, with the problems of rows whose values break a rule
 * @throws {RequestRejectedError} 400 when the CSV is malformed (ragged line, unterminated
 *   quote, duplicate header); 413 when there are more than `maxRows` rows; 422 when there are
 *   no rows, or with every problem when a column is unknown or missing
 * @example
 * ```ts
 * const rows = parseCsvRows("Island,Sex,...\nDream,MALE,...\n", schema);
 * ```
 */
export function parseCsvRows(
  text: string,
  schema: RowsSchema,
  options: ParseRowsOptions = {},
): RequestRows {
  const settings = { ...DEFAULT_PARSE_ROWS_OPTIONS, ...options };
  const records = readCsvRecords(text, settings.maxRows + 1);
  const header = records[0];
  if (header === undefined) {
    throw new RequestRejectedError(
      422,
      "no_rows",
      "Cannot score the request: the CSV body is empty; send a header line and at least one row",
    );
  }
  const names = header.fields.map((name) => name ?? "");
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new RequestRejectedError(
        400,
        "invalid_csv",
        `Cannot parse the CSV body: column ${
          JSON.stringify(clip(name, 100))
        } appears twice in the header; name every column once`,
      );
    }
    seen.add(name);
  }
  const data = records.slice(1);
  // Reading stops one record past the limit, so the exact count of a larger body is unknown.
  checkRowCount(data.length, settings.maxRows, data.length <= settings.maxRows);

  const problems = new ProblemList(settings.maxProblems);
  const accepted = new Set(acceptedFields(schema));
  for (const name of names) {
    if (!accepted.has(name)) {
      problems.add({
        row: null,
        column: clip(name, 100),
        message: problems.listing ? unknownField(name, schema) : "",
      });
    }
  }
  const position = new Map(names.map((name, i) => [name, i]));
  for (const column of schema.inputs) {
    if (!position.has(column.name)) {
      problems.add({
        row: null,
        column: column.name,
        message: "missing column: the header needs every input column",
      });
    }
  }
  problems.throwIfAny(data.length);

  const checker = new ValueChecker(settings, problems, schema);
  const columns = new Map<string, RowValue[]>();
  for (const column of schema.inputs) {
    const at = position.get(column.name)!;
    columns.set(
      column.name,
      data.map((record, i) => checker.check(record.fields[at] ?? null, column, i + 1)),
    );
  }
  const idColumns = schema.idColumns.filter((id) => position.has(id));
  const ids = idColumns.length === 0 ? null : data.map((record, i) =>
    Object.fromEntries(
      idColumns.map((id) => [id, checker.checkId(record.fields[position.get(id)!], id, i + 1)]),
    )
  );
  checkUnscorableValues(schema, columns, problems);
  return { count: data.length, columns, ids, ...problems.rowProblems() };
}

/**
 * Adds the parse problems `scoreRows` would report for the values of rows that will not reach
 * it (a field is missing or a value was refused), so a 422 lists every problem of every row: a
 * row with a missing field and an unparsable number reports both. Rows that reach scoring get
 * these problems from `scoreRows` itself, so none is reported twice.
 */
function checkUnscorableValues(
  schema: RowsSchema,
  columns: Map<string, RowValue[]>,
  problems: ProblemList,
): void {
  const rows = problems.rowProblems().unscorable;
  if (rows.length === 0) return;
  const numeric = schema.inputs.filter((column) => column.kind === "numeric");
  for (const row of rows) {
    for (const column of numeric) {
      const given = columns.get(column.name)?.[row - 1];
      if (typeof given !== "string") continue;
      let number = parseFloatText(stripText(given));
      if (number !== null && isIntegerDtype(column.dtype) && number !== Math.floor(number)) {
        number = null; // A fractional value does not parse as an integer.
      }
      if (number === null) {
        problems.add({
          row,
          column: column.name,
          message: `cannot parse ${JSON.stringify(given)} as ${describeInputKind(column)}`,
        });
      } else if (!Number.isFinite(number)) {
        problems.add({
          row,
          column: column.name,
          message: `not a finite number: ${JSON.stringify(given)}`,
        });
      }
    }
  }
}

function acceptedFields(schema: RowsSchema): string[] {
  return [
    ...schema.inputs.map((c) => c.name),
    ...schema.idColumns,
    ...(schema.target === null ? [] : [schema.target]),
  ];
}

function unknownField(name: string, schema: RowsSchema): string {
  const inputs = schema.inputs.map((c) => c.name);
  const hint = didYouMean(name, acceptedFields(schema));
  return `unknown field${hint}; the model takes ${JSON.stringify(inputs)}${
    schema.idColumns.length > 0 ? ` and id fields ${JSON.stringify(schema.idColumns)}` : ""
  }`;
}

function checkRowCount(count: number, maxRows: number, exact = true): void {
  if (count > maxRows) {
    throw new RequestRejectedError(
      413,
      "too_many_rows",
      `Cannot score the request: it has ${
        exact ? count : "more than " + maxRows
      } rows, more than the ${maxRows} allowed (serve.max_rows); split it into smaller requests`,
    );
  }
  if (count === 0) {
    throw new RequestRejectedError(
      422,
      "no_rows",
      "Cannot score the request: it has no rows; send at least one row",
    );
  }
}

function invalidBody(detail: string): RequestRejectedError {
  return new RequestRejectedError(422, "invalid_body", `Cannot read the request: ${detail}`);
}

/** Collects problems up to a limit and counts the rest. */
class ProblemList {
  #limit: number;
  #problems: RequestProblem[] = [];
  #rows = new Set<number | null>();
  #blocked = new Set<number | null>();
  #more = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Whether the next problem will be listed; beyond the limit problems are only counted, so
   * callers skip building their messages (a "did you mean" per field of a 100,000-field row
   * would take seconds).
   */
  get listing(): boolean {
    return this.#problems.length < this.#limit;
  }

  /** Adds a problem; `blocking` when the row's input values cannot be scored because of it. */
  add(problem: RequestProblem, blocking = true): void {
    this.#rows.add(problem.row);
    if (blocking) this.#blocked.add(problem.row);
    if (this.#problems.length < this.#limit) this.#problems.push(problem);
    else this.#more++;
  }

  rowProblems(): Pick<RequestRows, "problems" | "rejected" | "unscorable" | "moreProblems"> {
    const rows = (set: Set<number | null>) =>
      [...set].filter((r): r is number => r !== null).sort((a, b) => a - b);
    return {
      problems: this.#problems,
      rejected: rows(this.#rows),
      unscorable: rows(this.#blocked),
      moreProblems: this.#more,
    };
  }

  throwIfAny(rows: number): void {
    if (this.#problems.length === 0) return;
    throw rowsRejected(
      this.#problems,
      this.#more,
      this.#rows.has(null) ? null : this.#rows.size,
      rows,
    );
  }
}

/**
 * The 422 error for rows that cannot be scored.
 *
 * @param problems the problems listed
 * @param more problems found beyond those listed
 * @param badRows how many rows have problems, or `null` when a problem is about the whole body
 * @param rows rows in the request
 * @returns the error
 */
export function rowsRejected(
  problems: RequestProblem[],
  more: number,
  badRows: number | null,
  rows: number,
): RequestRejectedError {
  const listed = more > 0
    ? [...problems, {
      row: null,
      column: null,
      message: `… and ${more} more problem${more === 1 ? "" : "s"}`,
    }]
    : problems;
  const which = badRows === null
    ? "the request has problems"
    : `${badRows} of ${rows} row${rows === 1 ? "" : "s"} ${
      badRows === 1 ? "has" : "have"
    } problems`;
  return new RequestRejectedError(
    422,
    "invalid_rows",
    `Cannot score the request: ${which}, so nothing was scored; fix the listed fields and send it again`,
    { problems: listed },
  );
}

/** Checks single values against their column, recording problems. */
class ValueChecker {
  #settings: Required<ParseRowsOptions>;
  #problems: ProblemList;
  #nullMarkers: ReadonlySet<string>;
  #dateFormats: Readonly<Record<string, string>>;

  constructor(settings: Required<ParseRowsOptions>, problems: ProblemList, schema: RowsSchema) {
    this.#settings = settings;
    this.#problems = problems;
    this.#nullMarkers = new Set(schema.nullMarkers ?? []);
    this.#dateFormats = schema.dateFormats ?? {};
  }

  check(value: unknown, column: ColumnSignature, row: number): RowValue {
    if (value === null) return null;
    if (typeof value === "string") {
      // A null marker of the training file (data.null_markers) means null here too.
      if (this.#nullMarkers.has(value)) return null;
      if (!this.#shortEnough(value, column.name, row)) return null;
      if (column.kind === "numeric") this.#checkMagnitude(Number(value.trim()), column, row);
      return value;
    }
    if (typeof value === "number" && column.kind === "numeric") {
      if (!Number.isFinite(value)) {
        this.#problems.add({
          row,
          column: column.name,
          message: "not a finite number: the value overflows a 64-bit float",
        });
        return null;
      }
      this.#checkMagnitude(value, column, row);
      return value;
    }
    // A categorical column trained on numbers or booleans (codes, flags) takes them as given.
    const coded = column.kind === "categorical" && column.dtype !== "String";
    if (
      coded && (typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)))
    ) {
      return String(value);
    }
    const expected = column.kind === "numeric"
      ? "a number, numeric text or null"
      : column.kind === "temporal"
      ? `a date or time as ${
        Object.hasOwn(this.#dateFormats, column.name)
          ? `text in ${JSON.stringify(this.#dateFormats[column.name])} or ISO 8601`
          : "ISO 8601 text"
      }, or null`
      : "text or null";
    this.#problems.add({
      row,
      column: column.name,
      message: `expected ${expected}, found ${describeValue(value)}`,
    });
    return null;
  }

  checkId(value: unknown, column: string, row: number): RowValue {
    if (value === null || value === undefined) return null;
    if (typeof value === "string") return this.#shortEnough(value, column, row) ? value : null;
    if (typeof value === "number" && Number.isFinite(value)) return value;
    this.#problems.add({
      row,
      column,
      message: `expected an id as text or a number, found ${describeValue(value)}`,
    });
    return null;
  }

  #shortEnough(value: string, column: string, row: number): boolean {
    if (value.length <= this.#settings.maxValueChars) return true;
    this.#problems.add({
      row,
      column,
      message:
        `text is ${value.length} characters long, more than the ${this.#settings.maxValueChars} allowed`,
    });
    return false;
  }

  #checkMagnitude(value: number, column: ColumnSignature, row: number): void {
    if (column.kind !== "numeric" || !Number.isFinite(value)) return;
    const multiple = this.#settings.maxRangeMultiple;
    const limits = refusalLimits(column, multiple);
    if (limits !== null && (value < limits[0] || value > limits[1])) {
      this.#problems.add({
        row,
        column: column.name,
        message: tooFarProblem(String(value), column, multiple),
      });
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `text ${JSON.stringify(clip(value, 40))}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${clip(String(value), 40)}`;
}

function clip(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}…`;
}

function concatBytes(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
