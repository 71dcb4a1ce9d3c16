/**
 * The `cleaning:` block of a profile proposal: rows without a target are dropped; nulls in
 * feature columns are handled by dtype and share (numbers are left to the feature step's
 * imputer, fitted on the training split; text gets its most frequent value or a "missing"
 * category; dates drop the few rows without one).
 *
 * @module
 */
import type { CleaningConfig } from "../../config/schema.ts";
import type { ColumnRoles } from "./roles.ts";
import type { ProposalComment } from "./_comments.ts";
import type { ColumnFacts } from "./column_facts.ts";

/** Below this share of nulls, a text column is filled with its most frequent value. */
export const SMALL_NULL_SHARE = 0.05;

/** The category text columns with many nulls get. */
export const MISSING_CATEGORY = "missing";

/** A proposed cleaning block and the comments on its choices. */
export interface CleaningProposal {
  cleaning: CleaningConfig;
  comments: ProposalComment[];
  /** Date columns whose nulls are too many to drop rows for: their date parts get an imputer. */
  imputedDates: string[];
}

/**
 * Proposes how to clean the data.
 *
 * @param target the target column's facts
 * @param roles the column roles
 * @returns the cleaning block with a comment per choice
 * @example
 * ```ts
 * proposeCleaning(targetFacts, roles).cleaning.nulls; // { weather: { strategy: "drop" } }
 * ```
 */
export function proposeCleaning(target: ColumnFacts, roles: ColumnRoles): CleaningProposal {
  const nulls: CleaningConfig["nulls"] = {};
  const comments: ProposalComment[] = [
    { path: ["cleaning", "drop_duplicates"], text: "drop rows that repeat another exactly" },
    { path: ["cleaning", "trim_strings"], text: "strip spaces around text values" },
  ];
  const imputedDates: string[] = [];
  if (target.nulls > 0) {
    nulls[target.name] = { strategy: "drop" };
    comments.push({
      path: ["cleaning", "nulls", target.name],
      text: `${target.nulls} rows have no target: a row without a label cannot be learned from`,
    });
  }
  for (const column of roles.features) {
    if (column.nulls === 0) continue;
    const share = column.nulls / column.rows;
    const shown = `${column.nulls} null${column.nulls === 1 ? "" : "s"} (${
      (100 * share).toFixed(1)
    }%)`;
    const path = ["cleaning", "nulls", column.name];
    if (column.kind === "string") {
      if (share < SMALL_NULL_SHARE) {
        nulls[column.name] = { strategy: "mode" };
        comments.push({ path, text: `${shown}: few, filled with the most frequent value` });
      } else {
        nulls[column.name] = { strategy: "constant", value: MISSING_CATEGORY };
        comments.push({ path, text: `${shown}: many, so "missing" becomes a category of its own` });
      }
    } else if (column.kind === "bool") {
      nulls[column.name] = { strategy: "mode" };
      comments.push({ path, text: `${shown}: filled with the most frequent value` });
    } else if (column.kind === "date" || column.kind === "datetime") {
      if (share < SMALL_NULL_SHARE) {
        nulls[column.name] = { strategy: "drop" };
        comments.push({ path, text: `${shown}: few, so those rows are dropped` });
      } else {
        imputedDates.push(column.name);
      }
    }
    // Numbers keep their nulls here: the feature step's SimpleImputer fills them, fitted on the
    // training split only.
  }
  const cleaning: CleaningConfig = {
    drop_duplicates: true,
    trim_strings: true,
    normalize_case: {},
    na_values: {},
    nulls,
    clip: {},
  };
  return { cleaning, comments, imputedDates };
}
