/**
 * Notebook parameters, papermill-style: the notebook declares them in a code cell tagged
 * `parameters` (`let epochs = 30;`), and the runner adds a cell tagged `injected-parameters`
 * right after it that re-declares the overridden ones (`let epochs = 3;`). The Deno kernel
 * evaluates cells in REPL mode, where a later cell may re-declare a top-level `let` or `const`.
 *
 * This module reads the declarations, checks values against their declared types, parses
 * `--param key=value` pairs, and builds the copy of a notebook with the injected cell.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { ConfigError, didYouMean } from "../errors.ts";
import {
  joinSource,
  type Notebook,
  type NotebookCell,
  readNotebook,
  splitLines,
} from "./_nbformat.ts";
import { errorText } from "./_util.ts";

/** The tag of the cell that declares a notebook's parameters. */
export const PARAMETERS_TAG = "parameters";

/** The tag of the cell the runner adds after the parameters cell. */
export const INJECTED_PARAMETERS_TAG = "injected-parameters";

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
  /**
   * The value rule written in brackets at the start of the declaration's trailing comment
   * (`let epochs = 30; // [integer >= 1] training epochs`), or `null` when it has none.
   */
  rule: ParameterRule | null;
}

/**
 * A range rule for a numeric parameter, read from a parameters cell comment such as
 * `// [integer >= 1]` or `// [number > 0, <= 1]`.
 */
export interface ParameterRule {
  /** `integer` also refuses fractions. */
  kind: "integer" | "number";
  /** The smallest value allowed, or `null`. */
  min: number | null;
  /** Whether `min` itself is allowed (`>=`) or not (`>`). */
  minInclusive: boolean;
  /** The largest value allowed, or `null`. */
  max: number | null;
  /** Whether `max` itself is allowed (`<=`) or not (`<`). */
  maxInclusive: boolean;
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
      // A rule in the comment that ends the declaration's line applies to that declaration.
      const ruleText = scanner.trailingRule();
      const rule = ruleText === null ? null : parseRule(ruleText, scanner.line);
      declarations.push({ name, keyword, annotation, defaultText, line, rule });
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
 * Reads a rule such as `integer >= 1` or `number > 0, <= 1`.
 *
 * @throws {ConfigError} naming the line when the rule is not of that form
 */
function parseRule(text: string, line: number): ParameterRule {
  const parts = text.split(",").map((part) => part.trim());
  const head = /^(integer|number)\s*(.*)$/.exec(parts[0] ?? "");
  const rule: ParameterRule = {
    kind: "number",
    min: null,
    minInclusive: true,
    max: null,
    maxInclusive: true,
  };
  const bad = () =>
    new ConfigError(
      `Cannot read the parameters cell: the rule "[${text}]" on line ${line} is not of the form "[integer >= 1]" or "[number > 0, <= 1]"`,
    );
  if (head === null) throw bad();
  rule.kind = head[1] as ParameterRule["kind"];
  const bounds = [head[2]!, ...parts.slice(1)].filter((part) => part !== "");
  for (const bound of bounds) {
    const match = /^(>=|>|<=|<)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)$/.exec(bound);
    if (match === null) throw bad();
    const value = Number(match[2]);
    if (match[1]!.startsWith(">")) {
      rule.min = value;
      rule.minInclusive = match[1] === ">=";
    } else {
      rule.max = value;
      rule.maxInclusive = match[1] === "<=";
    }
  }
  return rule;
}

/**
 * Describes the values a rule allows, e.g. "an integer of at least 1".
 *
 * @param rule the rule
 * @returns the description
 * @example
 * ```ts
 * describeRule({ kind: "integer", min: 1, minInclusive: true, max: null, maxInclusive: true });
 * // "an integer of at least 1"
 * ```
 */
export function describeRule(rule: ParameterRule): string {
  const noun = rule.kind === "integer" ? "an integer" : "a number";
  const limits: string[] = [];
  if (rule.min !== null) {
    limits.push(`${rule.minInclusive ? "at least" : "greater than"} ${rule.min}`);
  }
  if (rule.max !== null) {
    limits.push(`${rule.maxInclusive ? "at most" : "less than"} ${rule.max}`);
  }
  if (limits.length === 0) return rule.kind === "integer" ? "an integer" : "a finite number";
  return `${noun} ${rule.min !== null && rule.minInclusive ? "of " : ""}${limits.join(" and ")}`;
}

