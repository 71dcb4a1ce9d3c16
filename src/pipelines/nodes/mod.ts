/**
 * The training pipeline as declared nodes: pure functions with named inputs and outputs, the
 * data catalog of what flows between them, and the runner that wires, caches and records them.
 * `deno task train`, cross-validation, `reproduce` and the notebooks all run these nodes.
 *
 * @module
 */
export { TRAINING_NODES } from "./training_nodes.ts";
export { OUT_OF_CORE_NODES } from "./out_of_core_nodes.ts";
export {
  buildRowFiles,
  checkOutOfCoreConfig,
  OUT_OF_CORE_DIR,
  SHARDS_FINGERPRINT,
  splitShards,
  usesOutOfCore,
  writeCleanShards,
} from "./out_of_core.ts";
export type { CleanShards, RowFiles, Shard, ShardSplit } from "./datasets.ts";
export { DATASETS } from "./datasets.ts";
export type {
  DataDescription,
  DatasetEntry,
  DatasetName,
  Datasets,
  Evaluation,
  FittedFeatures,
  InputFingerprint,
  RecordedRun,
  RowCleaning,
  RunMetrics,
  SplitPositions,
  SplitRows,
} from "./datasets.ts";
export { configSlice, defineNode } from "./node.ts";
export type {
  Lineage,
  NodeContext,
  NodeInputs,
  NodeLineage,
  NodeOutputs,
  PipelineNode,
} from "./node.ts";
export { codeVersion, nodesToRun, orderNodes, planPipeline, runPipeline } from "./runner.ts";
export type { PipelineResult, PlannedNode, RunPipelineOptions } from "./runner.ts";
export { buildTargets, encodeTargets, fitFeatures, rawInputColumns } from "./feature_nodes.ts";
export { evaluateSplits, fitModel } from "./model_nodes.ts";
export type { FitModelOptions } from "./model_nodes.ts";
export { pipelineGraph, pipelineStatus } from "./status.ts";
export { gitState } from "./record_node.ts";
export type { PipelineStatusOptions } from "./status.ts";
