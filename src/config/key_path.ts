/**
 * Config key paths: the one grammar for `training.learning_rate`, `model.params.hidden_units[1]`
 * and `cleaning.nulls."Body Mass (g)".strategy`, used by `--set` overrides, `search:` keys and
 * the trial values tune applies, with get and set on plain config trees.
 *
 * @module
 */

/** One step of a config key path: a map key or a list index. */
export type KeyPathSegment = string | number;

/**
 * Reads the key path at the start of `text` (`a.b[1]."Key with spaces".c`); stops at `=` when
 * `untilEquals`. This is the one key-path grammar of the project: `--set`, `search:` keys and
 * tune's trial values all go through it.
 *
 * @param text the text, starting with the key path
 * @param untilEquals stop at the first `=` outside quotes (for `--set key=value`)
 * @throws {Error} naming what is wrong and its 1-based position
 *
 * @returns the segments and the index after the path
 */
export function readKeyPath(
  text: string,
  untilEquals: boolean,
): { segments: KeyPathSegment[]; end: number } {
  const segments: KeyPathSegment[] = [];
  let i = 0;
  while (true) {
    if (text[i] === '"') {
      let name = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        name += text[i];
        i++;
      }
      if (text[i] !== '"') throw new Error(`a quoted key is not closed`);
      i++;
      segments.push(name);
    } else {
      const start = i;
      while (i < text.length && !'.[]="'.includes(text[i]!)) i++;
      const name = text.slice(start, i).trim();
      if (name.length === 0) {
        throw new Error(`empty key at position ${start + 1}`);
      }
      segments.push(name);
    }
    while (text[i] === "[") {
      const close = text.indexOf("]", i);
      const digits = close < 0 ? "" : text.slice(i + 1, close);
      if (!/^\d+$/.test(digits)) {
        throw new Error(`expected a list index such as [0] at position ${i + 1}`);
      }
      segments.push(Number(digits));
      i = close + 1;
    }
    if (i >= text.length || (untilEquals && text[i] === "=")) break;
    if (text[i] !== ".") {
      throw new Error(`unexpected "${text[i]}" at position ${i + 1}`);
    }
    i++;
  }
  return { segments, end: i };
}

/**
 * Formats a key path the way `--set` and `search:` accept it: `a.b[1]."Body Mass (g)"`.
 *
 * @param path the segments
 * @returns the key path text, which {@link parseKeyPath} reads back to `path`
 * @example
 * ```ts
 * formatKeyPath(["model", "params", "hidden_units", 1]); // "model.params.hidden_units[1]"
 * ```
 */
export function formatKeyPath(path: readonly KeyPathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const name = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)
        ? segment
        : `"${segment.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
      out += out.length === 0 ? name : `.${name}`;
    }
  }
  return out;
}

/**
 * Parses a whole key path such as `training.learning_rate`, `model.params.hidden_units[1]` or
 * `cleaning.nulls."Body Mass (g)".strategy` into its segments.
 *
 * @param key the key path text
 * @returns the segments: strings for map keys, numbers for list indexes
 * @throws {SyntaxError} when `key` is not a key path
 * @example
 * ```ts
 * parseKeyPath('model.params.hidden_units[1]'); // ["model", "params", "hidden_units", 1]
 * ```
 */
export function parseKeyPath(key: string): KeyPathSegment[] {
  try {
    return readKeyPath(key, false).segments;
  } catch (cause) {
    throw new SyntaxError(
      `"${key}" is not a key path such as "training.learning_rate" (${(cause as Error).message})`,
      { cause },
    );
  }
}

/**
 * Returns the value at `path` in a plain tree of maps and lists, or `undefined` when a step is
 * missing (own keys only).
 *
 * @param tree the root map
 * @param path the segments, as {@link parseKeyPath} returns them
 * @returns the value found
 * @example
 * ```ts
 * getAtKeyPath({ model: { params: { hidden_units: [32, 16] } } }, ["model", "params", "hidden_units", 1]); // 16
 * ```
 */
export function getAtKeyPath(tree: unknown, path: readonly KeyPathSegment[]): unknown {
  let node: unknown = tree;
  for (const segment of path) {
    if (node === undefined || node === null || typeof node !== "object") return undefined;
    if (Array.isArray(node)) {
      node = typeof segment === "number" ? node[segment] : undefined;
    } else {
      node = typeof segment === "string" && Object.hasOwn(node, segment)
        ? (node as Record<string, unknown>)[segment]
        : undefined;
    }
  }
  return node;
}

/** Where and why {@link setAtKeyPath} could not set a value. */
export interface KeyPathMiss {
  /** The segments up to the one that failed, joined with `.`. */
  where: string;
  /** `"list"`: the index is not an item of a list; `"map"`: the value above is not a map. */
  expected: "list" | "map";
  /** Length of the list found, or 0 when none was found (for `"list"`). */
  listLength: number;
}

/**
 * Sets a copy of `value` at `path` in a plain tree, creating missing maps on the way; list
 * items must exist.
 *
 * @param tree the root map, changed in place
 * @param path the segments, as {@link parseKeyPath} returns them
 * @param value the value to set (structured-cloned)
 * @returns `null` when set, or where and why it could not be set
 * @example
 * ```ts
 * const tree = { training: { epochs: 10 } };
 * setAtKeyPath(tree, ["training", "learning_rate"], 0.01); // null; tree.training.learning_rate === 0.01
 * ```
 */
export function setAtKeyPath(
  tree: Record<string, unknown>,
  path: readonly KeyPathSegment[],
  value: unknown,
): KeyPathMiss | null {
  let holder: unknown = tree;
  for (let n = 0; n < path.length; n++) {
    const segment = path[n]!;
    const last = n === path.length - 1;
    const where = path.slice(0, n + 1).join(".");
    if (typeof segment === "number") {
      if (!Array.isArray(holder) || segment >= holder.length) {
        return { where, expected: "list", listLength: Array.isArray(holder) ? holder.length : 0 };
      }
      if (last) holder[segment] = structuredClone(value);
      else holder = holder[segment];
      continue;
    }
    if (holder === null || typeof holder !== "object" || Array.isArray(holder)) {
      return { where, expected: "map", listLength: 0 };
    }
    const map = holder as Record<string, unknown>;
    if (last) {
      map[segment] = structuredClone(value);
    } else {
      if (map[segment] === undefined || map[segment] === null) map[segment] = {};
      holder = map[segment];
    }
  }
  return null;
}
