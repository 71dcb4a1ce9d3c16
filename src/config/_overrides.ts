/**
 * Overrides: `--set key.path=value` and `MLOPS__` environment values applied on the merged
 * tree, each located so that issues name where it came from.
 *
 * @module
 */
import { ConfigError } from "../errors.ts";
import { defOf, schemaAtPath } from "./_schema_paths.ts";
import {
  clearOrigins,
  describeValue,
  FORBIDDEN_KEYS,
  getChild,
  issueAt,
  isTreeMap,
  type Layer,
  type LocatedIssue,
  type Origin,
  pathKey,
  plural,
  setChild,
  type TreeMap,
  type TreeValue,
} from "./_tree.ts";
import { formatKeyPath, type KeyPathSegment, readKeyPath } from "./key_path.ts";
import { dropParamsOfOtherFamily, MAX_CONFIG_DEPTH, parseYamlValue } from "./yaml_layers.ts";

export function overrideOrigin(file: string, order: number, note: string): Origin {
  return { file, order, line: 0, column: 0, keyLine: 0, keyColumn: 0, note };
}

/** Sets one value from `--set` or the environment; records a located issue when impossible. */
export function applyOverride(
  target: Layer,
  segments: KeyPathSegment[],
  valueText: string,
  origin: Origin,
  issues: LocatedIssue[],
): void {
  const where = formatKeyPath(segments);
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
  if (where === "model.family") dropParamsOfOtherFamily(target, value);

  let container: TreeMap | TreeValue[] = target.tree;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const prefix = segments.slice(0, i + 1);
    const here = formatKeyPath(segments.slice(0, i));
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
            formatKeyPath(prefix)
          }" is not set in any file, so it has no list to index: set the whole list instead, e.g. ${
            formatKeyPath(prefix)
          }=[...]`,
        );
        return;
      }
      setChild(container, segment, child);
      markOrigins(target.origins, prefix, child, origin);
    }
    if (!isTreeMap(child) && !Array.isArray(child)) {
      fail(`"${formatKeyPath(prefix)}" is ${describeValue(child)}, not a map or list`);
      return;
    }
    container = child;
  }
}

function markOrigins(
  origins: Map<string, Origin>,
  path: KeyPathSegment[],
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
function schemaDefault(path: KeyPathSegment[], tree: TreeMap): TreeValue | undefined {
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
export function toTree(
  value: unknown,
  path: KeyPathSegment[] = [],
  issues: LocatedIssue[] = [],
  origin: Origin = overrideOrigin("<object>", 0, ""),
): TreeValue {
  if (path.length > MAX_CONFIG_DEPTH) {
    throw new ConfigError(
      `Cannot parse config: the value is nested deeper than ${MAX_CONFIG_DEPTH} levels at "${
        formatKeyPath(path)
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
            formatKeyPath(path),
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

/** Splits `key.path=value` at the first `=` outside quotes. */
export function parseOverride(text: string): { segments: KeyPathSegment[]; valueText: string } {
  const { segments, end } = readKeyPath(text, true);
  if (text[end] !== "=") throw new Error(`no "=" after the key path`);
  return { segments, valueText: text.slice(end + 1) };
}
