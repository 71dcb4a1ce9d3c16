/**
 * Loads the layered YAML config into a typed, validated `Config`.
 *
 * Layers, lowest precedence first:
 *
 * 1. `config/config.yaml` (required: the project-wide settings), `config/model_config.yaml` and
 *    `config/logging_config.yaml` (optional: schema defaults apply when absent), or instead of
 *    those three one snapshot file holding every section (`snapshot` option, e.g. the
 *    `config.yaml` of a run folder).
 * 2. One profile, describing one dataset: the `profile` option, or else the one named by the
 *    `profile:` key of `config/config.yaml` (never both: a chosen profile is not merged over the
 *    default one). It is deep-merged on top: maps merge key by key, lists and scalars replace,
 *    and a map or list tagged `!replace` replaces the whole subtree below it instead. A profile
 *    must set `data.path` and `data.target`.
 * 3. Environment variables `DENO_MLOPS__SECTION__KEY=value` (`env` option).
 * 4. `--set key.path=value` overrides (`overrides` option).
 *
 * Then the task defaults fill what no layer set: `split.method` (`time` with a
 * `split.time_column`, else `stratified` for classification and `random` for regression) and
 * `registry.primary_metric` (`f1_macro`, or `roc_auc` for a two-class target; `rmse` for
 * regression). A primary metric that the task does not compute is an error.
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
import { isSecretKeyPath } from "./secrets.ts";
import { applyOverride, overrideOrigin, parseOverride, toTree } from "./_overrides.ts";
import {
  clearOrigins,
  describeValue,
  issueAt,
  isTreeMap,
  type Layer,
  LAYER_ORDER,
  type LocatedIssue,
  LOGGING_FILE,
  LOGGING_SECTIONS,
  MAIN_FILE,
  MAIN_SECTIONS,
  MODEL_FILE,
  MODEL_SECTIONS,
  type Origin,
  pathKey,
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
   * The profile deep-merged over the base files, instead of the default one that
   * `config/config.yaml` names: a path resolved against the root (`config/profiles/cars.yaml`)
   * or a bare name looked up in `config/profiles/` (`cars`). `null` uses the default profile
   * (none when `config/config.yaml` has no `profile` key, and none over a snapshot).
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

/** The key of `config/config.yaml` naming the profile used when no other is chosen. */
const PROFILE_KEY = "profile";

