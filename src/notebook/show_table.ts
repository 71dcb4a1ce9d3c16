/**
 * Showing a polars frame in a notebook as an HTML table with a plain-text twin, cut to the
 * first and last rows and columns when it is large.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, Series } from "nodejs-polars";
import { checkCount, describeValue, escapeHtml } from "./_util.ts";
import {
  DEFAULT_DISPLAY_OPTIONS,
  display,
  type DisplayBundle,
  type DisplayOptions,
  HTML_MIME,
  TEXT_MIME,
} from "./display.ts";
import { dtypeVariant, isNumericDtype } from "../utils/mod.ts";

/** Options of {@link showTable} and {@link tableBundle}. */
export interface TableOptions extends DisplayOptions {
  /**
   * Rows shown from the top (0 or more).
   * @default 5
   */
  head?: number;
  /**
   * Rows shown from the bottom (0 or more); rows in both head and tail are shown once.
   * @default 5
   */
  tail?: number;
  /**
   * Most columns shown (2 or more); wider frames show the first and last columns around a
   * "…" column.
   * @default 20
   */
  maxColumns?: number;
  /**
   * Longest cell text (10 or more characters); longer values are cut and end with "…".
   * @default 60
   */
  maxCellChars?: number;
  /**
   * A caption above the table, or `null` for none.
   * @default null
   */
  title?: string | null;
}

/**
 * Defaults of {@link TableOptions}.
 *
 * @example
 * ```ts
 * await showTable(df, { ...DEFAULT_TABLE_OPTIONS, head: 10 });
 * ```
 */
export const DEFAULT_TABLE_OPTIONS: Readonly<Required<TableOptions>> = {
  ...DEFAULT_DISPLAY_OPTIONS,
  head: 5,
  tail: 5,
  maxColumns: 20,
  maxCellChars: 60,
  title: null,
};

/**
 * Builds the display bundle of a polars frame: an HTML table with the shape, each column's
 * dtype, the first and last rows, and the same as aligned plain text.
 *
 * @param df the frame
 * @param options rows and columns shown, cell width and a caption
 * @returns the bundle with `text/html` and `text/plain`
 * @throws {TypeError} when `df` is not a polars DataFrame
 * @throws {RangeError} when an option is out of range
 * @example
 * ```ts
 * tableBundle(pl.DataFrame({ a: [1, 2] }))["text/plain"]; // "shape: (2, 1)\n..."
 * ```
 */
export function tableBundle(df: DataFrame, options: TableOptions = {}): DisplayBundle {
  const settings = { ...DEFAULT_TABLE_OPTIONS, ...options };
  const action = "Cannot show table";
  checkFrame(df, action);
  checkCount(settings.head, "head", 0, action);
  checkCount(settings.tail, "tail", 0, action);
  checkCount(settings.maxColumns, "maxColumns", 2, action);
  checkCount(settings.maxCellChars, "maxCellChars", 10, action);
  if (settings.title !== null && typeof settings.title !== "string") {
    throw new TypeError(
      `${action}: option "title" must be a string or null, got ${describeValue(settings.title)}`,
    );
  }
  const layout = tableLayout(df, settings);
  return {
    [HTML_MIME]: tableHtml(layout, settings.title),
    [TEXT_MIME]: tableText(layout, settings.title),
  };
}

/**
 * Shows a polars frame as an HTML table: shape, dtypes, head and tail.
 *
 * nodejs-polars' own display shows nothing in some front ends; this one works in all of them
 * and prints an aligned text table outside the kernel. Every polars dtype is shown as polars
 * writes it: Date, Datetime (any unit, with its time zone offset), Time, Duration, Boolean,
 * Categorical, Null, Decimal and 64-bit integers beyond 2^53 exactly; List, Array and Struct
 * cells as JSON. {@link tableBundle} builds the bundle
 * without showing it.
 *
 * @param df the frame
 * @param options rows and columns shown, cell width, a caption, the sink
 * @returns nothing, once the table was shown
 * @throws {TypeError} when `df` is not a polars DataFrame
 * @throws {RangeError} when an option is out of range
 * @example
 * ```ts
 * await showTable(data.raw, { head: 3, tail: 2, title: "Raw penguins" });
 * ```
 */
export async function showTable(
  df: DataFrame,
  options: TableOptions = {},
): Promise<void> {
  await display(tableBundle(df, options), options);
}

