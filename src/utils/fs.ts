/**
 * Small file-system questions the registry, reports and studies ask.
 *
 * @module
 */

/**
 * Tells whether something exists at `path`.
 *
 * @param path the path to look at
 * @param options `followLinks: false` asks about a symbolic link itself (`lstat`), so a dangling
 *   link counts as existing; by default the link is followed (`stat`)
 * @returns true when it exists, false when it does not
 * @throws any other error of `stat`, such as a permission refusal
 * @example
 * ```ts
 * if (await pathExists(`${dir}/run.json`)) console.log("a complete run");
 * ```
 */
export async function pathExists(
  path: string,
  options: { followLinks?: boolean } = {},
): Promise<boolean> {
  try {
    await (options.followLinks === false ? Deno.lstat(path) : Deno.stat(path));
    return true;
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return false;
    throw cause;
  }
}
