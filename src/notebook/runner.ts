/**
 * The headless notebook runner: executes a notebook through the Deno Jupyter kernel and writes
 * an executed copy with every output, without Python or Jupyter installed.
 *
 * It starts `deno jupyter --kernel` itself and speaks the Jupyter messaging protocol to it over
 * a TypeScript ZeroMQ transport. Parameters are checked and injected before the kernel starts
 * (see `parameters.ts`); cells then run in order, and the first failure stops the run with a
 * partial copy that marks the failing cell.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import {
  ArtifactError,
  KernelError,
  NotebookExecutionError,
  type NotebookFailureReason,
} from "../errors.ts";
import { getProjectLogger, type Logger } from "../utils/mod.ts";
import { type ExecuteOutcome, KernelClient, kernelStderrLines, stripAnsi } from "./_kernel.ts";
import {
  type CellOutput,
  joinSource,
  type Notebook,
  type NotebookCell,
  OutputCollector,
  readNotebook,
  writeNotebook,
} from "./_nbformat.ts";
import { errorText } from "./_util.ts";
import {
  checkParameters,
  effectiveParameters,
  notebookParameters,
  prepareCopy,
} from "./parameters.ts";

// The mime type of the bundle `showRun()` (display.ts, `RUN_MIME`) emits for a recorded run:
// `{ run_id }`. Not imported from display.ts so the runner does not load the chart stack.
const RUN_MIME_TYPE = "application/vnd.deno-mlops.run+json";

/** A run id as `createRunId` writes it, e.g. `20261127-074512-penguins-1a2b3c4d`. */
export const RUN_ID_TEXT_PATTERN = /\b\d{8}-\d{6}-[a-z0-9-]+-[0-9a-f]{8}\b/;

/** A study id as `createStudyId` writes it, e.g. `study-20261127-074512-penguins-1a2b3c4d`. */
export const STUDY_ID_TEXT_PATTERN = /\bstudy-\d{8}-\d{6}-[a-z0-9-]+-[0-9a-f]{8}\b/;

/** Options of {@link runNotebook}. */
export interface RunNotebookOptions {
  /**
   * Values for parameters declared in the notebook's `parameters` cell.
   * @default {}
   */
  params?: Record<string, unknown>;
  /**
   * Folder for the executed copy, written as `<out>/<name>.ipynb`; `null` for an `executed`
   * folder beside the notebook.
   * @default null
   */
  out?: string | null;
  /**
   * Milliseconds one cell may run before the run stops with a timeout.
   * @default 120000
   */
  cellTimeoutMs?: number;
  /**
   * Milliseconds the kernel may take to start and answer.
   * @default 60000
   */
  startTimeoutMs?: number;
  /**
   * Where progress is logged; `null` for the project logger `deno-mlops.notebook`.
   * @default null
   */
  logger?: Logger | null;
  /**
   * The command that starts the kernel, `{conn}` standing for the connection file; `null` for
   * `[Deno.execPath(), "jupyter", "--kernel", "--conn", "{conn}"]` (the Deno running this).
   * @default null
   */
  kernelCommand?: readonly string[] | null;
  /**
   * Aborting it stops the run at once (e.g. on Ctrl-C): the kernel is shut down and the partial
   * copy written, with the running cell marked.
   * @default null
   */
  signal?: AbortSignal | null;
}

/** Defaults of {@link RunNotebookOptions}. */
export const DEFAULT_RUN_NOTEBOOK_OPTIONS: Readonly<Required<RunNotebookOptions>> = {
  params: {},
  out: null,
  cellTimeoutMs: 120_000,
  startTimeoutMs: 60_000,
  logger: null,
  kernelCommand: null,
  signal: null,
};

