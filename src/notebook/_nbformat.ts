/**
 * Reading and writing nbformat 4 notebooks, and turning kernel iopub messages into cell outputs
 * the way Jupyter does (streams merged, display ids updated in place, `clear_output` honoured).
 * Private to `src/notebook/`.
 *
 * Spec: https://nbformat.readthedocs.io/en/latest/format_description.html
 *
 * @module
 */
import { ArtifactError } from "../errors.ts";
import { writeFileAtomic } from "../utils/mod.ts";
import type { JupyterMessage } from "./_kernel.ts";
import { errorText, isRecord } from "./_util.ts";

/** A multiline string as nbformat stores it: one string, or a list of lines. */
export type MultilineString = string | string[];

/** One output of a code cell. */
export type CellOutput =
  | { output_type: "stream"; name: string; text: MultilineString }
  | {
    output_type: "display_data";
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
  }
  | {
    output_type: "execute_result";
    execution_count: number | null;
    data: Record<string, unknown>;
    metadata: Record<string, unknown>;
  }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** One cell of a notebook. */
export interface NotebookCell {
  /** `code`, `markdown` or `raw`. */
  cell_type: string;
  /** The cell's text. */
  source: MultilineString;
  /** Cell metadata, e.g. `tags`. */
  metadata: Record<string, unknown>;
  /** The cell id (nbformat 4.5 and later). */
  id?: string;
  /** Outputs (code cells only). */
  outputs?: CellOutput[];
  /** Execution count (code cells only). */
  execution_count?: number | null;
  /** Any other field is kept as read. */
  [key: string]: unknown;
}

/** An nbformat 4 notebook. */
export interface Notebook {
  /** Always 4. */
  nbformat: number;
  /** The minor version. */
  nbformat_minor: number;
  /** Notebook metadata: kernelspec, language_info, and ours under `deno_mlops`. */
  metadata: Record<string, unknown>;
  /** The cells in order. */
  cells: NotebookCell[];
}

/**
 * Reads and checks a notebook file.
 *
 * @param path the `.ipynb` file
 * @returns the parsed notebook
 * @throws {ArtifactError} when the file is missing, is not JSON, or is not an nbformat 4 notebook
 * @example
 * ```ts
 * const notebook = await readNotebook("notebooks/01_eda.ipynb");
 * ```
 */
export async function readNotebook(path: string): Promise<Notebook> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      throw new ArtifactError(`Cannot run notebook "${path}": the file does not exist`, { cause });
    }
    throw new ArtifactError(`Cannot read notebook "${path}": ${errorText(cause)}`, { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError(
      `Cannot read notebook "${path}": it is not valid JSON (${
        errorText(cause)
      }); open and save it in Jupyter to repair it`,
      { cause },
    );
  }
  if (!isRecord(raw) || raw["nbformat"] !== 4 || !Array.isArray(raw["cells"])) {
    throw new ArtifactError(
      `Cannot read notebook "${path}": expected an nbformat 4 notebook with a "cells" list, found ${
        isRecord(raw) ? `nbformat ${JSON.stringify(raw["nbformat"])}` : typeof raw
      }`,
    );
  }
  const cells = raw["cells"].map((cell: unknown, index: number): NotebookCell => {
    if (
      !isRecord(cell) || typeof cell["cell_type"] !== "string" ||
      !(typeof cell["source"] === "string" || Array.isArray(cell["source"]))
    ) {
      throw new ArtifactError(
        `Cannot read notebook "${path}": cell ${index + 1} has no "cell_type" and "source"`,
      );
    }
    return {
      ...cell,
      cell_type: cell["cell_type"],
      source: cell["source"] as MultilineString,
      metadata: isRecord(cell["metadata"]) ? cell["metadata"] : {},
    };
  });
  return {
    nbformat: 4,
    nbformat_minor: typeof raw["nbformat_minor"] === "number" ? raw["nbformat_minor"] : 0,
    metadata: isRecord(raw["metadata"]) ? raw["metadata"] : {},
    cells,
  };
}

