/**
 * The headless notebook runner: executes a notebook through the Deno Jupyter kernel and writes
 * an executed copy with every output, without Python or Jupyter installed.
 *
 * It starts `deno jupyter --kernel` itself and speaks the Jupyter messaging protocol to it over
 * a TypeScript ZeroMQ transport. Parameters are injected papermill-style: the notebook declares
 * them in a code cell tagged `parameters` (`let epochs = 30;`), and the runner adds a cell tagged
 * `injected-parameters` right after it that re-declares the overridden ones (`let epochs = 3;`).
 * The Deno kernel evaluates cells in REPL mode, where a later cell may re-declare a top-level
 * `let` or `const`.
 *
 * @module
 */
import { basename, dirname, extname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  ArtifactError,
  ConfigError,
  didYouMean,
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
  splitLines,
  writeNotebook,
} from "./_nbformat.ts";

// The mime type of the bundle `showRun()` (display.ts, `RUN_MIME`) emits for a recorded run:
// `{ run_id }`. Not imported from display.ts so the runner does not load the chart stack.
const RUN_MIME_TYPE = "application/vnd.deno-mlops.run+json";

/** A run id as `createRunId` writes it, e.g. `20261127-074512-penguins-1a2b3c4d`. */
export const RUN_ID_TEXT_PATTERN = /\b\d{8}-\d{6}-[a-z0-9-]+-[0-9a-f]{8}\b/;

/** The tag of the cell that declares a notebook's parameters. */
export const PARAMETERS_TAG = "parameters";

/** The tag of the cell the runner adds after the parameters cell. */
export const INJECTED_PARAMETERS_TAG = "injected-parameters";

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
  /** The parameters injected. */
  params: Record<string, unknown>;
  /** The kernel that ran it, e.g. `{ implementation: "Deno kernel", version: "2.9.6" }`. */
  kernel: { implementation: string; version: string };
}

/** One parameter declared in a `parameters` cell. */
export interface ParameterDeclaration {
  /** The variable name. */
  name: string;
  /** `let`, `const` or `var`. */
  keyword: "let" | "const" | "var";
  /** The type annotation as written, or `null`. */
  annotation: string | null;
  /** The default value's source text. */
  defaultText: string;
  /** 1-based line of the declaration in the cell. */
  line: number;
}

/**
 * Executes a notebook in a fresh Deno kernel and writes the executed copy.
 *
 * Parameters are checked before the kernel starts. Code cells run in order; the first cell that
 * raises, times out or kills the kernel stops the run: the partial copy is written with that
 * cell marked (`metadata.deno_mlops.failed`) and a {@link NotebookExecutionError} is thrown. The
 * kernel process is always shut down. The copy's metadata `deno_mlops` records the parameters,
 * the run ids, the time, the kernel and the status.
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
  const run = new NotebookRun(path, join(outDir, basename(path)), notebook, origin, settings);
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
  ) {
    this.#path = path;
    this.#out = out;
    this.#notebook = notebook;
    this.#origin = origin;
    this.#settings = settings;
    this.#logger = settings.logger ?? getProjectLogger("notebook");
    this.#meta = {
      parameters: settings.params,
      run_ids: [],
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
    await writeNotebook(this.#out, this.#notebook);
  }
}

/**
 * Reads the parameters a notebook declares in its `parameters` cell.
 *
 * @param path the `.ipynb` file
 * @returns the declarations in order; empty when the notebook has no `parameters` cell
 * @throws {ArtifactError} when the notebook is missing or malformed
 * @throws {ConfigError} when the notebook has two `parameters` cells, or that cell holds
 *   anything but `let name = value;` declarations
 * @example
 * ```ts
 * const declared = await readNotebookParameters("notebooks/03_model_experiments.ipynb");
 * declared.map((p) => p.name); // ["epochs", "seed", ...]
 * ```
 */
export async function readNotebookParameters(path: string): Promise<ParameterDeclaration[]> {
  return notebookParameters(await readNotebook(path), path);
}

/**
 * Checks parameters against a notebook's `parameters` cell, as {@link runNotebook} does before
 * it starts the kernel.
 *
 * @param path the `.ipynb` file
 * @param params the values by name
 * @returns the notebook's declarations
 * @throws {ArtifactError} when the notebook is missing or malformed
 * @throws {ConfigError} when a parameter is not declared (naming the closest declared one) or
 *   its value does not match the declared type
 * @example
 * ```ts
 * await checkNotebookParameters("notebooks/03_model_experiments.ipynb", { epochs: 3 });
 * ```
 */
