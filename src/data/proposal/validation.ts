/**
 * The `validation:` block of a profile proposal: per column its dtype, nullability, a range with
 * a margin for numbers, the allowed values of low-cardinality text and of a class target, and
 * uniqueness of id columns. `deno task validate --infer` prints the same block.
 *
 * @module
 */
import type { ColumnRules, ValidationConfig } from "../../config/schema.ts";
import type { ColumnFacts } from "./column_facts.ts";
import type { ProposalComment } from "./_comments.ts";

/** Options of {@link proposeValidation}. */
export interface ProposeValidationOptions {
  /**
   * The target column, whose classes become `allowed` for classification; `null` for none.
   * @default null
   */
  target?: string | null;
  /**
   * The target's task.
   * @default "classification"
   */
  task?: "classification" | "regression";
  /**
   * Distinct values of each column that is read as categories, sorted (text columns with at
   * most `maxAllowed` values and a classification target).
   * @default {}
   */
  categories?: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  /**
   * Id columns: marked `unique` when their values are all distinct.
   * @default []
   */
  idColumns?: readonly string[];
  /**
   * A text column with at most this many distinct (repeated) values gets an `allowed` list.
   * @default 20
   */
  maxAllowed?: number;
  /**
   * The share of the observed range added below the minimum and above the maximum, so new rows a
   * little outside the training data still pass.
   * @default 0.1
   */
  margin?: number;
  /**
   * The proposed `strict` flag.
   * @default true
   */
  strict?: boolean;
}

/** Defaults of {@link ProposeValidationOptions}. */
export const DEFAULT_PROPOSE_VALIDATION_OPTIONS: Readonly<Required<ProposeValidationOptions>> =
  Object.freeze({
    target: null,
    task: "classification",
    categories: {},
    idColumns: [],
    maxAllowed: 20,
    margin: 0.1,
    strict: true,
  });

/** A proposed validation block and the comments on its choices. */
export interface ValidationProposal {
  validation: ValidationConfig;
  comments: ProposalComment[];
}

/**
 * Proposes validation rules that the described data passes.
 *
 * @param facts the columns, from `describeColumns`
 * @param options the target, its task, category lists, id columns, limits and margin
 * @returns the `validation` block and a comment per rule
 * @example
 * ```ts
 * proposeValidation(describeColumns(df, path), { target: "weather" }).validation.columns.wind;
 * // { dtype: "float", nullable: false, min: 0, max: 10, unique: false }
 * ```
 */
export function proposeValidation(
  facts: readonly ColumnFacts[],
  options: ProposeValidationOptions = {},
): ValidationProposal {
  const { target, task, categories, idColumns, maxAllowed, margin, strict } = {
    ...DEFAULT_PROPOSE_VALIDATION_OPTIONS,
    ...options,
  };
  const columns: Record<string, ColumnRules> = {};
  const comments: ProposalComment[] = [];
  const rows = facts[0]?.rows ?? 0;
  for (const column of facts) {
    const path = ["validation", "columns", column.name];
    const filled = column.rows - column.nulls;
    const rules: ColumnRules = { nullable: column.nulls > 0, unique: false };
    const notes: string[] = [];
    if (column.kind !== "other") rules.dtype = column.kind;
    notes.push(
      column.nulls > 0
        ? `${column.nulls} null${column.nulls === 1 ? "" : "s"} (${percent(column.nulls, rows)})`
        : "no nulls",
    );
    const isTarget = column.name === target;
    const listed = categories[column.name];
    if (
      listed !== undefined && filled > 0 &&
      ((isTarget && task === "classification") ||
        (column.kind === "string" && column.distinct <= maxAllowed && column.distinct < filled))
    ) {
      rules.allowed = [...listed];
      notes.push(isTarget ? "the classes of the target" : `${listed.length} values seen`);
    } else if ((column.kind === "int" || column.kind === "float") && column.min !== null) {
      const [min, max] = rangeWithMargin(column.min, column.max!, margin, column.kind);
      rules.min = min;
      rules.max = max;
      notes.push(`seen ${column.min}–${column.max}, widened by ${Math.round(margin * 100)}%`);
    }
    if (idColumns.includes(column.name) && filled === column.distinct && filled > 1) {
      rules.unique = true;
      notes.push("an id: every value distinct");
    }
    columns[column.name] = orderRules(rules);
    comments.push({ path, text: notes.join("; ") });
  }
  const minRows = proposedMinRows(rows);
  comments.push({ path: ["validation", "strict"], text: "fail on any broken rule" });
  comments.push({
    path: ["validation", "min_rows"],
    text: `${rows} rows now; fewer than half of that means a truncated file`,
  });
  return { validation: { strict, min_rows: minRows, columns }, comments };
}

function percent(part: number, whole: number): string {
  const share = whole === 0 ? 0 : (100 * part) / whole;
  return `${share < 1 && share > 0 ? share.toFixed(1) : Math.round(share)}%`;
}

const RULE_ORDER = ["dtype", "nullable", "min", "max", "allowed", "unique"] as const;

function orderRules(rules: ColumnRules): ColumnRules {
  const ordered: Record<string, unknown> = {};
  for (const key of RULE_ORDER) if (rules[key] !== undefined) ordered[key] = rules[key];
  return ordered as ColumnRules;
}

/**
 * Widens [min, max] by `margin` of the range on each side (not below zero for non-negative
 * data), then rounds outward to two significant digits of the range.
 */
export function rangeWithMargin(
  min: number,
  max: number,
  margin: number,
  kind: "int" | "float",
): [number, number] {
  const span = max - min;
  const magnitude = span > 0 ? span : Math.max(Math.abs(min), Math.abs(max), 1);
  let low = min - margin * magnitude;
  let high = max + margin * magnitude;
  if (min >= 0 && low < 0) low = 0;
  let step = 10 ** (Math.floor(Math.log10(magnitude)) - 1);
  if (kind === "int") step = Math.max(1, step);
  const clean = (value: number) => Number(value.toPrecision(12));
  low = clean(Math.floor(low / step) * step);
  high = clean(Math.ceil(high / step) * step);
  return [low, high];
}

function proposedMinRows(rows: number): number {
  const half = Math.floor(rows / 2);
  if (half < 1) return 1;
  const unit = 10 ** Math.floor(Math.log10(half));
  return Math.floor(half / unit) * unit;
}
