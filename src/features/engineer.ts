/**
 * Derived features declared in config (`features.derived`), each built as one polars expression.
 *
 * Config never carries code to evaluate: a derived feature is one of a fixed set of kinds
 * (`ratio`, `product`, `difference`, `sum`, `date_part`, `bucket`) whose expression this module
 * builds. Every derived column is appended as `Float64`, so the feature pipeline treats it like
 * any other numeric input.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, DataType, Expr } from "nodejs-polars";
import { ConfigError, didYouMean, SchemaMismatchError } from "../errors.ts";
import type { DerivedFeature } from "../config/schema.ts";
import { dtypeKind, isDateDtype, isNumericDtype } from "../utils/mod.ts";

/** The part of polars' `Then` and `ChainedThen` that a bucket chain uses. */
interface WhenChain {
  when(predicate: Expr): { then(expr: Expr): WhenChain };
  otherwise(expr: Expr): Expr;
}

const TIME_OF_DAY_PARTS: ReadonlySet<string> = new Set(["hour", "minute"]);

/**
 * Builds the polars expression for one derived feature, aliased to its `name`, as `Float64`.
 *
 * Semantics, per kind (nulls propagate in every kind: a null input gives a null output):
 * - `ratio` — `a / b`; a zero divisor gives **null**, not `Infinity` or `NaN`, so a model never
 *   sees an infinite value. NaN inputs stay NaN.
 * - `product`, `difference`, `sum` — `a * b`, `a - b`, `a + b`, computed in `Float64` so integer
 *   columns neither overflow nor divide as integers.
 * - `date_part` — `year`, `month` (1–12), `day` (1–31), `weekday` (ISO numbering: 1 = Monday …
 *   7 = Sunday), `hour` (0–23), `minute` (0–59) of a `Date` or `Datetime` column. A naive datetime
 *   is read as is; a time-zone-aware one in its own zone.
 * - `bucket` — the index `i` such that `boundaries[i-1] <= x < boundaries[i]`, from `0` (below
 *   the first boundary) to `boundaries.length` (at or above the last). Null and NaN give null.
 *
 * The expression does not know the frame, so column presence and dtypes are checked by
 * {@link addDerivedFeatures}; call that unless you compose expressions yourself.
 *
 * @param feature one entry of `config.features.derived`
 * @returns the expression, aliased to `feature.name`
 * @throws {ConfigError} when `bucket` boundaries are not finite and strictly ascending
 * @throws {TypeError} when `feature.kind` or `feature.part` is not a known value
 * @example
 * ```ts
 * const expr = derivedFeatureExpr({ name: "beak_ratio", kind: "ratio", columns: ["len", "depth"] });
 * df.withColumns(expr);
 * ```
 */
export function derivedFeatureExpr(feature: DerivedFeature): Expr {
  return buildExpr(feature, `derived feature "${feature.name}"`);
}

/**
 * Appends the configured derived features to a frame, in config order, as `Float64` columns.
 *
 * A feature may use the columns of the frame and the derived features listed before it. The
 * input frame is not changed. See {@link derivedFeatureExpr} for what each kind computes.
 *
 * @param df the frame to extend
 * @param derived `config.features.derived`
 * @returns a new frame: the columns of `df`, then one column per derived feature
 * @throws {ConfigError} when a name already exists in the frame or earlier in `derived`, or
 *   `bucket` boundaries are not finite and strictly ascending
 * @throws {SchemaMismatchError} when a source column is missing, arithmetic or `bucket` uses a
 *   non-numeric column, or `date_part` uses a column that is not `Date`/`Datetime` (or asks a
 *   `Date` column for `hour`/`minute`)
 * @throws {TypeError} when a feature has an unknown `kind` or `part`
 * @example
 * ```ts
 * const out = addDerivedFeatures(df, [
 *   { name: "beak_ratio", kind: "ratio", columns: ["Beak Length (mm)", "Beak Depth (mm)"] },
 *   { name: "mass_band", kind: "bucket", column: "Body Mass (g)", boundaries: [3500, 4500] },
 * ]);
 * ```
 */
export function addDerivedFeatures(df: DataFrame, derived: readonly DerivedFeature[]): DataFrame {
  if (derived.length === 0) return df.clone();
  const schema = new Map<string, DataType>(Object.entries(df.schema));
  const exprs: Expr[] = [];
  derived.forEach((feature, index) => {
    const path = `features.derived[${index}]`;
    if (schema.has(feature.name)) {
      const where = df.columns.includes(feature.name)
        ? "the frame already has a column with that name"
        : "an earlier derived feature has that name";
      throw new ConfigError(
        `Cannot add derived feature "${feature.name}" at ${path}.name: ${where}; choose another name`,
      );
    }
    checkSources(feature, path, schema);
    exprs.push(buildExpr(feature, path));
    schema.set(feature.name, pl.Float64);
  });
  // One lazy plan: each feature is its own `withColumns` so later ones can use earlier ones.
  let plan = df.lazy();
  for (const expr of exprs) plan = plan.withColumns(expr);
  return plan.collectSync();
}

