/**
 * The training pipeline's node list: load → validate → clean → split → clean_splits → derive →
 * fit_features → describe → train → evaluate → record.
 *
 * @module
 */
import {
  CLEAN_NODE,
  CLEAN_SPLITS_NODE,
  DERIVE_NODE,
  LOAD_NODE,
  SPLIT_NODE,
  VALIDATE_NODE,
} from "./data_nodes.ts";
import { DESCRIBE_NODE, FIT_FEATURES_NODE } from "./feature_nodes.ts";
import { EVALUATE_NODE, TRAIN_NODE } from "./model_nodes.ts";
import { RECORD_NODE } from "./record_node.ts";
import type { PipelineNode } from "./node.ts";

/** The training pipeline's nodes, in run order. */
export const TRAINING_NODES: readonly PipelineNode[] = [
  LOAD_NODE,
  VALIDATE_NODE,
  CLEAN_NODE,
  SPLIT_NODE,
  CLEAN_SPLITS_NODE,
  DERIVE_NODE,
  FIT_FEATURES_NODE,
  DESCRIBE_NODE,
  TRAIN_NODE,
  EVALUATE_NODE,
  RECORD_NODE,
];