/** The cells of a table as text, with where the gaps ("…") go. */
interface TableLayout {
  shape: { rows: number; columns: number };
  /** Column names, dtypes and whether they hold numbers; `null` marks the "…" column. */
  columns: ({ name: string; dtype: string; numeric: boolean } | null)[];
  /** Row number and cells; `null` marks the "…" row. */
  rows: ({ index: number; cells: CellText[] } | null)[];
}

/** One cell's text, and whether it is a null (drawn differently). */
interface CellText {
  text: string;
  isNull: boolean;
}

function tableLayout(df: DataFrame, settings: Required<TableOptions>): TableLayout {
  const { height, width } = df;
  const names = df.columns;
  // nodejs-polars reports every Duration as Duration(ms); polars' own header has the real unit.
  const durationUnits = new Map<number, TimeUnit>();
  df.dtypes.forEach((dtype, c) => {
    if (dtypeVariant(dtype) === "Duration") {
      durationUnits.set(c, durationUnit(df.select(names[c]!).head(0).toString()));
    }
  });
  const dtypes = df.dtypes.map((d, c) => {
    const unit = durationUnits.get(c);
    return unit === undefined ? dtypeName(String(d)) : `Duration(${unit})`;
  });
  let shownColumns: (number | null)[] = names.map((_, i) => i);
  if (width > settings.maxColumns) {
    const left = Math.ceil(settings.maxColumns / 2);
    const right = settings.maxColumns - left;
    shownColumns = [
      ...shownColumns.slice(0, left),
      null,
      ...(right > 0 ? shownColumns.slice(width - right) : []),
    ];
  }
  const headCount = Math.min(settings.head, height);
  const tailStart = Math.max(headCount, height - settings.tail);
  const rowIndexes: (number | null)[] = [];
  for (let i = 0; i < headCount; i++) rowIndexes.push(i);
  if (tailStart > headCount) rowIndexes.push(null);
  for (let i = tailStart; i < height; i++) rowIndexes.push(i);
  const columnIndexes = shownColumns.filter((i): i is number => i !== null);
  const numeric = new Map(
    columnIndexes.map((c) => [c, isNumericDtype(df.getColumn(names[c]!).dtype)]),
  );
  const cellsByColumn = columnIndexes.map((c) => {
    const series = df.getColumn(names[c]!);
    const shown = pickRows(series, headCount, tailStart);
    return columnTexts(shown, durationUnits.get(c) ?? null).map((text): CellText => ({
      text: text === null ? "null" : cutText(text, settings.maxCellChars),
      isNull: text === null,
    }));
  });
  let k = 0;
  const rows = rowIndexes.map((index) => {
    if (index === null) return null;
    const position = k++;
    return { index, cells: cellsByColumn.map((cells) => cells[position]!) };
  });
  return {
    shape: { rows: height, columns: width },
    columns: shownColumns.map((c) =>
      c === null ? null : { name: names[c]!, dtype: dtypes[c]!, numeric: numeric.get(c)! }
    ),
    rows,
  };
}

const ELLIPSIS = "…";

function tableHtml(layout: TableLayout, title: string | null): string {
  const cell = "padding:2px 8px;border-bottom:1px solid #e0e0e0;white-space:nowrap";
  const gapAt = layout.columns.indexOf(null);
  const shown = layout.columns.filter((c) => c !== null);
  const header = layout.columns.map((c) =>
    c === null
      ? `<th style="${cell}">${ELLIPSIS}</th>`
      : `<th style="${cell};text-align:left">${escapeHtml(c.name)}</th>`
  ).join("");
  const dtypes = layout.columns.map((c) =>
    `<td style="${cell};color:#666;font-style:italic">${c === null ? "" : escapeHtml(c.dtype)}</td>`
  ).join("");
  const body = layout.rows.map((row) => {
    if (row === null) {
      const gaps = layout.columns.map(() => `<td style="${cell}">${ELLIPSIS}</td>`).join("");
      return `<tr><td style="${cell};color:#666">${ELLIPSIS}</td>${gaps}</tr>`;
    }
    const cells = row.cells.map((c, i) =>
      `<td style="${cell};text-align:${shown[i]!.numeric ? "right" : "left"}${
        c.isNull ? ";color:#999" : ""
      }">${escapeHtml(c.text)}</td>`
    );
    if (gapAt >= 0) cells.splice(gapAt, 0, `<td style="${cell}">${ELLIPSIS}</td>`);
    return `<tr><td style="${cell};color:#666;text-align:right">${row.index}</td>${
      cells.join("")
    }</tr>`;
  }).join("");
  const caption = `${title === null ? "" : `<b>${escapeHtml(title)}</b> · `}shape: (${
    formatInteger(layout.shape.rows)
  }, ${formatInteger(layout.shape.columns)})`;
  return `<div><div style="margin-bottom:4px">${caption}</div>` +
    `<table style="border-collapse:collapse;font-size:12px;font-family:monospace">` +
    `<thead><tr><th style="${cell}"></th>${header}</tr>` +
    `<tr><td style="${cell}"></td>${dtypes}</tr></thead>` +
    `<tbody>${body}</tbody></table></div>`;
}

