/**
 * The JSON value types of transformer artifacts, apart from `_base.ts` so the option and state
 * checks in `_params.ts` can name them without importing the transformer base.
 *
 * @module
 */

/** A value that survives `JSON.stringify` and `JSON.parse` unchanged. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
