/**
 * The shared look of every chart (fonts, sizes, a colour-blind-safe palette) and the limits
 * every chart builder keeps to.
 *
 * @module
 */
import type { Config } from "vega-lite";

/** The colour of single-series marks: the first colour of {@link PALETTE}. */
export const PRIMARY = "#0072B2";

/**
 * The Okabe–Ito palette: eight colours that stay distinct under the common forms of colour
 * blindness. Category colours are taken from it in order.
 *
 * @example
 * ```ts
 * PALETTE[0]; // "#0072B2"
 * ```
 */
export const PALETTE: readonly string[] = Object.freeze([
  PRIMARY,
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#F0E442",
  "#000000",
]);

/** The font stack of every chart; generic fallbacks only, so SVGs need no web fonts. */
export const FONT = "Helvetica, Arial, sans-serif";

/**
 * Most rows of inline data a chart builder puts into one spec, whatever the input size.
 * Builders bin, aggregate, sample or thin their data to stay under it.
 *
 * @example
 * ```ts
 * countInlineRows(plotScatter(df, { x: "a", y: "b" })) <= MAX_INLINE_ROWS; // true
 * ```
 */
export const MAX_INLINE_ROWS = 5000;

/**
 * The vega-lite `config` every chart builder sets: fonts and sizes, a white background, the
 * {@link PALETTE} for categories and colour-blind-safe schemes for continuous colour.
 *
 * Builders put a copy into each spec, so changing one spec's `config` leaves this object and
 * other specs alone.
 *
 * @example
 * ```ts
 * const spec = { ...mySpec, config: structuredClone(THEME) };
 * ```
 */
export const THEME: Readonly<Config> = Object.freeze<Config>({
  background: "white",
  padding: 8,
  font: FONT,
  view: { stroke: "#dddddd" },
  title: {
    font: FONT,
    fontSize: 14,
    fontWeight: "bold",
    anchor: "start",
    color: "#222222",
    subtitleFont: FONT,
    subtitleFontSize: 11,
    subtitleColor: "#555555",
    offset: 8,
  },
  axis: {
    labelFont: FONT,
    labelFontSize: 10,
    titleFont: FONT,
    titleFontSize: 11,
    titleFontWeight: "normal",
    titleColor: "#333333",
    labelColor: "#333333",
    gridColor: "#eeeeee",
    domainColor: "#888888",
    tickColor: "#888888",
  },
  legend: {
    labelFont: FONT,
    labelFontSize: 10,
    titleFont: FONT,
    titleFontSize: 11,
    titleFontWeight: "normal",
  },
  header: {
    labelFont: FONT,
    labelFontSize: 11,
    titleFont: FONT,
    titleFontSize: 11,
  },
  range: {
    category: [...PALETTE],
    diverging: { scheme: "blueorange" },
    heatmap: { scheme: "viridis" },
    ramp: { scheme: "viridis" },
  },
  mark: { color: PRIMARY },
  bar: { color: PRIMARY },
  point: { filled: true, size: 24, opacity: 0.7 },
  line: { strokeWidth: 2 },
});

/** Options every chart builder accepts. */
export interface ChartOptions {
  /**
   * The chart title; `null` makes one from the column names.
   * @default null
   */
  title?: string | null;
  /**
   * Width of the plotting area in pixels (of each panel, for grids and facets).
   * @default 400
   */
  width?: number;
  /**
   * Height of the plotting area in pixels (of each panel, for grids and facets).
   * @default 300
   */
  height?: number;
}

/**
 * Defaults of {@link ChartOptions}.
 *
 * @example
 * ```ts
 * const { width } = { ...DEFAULT_CHART_OPTIONS, ...options };
 * ```
 */
export const DEFAULT_CHART_OPTIONS: Readonly<Required<ChartOptions>> = Object.freeze({
  title: null,
  width: 400,
  height: 300,
});