/** Whether a value satisfies a rule; `null` passes (the declared type decides about null). */
function satisfiesRule(value: unknown, rule: ParameterRule): boolean {
  if (value === null) return true;
  if (typeof value !== "number" || !Number.isFinite(value)) return false;
  if (rule.kind === "integer" && !Number.isInteger(value)) return false;
  if (rule.min !== null && (rule.minInclusive ? value < rule.min : value <= rule.min)) {
    return false;
  }
  if (rule.max !== null && (rule.maxInclusive ? value > rule.max : value >= rule.max)) {
    return false;
  }
  return true;
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

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/**
 * Reads the declarations of a notebook's `parameters` cell; empty when it has none.
 *
 * @throws {ConfigError} when two cells are tagged `parameters`, or the cell holds anything but
 *   simple declarations
 */
export function notebookParameters(notebook: Notebook, path: string): ParameterDeclaration[] {
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

/**
 * Checks that every parameter is declared and its value matches the declared type.
 *
 * @throws {ConfigError} naming the parameter, the closest declared name or the expected type
 */
export function checkParameters(
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
    if (declaration.rule !== null && !satisfiesRule(value, declaration.rule)) {
      const example = literalKind(declaration.defaultText) === "number" &&
          satisfiesRule(Number(declaration.defaultText), declaration.rule)
        ? declaration.defaultText
        : "VALUE";
      throw new ConfigError(
        `Cannot set parameter "${key}" of notebook "${path}": expected ${
          describeRule(declaration.rule)
        } (the parameters cell says "[${ruleSource(declaration.rule)}]"), got ${
          JSON.stringify(value)
        }; e.g. --param ${key}=${example}`,
      );
    }
  }
}

function ruleSource(rule: ParameterRule): string {
  const bounds: string[] = [];
  if (rule.min !== null) bounds.push(`${rule.minInclusive ? ">=" : ">"} ${rule.min}`);
  if (rule.max !== null) bounds.push(`${rule.maxInclusive ? "<=" : "<"} ${rule.max}`);
  return [rule.kind, bounds.join(", ")].filter((part) => part !== "").join(" ");
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

/**
 * Gives the values a run of the notebook uses: the given parameters over the declared defaults.
 *
 * A default written as a literal (`30`, `"base"`, `[1, 2]`, `{ a: 1 }`) is recorded as its value;
 * any other default (an expression such as `Deno.env.get("X")`) as its source text.
 *
 * @param declared the notebook's declarations, from {@link notebookParameters}
 * @param params the injected values by name
 * @returns every declared parameter with the value in effect, in declaration order
 * @example
 * ```ts
 * effectiveParameters(readParameters("let epochs = 30;\nlet folds = 5;"), { folds: 3 });
 * // { epochs: 30, folds: 3 }
 * ```
 */
export function effectiveParameters(
  declared: readonly ParameterDeclaration[],
  params: Record<string, unknown>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const declaration of declared) {
    values[declaration.name] = Object.hasOwn(params, declaration.name)
      ? params[declaration.name]
      : literalValue(declaration.defaultText);
  }
  return values;
}

/** The value of a literal default, or its source text when it is not a plain literal. */
function literalValue(text: string): unknown {
  const kind = literalKind(text);
  if (kind === null || text.startsWith("`")) return text;
  try {
    // YAML's flow syntax reads JSON and the single-quoted strings and bare keys TS allows.
    return parseYaml(text);
  } catch {
    return text;
  }
}

/**
 * Copies a notebook for execution: outputs cleared, an earlier injected cell dropped, and an
 * `injected-parameters` cell added after the `parameters` cell when there are parameters.
 * `origin[i]` is the 1-based number of copy cell `i` in the source notebook (`null`: injected).
 */
export function prepareCopy(
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

  /**
   * Reads the rest of the current line when it is a `//` comment, after an optional `;`, that
   * opens with a bracketed rule (`// [integer >= 1] ...`); returns the rule text, or `null`.
   * Moves nothing: the comment is left to `skipTrivia`.
   */
  trailingRule(): string | null {
    const rest = this.#text.slice(this.#at).split("\n")[0] ?? "";
    const match = /^[ \t]*;?[ \t]*\/\/\s*\[([^\]]*)\]/.exec(rest);
    return match === null ? null : match[1]!.trim();
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

function tagsOf(cell: NotebookCell): string[] {
  const tags = cell.metadata["tags"];
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [];
}

function shellQuote(text: string): string {
  return /^[\w.+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'"'"'`)}'`;
}
