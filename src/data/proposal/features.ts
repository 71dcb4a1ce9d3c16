/**
 * The `features:` block of a profile proposal: numbers are imputed (when they have nulls) and
 * scaled; text and booleans with few values are one-hot encoded; text with many values keeps its
 * most frequent categories and an "other" indicator; dates become their parts (year, month,
 * weekday, and hour for datetimes).
 *
 * @module
 */
import type { DerivedFeature, FeaturesConfig, FeatureStep } from "../../config/schema.ts";
import { SchemaMismatchError } from "../../errors.ts";
import type { ColumnRoles } from "./roles.ts";
import type { ProposalComment } from "./_comments.ts";

/** Text with more distinct values than this keeps only its most frequent ones. */
export const MAX_ONE_HOT_CATEGORIES = 20;

/**
 * A non-negative numeric column with a skewness above this (money, counts, populations) is
 * log-transformed before scaling: scaling alone leaves most rows squeezed near the lowest values.
 */
export const LOG_SKEW = 2;

/** A proposed features block and the comments on its choices. */
export interface FeaturesProposal {
  features: FeaturesConfig;
  comments: ProposalComment[];
}

/** Options of {@link proposeFeatures}. */
export interface ProposeFeaturesOptions {
  /**
   * Date columns whose parts may be null (too many nulls to drop rows): their parts get an
   * imputer.
   * @default []
   */
  imputedDates?: readonly string[];
  /**
   * Every column name of the data, so derived names do not clash with them.
   * @default []
   */
  taken?: readonly string[];
}

function freeName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/**
 * Proposes derived features and feature steps for the feature columns.
 *
 * @param roles the column roles
 * @param options date columns with imputed parts and the names in use
 * @returns the features block with a comment per step and derived column
 * @throws {SchemaMismatchError} when no column is left to learn from
 * @example
 * ```ts
 * proposeFeatures(roles).features.steps.map((s) => s.name); // ["numeric", "dates", "categorical"]
 * ```
 */
export function proposeFeatures(
  roles: ColumnRoles,
  options: ProposeFeaturesOptions = {},
): FeaturesProposal {
  const imputedDates = options.imputedDates ?? [];
  const taken = new Set(options.taken ?? []);
  const comments: ProposalComment[] = [];
  const derived: DerivedFeature[] = [];
  const numericFull: string[] = [];
  const numericWithNulls: string[] = [];
  const skewed: string[] = [];
  let skewedNulls = false;
  const dateParts: string[] = [];
  const dateNulls: string[] = [];
  const categorical: string[] = [];
  const wide: string[] = [];
  for (const column of roles.features) {
    switch (column.kind) {
      case "int":
      case "float":
        if (column.min !== null && column.min >= 0 && (column.skew ?? 0) > LOG_SKEW) {
          skewed.push(column.name);
          skewedNulls ||= column.nulls > 0;
        } else (column.nulls > 0 ? numericWithNulls : numericFull).push(column.name);
        break;
      case "bool":
        categorical.push(column.name);
        break;
      case "string":
        (column.distinct <= MAX_ONE_HOT_CATEGORIES ? categorical : wide).push(column.name);
        break;
      case "date":
      case "datetime": {
        const parts = column.kind === "date"
          ? (["year", "month", "weekday"] as const)
          : (["year", "month", "weekday", "hour"] as const);
        for (const part of parts) {
          const name = freeName(`${column.name}_${part}`, taken);
          comments.push({
            path: ["features", "derived", derived.length],
            text: `the ${part} of ${column.name}${part === "weekday" ? " (1 = Monday)" : ""}`,
          });
          derived.push({ name, kind: "date_part", column: column.name, part });
          (imputedDates.includes(column.name) ? dateNulls : dateParts).push(name);
        }
        break;
      }
      default:
        break;
    }
  }
  const steps: FeatureStep[] = [];
  const step = (
    name: string,
    columns: string[],
    transformers: FeatureStep["transformers"],
    text: string,
  ) => {
    if (columns.length === 0) return;
    comments.push({ path: ["features", "steps", steps.length], text });
    steps.push({ name, columns, transformers });
  };
  step(
    "numeric",
    [...numericFull, ...dateParts],
    [{ kind: "StandardScaler", params: {} }],
    "numbers without nulls: scaled to mean 0, standard deviation 1",
  );
  step(
    "numeric_with_nulls",
    [...numericWithNulls, ...dateNulls],
    [{ kind: "SimpleImputer", params: { strategy: "median" } }, {
      kind: "StandardScaler",
      params: {},
    }],
    "numbers with nulls: the training median fills them, then scaled",
  );
  step(
    "skewed",
    skewed,
    [
      ...(skewedNulls ? [{ kind: "SimpleImputer", params: { strategy: "median" } }] : []),
      { kind: "Log1pTransformer", params: {} },
      { kind: "StandardScaler", params: {} },
    ],
    `non-negative numbers with a long right tail (skewness above ${LOG_SKEW}): ${
      skewedNulls ? "the training median fills nulls, then " : ""
    }log(1 + x), then scaled`,
  );
  step(
    "categorical",
    categorical,
    [{ kind: "OneHotEncoder", params: {} }],
    `text with at most ${MAX_ONE_HOT_CATEGORIES} values and booleans: one 0/1 column per value`,
  );
  step(
    "high_cardinality",
    wide,
    [{ kind: "OneHotEncoder", params: { top_n: MAX_ONE_HOT_CATEGORIES } }],
    `text with more than ${MAX_ONE_HOT_CATEGORIES} values: the ${MAX_ONE_HOT_CATEGORIES} most frequent, the rest as "other"`,
  );
  if (steps.length === 0) {
    const reasons = [
      ...roles.dropped.map((d) => `"${d.name}" ${d.reason}`),
      ...roles.idColumns.map((name) => `"${name}" looks like a row id`),
    ];
    throw new SchemaMismatchError(
      `Cannot propose features: no column is left to learn from (${
        reasons.join("; ") || "the file holds only the target"
      }); add feature columns to the file`,
    );
  }
  return { features: { derived, steps, selection: [] }, comments };
}
