/**
 * The data nodes: load → validate → clean → split → clean_splits → derive.
 *
 * Row-level cleaning (trim, case, missing markers, duplicates, dropping incomplete rows) runs on
 * the whole frame; statistics for fills and clipping are learned from the training split only
 * and then applied to every split, so validation and test never leak into them.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import pl from "nodejs-polars";
import type { CleaningConfig } from "../../config/mod.ts";
import {
  applyCleaning,
  checkConfigColumns,
  datasetColumns,
  decodeRowRanges,
  deriveTarget,
  encodeRowRanges,
  ensureLocalData,
  fingerprintData,
  fitCleaning,
  loadDataset,
  splitFrame,
  validate,
} from "../../data/mod.ts";
import type { CleaningReport } from "../../data/mod.ts";
import { addDerivedFeatures } from "../../features/mod.ts";
import { DataValidationError, SchemaMismatchError } from "../../errors.ts";
import { isNumericDtype } from "../../utils/mod.ts";
import type { SplitPositions } from "./datasets.ts";
import { configSlice, defineNode } from "./node.ts";

const DATA_CODE = ["data", "utils", "config"] as const;

function schemaText(df: DataFrame): string[][] {
  return Object.entries(df.schema).map(([name, type]) => [name, `${type}`]);
}

/** Reads the input file and derives the target when a rule is configured. */
export const LOAD_NODE = defineNode({
  name: "load",
  description: "read the input file with its declared types; derive the target",
  stage: "load",
  inputs: [],
  outputs: ["raw", "input"],
  code: DATA_CODE,
  cached: true,
  config: (config) => configSlice(config, ["data"]),
  async external(context) {
    // Every column the config names is checked against the file's header here, not in run():
    // this runs on every training run, also when the loaded data comes from the cache.
    const { data } = context.config;
    await ensureLocalData(data.path); // an s3:// input is read from its local copy
    checkConfigColumns(context.config, datasetColumns(data.path, data), { source: data.path });
    const { sha256, bytes } = await fingerprintData(data.path);
    return { input_sha256: sha256, input_bytes: String(bytes) };
  },
  run(_inputs, { config, logger }, external) {
    const { target, path } = config.data;
    const loaded = loadDataset(path, config.data);
    const rule = config.data.derive_target;
    const raw = rule ? deriveTarget(loaded, rule, target) : loaded;
    logger.info("Loaded {rows} rows × {cols} columns from {path}", {
      rows: raw.height,
      cols: raw.width,
      path,
    });
    if (!raw.columns.includes(target)) {
      throw new SchemaMismatchError(
        `Cannot train on "${path}": the target column "${target}" (data.target) is missing; found ${
          JSON.stringify(raw.columns)
        }`,
      );
    }
    const input = {
      path,
      sha256: external.input_sha256 ?? "",
      bytes: Number(external.input_bytes),
      rows: raw.height,
    };
    return { raw, input };
  },
});

/** Checks the raw data against the validation rules (a report; it never throws). */
export const VALIDATE_NODE = defineNode({
  name: "validate",
  description: "check the raw data against validation rules (report only)",
  stage: "validate",
  inputs: ["raw"],
  outputs: ["validation"],
  code: DATA_CODE,
  cached: true,
  config: (config) => configSlice(config, ["data.target", "validation"]),
  run({ raw }, { config, logger }) {
    const validation = validate(raw, config.validation, {
      target: config.data.target,
      strict: false,
    });
    logger.info("Validation of the raw data: {issues} rule(s) broken", {
      issues: validation.issues.length,
    });
    return { validation };
  },
});