export async function checkNotebookParameters(
  path: string,
  params: Record<string, unknown>,
): Promise<ParameterDeclaration[]> {
  const declared = await readNotebookParameters(path);
  checkParameters(path, declared, params);
  return declared;
}

/**
 * Parses the source of a `parameters` cell: one `let name = value;` declaration per statement
 * (`const` and `var` work too), with optional type annotations and comments.
 *
 * @param source the cell's source
 * @returns the declarations in order
 * @throws {ConfigError} naming the line of anything that is not a simple declaration
 * @example
 * ```ts
 * readParameters("let epochs = 30; // training epochs\nlet family: string = \"mlp\";");
 * // [{ name: "epochs", keyword: "let", annotation: null, defaultText: "30", line: 1 }, ...]
 * ```
 */
export function readParameters(source: string): ParameterDeclaration[] {
  const scanner = new SourceScanner(source);
  const declarations: ParameterDeclaration[] = [];
  for (;;) {
    scanner.skipTrivia();
    if (scanner.done) break;
    const line = scanner.line;
    const keyword = scanner.word();
    if (keyword !== "let" && keyword !== "const" && keyword !== "var") {
      throw new ConfigError(
        `Cannot read the parameters cell: line ${line} is not a declaration (found "${
          scanner.lineText(line).trim()
        }"); the cell may only hold declarations such as "let epochs = 30;"`,
      );
    }
    for (;;) {
      scanner.skipTrivia();
      const name = scanner.word();
      if (name === "" || !IDENTIFIER.test(name)) {
        throw new ConfigError(
          `Cannot read the parameters cell: line ${scanner.line} declares no plain name (found "${
            scanner.lineText(scanner.line).trim()
          }"); destructuring is not supported, declare one name per parameter`,
        );
      }
      scanner.skipTrivia();
      let annotation: string | null = null;
      if (scanner.peek() === ":") {
        scanner.advance(1);
        annotation = scanner.until("=").trim();
      }
      scanner.skipTrivia();
      if (scanner.peek() !== "=") {
        throw new ConfigError(
          `Cannot read the parameters cell: parameter "${name}" on line ${line} has no value; write e.g. "let ${name} = 1;"`,
        );
      }
      scanner.advance(1);
      const defaultText = scanner.expression().trim();
      if (defaultText === "") {
        throw new ConfigError(
          `Cannot read the parameters cell: parameter "${name}" on line ${line} has an empty value`,
        );
      }
      declarations.push({ name, keyword, annotation, defaultText, line });
      scanner.skipTrivia();
      if (scanner.peek() === ",") {
        scanner.advance(1);
        continue;
      }
      break;
    }
    scanner.skipTrivia();
    if (scanner.peek() === ";") scanner.advance(1);
  }
  return declarations;
}

/**
 * Parses `key=value` pairs from the command line; values are YAML (`3` is a number, `true` a
 * boolean, `[16, 8]` a list, `null` null, `mlp` a string).
 *
 * @param pairs the values of `--param`, e.g. `["epochs=3", "family=linear"]`
 * @returns the parameters by name
 * @throws {ConfigError} for a pair without `=`, a key that is not a TypeScript identifier, a
 *   key given twice, or a value that is not valid YAML
 * @example
 * ```ts
 * parseParameterArgs(["epochs=3", "units=[16, 8]"]); // { epochs: 3, units: [16, 8] }
 * ```
 */
export function parseParameterArgs(pairs: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) {
      throw new ConfigError(
        `Cannot read parameter "${pair}": expected KEY=VALUE, e.g. --param epochs=3`,
      );
    }
    const key = pair.slice(0, equals).trim();
    if (!IDENTIFIER.test(key)) {
      throw new ConfigError(
        `Cannot read parameter "${pair}": "${key}" is not a variable name; use the name declared in the notebook's parameters cell`,
      );
    }
    if (Object.hasOwn(params, key)) {
      throw new ConfigError(`Cannot read parameter "${key}": it is given twice, give it once`);
    }
    const text = pair.slice(equals + 1);
    try {
      params[key] = parseYaml(text);
    } catch (cause) {
      throw new ConfigError(
        `Cannot read parameter "${key}": "${text}" is not a valid YAML value (${
          errorText(cause).split("\n")[0]
        }); quote strings that contain ":" or "#", e.g. --param ${key}='"a: b"'`,
        [],
        { cause },
      );
    }
  }
  return params;
}

