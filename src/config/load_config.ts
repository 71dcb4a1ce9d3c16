/**
 * Loads the layered YAML config into a typed, validated `Config`.
 *
 * Layers, lowest precedence first:
 *
 * 1. `config/config.yaml` (required), `config/model_config.yaml` and
 *    `config/logging_config.yaml` (optional: schema defaults apply when absent), or instead of
 *    those three one snapshot file holding every section (`snapshot` option, e.g. the
 *    `config.yaml` of a run folder).
 * 2. A profile (`profile` option), deep-merged on top. Maps merge key by key; lists and scalars
 *    replace. A map or list tagged `!replace` replaces the whole subtree below it instead.
 * 3. Environment variables `DENO_MLOPS__SECTION__KEY=value` (`env` option).
 * 4. `--set key.path=value` overrides (`overrides` option).
 *
 * Every problem found in any layer is reported at once in one `ConfigError` whose `issues`
 * locate each value by file, line and column.
 *
 * @module
 */
import { dirname, isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type YAMLError,
} from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigIssue, didYouMean } from "../errors.ts";
import { hashJson } from "../utils/mod.ts";
import {
  type Config,
  DEFAULT_MODEL_FAMILY,
  LoggingFileSchema,
  MainConfigSchema,
  ModelFileSchema,
  modelFileSchema,
} from "./schema.ts";

// ---------------------------------------------------------------- public types

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * The project root (the folder holding `deno.json`); relative roots resolve against the cwd.
   * @default findProjectRoot()
   */
  root?: string;
  /**
   * A profile file deep-merged over the base files: a path resolved against the root
   * (`config/profiles/cars.yaml`) or a bare name looked up in `config/profiles/` (`cars`).
   * @default null
   */
  profile?: string | null;
  /**
   * `key.path=value` overrides applied last; values are parsed as YAML.
   * @default []
   */
  overrides?: readonly string[];
  /**
   * Environment variables to read `DENO_MLOPS__SECTION__KEY=value` overrides from; the CLI
   * passes `Deno.env.toObject()`.
   * @default {}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * A single file holding every section (as written by {@link configToYaml}), read instead of
   * the three base files; resolved against the root.
   * @default null
   */
  snapshot?: string | null;
}

/** Defaults of {@link LoadConfigOptions} (the root defaults to {@link findProjectRoot}). */
export const DEFAULT_LOAD_CONFIG_OPTIONS: Readonly<Required<Omit<LoadConfigOptions, "root">>> = {
  profile: null,
  overrides: [],
  env: {},
  snapshot: null,
};

/** The result of {@link loadConfig}. */
export interface LoadedConfig {
  /** The validated config; path-valued fields are absolute. */
  config: Config;
  /** The absolute project root. */
  root: string;
  /** sha256 of the config with paths relative to the root: equal on every clone. */
  hash: string;
  /**
   * What was applied, in order: files relative to the root, then `env NAME=value` and
   * `--set key=value` entries.
   */
  sources: string[];
}

/** Prefix of the environment variables read as overrides. */
export const ENV_PREFIX = "DENO_MLOPS__";

/** The YAML tag that makes a profile's map or list replace the subtree below it. */
export const REPLACE_TAG = "!replace";

/** Deepest nesting accepted in a config document. */
export const MAX_CONFIG_DEPTH = 64;

/** Most alias expansions accepted in one config document (see yaml's `maxAliasCount`). */
export const MAX_ALIAS_COUNT = 100;

// ---------------------------------------------------------------- internal types

type PathSegment = string | number;
type TreeValue = string | number | boolean | null | TreeValue[] | TreeMap;
interface TreeMap {
  [key: string]: TreeValue;
}

/** Where a value came from. */
interface Origin {
  file: string;
  /** Layer order, used to sort issues: base files, profile, env, --set. */
  order: number;
  line: number;
  column: number;
  keyLine: number;
  keyColumn: number;
  /** Appended to messages, e.g. ` (from --set training.epochs=ten)`. */
  note: string;
}

interface Layer {
  /** Where issues point when no value on their path has an origin. */
  fallback?: Origin;
  tree: TreeMap;
  /** Keyed by {@link pathKey}. */
  origins: Map<string, Origin>;
  /** Path keys tagged `!replace`. */
  replace: Set<string>;
}

interface LocatedIssue extends ConfigIssue {
  order: number;
}

const MAIN_FILE = "config/config.yaml";
const MODEL_FILE = "config/model_config.yaml";
const LOGGING_FILE = "config/logging_config.yaml";
const PROFILES_DIR = "config/profiles";

const MODEL_SECTIONS = Object.keys(ModelFileSchema.shape);
const LOGGING_SECTIONS = Object.keys(LoggingFileSchema.shape);
const MAIN_SECTIONS = Object.keys(MainConfigSchema.shape);
const ALL_SECTIONS = [...MAIN_SECTIONS, ...MODEL_SECTIONS, ...LOGGING_SECTIONS];
const SECTION_SCHEMAS: Record<string, z.ZodType> = {
  ...MainConfigSchema.shape,
  ...ModelFileSchema.shape,
  ...LoggingFileSchema.shape,
};

/** Keys that could reach `Object.prototype` if merged into a plain object. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** Path-valued fields, resolved against the root on load and made relative again for hashes. */
const PATH_FIELDS: readonly (readonly [string, string])[] = [
  ["data", "path"],
  ["registry", "experiments_dir"],
  ["registry", "production_dir"],
  ["logging", "file"],
];

const LAYER_ORDER = { main: 0, model: 1, logging: 2, profile: 3, env: 4, set: 5 } as const;

/** Nodes one document may expand to, aliases included. */
const MAX_TREE_NODES = 100_000;

// ---------------------------------------------------------------- roots and paths

/**
 * Returns the nearest folder at or above `from` that holds a `deno.json`.
 *
 * @param from the folder to start from (default: the current working directory)
 * @returns the absolute project root
 * @throws {ConfigError} when no folder up to the file-system root holds a `deno.json`
 * @example
 * ```ts
 * const root = findProjectRoot(); // e.g. "/home/me/deno-mlops", also from notebooks/
 * ```
 */
