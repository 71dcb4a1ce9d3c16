/**
 * HTML building blocks shared by the run report and the runs page: the page shell with its
 * inline CSS and sort script, sections, tables, cards, number formatting and escaping, and
 * chart rendering to inline SVG.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { METRIC_DIRECTIONS } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { toSVG } from "../viz/mod.ts";

/** Renders chart specs to figures, turning a failure into a visible note. */
export class ChartRenderer {
  readonly #logger: Logger;
  readonly #context: string;

  constructor(logger: Logger, context: string) {
    this.#logger = logger;
    this.#context = context;
  }

  async figure(id: string, caption: string, build: () => TopLevelSpec): Promise<string> {
    try {
      const svg = scopeSvgIds(await toSVG(build(), { logger: this.#logger }), id);
      return `<figure class="chart" id="chart-${esc(id)}">${svg}<figcaption>${
        esc(caption)
      }</figcaption></figure>`;
    } catch (error) {
      const message = (error as Error).message;
      this.#logger.warn("{context}: chart {id} not drawn: {message}", {
        context: this.#context,
        id,
        message,
      });
      return `<p class="note chart-error" data-chart="${esc(id)}">Chart "${
        esc(caption)
      }" not drawn: ${esc(message)}</p>`;
    }
  }
}

/**
 * Renames every `id` of an SVG, and the references to it, to `<chart>-<n>` in order of
 * appearance: several inline SVGs in one page never point at each other's clip paths or
 * gradients (vega numbers them per process), and the same chart always gets the same ids.
 */
function scopeSvgIds(svg: string, chart: string): string {
  const names = new Map<string, string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!names.has(match[1]!)) names.set(match[1]!, `${slug(chart)}-${names.size + 1}`);
  }
  const rename = (id: string) => names.get(id) ?? id;
  return svg
    .replace(/\sid="([^"]+)"/g, (_, id) => ` id="${rename(id)}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${rename(id)})`)
    .replace(/(xlink:href|href)="#([^"]+)"/g, (_, attr, id) => `${attr}="#${rename(id)}"`);
}

/** The inline style sheet of both pages. */
const CSS = `
:root { color-scheme: light; --fg: #1d2430; --muted: #5b6573; --line: #d9dee5; --accent: #0072B2;
  --bg: #ffffff; --panel: #f6f8fa; --good: #0a7a3d; --bad: #b3261e; --hl: #fff4d6; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px 12px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .subtitle { color: var(--muted); }
nav { padding: 8px 32px; border-bottom: 1px solid var(--line); position: sticky; top: 0; background: var(--bg); z-index: 1; }
nav a { margin-right: 16px; color: var(--accent); text-decoration: none; }
main { padding: 8px 32px 32px; max-width: 1400px; }
section { margin-top: 24px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td .num, td.num { font-variant-numeric: tabular-nums; }
td.num { text-align: right; }
table.kv th { text-align: left; width: 180px; background: none; color: var(--muted); font-weight: normal; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable td { white-space: nowrap; }
table.sortable th[aria-sort="ascending"]::after { content: " ▲"; }
table.sortable th[aria-sort="descending"]::after { content: " ▼"; }
tr.production td { background: var(--hl); }
tr.production td:first-child { box-shadow: inset 4px 0 0 #E69F00; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; background: #E69F00; color: #fff; font-size: 11px; }
.problem { color: var(--bad); font-size: 12px; }
.better { color: var(--good); }
.worse { color: var(--bad); }
.note { color: var(--muted); font-style: italic; }
.chart-error { color: var(--bad); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 180px; background: var(--panel); }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 22px; font-weight: 600; }
.card .detail { color: var(--muted); font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 8px; background: #fff; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; max-width: 640px; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 480px; font-size: 12px; }
code { font-family: Menlo, Consolas, monospace; font-size: 12px; }
.scroll { overflow-x: auto; }
footer { padding: 16px 32px; color: var(--muted); border-top: 1px solid var(--line); font-size: 12px; }
`;

/** Sorts `table.sortable` by a clicked header: ascending, then descending; numbers as numbers. */
export const SORT_SCRIPT = `
(function () {
  "use strict";
  function key(row, column) {
    var cell = row.children[column];
    return cell ? cell.getAttribute("data-sort") || "" : "";
  }
  function compare(a, b, numeric) {
    if (a === "" || b === "") return a === b ? 0 : a === "" ? 1 : -1;
    if (numeric) return Number(a) - Number(b);
    return a.localeCompare(b, undefined, { numeric: true });
  }
  function sortBy(table, th) {
    var column = Number(th.getAttribute("data-column"));
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var numeric = rows.every(function (row) {
      var value = key(row, column);
      return value === "" || isFinite(Number(value));
    });
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var sign = ascending ? 1 : -1;
    rows.sort(function (a, b) {
      var ka = key(a, column), kb = key(b, column);
      if (ka === "" || kb === "") return compare(ka, kb, numeric);
      return sign * compare(ka, kb, numeric);
    });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (row) { body.appendChild(row); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, th); }
      });
    });
  });
})();
`;

/** A whole self-contained HTML page (inline style and script only, a CSP that forbids requests). */
export function page(parts: {
  title: string;
  heading: string;
  subtitle: string;
  nav: readonly (readonly [string, string])[];
  body: string;
  footer: string;
  script: string | null;
}): string {
  // No request of any kind: styles and (on the runs page) the script are inline only.
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src ${
    parts.script ? "'unsafe-inline'" : "'none'"
  }; base-uri 'none'; form-action 'none'`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(parts.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${parts.heading}</h1><div class="subtitle">${parts.subtitle}</div></header>
<nav>${parts.nav.map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`).join("")}</nav>
<main>
${parts.body}
</main>
<footer>${parts.footer}</footer>
${parts.script ? `<script>${parts.script}</script>\n` : ""}</body>
</html>
`;
}

/** A `<section>` with an id and a heading around the given parts. */
export function section(id: string, title: string, parts: readonly string[]): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${parts.join("\n")}</section>`;
}

/** A table from header texts and rows of cell HTML, with an optional element id. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  id = "",
): string {
  return `<table${id ? ` id="${id}"` : ""}><thead><tr>${
    header.map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((row) => `<tr>${row.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

/** A two-column table of label and value HTML. */
export function keyValues(rows: readonly (readonly [string, string])[]): string {
  return `<table class="kv"><tbody>${
    rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")
  }</tbody></table>`;
}

/** A summary card: a label, a value and a detail line (both HTML). */
export function card(label: string, value: string, detail: string): string {
  return `<div class="card"><div class="label">${
    esc(label)
  }</div><div class="value">${value}</div><div class="detail">${detail}</div></div>`;
}

/** A table cell with its sort key and its shown HTML. */
export function cell(sortKey: string, html: string): string {
  return `<td data-sort="${esc(sortKey)}">${html}</td>`;
}

/** A number cell that sorts by value; `n/a` for `null` or a non-finite value. */
export function numberCell(value: number | null): string {
  return value === null || !Number.isFinite(value)
    ? cell("", "n/a")
    : `<td class="num" data-sort="${value}">${esc(formatNumber(value))}</td>`;
}

/** An integer with thousands separators, marked as a number. */
export function numCell(value: number): string {
  return `<span class="num">${esc(value.toLocaleString("en-US"))}</span>`;
}

/** Formats a number: integers as they are, others to six significant digits or exponent form. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 0.001 && Math.abs(value) < 1e6
    ? String(Number(value.toPrecision(6)))
    : value.toExponential(3);
}

/** Formats a number with four decimals, or `n/a` for `null` or a non-finite value. */
export function fmt(value: number | null): string {
  return value === null || !Number.isFinite(value) ? "n/a" : value.toFixed(4);
}

/** Formats a duration in seconds with two decimals, or `n/a`. */
export function fmtSeconds(seconds: number): string {
  return typeof seconds === "number" && Number.isFinite(seconds)
    ? `${seconds.toFixed(2)} s`
    : "n/a";
}

/** The value as a finite number, or `null`. */
export function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** Says whether higher or lower is better for a metric. */
export function direction(metric: string): string {
  const dir = METRIC_DIRECTIONS[metric as keyof typeof METRIC_DIRECTIONS];
  return dir === "max" ? "higher is better" : dir === "min" ? "lower is better" : "unknown";
}

/** A lower-case id fragment made of letters, digits and dashes. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
}

/** Escapes text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}