/** Row-level cleaning on the whole frame, then rows without a target are dropped. */
export const CLEAN_NODE = defineNode({
  name: "clean",
  description: "row-level cleaning; drop rows without a target; check the target",
  stage: "clean",
  inputs: ["raw"],
  outputs: ["rows", "row_cleaning"],
  code: DATA_CODE,
  cached: true,
  config: (config) => configSlice(config, ["data.target", "data.task", "cleaning"]),
  run({ raw }, { config, logger }) {
    const { target, task } = config.data;
    const rowLevel = rowLevelCleaning(config.cleaning);
    const cleanedRows = applyCleaning(raw, rowLevel, fitCleaning(raw, rowLevel), {
      dropRows: true,
      trackRows: true,
    });
    const targetColumn = cleanedRows.frame.getColumn(target);
    const targetNulls = targetColumn.nullCount();
    const rows = targetNulls > 0
      ? cleanedRows.frame.filter(pl.col(target).isNotNull())
      : cleanedRows.frame;
    let inputRows = cleanedRows.rowPositions!;
    if (targetNulls > 0) {
      const present = targetColumn.isNotNull().toArray() as boolean[];
      inputRows = inputRows.filter((_, i) => present[i]);
    }
    if (targetNulls > 0) {
      logger.warning("Dropped {count} rows whose target {target} is null", {
        count: targetNulls,
        target,
      });
    }
    checkTarget(rows, target, task);
    return {
      rows,
      row_cleaning: {
        report: cleanedRows.report,
        rawSchema: schemaText(raw),
        inputRows: encodeRowRanges(inputRows),
      },
    };
  },
});

/** Splits the rows into train, validation and test (seeded). */
export const SPLIT_NODE = defineNode({
  name: "split",
  description: "split into train, validation and test (seeded)",
  stage: "split",
  inputs: ["rows"],
  outputs: ["splits", "split_positions"],
  code: DATA_CODE,
  cached: true,
  config: (config) => configSlice(config, ["data.target", "split"]),
  run({ rows }, { config }) {
    const { train, val, test, indices } = splitFrame(rows, config.split, {
      target: config.data.target,
    });
    return {
      splits: { train, val, test },
      split_positions: {
        train: encodeRowRanges(indices.train),
        val: encodeRowRanges(indices.val),
        test: encodeRowRanges(indices.test),
      },
    };
  },
});

/**
 * Learns fills and clip bounds on train, applies them to every split, and checks the cleaned
 * splits against the schema when `validation.strict` is on.
 */
