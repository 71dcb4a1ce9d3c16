/**
 * Rich display for notebooks: display bundles and the sinks that deliver them.
 *
 * A display bundle is a map from MIME type to content. The `*Bundle` functions (in
 * `show_chart.ts`, `show_table.ts`, `show_run.ts`) build one; the `show*` functions build one
 * and hand it to {@link display}, which passes it to a {@link DisplaySink}. Inside the Deno
 * Jupyter kernel the sink broadcasts it on the IOPub channel (`display_data`, or
 * `update_display_data` for a display that changes in place); on a terminal it prints the
 * bundle's `text/plain` part; anywhere else (tests, piped output) it does nothing. So the
 * helpers work, and can be tested, outside the kernel: pass a sink to receive the bundles, or
 * call the `*Bundle` builders.
 *
 * The `show*` functions resolve to `undefined` on purpose: the kernel prints a cell's last value
 * as its result, so a returned bundle would print the whole spec and SVG source under every chart.
 *
 * @module
 */
import { describeValue } from "./_util.ts";

// ---------------------------------------------------------------- bundles and sinks

/**
 * MIME type of a vega-lite spec of the major version `viz` builds (its `$schema` is
 * `vega-lite/v6.json`); JupyterLab, VS Code and nteract render the versions they know, and
 * every other front end shows the SVG beside it.
 */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v6+json";

/**
 * Gives the MIME type that matches a vega-lite spec's `$schema` major version, so a v6 spec is
 * never announced as v5.
 *
 * @param spec a vega-lite spec
 * @returns `application/vnd.vegalite.v<major>+json` from `$schema`, or {@link VEGA_LITE_MIME}
 *   when the spec names no vega-lite schema
 * @example
 * ```ts
 * vegaLiteMime({ $schema: "https://vega.github.io/schema/vega-lite/v5.json" }); // "application/vnd.vegalite.v5+json"
 * ```
 */
export function vegaLiteMime(spec: { $schema?: string }): string {
  const major = /\/vega-lite\/v(\d+)(?:\.\d+)*\.json$/.exec(spec.$schema ?? "")?.[1];
  return major === undefined ? VEGA_LITE_MIME : `application/vnd.vegalite.v${major}+json`;
}

/** MIME type of an SVG picture (every front end, GitHub's notebook viewer included). */
export const SVG_MIME = "image/svg+xml";

/**
 * MIME type of a PNG picture, base64-encoded: what an untrusted notebook in the classic front end
 * and static viewers show when they show no SVG.
 */
export const PNG_MIME = "image/png";

/** MIME type of HTML. */
export const HTML_MIME = "text/html";

/** MIME type of the plain-text fallback that every bundle carries. */
export const TEXT_MIME = "text/plain";

/**
 * MIME type of a recorded training run, `{ run_id, dir }`: the notebook runner collects run ids
 * from bundles of this type.
 */
export const RUN_MIME = "application/vnd.deno-mlops.run+json";

/**
 * What a display shows: content per MIME type. `text/plain` is always present; JSON types
 * (vega-lite, run records) hold objects, the others strings.
 */
export interface DisplayBundle {
  /** The plain-text form, shown where nothing richer can be. */
  [TEXT_MIME]: string;
  /** Any other representation, keyed by MIME type. */
  [mime: string]: string | object;
}

/** Where a bundle goes: a new display, or an update of the display with that id. */
export interface DisplayTarget {
  /** The display to create or update; `null` for an anonymous display. */
  displayId: string | null;
  /** `true` replaces the content of display `displayId` instead of adding a display. */
  update: boolean;
}

/**
 * Receives display bundles: {@link jupyterSink} broadcasts them, {@link textSink} prints their
 * text, tests collect them.
 */
export type DisplaySink = (bundle: DisplayBundle, target: DisplayTarget) => void | Promise<void>;

/** Options shared by every display helper. */
export interface DisplayOptions {
  /**
   * Where the bundle goes; `null` picks {@link defaultSink} at the time of the call.
   * @default null
   */
  sink?: DisplaySink | null;
  /**
   * An id for the display, so that a later call with `update: true` can replace its content.
   * @default null
   */
  displayId?: string | null;
  /**
   * Replace the content of display `displayId` instead of adding a new display.
   * @default false
   */
  update?: boolean;
}

/**
 * Defaults of {@link DisplayOptions}.
 *
 * @example
 * ```ts
 * await display({ "text/plain": "hello" }, { ...DEFAULT_DISPLAY_OPTIONS, displayId: "status" });
 * ```
 */
export const DEFAULT_DISPLAY_OPTIONS: Readonly<Required<DisplayOptions>> = {
  sink: null,
  displayId: null,
  update: false,
};

