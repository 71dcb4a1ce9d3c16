/**
 * Showing a polars frame in a notebook as an HTML table with a plain-text twin, cut to the
 * first and last rows and columns when it is large.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import { checkCount, describeValue, escapeHtml } from "./_util.ts";
import {
  DEFAULT_DISPLAY_OPTIONS,
  display,
  type DisplayBundle,
  type DisplayOptions,
  HTML_MIME,
  TEXT_MIME,
} from "./display.ts";
import { isNumericDtype } from "../utils/mod.ts";

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
 * and prints an aligned text table outside the kernel. {@link tableBundle} builds the bundle
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
  const dtypes = df.dtypes.map((d) => dtypeName(String(d)));
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
  const picked = rowIndexes.filter((i): i is number => i !== null);
  const columnIndexes = shownColumns.filter((i): i is number => i !== null);
  const numeric = new Map(
    columnIndexes.map((c) => [c, isNumericDtype(df.getColumn(names[c]!).dtype)]),
  );
  const cellsByColumn = columnIndexes.map((c) => {
    const series = df.getColumn(names[c]!);
    const isFloat = series.isFloat();
    return picked.map((row): CellText => {
      const value = series.get(row) as unknown;
      const isNull = value === null || value === undefined;
      return { text: cellText(value, settings.maxCellChars, isFloat), isNull };
    });
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

function cellText(value: unknown, maxChars: number, isFloat: boolean): string {
  let text: string;
  if (value === null || value === undefined) text = "null";
  else if (typeof value === "number") text = formatNumber(value, isFloat);
  else if (typeof value === "bigint") text = value.toString();
  else if (typeof value === "string") text = value;
  else if (value instanceof Date) {
    text = Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  } else if (typeof value === "boolean") text = String(value);
  else text = JSON.stringify(value, (_, v) => typeof v === "bigint" ? v.toString() : v) ?? "";
  const chars = [...text];
  return chars.length > maxChars ? chars.slice(0, maxChars - 1).join("") + ELLIPSIS : text;
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
  return out;
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
