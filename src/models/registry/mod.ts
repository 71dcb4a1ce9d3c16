/**
 * The model registry, a file store under `models/`: run ids, atomic run folders and run records
 * with the sha256 of every artifact under `experiments/`; listing and comparing runs; and the
 * production slot of each project under `production/<project>/`, changed only through a
 * promotion gate or a rollback, swapped atomically, logged, and guarded by a lock.
 *
 * Production is kept per project (`project.name`), like MLflow's registered models: the gate
 * compares only runs of one project, and promoting or rolling back one project leaves the others
 * as they are. Layout of `<registry.production_dir>/<project>/` (see `projectProductionDir`):
 *
 * ```text
 * current.json      the pointer: { run_id, promoted_at, action, previous, history }
 * runs/<id>/        a verified COPY of every run in `history` (the current run last), so
 *                   production and rollback keep working when experiments/ is cleaned
 * promotions.jsonl  append-only log: time, action, from, to, metric values, reason, user
 * .lock             held while a promotion or rollback runs
 * ```
 *
 * A production folder from before production was kept per project (`current.json` directly in
 * `registry.production_dir`) is refused by every reader and writer, with the commands that move
 * it into its project's folder:
 *
 * ```sh
 * mkdir -p models/production/<project> && mv models/production/current.json \
 *   models/production/runs models/production/promotions.jsonl models/production/<project>/
 * ```
 *
 * A promotion copies the run into a hidden `.partial-*` folder, verifies every checksum, renames
 * it into `runs/`, then renames a new `current.json` over the old one. A crash at any point leaves
 * the pointer at either the old or the new run, never at a half-written folder.
 *
 * Crash safety and integrity:
 * - `run.json` and `current.json` are sealed (`self_sha256`, see {@link writeRunRecord}), so a
 *   changed byte in either is found like a changed artifact;
 * - every `.partial-*` folder is owned through an OS file lock held until its rename; what a
 *   killed writer left is removed by the next `writeRunFolder`, promotion or rollback;
 * - the lock holder keeps an OS file lock on `.lock`, so a lock left by a killed process is
 *   found stale even where the task may not look at other processes;
 * - `current.json` carries the log line of its change, so the promotion log is completed when a
 *   promotion dies between the swap and the append;
 * - run folders and artifacts that resolve (through symbolic links) outside their folder are
 *   refused.
 *
 * The experiments and production roots (`registry.experiments_dir`, `registry.production_dir`)
 * may each be an `s3://bucket/prefix` instead of a folder (AWS S3, MinIO, R2; endpoint and
 * credentials from the AWS environment variables). A run is then written in a local mirror
 * (`data/processed/remote/registry/<bucket>/<prefix>/`) and published with its sealed
 * `run.json` uploaded last, so a prefix without `run.json` is never listed; reading a run
 * fetches it into the mirror and verifies every checksum. A remote production slot holds
 * `current.json`, `runs/<id>/` and `promotions/<time>-<action>-<to>.json` (one object per
 * change), and its pointer is swapped with a conditional write (`If-Match` the ETag read, or
 * `If-None-Match: *` when empty) instead of under a lock: of two promoters, one wins and the
 * other gets a `PromotionRefusedError` with production unchanged by it.
 *
 * @module
 */
export { verifyArtifacts } from "./checksums.ts";
export {
  assertRunId,
  createRunId,
  isPartialName,
  listRunIds,
  PARTIAL_PREFIX,
  readRunFolder,
  RUN_FORMAT_VERSION,
  writeRunFolder,
  writeRunRecord,
} from "./run_folder.ts";
export type { RunRecord } from "./run_folder.ts";
export {
  compareRuns,
  DEFAULT_LIST_RUNS_OPTIONS,
  DEFAULT_SELECT_BEST_RUN_OPTIONS,
  flattenConfig,
  listRuns,
  profileName,
  readRunMetrics,
  selectBestRun,
} from "./listing.ts";
export type {
  ConfigDifference,
  ListRunsOptions,
  MetricDifference,
  RunComparison,
  RunMetricsFile,
  RunSummary,
  SelectBestRunOptions,
  SplitMetricValues,
} from "./listing.ts";
export { checkPromotionGate, DEFAULT_GATE_OPTIONS } from "./gate.ts";
export type { GateOptions, GateResult, GateRun } from "./gate.ts";
export { DEFAULT_REGISTRY_LOCK_OPTIONS, LOCK_FILE, withRegistryLock } from "./lock.ts";
export type { RegistryLockOptions } from "./lock.ts";
export { PRODUCTION_POINTER_FILE, PRODUCTION_RUNS_DIR, PROMOTION_LOG_FILE } from "./production.ts";
export { readProduction, readProductionPointer, readPromotionLog } from "./production_slot.ts";
export {
  fetchRunFolder,
  listPublishedRunIds,
  publishRunFolder,
  registryMirrorDir,
} from "./remote_runs.ts";
export { PROMOTIONS_PREFIX } from "./remote_production.ts";
export type {
  MetricValues,
  ProductionPointer,
  ProductionRun,
  PromotionAction,
  PromotionLogEntry,
} from "./production.ts";
export {
  DEFAULT_PROMOTE_OPTIONS,
  DEFAULT_ROLLBACK_OPTIONS,
  promoteRun,
  rollbackProduction,
} from "./promote.ts";
export type { PromoteOptions, PromotionResult, RollbackOptions } from "./promote.ts";
export {
  assertProjectLayout,
  listProductionProjects,
  projectProductionDir,
  resolveProductionDir,
} from "./project.ts";
