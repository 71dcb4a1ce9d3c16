/**
 * Project logging on LogTape: one root category `deno-mlops`, a level per sub-category, readable
 * text on a terminal and JSON lines elsewhere, always on stderr (stdout is for task output),
 * plus an optional JSON-lines file.
 *
 * `utils` does not import `config`, so {@link LoggingOptions} repeats the shape of the config's
 * `logging` section; pass `config.logging` straight in.
 *
 * @module
 */
import {
  configureSync,
  getAnsiColorFormatter,
  getLogger,
  getTextFormatter,
  type Logger as LogTapeLogger,
  type LogLevel as LogTapeLevel,
  type LogRecord as LogTapeRecord,
  resetSync,
  type Sink as LogTapeSink,
  type TextFormatter,
} from "@logtape/logtape";
import { dirname } from "node:path";
import { ConfigError } from "../errors.ts";

/** A LogTape logger; get one with {@link getProjectLogger}. */
export type Logger = LogTapeLogger;
/** One log record as a sink receives it. */
export type LogRecord = LogTapeRecord;
/** A function that receives every record that passes the level filters. */
export type Sink = LogTapeSink;

/** Log levels, lowest first. */
export const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"] as const;
/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The root category every project logger lives under. */
export const ROOT_CATEGORY = "deno-mlops";

/** How logging is set up; the same shape as the config's `logging` section. */
export interface LoggingOptions {
  /**
   * Lowest level logged for categories not listed in `categories`.
   * @default "info"
   */
  level: LogLevel;
  /**
   * `text` (readable lines), `json` (JSON lines) or `auto`: text when stderr is a terminal and
   * `CI` is not `true`, JSON lines otherwise.
   * @default "auto"
   */
  format: "auto" | "text" | "json";
  /**
   * Also append JSON lines to this file (its folder is created); `null` for none.
   * @default null
   */
  file: string | null;
  /**
   * Lowest level per category below the root, e.g. `{ data: "debug", "models.train": "warning" }`.
   * @default {}
   */
  categories: Record<string, LogLevel>;
}

/** Defaults of {@link LoggingOptions}. */
export const DEFAULT_LOGGING_OPTIONS: Readonly<LoggingOptions> = {
  level: "info",
  format: "auto",
  file: null,
  categories: {},
};

/** The environment facts that `format: auto` depends on. */
export interface TerminalInfo {
  /** Whether stderr is a terminal. */
  isTerminal: boolean;
  /** Whether the `CI` environment variable is `true`. */
  ci: boolean;
}

/**
 * Decides between text and JSON lines for a `format` setting.
 *
 * @param format the configured format
 * @param terminal whether stderr is a terminal and whether this is CI
 * @returns `"text"` or `"json"`
 * @example
 * ```ts
 * resolveLogFormat("auto", { isTerminal: true, ci: false }); // "text"
 * resolveLogFormat("auto", { isTerminal: true, ci: true }); // "json"
 * ```
 */
export function resolveLogFormat(
  format: LoggingOptions["format"],
  terminal: TerminalInfo,
): "text" | "json" {
  if (format !== "auto") return format;
  return terminal.isTerminal && !terminal.ci ? "text" : "json";
}

/**
 * Formats a record as one JSON line: `time`, `level`, `category`, `message`, `properties`.
 *
 * @param record the log record
 * @returns the JSON text followed by a newline
 * @example
 * ```ts
 * // {"time":"2025-01-01T00:00:00.000Z","level":"info","category":"deno-mlops.data","message":"loaded 344 rows","properties":{"rows":344}}
 * ```
 */
export function formatJsonLine(record: LogRecord): string {
  return `${
    safeJson({
      time: new Date(record.timestamp).toISOString(),
      level: record.level,
      category: record.category.join("."),
      message: renderMessage(record),
      properties: record.properties,
    })
  }\n`;
}

/**
 * Configures project logging; calling it again replaces the previous setup.
 *
 * Records go to stderr (or to `sink` when given) and, when `options.file` is set, also to that
 * file as JSON lines. Library code logs through {@link getProjectLogger}; only loggers under
 * the `deno-mlops` category are configured, apart from LogTape's own warnings.
 *
 * @param options levels, format and file; missing fields take {@link DEFAULT_LOGGING_OPTIONS}
 * @param sink receives the records instead of stderr (tests, notebooks)
 * @throws {ConfigError} when a level or category is invalid or the log file cannot be opened
 * @example
 * ```ts
 * setupLogging(config.logging);
 * getProjectLogger("data").info("Loaded {rows} rows", { rows: 344 });
 * ```
 */
export function setupLogging(options: Partial<LoggingOptions> = {}, sink?: Sink): void {
  const settings = { ...DEFAULT_LOGGING_OPTIONS, ...options };
  checkLevel(settings.level, "logging.level");
  const categoryConfigs = Object.entries(settings.categories).map(([name, level]) => {
    checkLevel(level, `logging.categories.${name}`);
    return { category: categoryPath(name, `logging.categories."${name}"`), level };
  });

  const sinks: Record<string, Sink> = {
    main: sink ?? stderrSink(resolveLogFormat(settings.format, terminalInfo())),
  };
  if (settings.file !== null) sinks["file"] = fileSink(settings.file);
  const sinkIds = Object.keys(sinks);

  configureSync({
    reset: true,
    sinks,
    loggers: [
      { category: [ROOT_CATEGORY], sinks: sinkIds, lowestLevel: settings.level },
      // "override" with the same sinks: an inherited sink would keep the parent's level.
      ...categoryConfigs.map(({ category, level }) => ({
        category: [ROOT_CATEGORY, ...category],
        sinks: sinkIds,
        parentSinks: "override" as const,
        lowestLevel: level,
      })),
      { category: ["logtape", "meta"], sinks: ["main"], lowestLevel: "warning" },
    ],
  });
}

