/**
 * The pipeline as a graph, with what a run of the current config would do at each node (as
 * `dvc status` tells): cached, would run, not needed, or runs every time.
 *
 * @module
 */
import type { LoadedConfig } from "../../config/mod.ts";
import { getProjectLogger } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import { pipelineChart } from "../../viz/mod.ts";
import type { PipelineGraph, TopLevelSpec } from "../../viz/mod.ts";
import { TRAINING_NODES } from "./training_nodes.ts";
import type { PipelineNode } from "./node.ts";
import { nodesToRun, planPipeline } from "./runner.ts";

/** Options of {@link pipelineStatus} and {@link pipelineGraph}. */
export interface PipelineStatusOptions {
  /**
   * The stage cache folder; `null` reports every cacheable node as "would run".
   * @default `<root>/data/processed/cache`
   */
  cacheDir?: string | null;
  /** The nodes. @default TRAINING_NODES */
  nodes?: readonly PipelineNode[];
  /** Where discarded cache entries are reported. @default the "pipeline" project logger */
  logger?: Logger;
}

/**
 * Tells, for the current config, what a training run would do at each node, without running
 * anything.
 *
 * @param loaded the loaded config
 * @param options the cache folder and the nodes
 * @returns one row per node in run order, with its inputs, outputs, config keys, cache key and
 *   status
 * @throws {ArtifactError} when the input file cannot be fingerprinted
 * @example
 * ```ts
 * const { nodes } = await pipelineStatus(await loadConfig());
 * nodes.map((n) => `${n.name}: ${n.status}`);
 * ```
 */
export async function pipelineStatus(
  loaded: LoadedConfig,
  options: PipelineStatusOptions = {},
): Promise<PipelineGraph> {
  const logger = options.logger ?? getProjectLogger("pipeline");
  const cacheDir = options.cacheDir === undefined
    ? `${loaded.root}/data/processed/cache`
    : options.cacheDir;
  const nodes = options.nodes ?? TRAINING_NODES;
  const plan = await planPipeline(nodes, { config: loaded.config, loaded, logger }, { cacheDir });
  const sinks = plan.filter(({ node }) =>
    !plan.some((other) => other.node.inputs.some((input) => node.outputs.includes(input)))
  ).flatMap(({ node }) => node.outputs);
  const running = nodesToRun(plan, sinks);
  return {
    nodes: plan.map((planned) => {
      const { node, key, entry } = planned;
      return {
        name: node.name,
        description: node.description,
        inputs: [...node.inputs],
        outputs: [...node.outputs],
        config: Object.keys(node.config(loaded.config)),
        key: key ?? "",
        status: !node.cached
          ? "always runs"
          : entry
          ? "cached"
          : running.has(planned)
          ? "would run"
          : "not needed",
      };
    }),
  };
}

/**
 * Draws the pipeline as a vega-lite chart: nodes in layers from load to record, coloured by
 * what a run of the current config would do, arrows from producers to consumers.
 *
 * @param loaded the loaded config
 * @param options the cache folder and the nodes
 * @returns the chart, for `show()` in a notebook or `renderSvg()`
 * @example
 * ```ts
 * await show(await pipelineGraph(await loadConfig()));
 * ```
 */
export async function pipelineGraph(
  loaded: LoadedConfig,
  options: PipelineStatusOptions = {},
): Promise<TopLevelSpec> {
  return pipelineChart(await pipelineStatus(loaded, options));
}