/** `Deno.jupyter.broadcast`: sends one message on the kernel's IOPub channel. */
export type JupyterBroadcast = (msgType: string, content: Record<string, unknown>) => Promise<void>;

/** The part of `Deno.jupyter` the sinks use. */
interface JupyterApi {
  broadcast: JupyterBroadcast;
}

/**
 * Tells whether code runs inside the Deno Jupyter kernel (`deno jupyter`).
 *
 * Outside the kernel, reading `Deno.jupyter` throws; this function never does.
 *
 * @returns `true` inside the kernel
 * @example
 * ```ts
 * if (!isJupyterKernel()) console.log("charts will be printed as text");
 * ```
 */
export function isJupyterKernel(): boolean {
  return jupyterApi() !== null;
}

/**
 * Returns a sink that broadcasts bundles to the Jupyter front end: `display_data` for a new
 * display, `update_display_data` to replace the content of an earlier one with the same id.
 *
 * @param broadcast the function that sends a message, or `null` for `Deno.jupyter.broadcast`
 * @returns the sink
 * @throws {TypeError} when `broadcast` is `null` outside the Deno Jupyter kernel
 * @example
 * ```ts
 * await show(spec, { sink: jupyterSink() });
 * ```
 */
export function jupyterSink(broadcast: JupyterBroadcast | null = null): DisplaySink {
  const send = broadcast ?? jupyterApi()?.broadcast;
  if (send === undefined) {
    throw new TypeError(
      `Cannot display in Jupyter: this code does not run in the Deno Jupyter kernel (Deno.jupyter is unavailable); use textSink() or leave the sink option out`,
    );
  }
  return async function broadcastBundle(bundle, target) {
    if (target.update && target.displayId === null) {
      throw new TypeError(
        `Cannot update a display: no displayId was given, pass the id used when the display was created`,
      );
    }
    await send(target.update ? "update_display_data" : "display_data", {
      data: bundle,
      metadata: {},
      transient: target.displayId === null ? {} : { display_id: target.displayId },
    });
  };
}

/**
 * Returns a sink that writes the `text/plain` part of each bundle, followed by a newline.
 *
 * @param write where the text goes
 * @returns the sink
 * @example
 * ```ts
 * const lines: string[] = [];
 * await showTable(df, { sink: textSink((text) => lines.push(text)) });
 * ```
 */
export function textSink(write: (text: string) => void = writeStdout): DisplaySink {
  return function writeText(bundle) {
    write(`${bundle[TEXT_MIME]}\n`);
  };
}

/**
 * Returns the sink the helpers use when none is given: Jupyter inside the kernel, plain text on
 * a terminal, and `null` (show nothing) when standard output is a file or a pipe.
 *
 * @returns the sink, or `null` when displays go nowhere
 * @example
 * ```ts
 * const sink = defaultSink(); // jupyterSink() in a notebook
 * ```
 */
export function defaultSink(): DisplaySink | null {
  if (isJupyterKernel()) return jupyterSink();
  return stdoutIsTerminal() ? textSink() : null;
}

/**
 * Sends a bundle to a sink: shows it in the notebook, or prints its text on a terminal.
 *
 * @param bundle the content per MIME type; it must have a `text/plain` string
 * @param options the sink, the display id and whether to update an earlier display
 * @returns nothing, once the sink has taken the bundle
 * @throws {TypeError} when the bundle has no `text/plain` string, or `update` has no `displayId`
 * @example
 * ```ts
 * await display({ "text/plain": "3 runs", "text/html": "<b>3</b> runs" });
 * ```
 */
export async function display(
  bundle: DisplayBundle,
  options: DisplayOptions = {},
): Promise<void> {
  const settings = { ...DEFAULT_DISPLAY_OPTIONS, ...options };
  if (typeof bundle !== "object" || bundle === null || typeof bundle[TEXT_MIME] !== "string") {
    throw new TypeError(
      `Cannot display bundle: expected an object with a "${TEXT_MIME}" string, got ${
        describeValue(bundle)
      }`,
    );
  }
  if (settings.update && settings.displayId === null) {
    throw new TypeError(
      `Cannot update a display: no displayId was given, pass the id used when the display was created`,
    );
  }
  const sink = settings.sink ?? defaultSink();
  if (sink !== null) {
    await sink(bundle, { displayId: settings.displayId, update: settings.update });
  }
}

// ---------------------------------------------------------------- helpers

function jupyterApi(): JupyterApi | null {
  try {
    // Deno.jupyter is a getter that throws outside `deno jupyter`.
    const api = (Deno as unknown as { jupyter?: Partial<JupyterApi> }).jupyter;
    return typeof api?.broadcast === "function" ? { broadcast: api.broadcast.bind(api) } : null;
  } catch {
    return null;
  }
}

function stdoutIsTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
}
