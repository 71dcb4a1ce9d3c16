/**
 * The project config: zod schemas of `config/config.yaml`, `config/model_config.yaml` and
 * `config/logging_config.yaml`, the typed `Config` they produce, and the loader that reads the
 * files, merges a profile, applies environment and `--set` overrides and reports every problem
 * with its file, line and column.
 *
 * Notebooks and tasks call `loadConfig()` once and pass each step only the slice it needs
 * (`config.split`, `config.training`, ...).
 *
 * @module
 */
export {
  configToYaml,
  DEFAULT_LOAD_CONFIG_OPTIONS,
  ENV_PREFIX,
  findProjectRoot,
  loadConfig,
  parseConfig,
  resolveProjectPath,
} from "./load_config.ts";
export { MAX_ALIAS_COUNT, MAX_CONFIG_DEPTH, REPLACE_TAG } from "./yaml_layers.ts";
export {
  formatKeyPath,
  getAtKeyPath,
  parseKeyPath,
  readKeyPath,
  setAtKeyPath,
} from "./key_path.ts";
export type { KeyPathMiss, KeyPathSegment } from "./key_path.ts";
export type { LoadConfigOptions, LoadedConfig } from "./load_config.ts";
export {
  CleaningConfigSchema,
  ColumnRulesSchema,
  DataConfigSchema,
  DEFAULT_MODEL_FAMILY,
  DerivedFeatureSchema,
  DTYPES,
  FeaturesConfigSchema,
  FeatureStepSchema,
  LoggingFileSchema,
  MainConfigSchema,
  ModelConfigSchema,
  ModelFileSchema,
  modelFileSchema,
  modelParamsFamilies,
  NullStrategySchema,
  ProjectConfigSchema,
  registerModelParams,
  RegistryConfigSchema,
  SearchSpaceSchema,
  SelectorSpecSchema,
  ServeBatchingConfigSchema,
  ServeConfigSchema,
  ServeDriftConfigSchema,
  ServeTokenSchema,
  SplitConfigSchema,
  TOKEN_SCOPES,
  TrainingConfigSchema,
  TransformerSpecSchema,
  ValidationConfigSchema,
} from "./schema.ts";
export type {
  CleaningConfig,
  ColumnRules,
  Config,
  DataConfig,
  DerivedFeature,
  Dtype,
  FeaturesConfig,
  FeatureStep,
  LoggingConfig,
  ModelConfig,
  NullStrategy,
  ProjectConfig,
  RegistryConfig,
  SearchConfig,
  SelectorSpec,
  ServeConfig,
  SplitConfig,
  TargetRule,
  TokenScope,
  TrainingConfig,
  ValidationConfig,
} from "./schema.ts";