/**
 * Writes a notebook as Jupyter does (one-space indent, multiline strings as lists of lines),
 * through a temporary file renamed into place.
 *
 * @param path where to write
 * @param notebook the notebook
 * @returns when the file is in place
 * @throws {ArtifactError} when the file cannot be written
 * @example
 * ```ts
 * await writeNotebook("notebooks/executed/01_eda.ipynb", notebook);
 * ```
 */
export async function writeNotebook(path: string, notebook: Notebook): Promise<void> {
  // Sorted keys and one-space indent, as Jupyter writes notebooks, so copies diff cleanly.
  const text = `${JSON.stringify(sortKeys(toDiskForm(notebook)), null, 1)}\n`;
  try {
    await writeFileAtomic(path, text);
  } catch (cause) {
    throw new ArtifactError(`Cannot write executed notebook "${path}": ${errorText(cause)}`, {
      cause,
    });
  }
}

/**
 * Joins a multiline string into one string.
 *
 * @param text a string or a list of lines
 * @returns the text
 * @example
 * ```ts
 * joinSource(["a\n", "b"]); // "a\nb"
 * ```
 */
export function joinSource(text: MultilineString): string {
  return typeof text === "string" ? text : text.join("");
}

/**
 * Splits text into lines that keep their `\n`, as nbformat writes multiline strings.
 *
 * @param text the text
 * @returns the lines; empty for empty text
 * @example
 * ```ts
 * splitLines("a\nb"); // ["a\n", "b"]
 * ```
 */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Builds the outputs of the cells of one notebook from iopub messages, as Jupyter front ends do.
 *
 * One instance serves a whole run: `update_display_data` may update a display shown by an earlier
 * cell, and a cell's late output may arrive while the next cell runs.
 *
 * @example
 * ```ts
 * const collector = new OutputCollector();
 * collector.begin(cell);
 * collector.add(cell, message); // for every iopub message answering the cell's request
 * ```
 */
export class OutputCollector {
  #displays = new Map<string, Record<string, unknown>[]>();
  #clearPending = new Set<NotebookCell>();
  #bundles: Record<string, unknown>[] = [];
  #texts: string[] = [];

  /** Every data bundle shown so far (display, update and result), in order. */
  get bundles(): readonly Record<string, unknown>[] {
    return this.#bundles;
  }

  /** Every stream text and `text/plain` value shown so far, in order. */
  get texts(): readonly string[] {
    return this.#texts;
  }

  /**
   * Clears a cell's outputs before it runs.
   *
   * @param cell the code cell about to run
   * @example
   * ```ts
   * collector.begin(cell);
   * ```
   */
  begin(cell: NotebookCell): void {
    cell.outputs = [];
    this.#clearPending.delete(cell);
  }