/**
 * Finds notebooks by name in a folder: an exact file name, a name without `.ipynb`, or a unique
 * prefix such as `01` or `01_eda`. No names selects every notebook in the folder, sorted.
 *
 * @param dir the folder holding the notebooks
 * @param names the names to find; a path to an existing `.ipynb` file is taken as it is
 * @returns the notebook paths, in the order the names were given
 * @throws {ArtifactError} when a name matches no notebook or several (listing the notebooks
 *   available), or the folder cannot be read
 * @example
 * ```ts
 * await resolveNotebooks("notebooks", ["01", "03_model"]);
 * // ["notebooks/01_eda.ipynb", "notebooks/03_model_experiments.ipynb"]
 * ```
 */
export async function resolveNotebooks(dir: string, names: readonly string[]): Promise<string[]> {
  let available: string[];
  try {
    available = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && extname(entry.name) === ".ipynb") available.push(entry.name);
    }
  } catch (cause) {
    throw new ArtifactError(`Cannot list notebooks in "${dir}": ${errorText(cause)}`, { cause });
  }
  available.sort();
  if (names.length === 0) {
    if (available.length === 0) {
      throw new ArtifactError(`Cannot run notebooks: "${dir}" holds no .ipynb file`);
    }
    return available.map((name) => join(dir, name));
  }
  const listing = available.length === 0
    ? `"${dir}" holds no .ipynb file`
    : `available: ${available.map((name) => `"${name.replace(/\.ipynb$/, "")}"`).join(", ")}`;
  const paths: string[] = [];
  for (const name of names) {
    if (name.endsWith(".ipynb") && (await isFile(name))) {
      paths.push(name);
      continue;
    }
    const stem = name.replace(/\.ipynb$/, "");
    const exact = available.find((file) => file === `${stem}.ipynb`);
    const matches = exact === undefined
      ? available.filter((file) => file.startsWith(stem))
      : [exact];
    if (matches.length === 1) {
      paths.push(join(dir, matches[0]!));
      continue;
    }
    if (matches.length > 1) {
      throw new ArtifactError(
        `Cannot find notebook "${name}": it matches ${
          matches.map((file) => `"${file}"`).join(", ")
        }; give a longer name`,
      );
    }
    const hint = didYouMean(stem, available.map((file) => file.replace(/\.ipynb$/, "")));
    throw new ArtifactError(`Cannot find notebook "${name}" in "${dir}"${hint}; ${listing}`);
  }
  return paths;
}

// ---------------------------------------------------------------- parameters

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const EXCERPT_LINES = 12;
// The Deno kernel may publish a cell's last stream output just after its idle status.
const SETTLE_QUIET_MS = 150;
const SETTLE_MAX_MS = 2000;

/** The notebook metadata the runner writes under `deno_mlops`. */
interface RunMetadata {
  parameters: Record<string, unknown>;
  run_ids: string[];
  executed_at: string;
  seconds: number;
  kernel: { name: string; implementation: string; version: string } | null;
  status: "running" | "ok" | "failed";
  failed_cell: number | null;
}

function notebookParameters(notebook: Notebook, path: string): ParameterDeclaration[] {
  const cells = notebook.cells
    .map((cell, index) => ({ cell, index }))
    .filter(({ cell }) => cell.cell_type === "code" && tagsOf(cell).includes(PARAMETERS_TAG));
  if (cells.length === 0) return [];
  if (cells.length > 1) {
    throw new ConfigError(
      `Cannot read the parameters of "${path}": cells ${
        cells.map(({ index }) => index + 1).join(" and ")
      } are both tagged "${PARAMETERS_TAG}"; tag only one`,
    );
  }
  const { cell, index } = cells[0]!;
  try {
    return readParameters(joinSource(cell.source));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      `Cannot read the parameters of "${path}" (cell ${index + 1}): ${
        error.message.replace(/^Cannot read the parameters cell: /, "")
      }`,
      [],
      { cause: error },
    );
  }
}