export function findProjectRoot(from: string = Deno.cwd()): string {
  const start = resolve(from);
  let dir = start;
  while (true) {
    if (isFile(join(dir, "deno.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new ConfigError(
        `Cannot find the project root: no "deno.json" in "${start}" or any folder above it, run from inside the project or pass the root option`,
      );
    }
    dir = parent;
  }
}

/**
 * Resolves a config path against the project root; absolute paths are only normalised.
 *
 * @param root the project root
 * @param path a path from the config, relative to the root or absolute
 * @returns the absolute path
 * @throws {TypeError} when `path` is empty
 * @example
 * ```ts
 * resolveProjectPath("/repo", "data/raw/penguins.csv"); // "/repo/data/raw/penguins.csv"
 * ```
 */
export function resolveProjectPath(root: string, path: string): string {
  if (path.length === 0) {
    throw new TypeError(`Cannot resolve a project path: the path is empty, pass a file or folder`);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path; // a URL (s3://...) is not a project path
  return isAbsolute(path) ? normalize(path) : resolve(root, path);
}

// ---------------------------------------------------------------- loadConfig

/**
 * Reads, merges, overrides and validates the config of a project.
 *
 * The base files are `config/config.yaml` (required), `config/model_config.yaml` and
 * `config/logging_config.yaml` under the root; a profile is deep-merged over them (a map tagged
 * `!replace` replaces instead of merging), then `DENO_MLOPS__A__B=v` environment variables and
 * `a.b=v` overrides replace single values. Values of overrides are parsed as YAML (`5`, `true`,
 * `[1, 2]`); paths accept list indexes (`model.params.hidden_units[1]=8`) and quoted keys
 * (`cleaning.nulls."Body Mass (g)".strategy=median`). Environment paths are lower-cased, and an
 * all-digit segment is a list index (`DENO_MLOPS__MODEL__PARAMS__HIDDEN_UNITS__0=64`).
 *
 * Pass `snapshot` to read one file holding every section (see {@link configToYaml}) instead of
 * the three base files; loading a snapshot gives the same hash as the config it was written from.
 *
 * @param options where the project is, the profile, overrides and environment
 * @returns the typed config with absolute paths, the root, the config hash and the sources
 * @throws {ConfigError} listing every problem found, each as `file:line:col key.path: message`
 * @example
 * ```ts
 * const { config, hash } = await loadConfig({
 *   profile: "config/profiles/cars.yaml",
 *   overrides: ["training.epochs=5"],
 *   env: Deno.env.toObject(),
 * });
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const { profile, overrides, env, snapshot } = { ...DEFAULT_LOAD_CONFIG_OPTIONS, ...options };
  const root = options.root === undefined ? findProjectRoot() : resolve(options.root);
  const issues: LocatedIssue[] = [];
  const sources: string[] = [];
  const merged: Layer = { tree: Object.create(null), origins: new Map(), replace: new Set() };

  if (snapshot !== null) {
    const path = resolveProjectPath(root, snapshot);
    const layer = await readLayerFile(root, path, LAYER_ORDER.main, true, issues, "snapshot");
    if (layer !== undefined) {
      sources.push(displayPath(root, path));
      mergeLayer(merged, layer, []);
    }
  } else {
    const bases = [
      { file: MAIN_FILE, order: LAYER_ORDER.main, required: true, sections: MAIN_SECTIONS },
      { file: MODEL_FILE, order: LAYER_ORDER.model, required: false, sections: MODEL_SECTIONS },
      {
        file: LOGGING_FILE,
        order: LAYER_ORDER.logging,
        required: false,
        sections: LOGGING_SECTIONS,
      },
    ];
    for (const base of bases) {
      const layer = await readLayerFile(
        root,
        join(root, base.file),
        base.order,
        base.required,
        issues,
      );
      if (layer === undefined) continue;
      sources.push(base.file);
      checkFileSections(layer, base.file, base.sections, issues);
      mergeLayer(merged, layer, []);
    }
  }

  if (profile !== null) {
    const path = await resolveProfilePath(root, profile);
    const layer = await readLayerFile(root, path, LAYER_ORDER.profile, true, issues, "profile");
    if (layer !== undefined) {
      sources.push(displayPath(root, path));
      mergeLayer(merged, layer, []);
    }
  }

  const envNames = Object.keys(env).filter((k) => k.startsWith(ENV_PREFIX)).sort();
  for (const [index, name] of envNames.entries()) {
    const value = env[name] ?? "";
    const note = ` (from env ${name}=${value})`;
    const origin = overrideOrigin("env", LAYER_ORDER.env + index / (envNames.length + 1), note);
    const raw = name.slice(ENV_PREFIX.length).split("__");
    if (raw.some((s) => s.length === 0)) {
      issues.push(issueAt(origin, "", `empty key segment in "${name}": separate keys with "__"`));
      continue;
    }
    const segments = raw.map((s) => (/^\d+$/.test(s) ? Number(s) : s.toLowerCase()));
    sources.push(`env ${name}`);
    applyOverride(merged, segments, value, origin, issues);
  }

  for (const [index, text] of overrides.entries()) {
    const note = ` (from --set ${text})`;
    // Issues from overrides are listed in command-line order.
    const origin = overrideOrigin("--set", LAYER_ORDER.set + index / (overrides.length + 1), note);
    let parsed: { segments: PathSegment[]; valueText: string };
    try {
      parsed = parseOverride(text);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      issues.push(
        issueAt(origin, "", `${message}: expected key.path=value, e.g. training.epochs=5`),
      );
      continue;
    }
    sources.push(`--set ${text}`);
    applyOverride(merged, parsed.segments, parsed.valueText, origin, issues);
  }

  const config = validateTree(merged, issues);
  if (issues.length > 0 || config === undefined) throw configErrorFrom(issues);

  const resolved = mapPathFields(config, (path) => resolveProjectPath(root, path));
  const hash = await hashJson(relativizeConfig(resolved, root));
  return { config: resolved, root, hash, sources };
}

/**
 * Validates an in-memory config object holding every section, as `loadConfig` validates files.
 *
 * Missing sections and keys take their defaults; paths are returned as given (not resolved).
 * Issues name the key path and use the file `"<object>"` with line and column 0.
 *
 * @param raw an object of sections, e.g. `{ training: { epochs: 5 } }`
 * @returns the typed config
 * @throws {ConfigError} listing every problem found
 * @example
 * ```ts
 * const config = parseConfig({ data: { path: "tests/fixtures/tiny.csv" }, training: { epochs: 2 } });
 * ```
 */
export function parseConfig(raw: unknown): Config {
  const fallback = overrideOrigin("<object>", 0, "");
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(
      `Cannot parse config: expected an object of sections such as { training: { epochs: 5 } }, got ${
        Array.isArray(raw) ? "an array" : raw === null ? "null" : typeof raw
      }`,
    );
  }
  const issues: LocatedIssue[] = [];
  const tree = toTree(raw, [], issues, fallback) as TreeMap;
  const config = validateTree({ tree, origins: new Map(), replace: new Set(), fallback }, issues);
  if (issues.length > 0 || config === undefined) throw configErrorFrom(issues);
  return config;
}

/**
 * Writes a config as one YAML document holding every section, with paths relative to `root`.
 *
 * The result is what a run folder stores as `config.yaml`; `loadConfig({ root, snapshot })` of
 * that file gives back an equal config and the same hash.
 *
 * @param config a config returned by {@link loadConfig}
 * @param root the project root its absolute paths are relative to
 * @returns the YAML text
 * @example
 * ```ts
 * const { config, root } = await loadConfig();
 * await Deno.writeTextFile(`${runDir}/config.yaml`, configToYaml(config, root));
 * ```
 */
export function configToYaml(config: Config, root: string): string {
  const doc = new Document(relativizeConfig(config, root), { aliasDuplicateObjects: false });
  doc.commentBefore =
    " The fully resolved deno-mlops config (all sections, paths relative to the project root).\n" +
    " Load it again with loadConfig({ root, snapshot: <this file> }).";
  return doc.toString({ lineWidth: 0 });
}

// ---------------------------------------------------------------- reading files

async function readLayerFile(
  root: string,
  path: string,
  order: number,
  required: boolean,
  issues: LocatedIssue[],
  kind = "config file",
): Promise<Layer | undefined> {
  const file = displayPath(root, path);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      if (!required) return undefined;
      throw new ConfigError(
        `Cannot load config: ${kind} "${path}" does not exist, create it or fix the path (project root "${root}")`,
        [{ file, line: 0, column: 0, path: "", message: `${kind} does not exist` }],
        { cause },
      );
    }
    throw new ConfigError(`Cannot load config: ${kind} "${path}" cannot be read`, [], { cause });
  }
  return parseYamlLayer(text, file, order, issues);
}

