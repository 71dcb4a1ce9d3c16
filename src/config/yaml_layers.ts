/**
 * YAML layers: reading a config file or profile into a located tree (with `!replace` tags,
 * alias and depth limits) and merging layers in order.
 *
 * @module
 */
import { relative, sep } from "node:path";
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
import { ConfigError } from "../errors.ts";
import {
  clearOrigins,
  FORBIDDEN_KEYS,
  formatIssue,
  getAt,
  isSameOrBelow,
  isTreeMap,
  type Layer,
  type LocatedIssue,
  LOGGING_FILE,
  LOGGING_SECTIONS,
  MAIN_FILE,
  MAIN_SECTIONS,
  MAX_TREE_NODES,
  MODEL_FILE,
  MODEL_SECTIONS,
  pathKey,
  position,
  type TreeMap,
  type TreeValue,
} from "./_tree.ts";
import { formatKeyPath, type KeyPathSegment } from "./key_path.ts";
import { DEFAULT_MODEL_FAMILY } from "./schema.ts";

/** The YAML tag that makes a profile's map or list replace the subtree below it. */
export const REPLACE_TAG = "!replace";

/** Deepest nesting accepted in a config document. */
export const MAX_CONFIG_DEPTH = 64;

/** Most alias expansions accepted in one config document (see yaml's `maxAliasCount`). */
export const MAX_ALIAS_COUNT = 100;

/** Reads one config file into a located layer; `undefined` for a missing optional file. */
export async function readLayerFile(
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
export function parseYamlValue(
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
  path: KeyPathSegment[],
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
      path: formatKeyPath(path),
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
          path: formatKeyPath(path),
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
export function checkFileSections(
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

/** Deep-merges `source` into `target` at `path`; maps merge unless tagged `!replace`. */
export function mergeLayer(target: Layer, source: Layer, path: KeyPathSegment[]): void {
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
 *
 * @param target the merged layers so far
 * @param family the family the new layer sets
 */
export function dropParamsOfOtherFamily(target: Layer, family: TreeValue | undefined): void {
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

/** A path relative to the project root with `/` separators, as issues show it. */
export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return (rel.length === 0 ? "." : rel).split(sep).join("/");
}
