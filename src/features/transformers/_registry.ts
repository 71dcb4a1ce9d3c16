/**
 * The transformer registry: maps each `kind` to its params schema, its constructor and its
 * `fromJSON`, so config specs and saved artifacts turn into transformers.
 *
 * @module
 */
import type { z } from "zod";
import { ArtifactError, ConfigError, didYouMean } from "../../errors.ts";
import type { ConfigIssue } from "../../errors.ts";
import { formatValue, listNames, objectKeys, paramIssues } from "./_base.ts";
import type { Transformer, TransformerState } from "./_base.ts";
import { LOG1P_TRANSFORMER_PARAMS, Log1pTransformer } from "./log1p_transformer.ts";
import type { Log1pTransformerOptions } from "./log1p_transformer.ts";
import { MIN_MAX_SCALER_PARAMS, MinMaxScaler } from "./min_max_scaler.ts";
import type { MinMaxScalerOptions } from "./min_max_scaler.ts";
import { ONE_HOT_ENCODER_PARAMS, OneHotEncoder } from "./one_hot_encoder.ts";
import type { OneHotEncoderOptions } from "./one_hot_encoder.ts";
import { ORDINAL_ENCODER_PARAMS, OrdinalEncoder } from "./ordinal_encoder.ts";
import type { OrdinalEncoderOptions } from "./ordinal_encoder.ts";
import { QUANTILE_BINNER_PARAMS, QuantileBinner } from "./quantile_binner.ts";
import type { QuantileBinnerOptions } from "./quantile_binner.ts";
import { ROBUST_SCALER_PARAMS, RobustScaler } from "./robust_scaler.ts";
import type { RobustScalerOptions } from "./robust_scaler.ts";
import { SIMPLE_IMPUTER_PARAMS, SimpleImputer } from "./simple_imputer.ts";
import type { SimpleImputerOptions } from "./simple_imputer.ts";
import { STANDARD_SCALER_PARAMS, StandardScaler } from "./standard_scaler.ts";
import type { StandardScalerOptions } from "./standard_scaler.ts";

/** A transformer as written in config: `{ kind: OneHotEncoder, params: { top_n: 20 } }`. */
export interface TransformerSpec {
  /** Registry key, e.g. `"OneHotEncoder"`. */
  kind: string;
  /** Constructor options, snake_case as in YAML. */
  params: Record<string, unknown>;
}

interface RegistryEntry {
  params: z.ZodType;
  // Params reach create() only after `params` accepted them.
  create(params: unknown): Transformer;
  fromJSON(json: TransformerState): Transformer;
}

const REGISTRY: Record<string, RegistryEntry> = {
  StandardScaler: {
    params: STANDARD_SCALER_PARAMS,
    create: (params) => new StandardScaler(params as StandardScalerOptions),
    fromJSON: (json) => StandardScaler.fromJSON(json),
  },
  MinMaxScaler: {
    params: MIN_MAX_SCALER_PARAMS,
    create: (params) => new MinMaxScaler(params as MinMaxScalerOptions),
    fromJSON: (json) => MinMaxScaler.fromJSON(json),
  },
  RobustScaler: {
    params: ROBUST_SCALER_PARAMS,
    create: (params) => new RobustScaler(params as RobustScalerOptions),
    fromJSON: (json) => RobustScaler.fromJSON(json),
  },
  OneHotEncoder: {
    params: ONE_HOT_ENCODER_PARAMS,
    create: (params) => new OneHotEncoder(params as OneHotEncoderOptions),
    fromJSON: (json) => OneHotEncoder.fromJSON(json),
  },
  OrdinalEncoder: {
    params: ORDINAL_ENCODER_PARAMS,
    create: (params) => new OrdinalEncoder(params as OrdinalEncoderOptions),
    fromJSON: (json) => OrdinalEncoder.fromJSON(json),
  },
  SimpleImputer: {
    params: SIMPLE_IMPUTER_PARAMS,
    create: (params) => new SimpleImputer(params as SimpleImputerOptions),
    fromJSON: (json) => SimpleImputer.fromJSON(json),
  },
  Log1pTransformer: {
    params: LOG1P_TRANSFORMER_PARAMS,
    create: (params) => new Log1pTransformer(params as Log1pTransformerOptions),
    fromJSON: (json) => Log1pTransformer.fromJSON(json),
  },
  QuantileBinner: {
    params: QUANTILE_BINNER_PARAMS,
    create: (params) => new QuantileBinner(params as QuantileBinnerOptions),
    fromJSON: (json) => QuantileBinner.fromJSON(json),
  },
};

