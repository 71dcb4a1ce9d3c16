/**
 * Column selectors of feature steps (`columns: { dtype, pattern, exclude }`), like
 * scikit-learn's `make_column_selector`: resolved against the training split's columns when
 * the feature pipeline is fitted.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import { ConfigError, didYouMean } from "../errors.ts";
import { dtypeKind, isNumericDtype } from "../utils/mod.ts";

/** The column types a selector's `dtype` names. */
export const SELECTOR_DTYPES = ["numeric", "text", "date", "bool"] as const;

/** A selector's column type: `numeric`, `text`, `date` or `bool`. */
export type SelectorDtype = (typeof SELECTOR_DTYPES)[number];

/** A feature step's column selector, as `features.steps[i].columns` holds it. */
export interface ColumnSelector {
  /**
   * The column type to take.
   * @default undefined (any type)
   */
  dtype?: SelectorDtype | undefined;
  /**
   * A JavaScript regular expression searched in the column name (not anchored).
   * @default undefined (any name)
   */
  pattern?: string | undefined;
  /**
   * Columns never taken.
   * @default []
   */
  exclude?: readonly string[] | undefined;
}

/** What a selector may not take besides its own `exclude`. */
export interface ResolveSelectorOptions {
  /** The step's name, for messages. */
  step: string;
  /** The step's key path, for messages, e.g. `features.steps[0]`. */
  path: string;
  /** The target, the id columns and columns other steps claim. */
  taken: ReadonlySet<string>;
}

/**
 * Tells a column selector from a list of names.
 *
 * @param columns a step's `columns`
 * @returns true for a selector object
 * @example
 * ```ts
 * isColumnSelector({ dtype: "numeric" }); // true
 * isColumnSelector(["Island"]); // false
 * ```
 */
export function isColumnSelector(
  columns: readonly string[] | ColumnSelector,
): columns is ColumnSelector {
  return !Array.isArray(columns);
}

/**
 * Resolves a selector against a frame's columns: those of the type and name asked for, in the
 * frame's order, except `exclude` and `options.taken`.
 *
 * @param df the training split (its schema is what counts)
 * @param selector the step's selector
 * @param options the step's name and key path, and the columns already taken
 * @returns the selected column names, at least one
 * @throws {ConfigError} when `exclude` names a column the frame lacks, the pattern is not a
 *   valid regular expression, or nothing matches (naming the step and the columns that exist)
 * @example
 * ```ts
 * resolveColumnSelector(train, { dtype: "numeric" }, { step: "numeric", path: "features.steps[0]", taken: new Set(["Species"]) });
 * // ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"]
 * ```
 */
export function resolveColumnSelector(
  df: DataFrame,
  selector: ColumnSelector,
  options: ResolveSelectorOptions,
): string[] {
  const at = `${options.path}.columns`;
  const action = `Cannot resolve the columns of feature step "${options.step}"`;
  const exclude = selector.exclude ?? [];
  exclude.forEach((name, i) => {
    if (!df.columns.includes(name)) {
      throw new ConfigError(
        `${action}: ${at}.exclude[${i}] names column "${name}", which the data lacks${
          didYouMean(name, df.columns)
        }; fix or remove it`,
      );
    }
  });
  let pattern: RegExp | null = null;
  if (selector.pattern !== undefined) {
    try {
      pattern = new RegExp(selector.pattern);
    } catch (cause) {
      throw new ConfigError(
        `${action}: ${at}.pattern "${selector.pattern}" is not a valid JavaScript regular expression; escape special characters such as ( ) [ ] with \\`,
        [],
        { cause },
      );
    }
  }
  const selected = df.columns.filter((name) =>
    !options.taken.has(name) && !exclude.includes(name) &&
    (pattern === null || pattern.test(name)) &&
    (selector.dtype === undefined || dtypeMatches(df, name, selector.dtype))
  );
  if (selected.length === 0) {
    const asked = [
      selector.dtype === undefined ? null : `dtype ${selector.dtype}`,
      selector.pattern === undefined ? null : `pattern /${selector.pattern}/`,
    ].filter((part) => part !== null).join(" and ");
    const available = df.columns.filter((name) => !options.taken.has(name))
      .map((name) => `"${name}" (${describeDtype(df, name)})`).join(", ");
    throw new ConfigError(
      `${action}: ${at} selects no column with ${asked}${
        exclude.length > 0 ? ` outside exclude ${JSON.stringify(exclude)}` : ""
      }; the columns free for it are ${
        available || "none"
      } (the target, id columns and columns other steps name are never selected); change the selector or remove the step`,
    );
  }
  return selected;
}

function dtypeMatches(df: DataFrame, name: string, dtype: SelectorDtype): boolean {
  return describeDtype(df, name) === dtype;
}

/** A column's type in selector words, or its polars type when no selector names it. */
function describeDtype(df: DataFrame, name: string): string {
  const type = df.getColumn(name).dtype;
  if (isNumericDtype(type)) return "numeric";
  const kind = dtypeKind(type);
  if (kind === "string") return "text";
  if (kind === "date" || kind === "datetime") return "date";
  if (kind === "bool") return "bool";
  return String(type);
}