async function resolveProfilePath(root: string, profile: string): Promise<string> {
  const bare = !profile.includes("/") && !profile.includes("\\") && !/\.ya?ml$/.test(profile);
  const path = bare
    ? join(root, PROFILES_DIR, `${profile}.yaml`)
    : resolveProjectPath(root, profile);
  if (isFile(path)) return path;
  const available: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(root, PROFILES_DIR))) {
      if (entry.isFile && entry.name.endsWith(".yaml")) available.push(entry.name.slice(0, -5));
    }
  } catch {
    // No profiles folder: the message below says so by listing none.
  }
  available.sort();
  const name = bare ? profile : profile.replace(/^.*[\\/]/, "").replace(/\.ya?ml$/, "");
  const list = available.length === 0
    ? `"${PROFILES_DIR}" holds no profiles`
    : `available profiles are ${available.map((p) => `"${p}"`).join(", ")}${
      didYouMean(name, available)
    }`;
  throw new ConfigError(
    `Cannot load config profile "${profile}": "${path}" does not exist (${list}), pass a path relative to the project root such as "${PROFILES_DIR}/cars.yaml"`,
  );
}

/**
 * Parses YAML text into a layer, locating every value; throws ConfigError on bad YAML and
 * pushes forbidden keys (which are left out) to `issues`.
 */
function parseYamlLayer(text: string, file: string, order: number, issues: LocatedIssue[]): Layer {
  const { value, layer, offset, lineCounter, keyIssues } = parseYamlValue(text, file, order);
  issues.push(...keyIssues);
  if (value === null) return layer;
  if (!isTreeMap(value)) {
    const { line, col } = position(lineCounter, offset);
    const issue = { file, line, column: col, path: "", message: "expected a map of sections" };
    throw new ConfigError(
      `Cannot read "${file}": the document is not a map of sections, write "section:" keys such as "training:" at the top level\n${
        formatIssue(issue)
      }`,
      [issue],
    );
  }
  layer.tree = value;
  return layer;
}

/** Parses one YAML document of any shape; throws ConfigError on bad or hostile YAML. */
function parseYamlValue(
  text: string,
  file: string,
  order: number,
): {
  value: TreeValue;
  layer: Layer;
  offset: number;
  lineCounter: LineCounter;
  keyIssues: LocatedIssue[];
} {
  const lineCounter = new LineCounter();
  if (roughNesting(text) > MAX_SCAN_DEPTH) {
    // The parser recurses per level: refuse before it runs out of stack (seconds, then a
    // "Maximum call stack size exceeded" reported as a syntax error).
    const reason = `the document is nested too deeply (at most ${MAX_CONFIG_DEPTH} levels)`;
    throw new ConfigError(`Cannot parse "${file}": ${reason}`, [
      { file, line: 0, column: 0, path: "", message: reason },
    ]);
  }
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
      customTags: [
        { tag: REPLACE_TAG, collection: "map", resolve: (value: unknown) => value },
        { tag: REPLACE_TAG, collection: "seq", resolve: (value: unknown) => value },
      ],
    });
  } catch (cause) {
    throw new ConfigError(
      `Cannot parse "${file}": the document is too large or nested too deeply (at most ${MAX_CONFIG_DEPTH} levels)`,
      [{ file, line: 0, column: 0, path: "", message: "document too large or too deep" }],
      { cause },
    );
  }
  const problems: YAMLError[] = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    const issues = problems.map((problem) => {
      const { line, col } = position(lineCounter, problem.pos[0]);
      return { file, line, column: col, path: "", message: problem.message };
    });
    throw new ConfigError(
      `Cannot parse "${file}": invalid YAML, fix the syntax and try again\n${
        issues.map(formatIssue).join("\n")
      }`,
      issues,
    );
  }
  try {
    // mapAsMap: the value is only checked, and complex keys would print a warning to stderr.
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT, mapAsMap: true });
  } catch (cause) {
    const reason = cause instanceof ReferenceError
      ? `aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT} per alias), remove the repeated anchors`
      : `the document is nested too deeply (at most ${MAX_CONFIG_DEPTH} levels)`;
    throw new ConfigError(
      `Cannot parse "${file}": ${reason}`,
      [{ file, line: 0, column: 0, path: "", message: reason }],
      { cause },
    );
  }

  const layer: Layer = { tree: Object.create(null), origins: new Map(), replace: new Set() };
  const context: ReadContext = { file, order, doc, lineCounter, layer, nodes: 0, issues: [] };
  const value = readNode(doc.contents, [], context, 0);
  const offset = (doc.contents as Located | null)?.range?.[0] ?? 0;
  return { value, layer, offset, lineCounter, keyIssues: context.issues };
}

