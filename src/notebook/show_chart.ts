/**
 * Showing a chart in a notebook.
 *
 * A chart bundle carries the vega-lite spec, a rendered SVG and a PNG of it side by side:
 * JupyterLab and VS Code draw the vega-lite spec, a trusted classic notebook the SVG, and an
 * untrusted notebook (which shows no SVG) and static viewers such as GitHub's the PNG. The
 * executed `.ipynb` file keeps a picture of every chart. Both pictures are rendered without a
 * browser: the SVG by vega, the PNG from it by resvg in WebAssembly.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import type { Logger } from "../utils/mod.ts";
import { toSVG } from "../viz/mod.ts";
import {
  DEFAULT_DISPLAY_OPTIONS,
  display,
  type DisplayBundle,
  type DisplayOptions,
  PNG_MIME,
  SVG_MIME,
  TEXT_MIME,
  vegaLiteMime,
} from "./display.ts";
import { svgToPngBase64 } from "./_png.ts";

/** Options of {@link show} and {@link chartBundle}. */
export interface ShowOptions extends DisplayOptions {
  /**
   * Where vega warnings go while rendering the SVG; `null` for the `viz` project logger.
   * @default null
   */
  logger?: Logger | null;
  /**
   * Add an `image/png` rendering of the SVG, for viewers that show no SVG (an untrusted
   * notebook, static viewers). Live displays leave it out of their intermediate updates.
   * @default true
   */
  png?: boolean;
}

/**
 * Defaults of {@link ShowOptions}.
 *
 * @example
 * ```ts
 * await show(spec, { ...DEFAULT_SHOW_OPTIONS, displayId: "mass" });
 * ```
 */
export const DEFAULT_SHOW_OPTIONS: Readonly<Required<ShowOptions>> = {
  ...DEFAULT_DISPLAY_OPTIONS,
  logger: null,
  png: true,
};

/**
 * Builds the display bundle of a chart: the vega-lite spec, its SVG rendering, a PNG of the SVG
 * and a one-line text description.
 *
 * @param chart a vega-lite spec with inline data, e.g. from `plotHistogram`
 * @param options where render warnings go; `png: false` leaves the PNG out
 * @returns the bundle with the spec under the vega-lite MIME type of its `$schema`
 *   (`application/vnd.vegalite.v6+json` for `viz` charts), `image/svg+xml`, `image/png`
 *   (base64, the SVG's size) and `text/plain`
 * @throws {TypeError} when the spec cannot be compiled or rendered
 * @example
 * ```ts
 * const bundle = await chartBundle(plotCounts(df, { column: "Island" }));
 * bundle["image/svg+xml"]; // "<svg ..."
 * ```
 */
export async function chartBundle(
  chart: TopLevelSpec,
  options: Pick<ShowOptions, "logger" | "png"> = {},
): Promise<DisplayBundle> {
  // vega tags the inline rows it ingests with a symbol key; render a copy so the caller's spec,
  // which goes into the bundle, stays as it was built.
  const svg = await toSVG(structuredClone(chart), { logger: options.logger ?? null });
  const size = svgSize(svg);
  return {
    [vegaLiteMime(chart)]: chart,
    [SVG_MIME]: svg,
    ...(options.png === false ? {} : { [PNG_MIME]: await svgToPngBase64(svg, 1) }),
    [TEXT_MIME]: `Chart: ${chartTitleText(chart)}${
      size === null ? "" : ` (${size.width}×${size.height} SVG)`
    }`,
  };
}

/**
 * Shows a chart in the notebook: one display bundle with the vega-lite spec and its SVG.
 *
 * Outside the kernel it prints one line naming the chart (on a terminal); {@link chartBundle}
 * builds the same bundle without showing it.
 *
 * @param chart a vega-lite spec with inline data, e.g. from `plotHistogram`
 * @param options the sink, a display id to update later, where render warnings go
 * @returns nothing, once the chart was shown
 * @throws {TypeError} when the spec cannot be compiled or rendered
 * @example
 * ```ts
 * await show(plotHistogram(data.raw, { column: "Body Mass (g)", color: "Species" }));
 * ```
 */
export async function show(chart: TopLevelSpec, options: ShowOptions = {}): Promise<void> {
  const settings = { ...DEFAULT_SHOW_OPTIONS, ...options };
  const bundle = await chartBundle(chart, { logger: settings.logger, png: settings.png });
  await display(bundle, settings);
}

function chartTitleText(chart: TopLevelSpec): string {
  const title = (chart as { title?: unknown }).title;
  if (typeof title === "string") return `"${title}"`;
  if (Array.isArray(title)) return `"${title.join(" ")}"`;
  if (typeof title === "object" && title !== null) {
    const text = (title as { text?: unknown }).text;
    if (typeof text === "string") return `"${text}"`;
    if (Array.isArray(text)) return `"${text.join(" ")}"`;
  }
  return "(untitled)";
}

function svgSize(svg: string): { width: number; height: number } | null {
  const open = /^<svg\b[^>]*>/.exec(svg)?.[0] ?? "";
  const width = /\bwidth="([\d.]+)"/.exec(open)?.[1];
  const height = /\bheight="([\d.]+)"/.exec(open)?.[1];
  return width === undefined || height === undefined
    ? null
    : { width: Math.round(Number(width)), height: Math.round(Number(height)) };
}