function tableText(layout: TableLayout, title: string | null): string {
  const gapAt = layout.columns.indexOf(null);
  const lines: string[][] = [];
  lines.push(["", ...layout.columns.map((c) => c === null ? ELLIPSIS : c.name)]);
  lines.push(["", ...layout.columns.map((c) => c === null ? "" : c.dtype)]);
  for (const row of layout.rows) {
    if (row === null) {
      lines.push([ELLIPSIS, ...layout.columns.map(() => ELLIPSIS)]);
      continue;
    }
    const cells = row.cells.map((c) => c.text);
    if (gapAt >= 0) cells.splice(gapAt, 0, ELLIPSIS);
    lines.push([String(row.index), ...cells]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((line) => [...line[i]!].length)));
  const numericColumn = [true, ...layout.columns.map((c) => c?.numeric ?? false)];
  const render = (line: string[], isHeader: boolean) =>
    line.map((text, i) => {
      const pad = " ".repeat(widths[i]! - [...text].length);
      return numericColumn[i] && !isHeader ? pad + text : text + pad;
    }).join("  ").trimEnd();
  const caption = `${
    title === null ? "" : `${title}, `
  }shape: (${layout.shape.rows}, ${layout.shape.columns})`;
  return [caption, ...lines.map((line, i) => render(line, i < 2))].join("\n");
}

type TimeUnit = "ns" | "us" | "ms";

/** The rows of the head and the tail, in order. */
function pickRows(series: Series, headCount: number, tailStart: number): Series {
  const head = series.slice(0, headCount);
  return tailStart < series.length
    ? head.concat(series.slice(tailStart, series.length - tailStart))
    : head;
}

/**
 * The text of every value of a column (`null` for a null), written as polars writes it: dates,
 * datetimes (with their time zone offset), times, decimals and 64-bit integers come from polars'
 * own cast to text, so nothing is rounded through a JS number or moved to UTC.
 */
function columnTexts(series: Series, durationUnit: TimeUnit | null): (string | null)[] {
  const variant = dtypeVariant(series.dtype);
  if (variant === "Float32" || variant === "Float64") {
    return (series.toArray() as (number | null)[]).map((x) =>
      x === null || x === undefined ? null : formatNumber(x, true)
    );
  }
  if (durationUnit !== null) {
    return asText(series.cast(pl.Int64)).map((ticks) =>
      ticks === null ? null : formatDuration(BigInt(ticks), durationUnit)
    );
  }
  if (NESTED_VARIANTS.has(variant)) {
    // List, Array and Struct cannot be cast to text; polars' JSON writer renders them.
    const name = series.name;
    const records = JSON.parse(
      pl.DataFrame([series]).writeJSON({ format: "json" }).toString(),
    ) as Record<string, unknown>[];
    return records.map((row) => {
      const value = row[name];
      return value === null || value === undefined ? null : JSON.stringify(value);
    });
  }
  if (variant === "Object") {
    return (series.toArray() as unknown[]).map((value) =>
      value === null || value === undefined ? null : objectText(value)
    );
  }
  return asText(series);
}

const NESTED_VARIANTS = new Set(["List", "FixedSizeList", "Array", "Struct"]);

function asText(series: Series): (string | null)[] {
  return series.cast(pl.Utf8).toArray() as (string | null)[];
}

function objectText(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value, (_, v) => typeof v === "bigint" ? v.toString() : v) ?? String(value);
}

function cutText(text: string, maxChars: number): string {
  const chars = [...text];
  return chars.length > maxChars ? chars.slice(0, maxChars - 1).join("") + ELLIPSIS : text;
}

