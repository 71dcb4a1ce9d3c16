/**
 * Opens a recorded run: its config snapshot, cleaning state, fitted features and model, all
 * verified against the checksums in `run.json`. Evaluation, reproduction and inference start
 * here, so they never refit anything.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import type { DataFrame } from "nodejs-polars";
import { loadConfig } from "../config/mod.ts";
import type { LoadedConfig, ProjectConfig, RegistryConfig } from "../config/mod.ts";
import { applyCleaning, deriveTarget } from "../data/mod.ts";
import type { CleaningState, DataProfile, InputSignature } from "../data/mod.ts";
import { addDerivedFeatures, FeaturePipeline, FeatureSelector } from "../features/mod.ts";
import {
  PRODUCTION_RUNS_DIR,
  readProduction,
  readRunFolder,
  resolveProductionDir,
  RUN_ARTIFACTS,
  runArtifactPath,
} from "../models/mod.ts";
import type { BaseModel, RunRecord, Targets } from "../models/mod.ts";
import { ArtifactError, DataValidationError } from "../errors.ts";
import { frameToMatrix } from "../utils/mod.ts";
import type { Matrix } from "../utils/mod.ts";
import { encodeTargets } from "./nodes/mod.ts";

/** Everything a recorded run needs to transform and score new rows. */
export interface RunArtifacts {
  /** The run id. */
  id: string;
  /** The run folder. */
  dir: string;
  /** `run.json`. */
  record: RunRecord;
  /** The run's config snapshot, loaded as the run saw it. */
  loaded: LoadedConfig;
  /** Fill values and clip bounds learned from the run's training split. */
  cleaningState: CleaningState;
  /** The fitted feature pipeline. */
  pipeline: FeaturePipeline;
  /** The fitted selector, or `null`. */
  selector: FeatureSelector | null;
  /** The model's input columns, in matrix order. */
  names: string[];
  /** The input signature (`schema.json`). */
  signature: InputSignature;
  /** The training-data profile (`profile.json`), the reference for drift checks. */
  profile: DataProfile;
  /** The fitted model. */
  model: BaseModel;
}

/**
 * The artifacts loading reads; `run.json` must record the sha256 of each, and of every file in
 * `model/`.
 */
const LOADED_ARTIFACTS = ["config", "features", "cleaning", "schema", "profile"] as const;

/** The run reference meaning "whatever is in production" for the config's project. */
export const PRODUCTION = "production";

/**
 * Where {@link openRun} looks: the project root, the registry folders and the project whose
 * production `"production"` means (a `LoadedConfig`).
 */
export interface RunLocations {
  /** The project root, against which a run's config snapshot resolves. */
  root: string;
  config: {
    registry: Pick<RegistryConfig, "experiments_dir" | "production_dir">;
    project: Pick<ProjectConfig, "name">;
  };
}

/**
 * Opens a recorded run for scoring, evaluation or reporting: a run id of the experiments
 * folder, `"production"` (the run promoted for the config's `project.name`), or the path of a
 * run folder. Every artifact is checked against the sha256 in `run.json` before it is loaded.
 *
 * @param ref a run id, `"production"`, or a run folder (a path holding `/`) directly under the
 *   experiments folder or a project's production `runs/`
 * @param where the project root, registry folders and project; a `LoadedConfig` will do
 * @returns the verified, loaded run
 * @throws {ArtifactError} when the run does not exist (with the closest id), the project's
 *   production is empty or in the layout from before it was kept per project, or an artifact is
 *   missing or altered
 * @example
 * ```ts
 * const loaded = await loadConfig();
 * const run = await openRun("production", loaded);
 * run.model.predict(featureMatrixForRun(run, rows));
 * ```
 */
export async function openRun(ref: string, where: RunLocations): Promise<RunArtifacts> {
  const { experiments_dir: experiments, production_dir: production } = where.config.registry;
  if (ref === PRODUCTION) {
    const project = where.config.project.name;
    const dir = await resolveProductionDir(where.config.registry, project);
    const promoted = await readProduction(dir);
    if (promoted === null) {
      throw new ArtifactError(
        `Cannot use the production model of project "${project}": "${dir}" holds no promoted run; promote one with \`deno task promote\` (with this profile) or pass --run <id>`,
      );
    }
    return await loadRunArtifacts(promoted.dir, promoted.record, where.root);
  }
  if (!ref.includes("/")) {
    const { dir, record } = await readRunFolder(experiments, ref);
    return await loadRunArtifacts(dir, record, where.root);
  }
  // A folder: only one of the registry's own run folders, so a path cannot reach elsewhere.
  const folder = resolve(where.root, ref);
  // Production copies lie in <production>/<project>/runs/, for any project.
  const productionRoot = resolve(where.root, production);
  const inProduction = basename(dirname(folder)) === PRODUCTION_RUNS_DIR &&
    dirname(dirname(dirname(folder))) === productionRoot;
  const homes = [
    resolve(where.root, experiments),
    resolve(productionRoot, "<project>", PRODUCTION_RUNS_DIR),
  ];
  if (!inProduction && homes[0] !== dirname(folder)) {
    throw new ArtifactError(
      `Cannot open run "${ref}": a run id holds only letters, digits, ., _ and -, and a run folder must lie directly under ${
        homes.map((home) => `"${home}"`).join(" or ")
      }; give a run id, "production", or such a folder`,
    );
  }
  const { dir, record } = await readRunFolder(dirname(folder), basename(folder));
  return await loadRunArtifacts(dir, record, where.root);
}