function checkSources(feature: DerivedFeature, path: string, schema: Map<string, DataType>): void {
  const available = [...schema.keys()];
  const requireColumn = (column: string, where: string): DataType => {
    const dtype = schema.get(column);
    if (dtype === undefined) {
      throw new SchemaMismatchError(
        `Cannot add derived feature "${feature.name}": ${where} names missing column "${column}"${
          didYouMean(column, available)
        } (found ${JSON.stringify(available)})`,
      );
    }
    return dtype;
  };
  switch (feature.kind) {
    case "ratio":
    case "product":
    case "difference":
    case "sum":
      feature.columns.forEach((column, i) => {
        const dtype = requireColumn(column, `${path}.columns[${i}]`);
        if (!isNumericDtype(dtype)) {
          throw new SchemaMismatchError(
            `Cannot add derived feature "${feature.name}" (${feature.kind}): column "${column}" is ${dtype.variant}, expected a numeric column; cast it with data.dtypes or encode it first`,
          );
        }
      });
      return;
    case "bucket": {
      const dtype = requireColumn(feature.column, `${path}.column`);
      if (!isNumericDtype(dtype)) {
        throw new SchemaMismatchError(
          `Cannot add derived feature "${feature.name}" (bucket): column "${feature.column}" is ${dtype.variant}, expected a numeric column; cast it with data.dtypes`,
        );
      }
      return;
    }
    case "date_part": {
      const dtype = requireColumn(feature.column, `${path}.column`);
      if (!isDateDtype(dtype)) {
        throw new SchemaMismatchError(
          `Cannot add derived feature "${feature.name}" (date_part "${feature.part}"): column "${feature.column}" is ${dtype.variant}, expected Date or Datetime; set data.dtypes: { "${feature.column}": date } (or datetime) in config so the loader parses it`,
        );
      }
      if (dtypeKind(dtype) === "date" && TIME_OF_DAY_PARTS.has(feature.part)) {
        throw new SchemaMismatchError(
          `Cannot add derived feature "${feature.name}" (date_part "${feature.part}"): column "${feature.column}" is Date, which has no time of day; set data.dtypes: { "${feature.column}": datetime } in config`,
        );
      }
      return;
    }
  }
}

function buildExpr(feature: DerivedFeature, path: string): Expr {
  switch (feature.kind) {
    case "ratio": {
      const [a, b] = feature.columns.map(asFloat) as [Expr, Expr];
      // A zero divisor is "no value", not Infinity: models cannot use infinite inputs.
      return pl.when(b.eq(0)).then(pl.lit(null)).otherwise(a.div(b)).cast(pl.Float64)
        .alias(feature.name);
    }
    case "product": {
      const [a, b] = feature.columns.map(asFloat) as [Expr, Expr];
      return a.mul(b).alias(feature.name);
    }
    case "difference": {
      const [a, b] = feature.columns.map(asFloat) as [Expr, Expr];
      return a.sub(b).alias(feature.name);
    }
    case "sum": {
      const [a, b] = feature.columns.map(asFloat) as [Expr, Expr];
      return a.add(b).alias(feature.name);
    }
    case "date_part":
      return datePart(pl.col(feature.column), feature.part, feature.name)
        .cast(pl.Float64)
        .alias(feature.name);
    case "bucket":
      return bucketExpr(feature.column, feature.boundaries, feature.name, path);
    default: {
      const unknown: { kind?: unknown } = feature;
      throw new TypeError(
        `Cannot build derived feature at ${path}: unknown kind ${
          JSON.stringify(unknown.kind)
        }, expected one of ["ratio","product","difference","sum","date_part","bucket"]`,
      );
    }
  }
}

function asFloat(column: string): Expr {
  return pl.col(column).cast(pl.Float64);
}

function datePart(column: Expr, part: string, name: string): Expr {
  switch (part) {
    case "year":
      return column.dt.year();
    case "month":
      return column.dt.month();
    case "day":
      return column.dt.day();
    case "weekday":
      // polars numbers weekdays the ISO way: 1 = Monday ... 7 = Sunday.
      return column.dt.weekday();
    case "hour":
      return column.dt.hour();
    case "minute":
      return column.dt.minute();
    default:
      throw new TypeError(
        `Cannot build derived feature "${name}": unknown date part ${
          JSON.stringify(part)
        }, expected one of ["year","month","day","weekday","hour","minute"]`,
      );
  }
}

function bucketExpr(
  column: string,
  boundaries: readonly number[],
  name: string,
  path: string,
): Expr {
  const ascending = boundaries.every((b, i) =>
    Number.isFinite(b) && (i === 0 || b > boundaries[i - 1]!)
  );
  if (boundaries.length === 0 || !ascending) {
    throw new ConfigError(
      `Cannot build derived feature "${name}" at ${path}.boundaries: expected at least one finite number in strictly ascending order, found ${
        JSON.stringify(boundaries)
      }; sort them and remove duplicates`,
    );
  }
  const x = asFloat(column);
  // Null and NaN first: comparisons with null are null and NaN sorts above every number.
  let chain: WhenChain = pl.when(x.isNull().or(x.isNan())).then(pl.lit(null));
  boundaries.forEach((boundary, i) => {
    chain = chain.when(x.lt(boundary)).then(pl.lit(i));
  });
  return chain.otherwise(pl.lit(boundaries.length)).cast(pl.Float64).alias(name);
}
