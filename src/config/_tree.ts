/**
 * The config tree while it is loaded: values with the origin (file, line, column) of each,
 * the config files and the sections each may hold, and the small helpers every layer uses.
 *
 * @module
 */
import { LineCounter } from "yaml";
import type { z } from "zod";
import type { ConfigIssue } from "../errors.ts";
import { LoggingFileSchema, MainConfigSchema, ModelFileSchema } from "./schema.ts";
import { getAtKeyPath, type KeyPathSegment } from "./key_path.ts";

export type TreeValue = string | number | boolean | null | TreeValue[] | TreeMap;

export interface TreeMap {
  [key: string]: TreeValue;
}

/** Where a value came from. */
export interface Origin {
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

export interface Layer {
  /** Where issues point when no value on their path has an origin. */
  fallback?: Origin;
  tree: TreeMap;
  /** Keyed by {@link pathKey}. */
  origins: Map<string, Origin>;
  /** Path keys tagged `!replace`. */
  replace: Set<string>;
}

export interface LocatedIssue extends ConfigIssue {
  order: number;
}

export const MAIN_FILE = "config/config.yaml";

export const MODEL_FILE = "config/model_config.yaml";

export const LOGGING_FILE = "config/logging_config.yaml";

export const PROFILES_DIR = "config/profiles";

export const MODEL_SECTIONS = Object.keys(ModelFileSchema.shape);

export const LOGGING_SECTIONS = Object.keys(LoggingFileSchema.shape);

export const MAIN_SECTIONS = Object.keys(MainConfigSchema.shape);

export const ALL_SECTIONS = [...MAIN_SECTIONS, ...MODEL_SECTIONS, ...LOGGING_SECTIONS];

export const SECTION_SCHEMAS: Record<string, z.ZodType> = {
  ...MainConfigSchema.shape,
  ...ModelFileSchema.shape,
  ...LoggingFileSchema.shape,
};

/** Keys that could reach `Object.prototype` if merged into a plain object. */
export const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export const LAYER_ORDER = { main: 0, model: 1, logging: 2, profile: 3, env: 4, set: 5 } as const;

/** Nodes one document may expand to, aliases included. */
export const MAX_TREE_NODES = 100_000;

export function pathKey(path: readonly KeyPathSegment[]): string {
  return JSON.stringify(path);
}

export function isSameOrBelow(key: string, ancestor: string): boolean {
  return key === ancestor || key.startsWith(`${ancestor.slice(0, -1)},`);
}

export function clearOrigins(origins: Map<string, Origin>, key: string): void {
  for (const k of [...origins.keys()]) if (isSameOrBelow(k, key)) origins.delete(k);
}

export function isTreeMap(value: TreeValue | undefined): value is TreeMap {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function getChild(
  container: TreeMap | TreeValue[],
  segment: KeyPathSegment,
): TreeValue | undefined {
  if (Array.isArray(container)) return typeof segment === "number" ? container[segment] : undefined;
  return typeof segment === "string" && Object.hasOwn(container, segment)
    ? container[segment]
    : undefined;
}

export function setChild(
  container: TreeMap | TreeValue[],
  segment: KeyPathSegment,
  value: TreeValue,
): void {
  if (Array.isArray(container)) container[segment as number] = value;
  else container[segment as string] = value;
}

export function getAt(tree: TreeValue, path: readonly KeyPathSegment[]): TreeValue | undefined {
  return getAtKeyPath(tree, path) as TreeValue | undefined;
}

export function issueAt(origin: Origin, path: string, message: string): LocatedIssue {
  return {
    file: origin.file,
    line: origin.line,
    column: origin.column,
    path,
    message: `${message}${origin.note}`,
    order: origin.order,
  };
}

/** `file:line:col key.path: message`, the format of every line of a ConfigError message. */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path.length === 0
    ? `${where} ${issue.message}`
    : `${where} ${issue.path}: ${issue.message}`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** Shows a found value: numbers as written, strings quoted, short lists and maps inline. */
export function describeValue(value: TreeValue): string {
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

export function position(lineCounter: LineCounter, offset: number): { line: number; col: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(line, 1), col: Math.max(col, 1) };
}