function checkParameters(
  path: string,
  declared: readonly ParameterDeclaration[],
  params: Record<string, unknown>,
): void {
  const names = declared.map((declaration) => declaration.name);
  for (const [key, value] of Object.entries(params)) {
    const declaration = declared.find((candidate) => candidate.name === key);
    if (declaration === undefined) {
      const known = names.length === 0
        ? `it has no cell tagged "${PARAMETERS_TAG}"`
        : `declared: ${names.map((name) => `"${name}"`).join(", ")}`;
      throw new ConfigError(
        `Cannot set parameter "${key}" of notebook "${path}": it is not declared in the parameters cell${
          didYouMean(key, names)
        } (${known})`,
      );
    }
    const allowed = allowedKinds(declaration);
    const kind = kindOf(value);
    if (allowed !== null && !(allowed as string[]).includes(kind)) {
      const expected = allowed.map((entry) => `${/^[aeiou]/.test(entry) ? "an" : "a"} ${entry}`)
        .join(" or ");
      const declaredAs = `${declaration.keyword} ${key}${
        declaration.annotation === null ? "" : `: ${declaration.annotation}`
      } = ${declaration.defaultText}`;
      const remedy = allowed.includes("string")
        ? `to pass text that looks like another type, quote it: --param ${key}='"${
          typeof value === "string" ? value : JSON.stringify(value)
        }"'`
        : `e.g. --param ${key}=${
          literalKind(declaration.defaultText) === null
            ? "VALUE"
            : shellQuote(declaration.defaultText)
        }`;
      throw new ConfigError(
        `Cannot set parameter "${key}" of notebook "${path}": expected ${expected} as declared ("${declaredAs}"), got ${kind} ${
          JSON.stringify(value)
        }; ${remedy}`,
      );
    }
  }
}

type ValueKind = "number" | "string" | "boolean" | "null" | "array" | "object";

function kindOf(value: unknown): ValueKind | "unsupported" {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "number":
    case "string":
    case "boolean":
      return typeof value as ValueKind;
    case "object":
      return "object";
    default:
      return "unsupported";
  }
}

function allowedKinds(declaration: ParameterDeclaration): ValueKind[] | null {
  if (declaration.annotation !== null) {
    const kinds: ValueKind[] = [];
    for (const part of splitTopLevel(declaration.annotation, "|")) {
      const kind = annotationKind(part.trim());
      if (kind === null) return null;
      kinds.push(kind);
    }
    return kinds.length === 0 ? null : kinds;
  }
  const kind = literalKind(declaration.defaultText);
  return kind === null || kind === "null" ? null : [kind];
}