export const CLEAN_SPLITS_NODE = defineNode({
  name: "clean_splits",
  description: "learn fills and clips on train, apply them to every split; strict validation",
  stage: "clean",
  inputs: ["splits", "split_positions", "row_cleaning", "validation"],
  outputs: ["cleaned", "cleaning_state", "cleaning", "split_rows"],
  code: DATA_CODE,
  cached: true,
  config: (config) => configSlice(config, ["data.target", "cleaning", "validation"]),
  run({ splits, split_positions, row_cleaning, validation }, { config }) {
    const { target } = config.data;
    const rowLevel = rowLevelCleaning(config.cleaning);
    const cleaningState = fitCleaning(splits.train, config.cleaning);
    const cleanSplit = (df: DataFrame) =>
      applyCleaning(df, config.cleaning, cleaningState, { dropRows: true, trackRows: true });
    const train = cleanSplit(splits.train);
    const val = cleanSplit(splits.val);
    const test = cleanSplit(splits.test);
    const rowReport = row_cleaning.report;
    const cleaning: CleaningReport = {
      rowsIn: rowReport.rowsIn,
      rowsOut: train.report.rowsOut + val.report.rowsOut + test.report.rowsOut,
      steps: [
        ...rowReport.steps,
        ...train.report.steps.filter((s) => s.step === "nulls" || s.step === "clip").filter((s) =>
          s.rows > 0 || !rowLevel.nulls[s.column ?? ""]
        ),
      ],
    };
    // The cleaned splits must pass the schema. When the raw data passed every rule and cleaning
    // changed no value or type (each step only dropped rows or touched none, and the columns and
    // their types are raw's), every split holds raw rows as they were and passes too: checking
    // it again would repeat the pass over the data.
    const rawSchema = JSON.stringify(row_cleaning.rawSchema);
    const keptValues = [rowReport, train.report, val.report, test.report].every((report) =>
      report.steps.every((step) =>
        step.rows === 0 || step.step === "drop_duplicates" ||
        (step.step === "nulls" && step.action === "drop")
      )
    ) && [train, val, test].every((part) =>
      JSON.stringify(schemaText(part.frame)) === rawSchema
    );
    if (config.validation.strict && !(validation.ok && keptValues)) {
      for (const [name, part] of [["train", train], ["val", val], ["test", test]] as const) {
        if (part.frame.height === 0) continue;
        const report = validate(part.frame, { ...config.validation, min_rows: 0 }, {
          target,
          strict: false,
        });
        if (!report.ok) {
          throw new DataValidationError(
            `Cannot train: the cleaned ${name} split still breaks ${report.issues.length} validation rule(s) (${
              report.issues.map((i) => `${i.column ?? "table"} ${i.rule}: ${i.count}`).join(", ")
            }); add cleaning for them in the profile's "cleaning" or relax its "validation.columns"`,
            report.issues,
          );
        }
      }
    }
    // Input row of each kept row: split position → row-cleaned row → raw row.
    const inputRows = decodeRowRanges(row_cleaning.inputRows);
    const splitRows = (part: typeof train, positions: SplitPositions["train"]) => {
      const rowsOfSplit = decodeRowRanges(positions);
      return encodeRowRanges(part.rowPositions!.map((k) => inputRows[rowsOfSplit[k]!]!));
    };
    return {
      cleaned: { train: train.frame, val: val.frame, test: test.frame },
      cleaning_state: cleaningState,
      cleaning,
      split_rows: {
        input_rows: rowReport.rowsIn,
        train: splitRows(train, split_positions.train),
        val: splitRows(val, split_positions.val),
        test: splitRows(test, split_positions.test),
      },
    };
  },
});

/** Adds the configured derived features to every split. */
export const DERIVE_NODE = defineNode({
  name: "derive",
  description: "add derived features (date parts, ratios, ...) to every split",
  stage: "features",
  inputs: ["cleaned"],
  outputs: ["prepared"],
  code: ["features", ...DATA_CODE],
  cached: true,
  config: (config) => configSlice(config, ["features.derived"]),
  run({ cleaned }, { config, logger }) {
    const derived = config.features.derived;
    const withDerived = (df: DataFrame) => derived.length ? addDerivedFeatures(df, derived) : df;
    const prepared = {
      train: withDerived(cleaned.train),
      val: withDerived(cleaned.val),
      test: withDerived(cleaned.test),
    };
    logger.info("Split {train}/{val}/{test} rows (train/val/test)", {
      train: prepared.train.height,
      val: prepared.val.height,
      test: prepared.test.height,
    });
    return { prepared };
  },
});

/** The cleaning steps that act on rows and values, without learned statistics. */
function rowLevelCleaning(cleaning: CleaningConfig): CleaningConfig {
  return {
    ...cleaning,
    nulls: Object.fromEntries(
      Object.entries(cleaning.nulls).filter(([, strategy]) => strategy.strategy === "drop"),
    ),
    clip: {},
  };
}

function checkTarget(df: DataFrame, target: string, task: "classification" | "regression"): void {
  const column = df.getColumn(target);
  if (df.height === 0) {
    throw new DataValidationError(
      `Cannot train: no rows are left after cleaning; check the "cleaning" section of the config`,
    );
  }
  const distinct = column.nUnique();
  if (distinct < 2) {
    throw new DataValidationError(
      `Cannot train: the target "${target}" is constant (${distinct} distinct value) after cleaning; choose another data.target or check the data`,
    );
  }
  if (task === "regression" && !isNumericDtype(column.dtype)) {
    throw new SchemaMismatchError(
      `Cannot train a regression: the target "${target}" is ${column.dtype.variant}, expected a numeric column; set data.task to "classification" or pick a numeric target`,
    );
  }
}