/** Every registered transformer kind, in registry order. */
export const TRANSFORMER_KINDS: readonly string[] = Object.freeze(Object.keys(REGISTRY));

/**
 * Lists every registered transformer kind, in registry order: the kinds config may name and
 * the contract tests run over.
 *
 * @returns the kinds
 * @example
 * ```ts
 * transformerKinds().includes("StandardScaler"); // true
 * ```
 */
export function transformerKinds(): string[] {
  return [...TRANSFORMER_KINDS];
}

/**
 * Builds an unfitted transformer from a config spec, checking its params early so a typo fails
 * at config time with its key path rather than at fit time.
 *
 * @param spec the kind and snake_case params, as in `features.steps[i].transformers[j]`
 * @param path the spec's key path in config, e.g. `features.steps[1].transformers[0]`
 * @returns the transformer, not fitted
 * @throws {ConfigError} for an unknown kind (with a close match) or invalid params; each issue
 *   names its full key path, e.g. `features.steps[1].transformers[0].params.top_n`
 * @example
 * ```ts
 * const encoder = createTransformer(
 *   { kind: "OneHotEncoder", params: { top_n: 20 } },
 *   "features.steps[1].transformers[0]",
 * );
 * ```
 */
export function createTransformer(spec: TransformerSpec, path: string): Transformer {
  const entry = Object.hasOwn(REGISTRY, spec.kind) ? REGISTRY[spec.kind] : undefined;
  if (entry === undefined) {
    const message = `unknown transformer ${formatValue(spec.kind)}${
      didYouMean(String(spec.kind), TRANSFORMER_KINDS)
    } (known: ${listNames(TRANSFORMER_KINDS)})`;
    throw new ConfigError(`Cannot create transformer: ${path}.kind: ${message}`, [
      configIssue(`${path}.kind`, message),
    ]);
  }
  const params = spec.params ?? {};
  const result = entry.params.safeParse(params);
  if (!result.success) {
    const issues = paramIssues(result.error.issues, params, objectKeys(entry.params)).map((issue) =>
      configIssue(
        issue.path === "" ? `${path}.params` : `${path}.params.${issue.path}`,
        issue.message,
      )
    );
    throw new ConfigError(
      `Cannot create transformer "${spec.kind}": ${
        issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")
      }`,
      issues,
    );
  }
  return entry.create(result.data);
}

/**
 * Rebuilds a fitted transformer from its `toJSON()` output, choosing the class by `kind`.
 *
 * @param json a `{ kind, version, params, state }` object read from an artifact
 * @returns the fitted transformer
 * @throws {ArtifactError} for a missing or unknown kind, or a state its class refuses
 * @example
 * ```ts
 * const scaler = transformerFromJson(JSON.parse(text));
 * ```
 */
export function transformerFromJson(json: unknown): Transformer {
  const kind = typeof json === "object" && json !== null
    ? (json as Record<string, unknown>).kind
    : undefined;
  if (typeof kind !== "string") {
    throw new ArtifactError(
      `Cannot load transformer from JSON: expected an object with a string "kind", got ${
        formatValue(json)
      }`,
    );
  }
  const entry = Object.hasOwn(REGISTRY, kind) ? REGISTRY[kind] : undefined;
  if (entry === undefined) {
    throw new ArtifactError(
      `Cannot load transformer from JSON: unknown kind "${kind}"${
        didYouMean(kind, TRANSFORMER_KINDS)
      } (known: ${
        listNames(TRANSFORMER_KINDS)
      }); the artifact was written by a newer or different version`,
    );
  }
  return entry.fromJSON(json as TransformerState);
}

function configIssue(path: string, message: string): ConfigIssue {
  // A spec no longer knows where in which file it was written: 0 and "" mean unknown.
  return { file: "", line: 0, column: 0, path, message };
}
