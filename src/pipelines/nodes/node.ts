/**
 * What a pipeline node is: a pure function with named inputs and outputs, the config keys it
 * reads and the source folders its code lives in. The runner wires nodes by those names,
 * caches their outputs under a key made of all of it, and records lineage.
 *
 * @module
 */
import { getAtKeyPath, parseKeyPath } from "../../config/mod.ts";
import type { Config, LoadedConfig } from "../../config/mod.ts";
import type { TrainingCallbacks } from "../../models/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import type { DatasetName, Datasets } from "./datasets.ts";

/** What every node may use besides its inputs. */
export interface NodeContext {
  /** The resolved config. */
  config: Config;
  /** The loaded config (root, hash, files); the record node needs it. */
  loaded?: LoadedConfig;
  /** Where the node logs. */
  logger: Logger;
  /** Stops long nodes (training) between batches. */
  signal?: AbortSignal;
  /** Hooks into the training loop. */
  callbacks?: TrainingCallbacks;
  /** The profile file recorded with a run, root-relative. */
  profile?: string | null;
  /** When the run started (its id's time). */
  started?: Date;
  /** Whether the record node writes the run folder. @default true */
  record?: boolean;
  /** The run's lineage so far, set by the runner for the record node. */
  lineage?: () => Lineage;
  /**
   * The folder for out-of-core shards, which the caller removes when the run ends.
   * @default a new folder under data/processed/out_of_core/
   */
  shardDir?: string;
}

/** What one node did in a run: its cache key and whether it ran. */
export interface NodeLineage {
  node: string;
  /** The cache key: hash of the node, its inputs' keys, its config slice and its code. */
  key: string;
  /**
   * `ran`: computed in this run; `cached`: its outputs came from (or were already in) the stage
   * cache; `given`: its outputs were passed in by the caller; `skipped`: not needed, because
   * everything after it came from the cache.
   */
  status: "ran" | "cached" | "given" | "skipped";
  /** Seconds spent computing or reading it. */
  seconds: number;
}

/** A run's lineage: seconds per `run.json` stage and what each node did. */
export interface Lineage {
  stages: Record<string, number>;
  nodes: NodeLineage[];
}

/** Inputs a node receives: the named datasets it declared. */
export type NodeInputs<I extends DatasetName> = { [K in I]: Datasets[K] };
/** Outputs a node returns: the named datasets it declared. */
export type NodeOutputs<O extends DatasetName> = { [K in O]: Datasets[K] };

/**
 * A pipeline node.
 *
 * `run` must be a function of its inputs, its config slice and its code only: the runner reuses
 * a cached output whenever those three are unchanged.
 */
export interface PipelineNode<
  I extends DatasetName = DatasetName,
  O extends DatasetName = DatasetName,
> {
  /** Unique name, e.g. `"split"`. */
  readonly name: string;
  /** One line on what it does, for `deno task pipeline`. */
  readonly description: string;
  /** The `run.json` stage its time adds to (`load`, `clean`, `features`, ...). */
  readonly stage: string;
  /** Datasets it reads, produced by earlier nodes. */
  readonly inputs: readonly I[];
  /** Datasets it produces. */
  readonly outputs: readonly O[];
  /** Source folders under `src/` whose files are part of its cache key. */
  readonly code: readonly string[];
  /** Whether its outputs are kept in the stage cache. */
  readonly cached: boolean;
  /**
   * The config values it reads, keyed by their dotted path; part of its cache key.
   *
   * @param config the resolved config
   * @returns the slice
   */
  config(config: Config): Record<string, unknown>;
  /**
   * Fingerprints of what it reads from outside the pipeline (input files), part of its cache
   * key.
   *
   * @param context the run's context
   * @returns named fingerprints
   */
  external?(context: NodeContext): Promise<Record<string, string>>;
  /**
   * Computes the outputs.
   *
   * @param inputs the declared inputs
   * @param context config, logger, hooks
   * @param external what `external` returned for this run (empty without it)
   * @returns the declared outputs
   */
  run(
    inputs: NodeInputs<I>,
    context: NodeContext,
    external: Record<string, string>,
  ): Promise<NodeOutputs<O>> | NodeOutputs<O>;
}

/**
 * Declares a node with its input and output names checked against the dataset table.
 *
 * @param node the node
 * @returns the same node, typed for a list of nodes
 * @example
 * ```ts
 * const derive = defineNode({ name: "derive", inputs: ["cleaned"], outputs: ["prepared"], ... });
 * ```
 */
export function defineNode<I extends DatasetName, O extends DatasetName>(
  node: PipelineNode<I, O>,
): PipelineNode {
  return node as unknown as PipelineNode;
}

/**
 * Picks config values by key path (the grammar `--set` and search keys use), for a node's
 * `config` slice.
 *
 * @param config the resolved config
 * @param paths dotted paths such as `"split.method"` or `"cleaning"`
 * @returns the values keyed by path
 * @example
 * ```ts
 * configSlice(config, ["split", "data.target"]); // { split: {...}, "data.target": "Species" }
 * ```
 */
export function configSlice(config: Config, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths) out[path] = getAtKeyPath(config, parseKeyPath(path)) ?? null;
  return out;
}