/** Nesting beyond which a document is refused before parsing ({@link roughNesting}). */
const MAX_SCAN_DEPTH = MAX_CONFIG_DEPTH * 4;

/**
 * An upper estimate of a YAML document's nesting, from indentation, leading "- " markers and
 * brackets outside quotes and comments, made without recursion so any input is cheap to check.
 * The exact limit ({@link MAX_CONFIG_DEPTH}) is checked on the parsed document.
 */
function roughNesting(text: string): number {
  const indents: number[] = [];
  let flow = 0;
  let deepest = 0;
  for (const line of text.split("\n")) {
    let at = 0;
    while (line[at] === " ") at++;
    if (flow === 0 && at < line.length && line[at] !== "#") {
      while (indents.length > 0 && indents[indents.length - 1]! >= at) indents.pop();
      indents.push(at);
      let dashes = 0;
      for (let i = at; line[i] === "-" && (line[i + 1] === " " || i + 1 === line.length); i += 2) {
        dashes++;
        while (line[i + 2] === " ") i++;
      }
      deepest = Math.max(deepest, indents.length + dashes);
    }
    let quote: string | null = null;
    for (let i = at; i < line.length; i++) {
      const char = line[i]!;
      if (quote !== null) {
        if (char === "\\" && quote === '"') i++;
        else if (char === quote) quote = null;
      } else if (char === '"' || char === "'") {
        quote = char;
      } else if (char === "#" && (i === 0 || line[i - 1] === " ")) {
        break;
      } else if (char === "[" || char === "{") {
        flow++;
        deepest = Math.max(deepest, indents.length + flow);
      } else if ((char === "]" || char === "}") && flow > 0) {
        flow--;
      }
    }
  }
  return deepest;
}

interface ReadContext {
  file: string;
  order: number;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  layer: Layer;
  nodes: number;
  issues: LocatedIssue[];
}

interface Located {
  range?: readonly number[] | null | undefined;
}

function readNode(
  node: unknown,
  path: PathSegment[],
  context: ReadContext,
  depth: number,
): TreeValue {
  const offset = (node as Located | null)?.range?.[0] ?? 0;
  if (depth > MAX_CONFIG_DEPTH || ++context.nodes > MAX_TREE_NODES) {
    const { line, col } = position(context.lineCounter, offset);
    const reason = depth > MAX_CONFIG_DEPTH
      ? `nested deeper than ${MAX_CONFIG_DEPTH} levels`
      : `expands to more than ${MAX_TREE_NODES} values`;
    const issue = {
      file: context.file,
      line,
      column: col,
      path: formatPath(path),
      message: reason,
    };
    throw new ConfigError(
      `Cannot read "${context.file}": the document is ${reason}, flatten it or remove repeated aliases\n${
        formatIssue(issue)
      }`,
      [issue],
    );
  }
  if (isAlias(node)) {
    const target = node.resolve(context.doc);
    if (target === undefined) return null; // yaml already reported the unknown anchor
    return readNode(target, path, context, depth + 1);
  }
  if (isMap(node)) {
    if (node.tag === REPLACE_TAG) context.layer.replace.add(pathKey(path));
    const out: TreeMap = Object.create(null);
    for (const pair of node.items) {
      const keyNode = pair.key;
      const keyPos = position(context.lineCounter, (keyNode as Located | null)?.range?.[0] ?? 0);
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined || FORBIDDEN_KEYS.has(key)) {
        context.issues.push({
          order: context.order,
          file: context.file,
          line: keyPos.line,
          column: keyPos.col,
          path: formatPath(path),
          message: key === undefined
            ? "expected a plain key, got a map or list used as a key"
            : `forbidden key "${key}": it could change object prototypes, rename it`,
        });
        continue;
      }
      const childPath = [...path, key];
      const valueOffset = (pair.value as Located | null)?.range?.[0];
      const valuePos = valueOffset === undefined
        ? keyPos
        : position(context.lineCounter, valueOffset);
      context.layer.origins.set(pathKey(childPath), {
        file: context.file,
        order: context.order,
        line: valuePos.line,
        column: valuePos.col,
        keyLine: keyPos.line,
        keyColumn: keyPos.col,
        note: "",
      });
      out[key] = readNode(pair.value, childPath, context, depth + 1);
    }
    return out;
  }
  if (isSeq(node)) {
    if (node.tag === REPLACE_TAG) context.layer.replace.add(pathKey(path));
    return node.items.map((item, index) => {
      const childPath = [...path, index];
      const pos = position(context.lineCounter, (item as Located | null)?.range?.[0] ?? offset);
      context.layer.origins.set(pathKey(childPath), {
        file: context.file,
        order: context.order,
        line: pos.line,
        column: pos.col,
        keyLine: pos.line,
        keyColumn: pos.col,
        note: "",
      });
      return readNode(item, childPath, context, depth + 1);
    });
  }
  if (isScalar(node)) {
    const value = node.value;
    if (
      value === null || typeof value === "string" || typeof value === "number" ||
      typeof value === "boolean"
    ) {
      return value;
    }
    return String(value);
  }
  return null;
}

/** Reports top-level keys that belong in another base file, and drops them. */
function checkFileSections(
  layer: Layer,
  file: string,
  sections: readonly string[],
  issues: LocatedIssue[],
): void {
  for (const key of Object.keys(layer.tree)) {
    if (sections.includes(key)) continue;
    const home = MODEL_SECTIONS.includes(key)
      ? MODEL_FILE
      : LOGGING_SECTIONS.includes(key)
      ? LOGGING_FILE
      : MAIN_SECTIONS.includes(key)
      ? MAIN_FILE
      : undefined;
    if (home === undefined) continue; // unknown keys are reported by validation
    const origin = layer.origins.get(pathKey([key]));
    issues.push({
      file,
      order: origin?.order ?? 0,
      line: origin?.keyLine ?? 0,
      column: origin?.keyColumn ?? 0,
      path: key,
      message: `section "${key}" belongs in ${home}, move it there`,
    });
    delete layer.tree[key];
  }
}