/** What {@link runNotebook} did. */
export interface NotebookResult {
  /** The notebook that ran, as given. */
  path: string;
  /** The executed copy. */
  out: string;
  /** Code cells executed (the injected parameters cell included). */
  cells: number;
  /** Wall-clock seconds from kernel start to the last cell. */
  seconds: number;
  /**
   * Ids of the runs the notebook recorded, in the order shown: from `showRun()` bundles
   * (`application/vnd.deno-mlops.run+json`), or, when there are none, run ids in the text output.
   */
  runIds: string[];
  /** Ids of the tuning studies the notebook's text output names, in order of appearance. */
  studyIds: string[];
  /** The parameters injected. */
  params: Record<string, unknown>;
  /** The kernel that ran it, e.g. `{ implementation: "Deno kernel", version: "2.9.6" }`. */
  kernel: { implementation: string; version: string };
}

/**
 * Executes a notebook in a fresh Deno kernel and writes the executed copy.
 *
 * Parameters are checked before the kernel starts. Code cells run in order; the first cell that
 * raises, times out or kills the kernel stops the run: the partial copy is written with that
 * cell marked (`metadata.deno_mlops.failed`) and a {@link NotebookExecutionError} is thrown. The
 * kernel process is always shut down. The copy's metadata `deno_mlops` records the parameters
 * in effect (`parameters`, defaults included) and those injected (`injected_parameters`), the
 * run ids, the study ids, the time, the kernel and the status.
 *
 * @param path the `.ipynb` file
 * @param options parameters, output folder, timeouts, logger and kernel command
 * @returns the executed copy's path, cells run, seconds, run ids and parameters
 * @throws {ArtifactError} when the notebook is missing or malformed, or the copy cannot be written
 * @throws {ConfigError} when a parameter is not declared in the `parameters` cell, or its value
 *   does not match the declared type
 * @throws {NotebookExecutionError} when a cell raises or times out, the kernel dies or does not
 *   start, or `signal` is aborted
 * @throws {RangeError} when a timeout is not a positive number
 * @example
 * ```ts
 * const result = await runNotebook("notebooks/03_model_experiments.ipynb", {
 *   params: { epochs: 3 },
 *   out: "notebooks/executed",
 * });
 * console.log(result.out, result.runIds);
 * ```
 */
export async function runNotebook(
  path: string,
  options: RunNotebookOptions = {},
): Promise<NotebookResult> {
  const settings = { ...DEFAULT_RUN_NOTEBOOK_OPTIONS, ...options };
  checkTimeout(settings.cellTimeoutMs, "cellTimeoutMs");
  checkTimeout(settings.startTimeoutMs, "startTimeoutMs");

  const source = await readNotebook(path);
  const declared = notebookParameters(source, path);
  checkParameters(path, declared, settings.params);
  const { notebook, origin } = prepareCopy(source, declared, settings.params);

  const outDir = settings.out ?? join(dirname(path), "executed");
  try {
    await Deno.mkdir(outDir, { recursive: true });
  } catch (cause) {
    throw new ArtifactError(
      `Cannot create folder "${outDir}" for the executed notebook: ${errorText(cause)}`,
      { cause },
    );
  }
  const run = new NotebookRun(path, join(outDir, basename(path)), notebook, origin, settings, {
    parameters: effectiveParameters(declared, settings.params),
    injected_parameters: settings.params,
  });
  return await run.execute();
}

/** One execution of a notebook: the kernel, the copy being filled and how failures are told. */
class NotebookRun {
  #path: string;
  #out: string;
  #notebook: Notebook;
  #origin: (number | null)[];
  #settings: Readonly<Required<RunNotebookOptions>>;
  #logger: Logger;
  #collector = new OutputCollector();
  #meta: RunMetadata;
  #started = performance.now();
  #kernel: KernelClient | null = null;