function annotationKind(type: string): ValueKind | null {
  if (["number", "string", "boolean", "null"].includes(type)) return type as ValueKind;
  if (/^(["'`]).*\1$/.test(type)) return "string";
  if (/^-?\d/.test(type)) return "number";
  if (type === "true" || type === "false") return "boolean";
  if (
    /\[\]$/.test(type) || /^(readonly\s+)?(Array|ReadonlyArray)</.test(type) || type.startsWith("[")
  ) {
    return "array";
  }
  if (type.startsWith("{") || /^(Record|Partial|Readonly)</.test(type)) return "object";
  return null;
}

function literalKind(text: string): ValueKind | null {
  if (/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return "number";
  if (text === "true" || text === "false") return "boolean";
  if (text === "null") return "null";
  if (/^"(?:[^"\\]|\\.)*"$/s.test(text) || /^'(?:[^'\\]|\\.)*'$/s.test(text)) return "string";
  if (/^`(?:[^`\\$]|\\.|\$(?!\{))*`$/s.test(text)) return "string";
  if (text.startsWith("[")) return "array";
  if (text.startsWith("{")) return "object";
  return null;
}

function prepareCopy(
  source: Notebook,
  declared: readonly ParameterDeclaration[],
  params: Record<string, unknown>,
): { notebook: Notebook; origin: (number | null)[] } {
  const cells: NotebookCell[] = [];
  // origin[i] is the 1-based number of cell i in the source notebook (null: injected).
  const origin: (number | null)[] = [];
  const hasIds = source.nbformat_minor >= 5;
  for (const [index, original] of source.cells.entries()) {
    if (tagsOf(original).includes(INJECTED_PARAMETERS_TAG)) continue;
    const cell: NotebookCell = structuredClone(original);
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
      delete cell.metadata["deno_mlops"];
    }
    cells.push(cell);
    origin.push(index + 1);
    if (tagsOf(cell).includes(PARAMETERS_TAG) && Object.keys(params).length > 0) {
      const injected: NotebookCell = {
        cell_type: "code",
        execution_count: null,
        metadata: { tags: [INJECTED_PARAMETERS_TAG] },
        outputs: [],
        source: splitLines(injectedSource(declared, params)),
      };
      if (hasIds) injected.id = `injected-parameters-${crypto.randomUUID().slice(0, 8)}`;
      cells.push(injected);
      origin.push(null);
    }
  }
  return {
    notebook: {
      ...source,
      metadata: structuredClone(source.metadata),
      cells,
    },
    origin,
  };
}

function injectedSource(
  declared: readonly ParameterDeclaration[],
  params: Record<string, unknown>,
): string {
  const lines = ["// Parameters injected by the deno-mlops notebook runner"];
  for (const declaration of declared) {
    if (!Object.hasOwn(params, declaration.name)) continue;
    lines.push(
      `${declaration.keyword} ${declaration.name} = ${toLiteral(params[declaration.name])};`,
    );
  }
  return lines.join("\n");
}

function toLiteral(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  switch (typeof value) {
    case "number":
      return Number.isNaN(value)
        ? "NaN"
        : value === Infinity
        ? "Infinity"
        : value === -Infinity
        ? "-Infinity"
        : Object.is(value, -0)
        ? "-0"
        : String(value);
    case "string":
    case "boolean":
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(toLiteral).join(", ")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${JSON.stringify(key)}: ${toLiteral(item)}`);
    return `{ ${entries.join(", ")} }`;
  }
  throw new TypeError(
    `Cannot inject parameter value ${
      String(value)
    }: only numbers, strings, booleans, null, lists and maps are supported`,
  );
}

/** A small scanner for the top-level statements of a parameters cell. */
class SourceScanner {
  #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  get done(): boolean {
    return this.#at >= this.#text.length;
  }

  get line(): number {
    return this.#text.slice(0, this.#at).split("\n").length;
  }

  lineText(line: number): string {
    return this.#text.split("\n")[line - 1] ?? "";
  }

  peek(): string {
    return this.#text[this.#at] ?? "";
  }

  advance(count: number): void {
    this.#at += count;
  }

  skipTrivia(): void {
    for (;;) {
      const rest = this.#text.slice(this.#at);
      const match = /^(\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)/.exec(rest);
      if (match === null) return;
      this.#at += match[0].length;
    }
  }

  word(): string {
    const match = /^[A-Za-z_$][\w$]*/.exec(this.#text.slice(this.#at));
    if (match === null) return "";
    this.#at += match[0].length;
    return match[0];
  }

  /** Reads up to (not including) `stop` at bracket depth 0; `=>` is not a stop. */
  until(stop: string): string {
    return this.#scan((char, next) => char === stop && !(stop === "=" && next === ">"), true);
  }

  /** Reads an initialiser: up to `;`, `,` or a line break at bracket depth 0. */
  expression(): string {
    return this.#scan((char) => char === ";" || char === "," || char === "\n", false);
  }

  #scan(isStop: (char: string, next: string) => boolean, angles: boolean): string {
    const open = angles ? "([{<" : "([{";
    const close = angles ? ")]}>" : ")]}";
    const start = this.#at;
    let depth = 0;
    while (this.#at < this.#text.length) {
      const char = this.#text[this.#at]!;
      const next = this.#text[this.#at + 1] ?? "";
      if (depth === 0 && isStop(char, next)) break;
      if (char === '"' || char === "'" || char === "`") {
        this.#skipString(char);
        continue;
      }
      if (char === "/" && (next === "/" || next === "*")) {
        if (depth === 0) break;
        this.skipTrivia();
        continue;
      }
      if (open.includes(char)) depth++;
      if (
        close.includes(char) && depth > 0 && !(char === ">" && this.#text[this.#at - 1] === "=")
      ) {
        depth--;
      }
      this.#at++;
    }
    return this.#text.slice(start, this.#at);
  }

  #skipString(quote: string): void {
    this.#at++;
    while (this.#at < this.#text.length) {
      const char = this.#text[this.#at]!;
      if (char === "\\") {
        this.#at += 2;
        continue;
      }
      this.#at++;
      if (char === quote) return;
    }
  }
}

function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if ("([{<".includes(char)) depth++;
    if (")]}>".includes(char)) depth--;
    if (char === separator && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts.filter((part) => part.trim() !== "");
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
  const fromText = collector.texts.flatMap((text) =>
    stripAnsi(text).match(new RegExp(RUN_ID_TEXT_PATTERN.source, "g")) ?? []
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

function tagsOf(cell: NotebookCell): string[] {
  const tags = cell.metadata["tags"];
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [];
}

function shellQuote(text: string): string {
  return /^[\w.+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'"'"'`)}'`;
}

function checkTimeout(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot run notebook: ${name} must be a positive number of ms, got ${value}`,
    );
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
