/**
 * Which stage-cache entries are in use: those a recorded run's lineage names (experiments and
 * production) and those the current config would read. `deno task cache --prune` keeps them.
 *
 * @module
 */
import type { LoadedConfig } from "../config/mod.ts";
import {
  listProductionProjects,
  listRunIds,
  PRODUCTION_RUNS_DIR,
  projectProductionDir,
  readRunFolder,
} from "../models/mod.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { planPipeline, TRAINING_NODES } from "./nodes/mod.ts";

/** The keys in use, and by what. */
export interface CacheUsage {
  /** Every key in use. */
  keys: Set<string>;
  /** Run ids by key, for the keys that recorded runs name. */
  runs: Map<string, string[]>;
  /** Keys the current config's pipeline would read. */
  current: Set<string>;
}

/**
 * Collects the cache keys that recorded runs and the current config use.
 *
 * Runs whose folders fail their checks are skipped with a warning: their lineage cannot be
 * trusted, and pruning must not stop because of them.
 *
 * @param loaded the loaded config (registry folders, pipeline config)
 * @param logger where skipped runs are reported
 * @returns the keys in use
 * @example
 * ```ts
 * const { keys } = await cacheKeysInUse(await loadConfig());
 * ```
 */
export async function cacheKeysInUse(
  loaded: LoadedConfig,
  logger: Logger = getProjectLogger("pipeline"),
): Promise<CacheUsage> {
  const { experiments_dir: experiments, production_dir: production } = loaded.config.registry;
  const runs = new Map<string, string[]>();
  // Every project's production copies keep their cache entries alive.
  const productionRuns = (await listProductionProjects(production)).map((project) =>
    `${projectProductionDir(production, project)}/${PRODUCTION_RUNS_DIR}`
  );
  for (const folder of [experiments, ...productionRuns]) {
    for (const id of await listRunIds(folder)) {
      try {
        const { record } = await readRunFolder(folder, id);
        for (const { key } of record.lineage ?? []) {
          if (key) runs.set(key, [...(runs.get(key) ?? []), id]);
        }
      } catch (cause) {
        logger.warning("Skipping run {id} while collecting cache keys: {error}", {
          id,
          error: (cause as Error).message,
        });
      }
    }
  }
  const plan = await planPipeline(TRAINING_NODES, { config: loaded.config, loaded, logger });
  const current = new Set(plan.flatMap(({ key }) => key ? [key] : []));
  return { keys: new Set([...runs.keys(), ...current]), runs, current };
}