  constructor(
    path: string,
    out: string,
    notebook: Notebook,
    origin: (number | null)[],
    settings: Readonly<Required<RunNotebookOptions>>,
    parameters: Pick<RunMetadata, "parameters" | "injected_parameters">,
  ) {
    this.#path = path;
    this.#out = out;
    this.#notebook = notebook;
    this.#origin = origin;
    this.#settings = settings;
    this.#logger = settings.logger ?? getProjectLogger("notebook");
    this.#meta = {
      ...parameters,
      run_ids: [],
      study_ids: [],
      executed_at: new Date().toISOString(),
      seconds: 0,
      kernel: null,
      status: "running",
      failed_cell: null,
    };
    notebook.metadata["deno_mlops"] = this.#meta;
  }

  async execute(): Promise<NotebookResult> {
    let kernel: KernelClient;
    try {
      kernel = this.#kernel = await KernelClient.start({
        cwd: resolve(dirname(this.#path)),
        connectionDir: dirname(this.#out),
        startTimeoutMs: this.#settings.startTimeoutMs,
        logger: this.#logger,
        command: this.#settings.kernelCommand ??
          [Deno.execPath(), "jupyter", "--kernel", "--conn", "{conn}"],
      });
    } catch (error) {
      if (!(error instanceof KernelError)) throw error;
      return await this.#fail("kernel-failed", null, lowerFirst(error.message), [], error);
    }
    try {
      const info = kernel.info;
      this.#meta.kernel = {
        name: "deno",
        implementation: info.implementation,
        version: info.implementation_version,
      };
      this.#notebook.metadata["language_info"] = info.language_info;
      this.#logger.info("Running notebook {path} ({cells} cells)", {
        path: this.#path,
        cells: this.#notebook.cells.length,
      });
      let executed = 0;
      for (const [index, cell] of this.#notebook.cells.entries()) {
        if (cell.cell_type !== "code" || joinSource(cell.source).trim() === "") continue;
        await this.#runCell(kernel, index, cell);
        executed++;
      }
      await kernel.settle(SETTLE_QUIET_MS, SETTLE_MAX_MS);
      this.#meta.status = "ok";
      await this.#write();
      this.#logger.info(
        "Executed notebook {path}: {cells} cells in {seconds} s, written to {out}",
        {
          path: this.#path,
          cells: executed,
          seconds: this.#meta.seconds,
          out: this.#out,
        },
      );
      return {
        path: this.#path,
        out: this.#out,
        cells: executed,
        seconds: this.#meta.seconds,
        runIds: [...this.#meta.run_ids],
        studyIds: [...this.#meta.study_ids],
        params: { ...this.#settings.params },
        kernel: { implementation: info.implementation, version: info.implementation_version },
      };
    } finally {
      await kernel.shutdown();
    }
  }

  /** Runs one code cell; throws {@link NotebookExecutionError} unless it succeeds. */
  async #runCell(kernel: KernelClient, index: number, cell: NotebookCell): Promise<void> {
    this.#collector.begin(cell);
    const started = performance.now();
    let outcome: ExecuteOutcome;
    try {
      outcome = await kernel.execute(joinSource(cell.source), {
        timeoutMs: this.#settings.cellTimeoutMs,
        onOutput: (message) => this.#collector.add(cell, message),
        signal: this.#settings.signal ?? undefined,
      });
    } catch (error) {
      if (!(error instanceof KernelError)) throw error;
      return await this.#fail("kernel-failed", index, lowerFirst(error.message), [], error);
    }
    const seconds = round((performance.now() - started) / 1000);
    cell.metadata["deno_mlops"] = { ...asRecord(cell.metadata["deno_mlops"]), seconds };
    this.#logger.debug("{cell} finished in {seconds} s: {outcome}", {
      cell: cellLabel(this.#origin[index] ?? null),
      seconds,
      outcome: outcome.kind,
    });
    switch (outcome.kind) {
      case "ok":
        cell.execution_count = outcome.executionCount;
        // Its last line may still be on its way; the kernel would tag it with the next cell's
        // request if that were sent first.
        await kernel.settle(CELL_QUIET_MS, CELL_SETTLE_MAX_MS);
        return;
      case "error": {
        cell.execution_count = outcome.executionCount;
        const ename = String(outcome.reply["ename"] ?? "Error");
        const evalue = stripAnsi(String(outcome.reply["evalue"] ?? ""));
        const traceback = tracebackOf(outcome.reply, cell);
        return await this.#fail("error", index, `raised ${ename}: ${evalue}`, traceback);
      }
      case "timeout": {
        const limit = formatSeconds(this.#settings.cellTimeoutMs);
        this.#mark(
          cell,
          "CellTimeoutError",
          `The cell did not finish within ${limit} s (per-cell timeout); the kernel was shut down`,
        );
        await kernel.shutdown();
        return await this.#fail(
          "timeout",
          index,
          `did not finish within ${limit} s (per-cell timeout); the kernel was shut down. If the cell is only slow, raise the limit with --timeout SECONDS (cellTimeoutMs)`,
          [],
        );
      }
      case "interrupted": {
        this.#mark(
          cell,
          "InterruptedError",
          "The run was interrupted while this cell ran; the kernel was shut down",
        );
        await kernel.shutdown();
        return await this.#fail(
          "interrupted",
          index,
          "was interrupted; the kernel was shut down",
          [],
        );
      }
      case "died": {
        const how = outcome.signal === null
          ? `exit code ${outcome.code}`
          : `signal ${outcome.signal}`;
        const stderr = kernelStderrLines(kernel.stderrTail);
        this.#mark(
          cell,
          "KernelDiedError",
          `The kernel process ended (${how}) while this cell ran`,
          stderr,
        );
        return await this.#fail(
          "kernel-died",
          index,
          `ended the kernel process (${how}); the cells after it did not run. Remove any Deno.exit() call from the cell; otherwise the kernel crashed or ran out of memory${
            stderr.length > 0 ? " (see its stderr below)" : ""
          }`,
          stderr,
        );
      }
    }
  }

  /** Adds an error output made by the runner, so the failure shows in any notebook viewer. */
  #mark(cell: NotebookCell, ename: string, evalue: string, extra: string[] = []): void {
    this.#collector.append(cell, {
      output_type: "error",
      ename,
      evalue,
      traceback: [`${ename}: ${evalue}`, ...extra],
    });
  }

  /** Writes the partial copy with the failing cell marked, then throws. */
  async #fail(
    reason: NotebookFailureReason,
    index: number | null,
    detail: string,
    traceback: string[],
    cause?: unknown,
  ): Promise<never> {
    const cell = index === null ? null : this.#notebook.cells[index]!;
    const number = index === null ? null : this.#origin[index] ?? null;
    if (cell !== null) {
      cell.metadata["deno_mlops"] = {
        ...asRecord(cell.metadata["deno_mlops"]),
        failed: true,
        reason,
      };
    }
    await this.#kernel?.settle(SETTLE_QUIET_MS, SETTLE_MAX_MS);
    this.#meta.status = "failed";
    this.#meta.failed_cell = number;
    await this.#write();

    const head = cell === null
      ? detail
      : `${cellLabel(number)} ${detail}\n\n${sourceExcerpt(joinSource(cell.source))}`;
    const section = reason === "kernel-died" ? "Kernel stderr" : "Traceback";
    const trace = traceback.length > 0 ? `\n\n${section}:\n${indent(traceback.join("\n"))}` : "";
    const marked = cell === null ? "" : " (the failing cell has metadata deno_mlops.failed = true)";
    throw new NotebookExecutionError(
      `Cannot run notebook "${this.#path}": ${head}${trace}\n\nThe partial executed copy is "${this.#out}"${marked}`,
      { notebook: this.#path, cell: number, reason, out: this.#out, traceback },
      cause === undefined ? {} : { cause },
    );
  }

  async #write(): Promise<void> {
    this.#meta.seconds = round((performance.now() - this.#started) / 1000);
    this.#meta.run_ids = collectRunIds(this.#collector);
    this.#meta.study_ids = unique(
      this.#collector.texts.flatMap((text) =>
        stripAnsi(text).match(new RegExp(STUDY_ID_TEXT_PATTERN.source, "g")) ?? []
      ),
    );
    await writeNotebook(this.#out, this.#notebook);
  }
}
const EXCERPT_LINES = 12;
// The Deno kernel may publish a cell's last output just after its idle status, later still on a
// loaded machine (a chart once went missing under the full test suite with 25 ms and 150 ms).
const SETTLE_QUIET_MS = 300;
const SETTLE_MAX_MS = 3000;
// Between cells: a shorter quiet, so a notebook of 40 cells pays about two seconds.
const CELL_QUIET_MS = 50;
const CELL_SETTLE_MAX_MS = 500;