// ---------------------------------------------------------------- merging and overrides

/** Deep-merges `source` into `target` at `path`; maps merge unless tagged `!replace`. */
function mergeLayer(target: Layer, source: Layer, path: PathSegment[]): void {
  const into = getAt(target.tree, path) as TreeMap;
  const from = getAt(source.tree, path) as TreeMap;
  if (path.length === 0 && isTreeMap(from["model"])) {
    dropParamsOfOtherFamily(target, from["model"]["family"]);
  }
  for (const key of Object.keys(from)) {
    const childPath = [...path, key];
    const childKey = pathKey(childPath);
    const incoming = from[key]!;
    const existing = into[key];
    if (isTreeMap(incoming) && isTreeMap(existing) && !source.replace.has(childKey)) {
      const origin = source.origins.get(childKey);
      if (origin !== undefined) target.origins.set(childKey, origin);
      mergeLayer(target, source, childPath);
      continue;
    }
    into[key] = incoming;
    clearOrigins(target.origins, childKey);
    for (const [k, origin] of source.origins) {
      if (isSameOrBelow(k, childKey)) target.origins.set(k, origin);
    }
  }
}

/**
 * A layer that changes `model.family` drops the params, and the `model.params.*` search spaces,
 * set below it for the previous family: they do not apply to the new one.
 */
function dropParamsOfOtherFamily(target: Layer, family: TreeValue | undefined): void {
  const model = target.tree["model"];
  if (family === undefined) return;
  if (((isTreeMap(model) ? model["family"] : undefined) ?? DEFAULT_MODEL_FAMILY) === family) return;
  if (isTreeMap(model)) delete model["params"];
  clearOrigins(target.origins, pathKey(["model", "params"]));
  const search = target.tree["search"];
  if (!isTreeMap(search)) return;
  for (const key of Object.keys(search).filter((k) => k.startsWith("model.params"))) {
    delete search[key];
    clearOrigins(target.origins, pathKey(["search", key]));
  }
}

function overrideOrigin(file: string, order: number, note: string): Origin {
  return { file, order, line: 0, column: 0, keyLine: 0, keyColumn: 0, note };
}

/** Sets one value from `--set` or the environment; records a located issue when impossible. */
function applyOverride(
  target: Layer,
  segments: PathSegment[],
  valueText: string,
  origin: Origin,
  issues: LocatedIssue[],
): void {
  const where = formatPath(segments);
  const fail = (message: string) => issues.push(issueAt(origin, where, message));
  const forbidden = segments.find((s) => typeof s === "string" && FORBIDDEN_KEYS.has(s));
  if (forbidden !== undefined) {
    fail(`forbidden key "${forbidden}": it could change object prototypes`);
    return;
  }
  if (segments.length > MAX_CONFIG_DEPTH) {
    fail(`the key path is deeper than ${MAX_CONFIG_DEPTH} levels`);
    return;
  }
  let value: TreeValue;
  try {
    const parsed = parseYamlValue(valueText, origin.file, origin.order);
    const [keyIssue] = parsed.keyIssues;
    if (keyIssue !== undefined) {
      fail(`the value has a ${keyIssue.message}`);
      return;
    }
    value = parsed.value;
  } catch (error) {
    const detail = error instanceof ConfigError && error.issues.length > 0
      ? error.issues.map((i) => i.message).join("; ")
      : error instanceof Error
      ? error.message
      : String(error);
    fail(`cannot parse the value as YAML: ${detail}`);
    return;
  }
  if (formatPath(segments) === "model.family") dropParamsOfOtherFamily(target, value);

  let container: TreeMap | TreeValue[] = target.tree;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const prefix = segments.slice(0, i + 1);
    const here = formatPath(segments.slice(0, i));
    if (Array.isArray(container)) {
      if (typeof segment !== "number") {
        fail(`"${here}" is a list: use an index such as "${here}[0]"`);
        return;
      }
      if (segment > container.length) {
        fail(
          `index ${segment} is out of range: "${here}" has ${
            plural(container.length, "item")
          } (use an index up to ${container.length})`,
        );
        return;
      }
    } else if (typeof segment === "number") {
      fail(`"${here}" is a map, not a list: use a key instead of [${segment}]`);
      return;
    }
    const last = i === segments.length - 1;
    if (last) {
      setChild(container, segment, value);
      const key = pathKey(prefix);
      clearOrigins(target.origins, key);
      markOrigins(target.origins, prefix, value, origin);
      return;
    }
    let child = getChild(container, segment);
    if (child === undefined) {
      // Start from the schema default (a list to index, a model with its family); an unknown
      // key gets a new map so that validation reports it with a suggestion.
      child = schemaDefault(prefix, target.tree) ??
        (typeof segments[i + 1] === "string" ? Object.create(null) as TreeMap : undefined);
      if (child === undefined) {
        fail(
          `"${
            formatPath(prefix)
          }" is not set in any file, so it has no list to index: set the whole list instead, e.g. ${
            formatPath(prefix)
          }=[...]`,
        );
        return;
      }
      setChild(container, segment, child);
      markOrigins(target.origins, prefix, child, origin);
    }
    if (!isTreeMap(child) && !Array.isArray(child)) {
      fail(`"${formatPath(prefix)}" is ${describeValue(child)}, not a map or list`);
      return;
    }
    container = child;
  }
}

function markOrigins(
  origins: Map<string, Origin>,
  path: PathSegment[],
  value: TreeValue,
  origin: Origin,
): void {
  origins.set(pathKey(path), origin);
  if (Array.isArray(value)) value.forEach((v, i) => markOrigins(origins, [...path, i], v, origin));
  else if (isTreeMap(value)) {
    for (const [k, v] of Object.entries(value)) markOrigins(origins, [...path, k], v, origin);
  }
}

/** The schema default at `path` as a fresh tree, or a new map where the schema has a map. */
function schemaDefault(path: PathSegment[], tree: TreeMap): TreeValue | undefined {
  let schema = schemaAtPath(path, tree);
  while (schema !== undefined) {
    const def = defOf(schema);
    if (def.type === "default" || def.type === "prefault") {
      return toTree(structuredClone(def["defaultValue"]));
    }
    if (def.type === "optional" || def.type === "nullable") {
      schema = def["innerType"];
      continue;
    }
    if (def.type === "object" || def.type === "record" || def.type === "union") {
      return Object.create(null);
    }
    return undefined;
  }
  return undefined;
}

