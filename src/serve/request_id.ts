/**
 * Request ids: the service keeps a caller's `X-Request-Id` when it is short and plain, or makes
 * one, so that a request can be followed from the gateway through every log line and error body.
 *
 * @module
 */

/** The header that carries a request id, both ways. */
export const REQUEST_ID_HEADER = "X-Request-Id";

/** What a kept request id may be: 1 to 128 letters, digits and `._:-`. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:\-]{1,128}$/;

/**
 * Returns the caller's request id when it is sane, or a new random one.
 *
 * @param given the `X-Request-Id` header, or `null`
 * @returns the id to use (a UUID when `given` is missing, too long, or has other characters)
 * @example
 * ```ts
 * requestIdFor("gw-7f3a"); // "gw-7f3a"
 * requestIdFor("bad id\n"); // "3b2c…" (a new UUID)
 * ```
 */
export function requestIdFor(given: string | null): string {
  return given !== null && REQUEST_ID_PATTERN.test(given) ? given : crypto.randomUUID();
}
