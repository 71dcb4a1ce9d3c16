/**
 * Small helpers shared by the notebook runner and its kernel transport.
 *
 * @module
 */

/** The message of an error, or the value as text when it is not an `Error`. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether `value` is a plain object (not `null`, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