/** Copies a plain value into a tree of null-prototype maps, leaving out forbidden keys. */
function toTree(
  value: unknown,
  path: PathSegment[] = [],
  issues: LocatedIssue[] = [],
  origin: Origin = overrideOrigin("<object>", 0, ""),
): TreeValue {
  if (path.length > MAX_CONFIG_DEPTH) {
    throw new ConfigError(
      `Cannot parse config: the value is nested deeper than ${MAX_CONFIG_DEPTH} levels at "${
        formatPath(path)
      }"`,
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => toTree(v, [...path, i], issues, origin));
  if (value !== null && typeof value === "object") {
    const out: TreeMap = Object.create(null);
    for (const [k, v] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(k)) {
        issues.push(
          issueAt(
            origin,
            formatPath(path),
            `forbidden key "${k}": it could change object prototypes`,
          ),
        );
        continue;
      }
      out[k] = toTree(v, [...path, k], issues, origin);
    }
    return out;
  }
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value;
  }
  return null;
}

// ---------------------------------------------------------------- key paths

/** Splits `key.path=value` at the first `=` outside quotes. */
function parseOverride(text: string): { segments: PathSegment[]; valueText: string } {
  const { segments, end } = parseKeyPath(text, true);
  if (text[end] !== "=") throw new Error(`no "=" after the key path`);
  return { segments, valueText: text.slice(end + 1) };
}

/**
 * Parses `a.b[1]."Key with spaces".c`; stops at `=` when `untilEquals`.
 *
 * @returns the segments and the index after the path
 */
function parseKeyPath(
  text: string,
  untilEquals: boolean,
): { segments: PathSegment[]; end: number } {
  const segments: PathSegment[] = [];
  let i = 0;
  while (true) {
    if (text[i] === '"') {
      let name = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        name += text[i];
        i++;
      }
      if (text[i] !== '"') throw new Error(`a quoted key is not closed`);
      i++;
      segments.push(name);
    } else {
      const start = i;
      while (i < text.length && !'.[]="'.includes(text[i]!)) i++;
      const name = text.slice(start, i).trim();
      if (name.length === 0) {
        throw new Error(`empty key at position ${start + 1}`);
      }
      segments.push(name);
    }
    while (text[i] === "[") {
      const close = text.indexOf("]", i);
      const digits = close < 0 ? "" : text.slice(i + 1, close);
      if (!/^\d+$/.test(digits)) {
        throw new Error(`expected a list index such as [0] at position ${i + 1}`);
      }
      segments.push(Number(digits));
      i = close + 1;
    }
    if (i >= text.length || (untilEquals && text[i] === "=")) break;
    if (text[i] !== ".") {
      throw new Error(`unexpected "${text[i]}" at position ${i + 1}`);
    }
    i++;
  }
  return { segments, end: i };
}

