/**
 * Compact, readable JSON for notebook output.
 *
 * `JSON.stringify(value, null, 2)` puts every array item on its own line (a state of a few
 * scalers and encoders runs to 140 lines), and `JSON.stringify(value)` gives one line that runs
 * off the page. {@link formatJson} keeps each object or array on one line when it fits in the
 * width, and breaks it over indented lines only when it does not; a list of numbers or strings
 * then fills its lines rather than taking one line per item.
 *
 * @module
 */

/** Options of {@link formatJson}. */
export interface FormatJsonOptions {
  /**
   * Most characters per line an object or array is kept on (20–400); longer ones are broken.
   * @default 96
   */
  width?: number;
}

/**
 * Defaults of {@link FormatJsonOptions}.
 *
 * @example
 * ```ts
 * formatJson(state, { ...DEFAULT_FORMAT_JSON_OPTIONS, width: 80 });
 * ```
 */
export const DEFAULT_FORMAT_JSON_OPTIONS: Readonly<Required<FormatJsonOptions>> = {
  width: 96,
};

/**
 * Formats a value as JSON that fits the page: each object or array on one line when it fits in
 * `width` characters, otherwise one member per line, indented by two spaces (a list of scalars
 * fills its lines instead).
 *
 * The text parses back to the same value as `JSON.stringify(value)` does (`toJSON` is honoured,
 * `undefined` members are left out).
 *
 * @param value any value `JSON.stringify` accepts
 * @param options the line width
 * @returns the JSON text, without a final newline
 * @throws {TypeError} when the value cannot be serialised (a cycle, a bigint), or is `undefined`
 * @throws {RangeError} when `width` is not an integer from 20 to 400
 * @example
 * ```ts
 * console.log(formatJson({ steps: [{ kind: "StandardScaler", columns: ["a", "b"] }] }));
 * // {"steps": [{"kind": "StandardScaler", "columns": ["a", "b"]}]}
 * ```
 */
export function formatJson(value: unknown, options: FormatJsonOptions = {}): string {
  const settings = { ...DEFAULT_FORMAT_JSON_OPTIONS, ...options };
  const { width } = settings;
  if (!Number.isInteger(width) || width < 20 || width > 400) {
    throw new RangeError(
      `Cannot format JSON: width is ${width}, expected an integer from 20 to 400`,
    );
  }
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new TypeError(`Cannot format JSON: ${typeof value} has no JSON form`);
  }
  return layout(JSON.parse(text), 0, width);
}

function flat(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flat).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.entries(value).map(([key, item]) =>
      `${JSON.stringify(key)}: ${flat(item)}`
    );
    return `{${members.join(", ")}}`;
  }
  return JSON.stringify(value);
}

/** Lays out a parsed JSON value starting at column `indent`, after `prefix` characters. */
function layout(value: unknown, indent: number, width: number, prefix = 0): string {
  const oneLine = flat(value);
  if (typeof value !== "object" || value === null || indent + prefix + oneLine.length <= width) {
    return oneLine;
  }
  const inner = " ".repeat(indent + 2);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((item) => typeof item !== "object" || item === null)) {
      return `[\n${packed(value.map(flat), inner, width)}\n${" ".repeat(indent)}]`;
    }
    const items = value.map((item) => inner + layout(item, indent + 2, width));
    return `[\n${items.join(",\n")}\n${" ".repeat(indent)}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return "{}";
  const members = entries.map(([key, item]) => {
    const head = `${JSON.stringify(key)}: `;
    return inner + head + layout(item, indent + 2, width, head.length);
  });
  return `{\n${members.join(",\n")}\n${" ".repeat(indent)}}`;
}

/** Fills lines with as many of the items as fit in the width, each line starting with `inner`. */
function packed(items: readonly string[], inner: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const [i, item] of items.entries()) {
    const piece = i === items.length - 1 ? item : `${item},`;
    if (line !== "" && inner.length + line.length + 1 + piece.length > width) {
      lines.push(inner + line);
      line = piece;
    } else {
      line = line === "" ? piece : `${line} ${piece}`;
    }
  }
  lines.push(inner + line);
  return lines.join("\n");
}