const PROFILE_OVERRIDE =
  "the profile cannot be overridden: pick one with --config NAME (the profile option), or change the default in config/config.yaml";

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
 * `config/logging_config.yaml` under the root; one profile (the `profile` option, or else the
 * default named by the `profile:` key of `config/config.yaml`) is deep-merged over them (a map
 * tagged `!replace` replaces instead of merging), then `DENO_MLOPS__A__B=v` environment
 * variables and `a.b=v` overrides replace single values. Values of overrides are parsed as YAML
 * (`5`, `true`, `[1, 2]`); paths accept list indexes (`model.params.hidden_units[1]=8`) and
 * quoted keys (`cleaning.nulls."Body Mass (g)".strategy=median`). Environment paths are lower-cased, and an
 * all-digit segment is a list index (`DENO_MLOPS__MODEL__PARAMS__HIDDEN_UNITS__0=64`).
 *
 * Where no layer sets them, `split.method` and `registry.primary_metric` follow the task (see the
 * module doc); a primary metric of another task is reported with the valid ones.
 *
 * Pass `snapshot` to read one file holding every section (see {@link configToYaml}) instead of
 * the three base files (the default profile does not apply); loading a snapshot gives the same
 * hash as the config it was written from.
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
  }
  let defaultProfile: string | null = null;
  if (snapshot === null) {
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
      if (base.file === MAIN_FILE) defaultProfile = takeDefaultProfile(layer, issues);
      checkFileSections(layer, base.file, base.sections, issues);
      mergeLayer(merged, layer, []);
    }
  }

  const chosen = profile ?? defaultProfile;
  if (chosen !== null) {
    const path = await resolveProfilePath(root, chosen, profile === null);
    const layer = await readLayerFile(root, path, LAYER_ORDER.profile, true, issues, "profile");
    if (layer !== undefined) {
      const file = displayPath(root, path);
      sources.push(file);
      checkProfileLayer(layer, file, issues);
      mergeLayer(merged, layer, []);
    }
  }

  const envNames = Object.keys(env).filter((k) => k.startsWith(ENV_PREFIX)).sort();
  for (const [index, name] of envNames.entries()) {
    const value = env[name] ?? "";
    const keyPath = name.slice(ENV_PREFIX.length).split("__").join(".").toLowerCase();
    const note = isSecretKeyPath(keyPath) ? ` (from env ${name})` : ` (from env ${name}=${value})`;
    const origin = overrideOrigin("env", LAYER_ORDER.env + index / (envNames.length + 1), note);
    const raw = name.slice(ENV_PREFIX.length).split("__");
    if (raw.some((s) => s.length === 0)) {
      issues.push(issueAt(origin, "", `empty key segment in "${name}": separate keys with "__"`));
      continue;
    }
    const segments = raw.map((s) => (/^\d+$/.test(s) ? Number(s) : s.toLowerCase()));
    if (segments[0] === PROFILE_KEY) {
      issues.push(issueAt(origin, PROFILE_KEY, PROFILE_OVERRIDE));
      continue;
    }
    sources.push(`env ${name}`);
    applyOverride(merged, segments, value, origin, issues);
  }

  for (const [index, text] of overrides.entries()) {
    const shown = isSecretKeyPath(text.split("=")[0]!.trim()) ? text.split("=")[0]!.trim() : text;
    const note = ` (from --set ${shown})`;
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
    if (parsed.segments[0] === PROFILE_KEY) {
      issues.push(issueAt(origin, PROFILE_KEY, PROFILE_OVERRIDE));
      continue;
    }
    sources.push(`--set ${shown}`);
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

/**
 * Takes the `profile` key (the default profile's name or path) out of `config/config.yaml`, so
 * that it never reaches the config itself; a value that is not a name is reported.
 */
function takeDefaultProfile(layer: Layer, issues: LocatedIssue[]): string | null {
  if (!Object.hasOwn(layer.tree, PROFILE_KEY)) return null;
  const value = layer.tree[PROFILE_KEY];
  const origin = layer.origins.get(pathKey([PROFILE_KEY]));
  delete layer.tree[PROFILE_KEY];
  clearOrigins(layer.origins, pathKey([PROFILE_KEY]));
  if (value === null) return null;
  if (typeof value === "string" && value.trim().length > 0) return value.trim();
  if (origin !== undefined) {
    issues.push(
      issueAt(
        origin,
        PROFILE_KEY,
        `expected the name of a profile in ${PROFILES_DIR}/ (e.g. penguins) or a path to one, got ${
          describeValue(value ?? null)
        }`,
      ),
    );
  }
  return null;
}

/**
 * A profile describes one dataset: it must name its data file and target, and it cannot name
 * another profile.
 */
function checkProfileLayer(layer: Layer, file: string, issues: LocatedIssue[]): void {
  const at = (path: KeyPathSegment[]): Origin => {
    for (let n = path.length; n > 0; n--) {
      const origin = layer.origins.get(pathKey(path.slice(0, n)));
      if (origin !== undefined) {
        return { ...origin, line: origin.keyLine, column: origin.keyColumn };
      }
    }
    return overrideOrigin(file, LAYER_ORDER.profile, "");
  };
  if (Object.hasOwn(layer.tree, PROFILE_KEY)) {
    issues.push(
      issueAt(
        at([PROFILE_KEY]),
        PROFILE_KEY,
        `a profile cannot name another profile: remove the key (${MAIN_FILE} names the default profile, --config picks another)`,
      ),
    );
    delete layer.tree[PROFILE_KEY];
  }
  const data = layer.tree["data"];
  const examples = { path: "data/raw/my_data.csv", target: "the column to predict" } as const;
  for (const key of ["path", "target"] as const) {
    if (isTreeMap(data) && data[key] !== undefined) continue;
    const origin = at(["data"]);
    issues.push(
      issueAt(
        origin.line === 0 ? { ...origin, line: 1, column: 1 } : origin,
        `data.${key}`,
        `the profile "${file}" does not set data.${key}: every profile names its own ${
          key === "path" ? "data file" : "target column"
        }, add "${key}: ${examples[key]}" under "data:"`,
      ),
    );
  }
}

async function resolveProfilePath(
  root: string,
  profile: string,
  fromConfigFile: boolean,
): Promise<string> {
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
  const fix = fromConfigFile
    ? `fix the "${PROFILE_KEY}" key of ${MAIN_FILE}, or pick a profile with --config`
    : `pass a profile name or a path relative to the project root such as "${PROFILES_DIR}/cars.yaml"`;
  throw new ConfigError(
    `Cannot load config profile "${profile}": "${path}" does not exist (${list}), ${fix}`,
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