/** Formats a key path the way `--set` accepts it: `a.b[1]."Body Mass (g)"`. */
function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const name = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)
        ? segment
        : `"${segment.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
      out += out.length === 0 ? name : `.${name}`;
    }
  }
  return out;
}

function pathKey(path: readonly PathSegment[]): string {
  return JSON.stringify(path);
}

function isSameOrBelow(key: string, ancestor: string): boolean {
  return key === ancestor || key.startsWith(`${ancestor.slice(0, -1)},`);
}

function clearOrigins(origins: Map<string, Origin>, key: string): void {
  for (const k of [...origins.keys()]) if (isSameOrBelow(k, key)) origins.delete(k);
}

// ---------------------------------------------------------------- tree helpers

function isTreeMap(value: TreeValue | undefined): value is TreeMap {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function getChild(container: TreeMap | TreeValue[], segment: PathSegment): TreeValue | undefined {
  if (Array.isArray(container)) return typeof segment === "number" ? container[segment] : undefined;
  return typeof segment === "string" && Object.hasOwn(container, segment)
    ? container[segment]
    : undefined;
}

function setChild(container: TreeMap | TreeValue[], segment: PathSegment, value: TreeValue): void {
  if (Array.isArray(container)) container[segment as number] = value;
  else container[segment as string] = value;
}

function getAt(tree: TreeValue, path: readonly PathSegment[]): TreeValue | undefined {
  let node: TreeValue | undefined = tree;
  for (const segment of path) {
    if (node === undefined || node === null || typeof node !== "object") return undefined;
    node = getChild(node, segment);
  }
  return node;
}

// ---------------------------------------------------------------- validation

/** Validates the merged tree section by section; pushes every issue and returns the config. */
function validateTree(layer: Layer, issues: LocatedIssue[]): Config | undefined {
  const main: TreeMap = Object.create(null);
  const model: TreeMap = Object.create(null);
  const logging: TreeMap = Object.create(null);
  for (const [key, value] of Object.entries(layer.tree)) {
    if (MODEL_SECTIONS.includes(key)) model[key] = value;
    else if (LOGGING_SECTIONS.includes(key)) logging[key] = value;
    else main[key] = value;
  }
  const results = [
    MainConfigSchema.safeParse(main),
    modelFileSchema().safeParse(model),
    LoggingFileSchema.safeParse(logging),
  ] as const;
  for (const result of results) {
    if (!result.success) {
      for (const issue of result.error.issues) convertIssue(issue, [], layer, issues);
    }
  }
  checkSearchPaths(layer, issues);
  const [mainResult, modelResult, loggingResult] = results;
  if (!mainResult.success) return undefined;

  const ratios = mainResult.data.split.ratios;
  const total = ratios.train + ratios.val + ratios.test;
  if (Math.abs(total - 1) > 1e-9) {
    const path = ["split", "ratios"];
    issues.push(
      issueAt(
        findOrigin(layer, path, false),
        formatPath(path),
        `expected train + val + test to add up to 1, got ${
          Number(total.toFixed(6))
        } (${ratios.train} + ${ratios.val} + ${ratios.test})`,
      ),
    );
    return undefined;
  }
  if (!modelResult.success || !loggingResult.success) return undefined;
  return { ...mainResult.data, ...modelResult.data, ...loggingResult.data };
}

/** Every key of `search` must name a config value, e.g. `training.learning_rate`. */
function checkSearchPaths(layer: Layer, issues: LocatedIssue[]): void {
  const search = layer.tree["search"];
  if (!isTreeMap(search)) return;
  for (const key of Object.keys(search)) {
    const where = ["search", key];
    const origin = findOrigin(layer, where, true);
    let segments: PathSegment[];
    try {
      segments = parseKeyPath(key, false).segments;
    } catch {
      issues.push(
        issueAt(
          origin,
          formatPath(where),
          `"${key}" is not a key path such as "training.learning_rate"`,
        ),
      );
      continue;
    }
    if (schemaAtPath(segments, layer.tree) !== undefined) continue;
    let known = 0;
    while (known < segments.length && schemaAtPath(segments.slice(0, known + 1), layer.tree)) {
      known++;
    }
    const missing = segments[known];
    const candidates = allowedKeys(segments.slice(0, known), layer.tree);
    const hint = typeof missing === "string" ? didYouMean(missing, candidates) : "";
    issues.push(
      issueAt(origin, formatPath(where), `unknown config path "${key}"${hint}`),
    );
  }
}

/** Turns one zod issue into located, human-readable issues. */
function convertIssue(
  issue: z.core.$ZodIssue,
  base: PathSegment[],
  layer: Layer,
  issues: LocatedIssue[],
): void {
  const path: PathSegment[] = [
    ...base,
    ...issue.path.map((p) => (typeof p === "number" ? p : String(p))),
  ];
  if (issue.code === "unrecognized_keys") {
    const candidates = allowedKeys(path, layer.tree);
    for (const key of issue.keys) {
      const keyPath = [...path, key];
      issues.push(
        issueAt(
          findOrigin(layer, keyPath, true),
          formatPath(keyPath),
          `unknown key "${key}"${didYouMean(key, candidates)}`,
        ),
      );
    }
    return;
  }
  if (issue.code === "invalid_union") {
    const details = issue as z.core.$ZodIssueInvalidUnion & {
      discriminator?: string;
      options?: unknown[];
    };
    if (details.options !== undefined && details.discriminator !== undefined) {
      const expected = `one of ${details.options.map((o) => JSON.stringify(o)).join(" | ")}`;
      issues.push(valueIssue(layer, path, expected));
      return;
    }
    const matching = details.errors.filter((branch) =>
      !branch.some((e) => e.code === "invalid_type" && e.path.length === 0)
    );
    if (matching.length === 1) {
      for (const nested of matching[0]!) convertIssue(nested, path, layer, issues);
      return;
    }
  }
  const schema = schemaAtPath(path, layer.tree);
  const expected = schema === undefined ? describeIssue(issue) : describeSchema(schema);
  issues.push(valueIssue(layer, path, expected));
}

function valueIssue(layer: Layer, path: PathSegment[], expected: string): LocatedIssue {
  const value = getAt(layer.tree, path);
  const got = value === undefined ? "nothing (the key is required)" : describeValue(value);
  return issueAt(
    findOrigin(layer, path, false),
    formatPath(path),
    `expected ${expected}, got ${got}`,
  );
}

function findOrigin(layer: Layer, path: PathSegment[], atKey: boolean): Origin {
  for (let n = path.length; n > 0; n--) {
    const origin = layer.origins.get(pathKey(path.slice(0, n)));
    if (origin === undefined) continue;
    if (n === path.length && atKey) {
      return { ...origin, line: origin.keyLine, column: origin.keyColumn };
    }
    return origin;
  }
  return layer.fallback ?? overrideOrigin(MAIN_FILE, LAYER_ORDER.main, "");
}

function issueAt(origin: Origin, path: string, message: string): LocatedIssue {
  return {
    file: origin.file,
    line: origin.line,
    column: origin.column,
    path,
    message: `${message}${origin.note}`,
    order: origin.order,
  };
}

function configErrorFrom(located: LocatedIssue[]): ConfigError {
  const sorted = [...located].sort((a, b) =>
    a.order - b.order || a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column
  );
  const issues: ConfigIssue[] = sorted.map(({ file, line, column, path, message }) => ({
    file,
    line,
    column,
    path,
    message,
  }));
  return new ConfigError(
    `Cannot load config: ${plural(issues.length, "problem")} found, fix them and try again\n${
      issues.map(formatIssue).join("\n")
    }`,
    issues,
  );
}

/** `file:line:col key.path: message`, the format of every line of a ConfigError message. */
function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path.length === 0
    ? `${where} ${issue.message}`
    : `${where} ${issue.path}: ${issue.message}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

// ---------------------------------------------------------------- schema introspection

interface LooseDef {
  type: string;
  [key: string]: unknown;
}

function defOf(schema: unknown): LooseDef {
  return (schema as { _zod: { def: LooseDef } })._zod.def;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  while (true) {
    const def = defOf(current);
    if (
      ["optional", "nullable", "default", "prefault", "readonly", "nonoptional"].includes(def.type)
    ) {
      current = def["innerType"];
      continue;
    }
    return current;
  }
}

/** The schema describing the value at `path`, choosing union options by the values present. */
function schemaAtPath(path: readonly PathSegment[], tree: TreeMap): unknown {
  const [first, ...rest] = path;
  if (typeof first !== "string" || !Object.hasOwn(SECTION_SCHEMAS, first)) return undefined;
  let schema: unknown = first === "model" ? modelFileSchema().shape.model : SECTION_SCHEMAS[first];
  let value: TreeValue | undefined = tree[first];
  for (const segment of rest) {
    schema = childSchema(schema, segment, value);
    if (schema === undefined) return undefined;
    value = value !== null && typeof value === "object" ? getChild(value, segment) : undefined;
  }
  return schema;
}