/** The notebook metadata the runner writes under `deno_mlops`. */
interface RunMetadata {
  /** Every declared parameter with the value the run used, defaults included. */
  parameters: Record<string, unknown>;
  /** The parameters given to the runner, which the injected cell re-declares. */
  injected_parameters: Record<string, unknown>;
  run_ids: string[];
  /** Tuning studies named in the output: a study records many trials but one run. */
  study_ids: string[];
  executed_at: string;
  seconds: number;
  kernel: { name: string; implementation: string; version: string } | null;
  status: "running" | "ok" | "failed";
  failed_cell: number | null;
}

// ---------------------------------------------------------------- reporting

function collectRunIds(collector: OutputCollector): string[] {
  // Ids from the run bundle are exact; text is a fallback and may also mention older runs.
  const fromBundles: string[] = [];
  for (const bundle of collector.bundles) {
    const value = bundle[RUN_MIME_TYPE];
    const parsed = typeof value === "string" ? safeJson(value) : value;
    const id = asRecord(parsed)["run_id"];
    if (typeof id === "string" && id !== "") fromBundles.push(id);
  }
  if (fromBundles.length > 0) return unique(fromBundles);
  // A study id ends like a run id; it is not one.
  const fromText = collector.texts.flatMap((text) =>
    stripAnsi(text).replace(new RegExp(STUDY_ID_TEXT_PATTERN.source, "g"), "")
      .match(new RegExp(RUN_ID_TEXT_PATTERN.source, "g")) ?? []
  );
  return unique(fromText);
}