  /**
   * Adds one iopub message to the outputs of the cell whose request it answers.
   *
   * @param cell the cell that sent the request
   * @param message the message
   * @example
   * ```ts
   * collector.add(cell, message);
   * ```
   */
  add(cell: NotebookCell, message: JupyterMessage): void {
    const content = message.content;
    const type = message.header.msg_type;
    if (type === "clear_output") {
      if (content["wait"] === true) this.#clearPending.add(cell);
      else cell.outputs = [];
      return;
    }
    if (type === "update_display_data") {
      this.#record(content);
      this.#updateDisplay(content);
      return;
    }
    const output = toOutput(type, content);
    if (output === null) return;
    if (this.#clearPending.delete(cell)) cell.outputs = [];
    const outputs = cell.outputs ??= [];
    if (output.output_type === "stream") {
      const text = joinSource(output.text);
      this.#texts.push(text);
      const last = outputs[outputs.length - 1];
      if (last?.output_type === "stream" && last.name === output.name) {
        last.text = joinSource(last.text) + text;
        return;
      }
    }
    if (output.output_type === "display_data" || output.output_type === "execute_result") {
      this.#record(content);
      if (type === "display_data") this.#updateDisplay(content);
      const id = displayId(content);
      if (id !== null) {
        const list = this.#displays.get(id) ?? [];
        list.push(output);
        this.#displays.set(id, list);
      }
    }
    outputs.push(output);
  }

  /**
   * Appends an output made by the runner (e.g. a timeout marker) to a cell.
   *
   * @param cell the cell
   * @param output the output
   * @example
   * ```ts
   * collector.append(cell, { output_type: "error", ename: "CellTimeoutError", evalue: "...", traceback: [] });
   * ```
   */
  append(cell: NotebookCell, output: CellOutput): void {
    (cell.outputs ??= []).push(output);
  }

  #record(content: Record<string, unknown>): void {
    const data = content["data"];
    if (!isRecord(data)) return;
    this.#bundles.push(data);
    const plain = data["text/plain"];
    if (typeof plain === "string") this.#texts.push(plain);
    else if (Array.isArray(plain)) this.#texts.push(plain.join(""));
  }

  #updateDisplay(content: Record<string, unknown>): void {
    const id = displayId(content);
    if (id === null) return;
    for (const output of this.#displays.get(id) ?? []) {
      output["data"] = isRecord(content["data"]) ? content["data"] : {};
      output["metadata"] = isRecord(content["metadata"]) ? content["metadata"] : {};
    }
  }
}

function toOutput(type: string, content: Record<string, unknown>): CellOutput | null {
  switch (type) {
    case "stream":
      return {
        output_type: "stream",
        name: String(content["name"] ?? "stdout"),
        text: String(content["text"] ?? ""),
      };
    case "display_data":
      return {
        output_type: "display_data",
        data: isRecord(content["data"]) ? content["data"] : {},
        metadata: isRecord(content["metadata"]) ? content["metadata"] : {},
      };
    case "execute_result":
      return {
        output_type: "execute_result",
        execution_count: typeof content["execution_count"] === "number"
          ? content["execution_count"]
          : null,
        data: isRecord(content["data"]) ? content["data"] : {},
        metadata: isRecord(content["metadata"]) ? content["metadata"] : {},
      };
    case "error":
      return {
        output_type: "error",
        ename: String(content["ename"] ?? "Error"),
        evalue: String(content["evalue"] ?? ""),
        traceback: Array.isArray(content["traceback"]) ? content["traceback"].map(String) : [],
      };
    default:
      return null;
  }
}

function displayId(content: Record<string, unknown>): string | null {
  const transient = content["transient"];
  if (!isRecord(transient)) return null;
  const id = transient["display_id"];
  return typeof id === "string" && id !== "" ? id : null;
}

function toDiskForm(notebook: Notebook): Notebook {
  return {
    ...notebook,
    cells: notebook.cells.map((cell) => {
      const copy: NotebookCell = { ...cell };
      if (cell.outputs !== undefined) {
        copy.outputs = cell.outputs.map((output): CellOutput => {
          if (output.output_type === "stream") {
            return { ...output, text: splitLines(joinSource(output.text)) };
          }
          if (output.output_type === "display_data" || output.output_type === "execute_result") {
            return { ...output, data: splitBundle(output.data) };
          }
          return output;
        });
      }
      return copy;
    }),
  };
}

function splitBundle(data: Record<string, unknown>): Record<string, unknown> {
  // nbformat stores text mime types as lists of lines and JSON mime types as objects.
  return Object.fromEntries(
    Object.entries(data).map(([mime, value]) => [
      mime,
      typeof value === "string" && !isJsonMime(mime) ? splitLines(value) : value,
    ]),
  );
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((key) => [key, sortKeys(value[key])]),
  );
}

function isJsonMime(mime: string): boolean {
  return mime === "application/json" || mime.endsWith("+json");
}