/**
 * Loads the artifacts of a run folder whose checksums were already verified (by `readRunFolder`, or
 * by the registry for the production copy).
 *
 * @param dir the run folder
 * @param record its `run.json`
 * @param root the project root
 * @returns the loaded run
 * @throws {ArtifactError} when an artifact cannot be parsed
 * @example
 * ```ts
 * const { dir, record } = await readRunFolder(experimentsDir, id);
 * const run = await loadRunArtifacts(dir, record, root);
 * ```
 */
export async function loadRunArtifacts(
  dir: string,
  record: RunRecord,
  root: string,
): Promise<RunArtifacts> {
  // Only files whose sha256 run.json records were verified; refuse to read any other.
  const modelFiles: string[] = [];
  try {
    for await (const entry of Deno.readDir(runArtifactPath(dir, "model"))) {
      modelFiles.push(`${RUN_ARTIFACTS.model.file}${entry.name}`);
    }
  } catch {
    // A missing model folder is reported below as its unlisted params.json, or by the loader.
  }
  const files = LOADED_ARTIFACTS.map((name) => RUN_ARTIFACTS[name].file);
  const unlisted = [...files, `${RUN_ARTIFACTS.model.file}params.json`, ...modelFiles.sort()]
    .filter((name, i, all) => all.indexOf(name) === i)
    .filter((name) => !Object.hasOwn(record.artifacts ?? {}, name));
  if (unlisted.length > 0) {
    throw new ArtifactError(
      `Cannot load run "${record.id}" from "${dir}": "${dir}/run.json" records no sha256 for ${
        JSON.stringify(unlisted)
      }, so they cannot be verified; retrain the run`,
    );
  }
  const loaded = await loadConfig({ root, snapshot: runArtifactPath(dir, "config") });
  const features = await RUN_ARTIFACTS.features.read(dir);
  const cleaning = await RUN_ARTIFACTS.cleaning.read(dir);
  return {
    id: record.id,
    dir,
    record,
    loaded,
    cleaningState: cleaning.state,
    pipeline: FeaturePipeline.fromJSON(features.pipeline),
    selector: features.selector === null ? null : FeatureSelector.fromJSON(features.selector),
    names: features.names,
    signature: await RUN_ARTIFACTS.schema.read(dir),
    profile: await RUN_ARTIFACTS.profile.read(dir),
    model: await RUN_ARTIFACTS.model.read(dir),
  };
}

/**
 * Applies a run's saved cleaning, derived features, feature pipeline and selector to labelled or
 * unlabelled rows, without refitting anything.
 *
 * Rows the training cleaning would drop (duplicates are kept) are dropped here too.
 *
 * @param run the opened run
 * @param df the rows, with the run's input columns
 * @returns the cleaned frame (for the target and ids) and the model's input matrix
 * @throws {SchemaMismatchError} when an input column is missing
 * @example
 * ```ts
 * const { frame, x } = transformForRun(run, loadDataset("data/raw/penguins.csv", config.data));
 * ```
 */
export function transformForRun(run: RunArtifacts, df: DataFrame): { frame: DataFrame; x: Matrix } {
  const { config } = run.loaded;
  const cleaning = { ...config.cleaning, drop_duplicates: false as const };
  const rule = config.data.derive_target;
  const labelled =
    rule && df.columns.includes(rule.source) && !df.columns.includes(config.data.target)
      ? deriveTarget(df, rule, config.data.target)
      : df;
  let frame = applyCleaning(labelled, cleaning, run.cleaningState, { dropRows: true }).frame;
  if (config.features.derived.length > 0) {
    frame = addDerivedFeatures(frame, config.features.derived);
  }
  return { frame, x: featureMatrixForRun(run, frame) };
}

/**
 * Turns rows that are already cleaned and hold the derived features (a split from
 * `prepareData`) into the model's input matrix with the run's fitted features.
 *
 * @param run the opened run
 * @param frame cleaned rows with derived features
 * @returns the model's input matrix
 * @throws {SchemaMismatchError} when an input column is missing
 * @example
 * ```ts
 * const x = featureMatrixForRun(run, (await prepareData(run.loaded.config)).test);
 * ```
 */
export function featureMatrixForRun(run: RunArtifacts, frame: DataFrame): Matrix {
  // Without a selector the pipeline builds the matrix from its steps' own outputs, never through
  // a full-size Float64 feature frame (the same bytes, a fraction of the memory).
  if (run.selector === null) return run.pipeline.transformToMatrix(frame);
  return frameToMatrix(run.selector.transform(run.pipeline.transform(frame)), run.names);
}

/**
 * Builds targets for labelled rows with the run's classes.
 *
 * @param run the opened run
 * @param frame rows holding the target column (nulls are not allowed)
 * @returns the targets
 * @throws {DataValidationError} when a label is null or a class the run never saw
 * @example
 * ```ts
 * const y = targetsForRun(run, frame);
 * ```
 */
export function targetsForRun(run: RunArtifacts, frame: DataFrame): Targets {
  const { target, task } = run.loaded.config.data;
  const column = frame.getColumn(target);
  if (column.nullCount() > 0) {
    throw new DataValidationError(
      `Cannot evaluate: ${column.nullCount()} row(s) have no "${target}" label; drop them or fill the labels`,
    );
  }
  const encoded = encodeTargets(frame, target, task === "regression" ? null : run.model.classes);
  if ("unseen" in encoded) {
    throw new DataValidationError(
      `Cannot evaluate: label(s) ${
        JSON.stringify(encoded.unseen)
      } of "${target}" were never seen by run "${run.id}" (classes ${
        JSON.stringify(run.model.classes)
      })`,
    );
  }
  return encoded;
}
