/**
 * Profile proposals: from a data file and its target, a self-contained profile (data options,
 * validation, cleaning, split, features, model, metric) with a comment on every choice. One
 * concern per file; `deno task init` and `deno task validate --infer` call the same functions.
 *
 * @module
 */
export { sniffDialect, SNIFFED_SEPARATORS, splitLine } from "./sniff.ts";
export type { SniffedDialect } from "./sniff.ts";
export {
  DATE_FORMAT_CANDIDATES,
  describeColumns,
  findNullMarkers,
  NULL_MARKER_CANDIDATES,
} from "./column_facts.ts";
export type { ColumnFacts } from "./column_facts.ts";
export {
  DEFAULT_PROPOSE_VALIDATION_OPTIONS,
  proposeValidation,
  rangeWithMargin,
} from "./validation.ts";
export type { ProposeValidationOptions, ValidationProposal } from "./validation.ts";
export { assignRoles, MAX_FEATURE_NULL_SHARE } from "./roles.ts";
export type { ColumnRoles, DroppedColumn } from "./roles.ts";
export { MISSING_CATEGORY, proposeCleaning, SMALL_NULL_SHARE } from "./cleaning.ts";
export type { CleaningProposal } from "./cleaning.ts";
export { MAX_ONE_HOT_CATEGORIES, proposeFeatures } from "./features.ts";
export type { FeaturesProposal, ProposeFeaturesOptions } from "./features.ts";
export { isClassTarget, MAX_INTEGER_CLASSES, MIN_CLASS_ROWS, proposeTask } from "./task.ts";
export type { TaskProposal } from "./task.ts";
export {
  PROPOSED_FAMILIES,
  PROPOSED_GBDT_PARAMS,
  PROPOSED_MODEL,
  proposeProfile,
  proposeProfileForFile,
} from "./profile.ts";
export type {
  ProfileProposal,
  ProposalReadOptions,
  ProposedFamily,
  ProposeProfileForFileOptions,
  ProposeProfileOptions,
} from "./profile.ts";
export { proposalToYaml } from "./profile_yaml.ts";
export type { ProposalToYamlOptions } from "./profile_yaml.ts";
export type { ProposalComment, ProposalPath } from "./_comments.ts";
