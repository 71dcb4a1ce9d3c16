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

/** Escapes `&`, `<`, `>` and `"` for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** Throws `RangeError` unless the option `name` is an integer of at least `min`. */
export function checkCount(value: number, name: string, min: number, action: string): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `${action}: option "${name}" must be an integer >= ${min}, got ${describeValue(value)}`,
    );
  }
}

/** Shows a value in a message: strings quoted, primitives as they are, objects by their tag. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return String(value);
  }
  if (value === undefined) return "undefined";
  return Object.prototype.toString.call(value);
}