/**
 * Removes the logging setup and closes the log file; loggers then drop every record.
 *
 * @example
 * ```ts
 * resetLogging(); // at the end of a test that called setupLogging
 * ```
 */
export function resetLogging(): void {
  resetSync();
}

/**
 * Returns the logger of a project category, e.g. `"data"` for `deno-mlops · data`.
 *
 * @param category a dotted category below the root (`"models.train"`), or `""` for the root
 * @returns the logger
 * @throws {TypeError} when the category has an empty part, e.g. `"data..x"`
 * @example
 * ```ts
 * const log = getProjectLogger("data");
 * log.info("Loaded {rows} rows from {path}", { rows: 344, path });
 * ```
 */
export function getProjectLogger(category: string): Logger {
  if (category.length === 0) return getLogger([ROOT_CATEGORY]);
  return getLogger([ROOT_CATEGORY, ...categoryPath(category, `"${category}"`, TypeError)]);
}

/** What {@link captureLogs} returns. */
export interface LogCapture {
  /** Every record logged since the capture started, oldest first. */
  readonly records: LogRecord[];
  /** The rendered messages of `records`. */
  messages(): string[];
  /** Stops capturing and removes the logging setup. */
  stop(): void;
  /** Same as `stop()`, for `using capture = captureLogs()`. */
  [Symbol.dispose](): void;
}

/**
 * Starts collecting log records in memory instead of printing them (for tests and notebooks).
 *
 * @param options levels to capture with; the file sink is never used
 * @returns the capture; call `stop()` (or use `using`) when done
 * @throws {ConfigError} when a level or category is invalid
 * @example
 * ```ts
 * using logs = captureLogs({ level: "debug" });
 * loadSomething();
 * assert.ok(logs.messages().some((m) => m.includes("rows")));
 * ```
 */
export function captureLogs(options: Partial<LoggingOptions> = {}): LogCapture {
  const records: LogRecord[] = [];
  setupLogging({ ...options, file: null }, (record) => records.push(record));
  const stop = () => resetLogging();
  return {
    records,
    messages: () => records.map(renderMessage),
    stop,
    [Symbol.dispose]: stop,
  };
}

// ---------------------------------------------------------------- sinks

function stderrSink(format: "text" | "json"): Sink {
  const formatter: TextFormatter = format === "json"
    ? formatJsonLine
    : useColor()
    ? getAnsiColorFormatter({ timestamp: "time", category: ".", value: "bare" })
    : getTextFormatter({ timestamp: "time", category: ".", value: "bare" });
  const encoder = new TextEncoder();
  return (record) => writeAll(Deno.stderr, encoder.encode(formatter(record)));
}

/** A sink appending JSON lines synchronously; LogTape closes it on reset. */
function fileSink(path: string): Sink & Disposable {
  let file: Deno.FsFile;
  try {
    Deno.mkdirSync(dirname(path), { recursive: true });
    file = Deno.openSync(path, { append: true, create: true });
  } catch (cause) {
    throw new ConfigError(
      `Cannot open log file "${path}": check that the folder is writable, or set logging.file to null`,
      [],
      { cause },
    );
  }
  const encoder = new TextEncoder();
  const sink = (record: LogRecord) => writeAll(file, encoder.encode(formatJsonLine(record)));
  return Object.assign(sink, { [Symbol.dispose]: () => file.close() });
}

function writeAll(target: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += target.writeSync(bytes.subarray(offset));
}

// ---------------------------------------------------------------- helpers

function terminalInfo(): TerminalInfo {
  return { isTerminal: Deno.stderr.isTerminal(), ci: readEnv("CI") === "true" };
}

function useColor(): boolean {
  return Deno.stderr.isTerminal() && readEnv("NO_COLOR") === undefined;
}

/** Reads an environment variable, treating a denied permission as unset. */
function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function checkLevel(level: string, where: string): void {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(
      `Cannot set up logging: ${where} is "${level}", expected one of ${
        LOG_LEVELS.map((l) => `"${l}"`).join(" | ")
      }`,
    );
  }
}

function categoryPath(
  name: string,
  where: string,
  ErrorClass: typeof ConfigError | typeof TypeError = ConfigError,
): string[] {
  const parts = name.split(".");
  if (parts.some((p) => p.length === 0)) {
    throw new ErrorClass(
      `Cannot use log category ${where}: it has an empty part, write names such as "data" or "models.train"`,
    );
  }
  return parts[0] === ROOT_CATEGORY ? parts.slice(1) : parts;
}

function renderMessage(record: LogRecord): string {
  return record.message
    .map((
      part,
      i,
    ) => (i % 2 === 0 ? String(part) : typeof part === "string" ? part : safeJson(part)))
    .join("");
}

function safeJson(value: unknown): string {
  const replacer = (_key: string, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack };
    return v;
  };
  try {
    return JSON.stringify(value, replacer) ?? "null";
  } catch {
    // Circular values: replace every repeated object so a log line is never lost.
    const seen = new WeakSet<object>();
    return JSON.stringify(value, (key, v: unknown) => {
      const out = replacer(key, v);
      if (out !== null && typeof out === "object") {
        if (seen.has(out)) return "[Circular]";
        seen.add(out);
      }
      return out;
    }) ?? "null";
  }
}

/** Our level names must stay LogTape level names. */
const LEVELS_ARE_LOGTAPE_LEVELS: readonly LogTapeLevel[] = LOG_LEVELS;
void LEVELS_ARE_LOGTAPE_LEVELS;
