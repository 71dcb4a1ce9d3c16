/**
 * Config keys whose values may be secrets: error messages and override notes name them but
 * never show their values. `serve.tokens` holds sha256 digests, but a plain token pasted there
 * by mistake must not be printed back to the terminal or a log.
 *
 * @module
 */

/** Key paths whose values (and everything under them) are never echoed. */
export const SECRET_KEY_PATHS: readonly string[] = ["serve.tokens"];

/** What a message shows in place of a secret key's value. */
export const HIDDEN_VALUE = "a value not shown (this key may hold a secret)";

/**
 * Whether a key path is, or lies under, a secret key.
 *
 * @param path a formatted key path, e.g. `serve.tokens[0].sha256`
 * @returns true when its value must not be echoed
 * @example
 * ```ts
 * isSecretKeyPath("serve.tokens[0].sha256"); // true
 * isSecretKeyPath("serve.port"); // false
 * ```
 */
export function isSecretKeyPath(path: string): boolean {
  return SECRET_KEY_PATHS.some((key) =>
    path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`)
  );
}