function childSchema(schema: unknown, segment: PathSegment, value: TreeValue | undefined): unknown {
  const inner = unwrap(schema);
  const def = defOf(inner);
  switch (def.type) {
    case "object": {
      const shape = def["shape"] as Record<string, unknown>;
      return typeof segment === "string" && Object.hasOwn(shape, segment)
        ? shape[segment]
        : undefined;
    }
    case "record":
      return typeof segment === "string" ? def["valueType"] : undefined;
    case "array":
      return typeof segment === "number" ? def["element"] : undefined;
    case "tuple": {
      const items = def["items"] as unknown[];
      return typeof segment === "number" ? items[segment] ?? def["rest"] ?? undefined : undefined;
    }
    case "union": {
      const options = def["options"] as unknown[];
      const discriminator = def["discriminator"] as string | undefined;
      if (discriminator !== undefined) {
        const tag = isTreeMap(value) ? value[discriminator] : undefined;
        const chosen = options.find((option) => {
          const field = (defOf(unwrap(option))["shape"] as Record<string, unknown>)[discriminator];
          return (defOf(unwrap(field))["values"] as unknown[] | undefined)?.includes(tag) ?? false;
        });
        return chosen === undefined ? undefined : childSchema(chosen, segment, value);
      }
      for (const option of options) {
        const found = childSchema(option, segment, value);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The keys an object schema at `path` allows (all sections at the top level). */
function allowedKeys(path: readonly PathSegment[], tree: TreeMap): string[] {
  if (path.length === 0) return ALL_SECTIONS;
  const schema = schemaAtPath(path, tree);
  if (schema === undefined) return [];
  const def = defOf(unwrap(schema));
  if (def.type === "object") return Object.keys(def["shape"] as object);
  if (def.type === "union" && typeof def["discriminator"] === "string") {
    const value = getAt(tree, path);
    const discriminator = def["discriminator"];
    const tag = isTreeMap(value) ? value[discriminator] : undefined;
    for (const option of def["options"] as unknown[]) {
      const shape = defOf(unwrap(option))["shape"] as Record<string, unknown>;
      const values = defOf(unwrap(shape[discriminator]))["values"] as unknown[] | undefined;
      if (values?.includes(tag)) return Object.keys(shape);
    }
  }
  return [];
}

interface CheckDef {
  check: string;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

function checksOf(def: LooseDef): CheckDef[] {
  const checks = (def["checks"] as { _zod: { def: CheckDef } }[] | undefined) ?? [];
  return checks.map((c) => c._zod.def);
}

/** Describes what a schema accepts: "a positive integer", `one of "a" | "b"`, "a list". */
function describeSchema(schema: unknown): string {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "default":
    case "prefault":
    case "readonly":
    case "nonoptional":
      return describeSchema(def["innerType"]);
    case "nullable":
      return `${describeSchema(def["innerType"])} or null`;
    case "number":
      return describeNumber(def);
    case "string": {
      const min = checksOf(def).find((c) => c.check === "min_length")?.minimum ?? 0;
      return min > 0 ? "a non-empty string" : "a string";
    }
    case "boolean":
      return "true or false";
    case "enum":
      return `one of ${
        Object.values(def["entries"] as Record<string, unknown>).map((v) => JSON.stringify(v))
          .join(" | ")
      }`;
    case "literal": {
      const values = (def["values"] as unknown[]).map((v) => JSON.stringify(v));
      return values.length === 1 ? values[0]! : `one of ${values.join(" | ")}`;
    }
    case "array": {
      const min = checksOf(def).find((c) => c.check === "min_length")?.minimum ?? 0;
      const element = describeSchema(def["element"]);
      const simple = /^an? ([a-z-]+ )*[a-z-]+$/.exec(element);
      const of = element === "any value"
        ? ""
        : simple !== null
        ? ` of ${element.replace(/^an? /, "")}s`
        : `, each item ${element}`;
      return min === 1
        ? `a non-empty list${of}`
        : min > 1
        ? `a list of at least ${min} items`
        : `a list${of}`;
    }
    case "tuple":
      return `a list of ${(def["items"] as unknown[]).length} items`;
    case "object":
    case "record":
      return "a map";
    case "union": {
      if (typeof def["discriminator"] === "string") {
        return `a map with a "${def["discriminator"]}" key`;
      }
      const parts = [...new Set((def["options"] as unknown[]).map(describeSchema))];
      return parts.join(", or ");
    }
    case "unknown":
    case "any":
      return "any value";
    default:
      return def.type;
  }
}

function describeNumber(def: LooseDef): string {
  const integer = typeof def["format"] === "string" && /int/.test(def["format"] as string);
  const checks = checksOf(def);
  const lower = checks.find((c) => c.check === "greater_than");
  const upper = checks.find((c) => c.check === "less_than");
  const noun = integer ? "integer" : "number";
  if (upper === undefined && lower !== undefined && lower.value === 0) {
    return lower.inclusive ? `a non-negative ${noun}` : `a positive ${noun}`;
  }
  if (lower === undefined && upper === undefined) return integer ? "an integer" : "a number";
  if (lower !== undefined && upper !== undefined && lower.inclusive && upper.inclusive) {
    return `${integer ? "an integer" : "a number"} from ${lower.value} to ${upper.value}`;
  }
  const parts: string[] = [];
  if (lower !== undefined) parts.push(`${lower.inclusive ? ">=" : ">"} ${lower.value}`);
  if (upper !== undefined) parts.push(`${upper.inclusive ? "<=" : "<"} ${upper.value}`);
  return `${integer ? "an integer" : "a number"} ${parts.join(" and ")}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return `a value of type ${issue.expected}`;
  return issue.message;
}

/** Shows a found value: numbers as written, strings quoted, short lists and maps inline. */
function describeValue(value: TreeValue): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value !== "object") return String(value);
  const text = Array.isArray(value)
    ? `[${value.map(describeValue).join(", ")}]`
    : `{${Object.entries(value).map(([k, v]) => `${k}: ${describeValue(v)}`).join(", ")}}`;
  if (text.length <= 60) return text;
  return Array.isArray(value)
    ? `a list of ${plural(value.length, "item")}`
    : `a map with keys ${Object.keys(value).map((k) => JSON.stringify(k)).join(", ")}`;
}

// ---------------------------------------------------------------- path fields

function mapPathFields(config: Config, map: (path: string) => string): Config {
  const copy = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const [section, field] of PATH_FIELDS) {
    const holder = copy[section];
    const value = holder?.[field];
    if (holder !== undefined && typeof value === "string") holder[field] = map(value);
  }
  return copy as unknown as Config;
}

/** A copy of `config` with every path field relative to `root`, written with `/`. */
function relativizeConfig(config: Config, root: string): Config {
  return mapPathFields(config, (path) => {
    if (!isAbsolute(path)) return path.split(sep).join("/");
    return relative(resolve(root), path).split(sep).join("/") || ".";
  });
}

function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel.length === 0 ? "." : rel).split(sep).join("/");
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function position(lineCounter: LineCounter, offset: number): { line: number; col: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(line, 1), col: Math.max(col, 1) };
}
