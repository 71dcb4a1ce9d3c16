/**
 * Log capture for tests: run code with project logging sent to memory and get the records.
 *
 * @module
 */
import { captureLogs, type LoggingOptions, type LogRecord } from "../../src/utils/logger.ts";

/** One captured record in a form that is easy to compare in assertions. */
export interface CapturedLog {
  /** e.g. `"info"`. */
  level: string;
  /** Dotted category, e.g. `"deno-mlops.data"`. */
  category: string;
  /** The rendered message. */
  message: string;
  /** The structured properties passed with the message. */
  properties: Record<string, unknown>;
}

/**
 * Runs `fn` with logging captured in memory and returns what was logged; logging is reset after.
 *
 * @param fn the code under test
 * @param options levels to capture with (default: everything from `trace`)
 * @returns the captured records, oldest first
 * @example
 * ```ts
 * const logs = await withCapturedLogs(() => getProjectLogger("data").info("hello"));
 * assert.deepEqual(logs.map((l) => l.message), ["hello"]);
 * ```
 */
export async function withCapturedLogs(
  fn: () => unknown,
  options: Partial<LoggingOptions> = { level: "trace" },
): Promise<CapturedLog[]> {
  const capture = captureLogs(options);
  try {
    await fn();
  } finally {
    capture.stop();
  }
  return capture.records.map(toCaptured);
}

function toCaptured(record: LogRecord): CapturedLog {
  const message = record.message
    .map((
      part,
      i,
    ) => (i % 2 === 0 || typeof part === "string" ? String(part) : JSON.stringify(part)))
    .join("");
  return {
    level: record.level,
    category: record.category.join("."),
    message,
    properties: { ...record.properties },
  };
}
