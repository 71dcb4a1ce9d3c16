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
import { Document } from "yaml";
import { ConfigError, didYouMean } from "../errors.ts";
import { hashJson } from "../utils/mod.ts";
import type { Config } from "./schema.ts";
import { configErrorFrom, validateTree } from "./_issues.ts";
import { applyOverride, overrideOrigin, parseOverride, toTree } from "./_overrides.ts";
import {
  issueAt,
  type Layer,
  LAYER_ORDER,
  type LocatedIssue,
  LOGGING_FILE,
  LOGGING_SECTIONS,
  MAIN_FILE,
  MAIN_SECTIONS,
  MODEL_FILE,
  MODEL_SECTIONS,
  PROFILES_DIR,
  type TreeMap,
} from "./_tree.ts";
import type { KeyPathSegment } from "./key_path.ts";
import { checkFileSections, displayPath, mergeLayer, readLayerFile } from "./yaml_layers.ts";

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

/** Path-valued fields, resolved against the root on load and made relative again for hashes. */
const PATH_FIELDS: readonly (readonly [string, string])[] = [
  ["data", "path"],
  ["registry", "experiments_dir"],
  ["registry", "production_dir"],
  ["logging", "file"],
];

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
    let parsed: { segments: KeyPathSegment[]; valueText: string };
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

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