function tracebackOf(reply: Record<string, unknown>, cell: NotebookCell): string[] {
  const fromReply = Array.isArray(reply["traceback"]) ? reply["traceback"].map(String) : [];
  const fromOutput = (cell.outputs ?? []).flatMap((output: CellOutput) =>
    output.output_type === "error" ? output.traceback : []
  );
  const lines = fromReply.length > 0 ? fromReply : fromOutput;
  return lines.flatMap((line) => stripAnsi(line).split("\n"));
}

function sourceExcerpt(source: string): string {
  // Only the start of the cell: the kernel's line numbers count the transpiled JavaScript, so
  // they cannot point into the TypeScript source.
  const lines = source.replace(/\n$/, "").split("\n");
  const shown = lines.slice(0, EXCERPT_LINES);
  const width = String(shown.length).length;
  const excerpt = shown.map((text, i) => `${String(i + 1).padStart(width)} | ${text}`);
  if (lines.length > shown.length) {
    excerpt.push(`${"".padStart(width)} | ... (${lines.length - shown.length} more lines)`);
  }
  return `Source:\n${indent(excerpt.join("\n"))}`;
}

function cellLabel(number: number | null): string {
  return number === null ? "the injected parameters cell" : `cell ${number}`;
}

function indent(text: string): string {
  return text.split("\n").map((line) => `  ${line}`).join("\n");
}

function checkTimeout(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot run notebook: ${name} must be a positive number of ms, got ${value}`,
    );
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : {};
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function formatSeconds(ms: number): string {
  return String(round(ms / 1000));
}
