/**
 * Walking the zod schemas by key path: the schema of a config key, the keys allowed beside it
 * and how its constraints read in an error message.
 *
 * @module
 */
import {
  ALL_SECTIONS,
  getAt,
  getChild,
  isTreeMap,
  SECTION_SCHEMAS,
  type TreeMap,
  type TreeValue,
} from "./_tree.ts";
import type { KeyPathSegment } from "./key_path.ts";
import { modelFileSchema } from "./schema.ts";

interface LooseDef {
  type: string;
  [key: string]: unknown;
}

export function defOf(schema: unknown): LooseDef {
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
export function schemaAtPath(path: readonly KeyPathSegment[], tree: TreeMap): unknown {
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

function childSchema(
  schema: unknown,
  segment: KeyPathSegment,
  value: TreeValue | undefined,
): unknown {
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
        const chosen = discriminatedOption(options, discriminator, value);
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

/**
 * Picks the option of a discriminated union that the value's tag selects. This is how
 * `model.params.*` paths find the params schema of the configured `model.family` (and
 * `cleaning.nulls.*` the fields of a null strategy); `undefined` when the tag matches none.
 */
function discriminatedOption(
  options: readonly unknown[],
  discriminator: string,
  value: TreeValue | undefined,
): unknown {
  const tag = isTreeMap(value) ? value[discriminator] : undefined;
  return options.find((option) => {
    const field = (defOf(unwrap(option))["shape"] as Record<string, unknown>)[discriminator];
    return (defOf(unwrap(field))["values"] as unknown[] | undefined)?.includes(tag) ?? false;
  });
}

/** The keys an object schema at `path` allows (all sections at the top level). */
export function allowedKeys(path: readonly KeyPathSegment[], tree: TreeMap): string[] {
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
export function describeSchema(schema: unknown): string {
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
