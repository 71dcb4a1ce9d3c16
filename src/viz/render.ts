/**
 * Turns vega-lite specs into vega specs and self-contained SVG, headlessly.
 *
 * Rendering uses vega's scenegraph with no canvas: deno-mlops installs no `canvas` package, so
 * vega measures text with its built-in estimate (about 0.8 × font size per character) instead
 * of real font metrics. Labels and titles are drawn as SVG `<text>`; only their layout (legend
 * and axis offsets, label overlap removal) rests on the estimate. Data must be inline: the
 * loader refuses every URL and file, so rendering never touches the network or the disk.
 *
 * @module
 */
import * as vega from "vega";
import * as vl from "vega-lite";
import type { TopLevelSpec } from "vega-lite";
import { getProjectLogger, type Logger } from "../utils/mod.ts";
import { show } from "./_shared.ts";

/** Options of {@link toVegaSpec} and {@link toSVG}. */
export interface RenderOptions {
  /**
   * Where vega-lite and vega warnings go (e.g. a dropped encoding), or `null` for the project
   * logger of category `viz`.
   * @default null
   */
  logger?: Logger | null;
}

/**
 * Defaults of {@link RenderOptions}.
 *
 * @example
 * ```ts
 * await toSVG(spec, { ...DEFAULT_RENDER_OPTIONS });
 * ```
 */
export const DEFAULT_RENDER_OPTIONS: Readonly<Required<RenderOptions>> = { logger: null };

/**
 * Compiles a vega-lite spec to a vega spec.
 *
 * @param spec a vega-lite spec, e.g. from a chart builder
 * @param options where warnings go
 * @returns the compiled vega spec
 * @throws {TypeError} when `spec` is not an object or vega-lite cannot compile it
 * @example
 * ```ts
 * const vegaSpec = toVegaSpec(plotCounts(df, { column: "Island" }));
 * ```
 */
export function toVegaSpec(spec: TopLevelSpec, options: RenderOptions = {}): vega.Spec {
  const settings = { ...DEFAULT_RENDER_OPTIONS, ...options };
  const action = `Cannot compile chart ${describe(spec)}`;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new TypeError(`${action}: expected a vega-lite spec object, got ${show(spec)}`);
  }
  try {
    return vl.compile(spec, { logger: vegaLogger(resolveLogger(settings.logger)) })
      .spec as vega.Spec;
  } catch (cause) {
    throw new TypeError(`${action}: ${messageOf(cause)} (check the spec against vega-lite 6)`, {
      cause,
    });
  }
}

/**
 * Renders a vega-lite spec to a self-contained SVG document, without a browser.
 *
 * The SVG carries every mark and label inline; it references no fonts, images or scripts.
 *
 * @param spec a vega-lite spec with inline data
 * @param options where warnings go
 * @returns the SVG markup, starting with `<svg`
 * @throws {TypeError} when the spec cannot be compiled or parsed, or it loads data from a URL
 * @example
 * ```ts
 * const svg = await toSVG(plotHistogram(df, { column: "Body Mass (g)" }));
 * await Deno.writeTextFile("mass.svg", svg);
 * ```
 */
export async function toSVG(spec: TopLevelSpec, options: RenderOptions = {}): Promise<string> {
  const settings = { ...DEFAULT_RENDER_OPTIONS, ...options };
  const vegaSpec = toVegaSpec(spec, settings);
  const action = `Cannot render chart ${describe(spec)}`;
  const logger = vegaLogger(resolveLogger(settings.logger));
  const refused: string[] = [];
  let view: vega.View;
  try {
    view = new vega.View(vega.parse(vegaSpec), {
      renderer: "none",
      loader: offlineLoader(refused),
      logger,
      logLevel: WARN,
    });
  } catch (cause) {
    throw new TypeError(`${action}: ${messageOf(cause)}`, { cause });
  }
  let svg: string;
  try {
    svg = await view.toSVG();
  } catch (cause) {
    throw new TypeError(`${action}: ${messageOf(cause)}`, { cause });
  } finally {
    view.finalize();
  }
  // vega logs a failed load and draws the chart without that data, so check what was refused.
  if (refused.length > 0) {
    throw new TypeError(
      `${action}: it loads "${
        refused[0]
      }", but charts render offline (put the rows in data.values)`,
    );
  }
  return svg;
}

/**
 * Counts the rows of inline data in a spec: the `values` arrays of every `data` in it, at any
 * depth (layers, repeats, facets).
 *
 * @param spec a vega-lite spec
 * @returns the total number of inline rows
 * @example
 * ```ts
 * countInlineRows(plotScatter(df, { x: "a", y: "b" })); // at most 2000
 * ```
 */
export function countInlineRows(spec: TopLevelSpec): number {
  let total = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "data" && typeof value === "object" && value !== null) {
        const values = (value as { values?: unknown }).values;
        if (Array.isArray(values)) total += values.length;
      } else {
        visit(value);
      }
    }
  };
  visit(spec);
  return total;
}

/** vega's level numbers (vega-util): 1 error, 2 warn, 3 info, 4 debug. */
const ERROR = 1;
const WARN = 2;
const INFO = 3;

/** The logger interface of vega and vega-lite (vega-util's `LoggerInterface`). */
interface VegaLogger {
  level(level?: number): number | VegaLogger;
  error(...args: unknown[]): VegaLogger;
  warn(...args: unknown[]): VegaLogger;
  info(...args: unknown[]): VegaLogger;
  debug(...args: unknown[]): VegaLogger;
}

/**
 * Returns a vega logger that forwards to a project logger. It is a plain object over closed-over
 * state, not a class with private fields, because vega calls its methods with another `this`.
 */
function vegaLogger(logger: Logger): VegaLogger {
  let current = WARN;
  // Placeholder syntax keeps braces in vega's messages from being read as LogTape properties.
  const text = (args: unknown[]): [string, { message: string }] => [
    "vega: {message}",
    { message: args.map(messageOf).join(" ") },
  ];
  const adapter: VegaLogger = {
    level(level?: number): number | VegaLogger {
      if (level === undefined) return current;
      current = level;
      return adapter;
    },
    error(...args: unknown[]): VegaLogger {
      if (current >= ERROR) logger.error(...text(args));
      return adapter;
    },
    warn(...args: unknown[]): VegaLogger {
      if (current >= WARN) logger.warn(...text(args));
      return adapter;
    },
    info(...args: unknown[]): VegaLogger {
      if (current >= INFO) logger.debug(...text(args));
      return adapter;
    },
    debug(...args: unknown[]): VegaLogger {
      if (current > INFO) logger.debug(...text(args));
      return adapter;
    },
  };
  return adapter;
}

function resolveLogger(logger: Logger | null): Logger {
  return logger ?? getProjectLogger("viz");
}

/**
 * A vega loader that refuses every load and records what was asked for, so a rendered chart
 * only ever uses inline data.
 */
function offlineLoader(refused: string[]): vega.Loader {
  const refuse = (uri: string): Promise<never> => {
    refused.push(uri);
    return Promise.reject(new TypeError(`Cannot load "${uri}": charts render offline`));
  };
  return { load: refuse, sanitize: refuse, http: refuse, file: refuse };
}

function describe(spec: unknown): string {
  if (typeof spec !== "object" || spec === null) return "(untitled)";
  const title = (spec as { title?: unknown }).title;
  const text = typeof title === "string"
    ? title
    : typeof title === "object" && title !== null
    ? (title as { text?: unknown }).text
    : undefined;
  return typeof text === "string" ? `"${text}"` : "(untitled)";
}

function messageOf(value: unknown): string {
  return value instanceof Error ? value.message : String(value);
}