/** The unit in polars' header of a one-column frame, e.g. "duration[μs]". */
function durationUnit(header: string): TimeUnit {
  const match = /duration\[(ns|μs|us|ms)\]/.exec(header);
  if (match === null) {
    throw new TypeError(`Cannot show table: no duration unit in polars' header "${header}"`);
  }
  return match[1] === "ns" ? "ns" : match[1] === "ms" ? "ms" : "us";
}

const TICKS_PER_SECOND: Record<TimeUnit, bigint> = {
  ms: 1000n,
  us: 1_000_000n,
  ns: 1_000_000_000n,
};

/** A duration as polars prints it: "1d 2h 3m 4s 500ms", "-6ms", "0s". */
function formatDuration(ticks: bigint, unit: TimeUnit): string {
  if (ticks === 0n) return "0s";
  const sign = ticks < 0n ? "-" : "";
  let rest = ticks < 0n ? -ticks : ticks;
  const perSecond = TICKS_PER_SECOND[unit];
  const fraction = rest % perSecond;
  rest /= perSecond;
  const parts: string[] = [];
  for (const [size, suffix] of [[86400n, "d"], [3600n, "h"], [60n, "m"], [1n, "s"]] as const) {
    const count = rest / size;
    rest %= size;
    if (count > 0n) parts.push(`${sign}${count}${suffix}`);
  }
  if (fraction > 0n) {
    const nanos = fraction * (1_000_000_000n / perSecond);
    if (nanos % 1_000_000n === 0n) parts.push(`${sign}${nanos / 1_000_000n}ms`);
    else if (nanos % 1000n === 0n) parts.push(`${sign}${nanos / 1000n}µs`);
    else parts.push(`${sign}${nanos}ns`);
  }
  return parts.join(" ");
}

/** Six significant digits; whole floats keep a ".0" so they read as floats, as polars prints them. */
function formatNumber(x: number, isFloat: boolean): string {
  if (!Number.isFinite(x)) return String(x);
  const text = String(Number(x.toPrecision(6)));
  return isFloat && /^-?\d+$/.test(text) ? `${text}.0` : text;
}

function formatInteger(n: number): string {
  return n.toLocaleString("en-US");
}

/** Turns `DataType(List(DataType(Float64)))` into `List(Float64)`. */
function dtypeName(text: string): string {
  const prefix = "DataType(";
  let out = text;
  for (let at = out.indexOf(prefix); at >= 0; at = out.indexOf(prefix)) {
    let depth = 0;
    let end = -1;
    for (let i = at + prefix.length - 1; i < out.length; i++) {
      if (out[i] === "(") depth++;
      else if (out[i] === ")" && --depth === 0) {
        end = i;
        break;
      }
    }
    if (end < 0) break;
    out = out.slice(0, at) + out.slice(at + prefix.length, end) + out.slice(end + 1);
  }
  // `Field("a", Int64)` → `a: Int64`, the fields of a Struct separated by ", ".
  const field = 'Field("';
  for (let at = out.indexOf(field); at >= 0; at = out.indexOf(field)) {
    const nameEnd = out.indexOf('", ', at + field.length);
    let depth = 0;
    let end = -1;
    for (let i = at + field.length - 2; i < out.length; i++) {
      if (out[i] === "(") depth++;
      else if (out[i] === ")" && --depth === 0) {
        end = i;
        break;
      }
    }
    if (nameEnd < 0 || end < 0) break;
    const name = out.slice(at + field.length, nameEnd);
    const inner = out.slice(nameEnd + 3, end);
    const next = out[end + 1] === "," ? ", " : "";
    out = out.slice(0, at) + `${name}: ${inner}` + next +
      out.slice(next === "" ? end + 1 : end + 2);
  }
  // `Datetime(ms,)` → `Datetime(ms)`, `Datetime(ms,Europe/Paris)` → `Datetime(ms, Europe/Paris)`.
  return out.replace(/Datetime\((\w+),\)/g, "Datetime($1)")
    .replace(/Datetime\((\w+),([^)]+)\)/g, "Datetime($1, $2)");
}

function checkFrame(df: unknown, action: string): asserts df is DataFrame {
  const frame = df as Partial<DataFrame> | null;
  if (
    typeof frame !== "object" || frame === null || !Array.isArray(frame.columns) ||
    typeof frame.getColumn !== "function" || typeof frame.height !== "number"
  ) {
    throw new TypeError(`${action}: expected a polars DataFrame, got ${describeValue(df)}`);
  }
}
