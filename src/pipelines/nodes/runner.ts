/**
 * The pipeline runner: wires declared nodes by their dataset names, computes each node's cache
 * key, and produces the requested datasets by pulling: a dataset comes from memory, from a
 * verified stage-cache entry, or from running its node (whose inputs are pulled in turn).
 *
 * A node's key is the sha256 of its name, its inputs' keys, its config slice, the fingerprints
 * of its external inputs and the source of its code folders, so a change anywhere upstream
 * changes every key below it (as DVC's stage hashes do). Datasets no pending node needs are
 * dropped as soon as their last consumer has run, so a pipeline holds no more frames at once
 * than the stages hand to each other.
 *
 * @module
 */
import { ArtifactError } from "../../errors.ts";
import { canonicalJson, sha256Hex } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import {
  discardCacheEntry,
  readCachedFile,
  readCacheEntry,
  removeCacheLeftovers,
  writeCacheEntry,
} from "../cache/mod.ts";
import type { CacheEntry } from "../cache/mod.ts";
import { DATASETS } from "./datasets.ts";
import type { DatasetName, Datasets } from "./datasets.ts";
import type { Lineage, NodeContext, NodeLineage, PipelineNode } from "./node.ts";

/** Version of the key recipe: bump it to invalidate every entry. */
const KEY_VERSION = 1;

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions<T extends DatasetName> {
  /** The datasets to produce. */
  targets: readonly T[];
  /**
   * The stage cache folder; `null` computes every node and writes no cache.
   * @default null
   */
  cacheDir?: string | null;
  /** Datasets the caller already has: their producers do not run. @default {} */
  given?: Partial<Datasets>;
}

/** What {@link runPipeline} produced. */
export interface PipelineResult<T extends DatasetName> {
  /** The requested datasets. */
  values: { [K in T]: Datasets[K] };
  /** Seconds per stage and what each node did. */
  lineage: Lineage;
}

/** A node's place in a planned run. */
export interface PlannedNode {
  node: PipelineNode;
  /** Its cache key, or `null` when it depends on a dataset given by the caller. */
  key: string | null;
  /** Its cache entry's manifest when one exists and the node is cacheable. */
  entry: CacheEntry | null;
  /** What its `external` returned (empty without it). */
  external: Record<string, string>;
}

/**
 * Orders nodes so that every node comes after the producers of its inputs, checking that each
 * input is produced by exactly one node (or given) and that there is no cycle.
 *
 * @param nodes the pipeline's nodes
 * @param given names of datasets the caller provides
 * @returns the nodes in run order
 * @throws {TypeError} when two nodes share a name or an output, an input has no producer, or
 *   the nodes form a cycle
 * @example
 * ```ts
 * const ordered = orderNodes(TRAINING_NODES);
 * ```
 */
export function orderNodes(
  nodes: readonly PipelineNode[],
  given: readonly string[] = [],
): PipelineNode[] {
  const producers = new Map<string, PipelineNode>();
  const names = new Set<string>();
  for (const node of nodes) {
    if (names.has(node.name)) {
      throw new TypeError(`Cannot build the pipeline: two nodes are named "${node.name}"`);
    }
    names.add(node.name);
    for (const output of node.outputs) {
      const other = producers.get(output);
      if (other) {
        throw new TypeError(
          `Cannot build the pipeline: nodes "${other.name}" and "${node.name}" both produce "${output}"; rename one output`,
        );
      }
      producers.set(output, node);
    }
  }
  for (const node of nodes) {
    for (const input of node.inputs) {
      if (!producers.has(input) && !given.includes(input)) {
        throw new TypeError(
          `Cannot build the pipeline: node "${node.name}" declares the input "${input}", which no node produces and the caller did not give; add its producer or pass it in "given"`,
        );
      }
    }
  }
  const ordered: PipelineNode[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (node: PipelineNode, path: string[]) => {
    if (state.get(node.name) === "done") return;
    if (state.get(node.name) === "visiting") {
      throw new TypeError(
        `Cannot build the pipeline: its nodes form a cycle (${[...path, node.name].join(" → ")})`,
      );
    }
    state.set(node.name, "visiting");
    for (const input of node.inputs) {
      const producer = producers.get(input);
      if (producer && !given.includes(input)) visit(producer, [...path, node.name]);
    }
    state.set(node.name, "done");
    ordered.push(node);
  };
  for (const node of nodes) visit(node, []);
  return ordered;
}

/**
 * Computes every node's cache key and looks up its cache entry, without running anything.
 *
 * @param nodes the pipeline's nodes
 * @param context the config and logger
 * @param options the cache folder and the given datasets
 * @returns the nodes in run order with their keys and entries
 * @throws {TypeError} when the nodes are miswired (see {@link orderNodes})
 * @example
 * ```ts
 * for (const p of await planPipeline(TRAINING_NODES, context, { cacheDir })) console.log(p.node.name, p.entry ? "cached" : "would run");
 * ```
 */
export async function planPipeline(
  nodes: readonly PipelineNode[],
  context: NodeContext,
  options: { cacheDir?: string | null; given?: readonly string[] } = {},
): Promise<PlannedNode[]> {
  const given = options.given ?? [];
  const ordered = orderNodes(nodes, given);
  const producerKey = new Map<string, string | null>();
  const planned: PlannedNode[] = [];
  for (const node of ordered) {
    const inputs: Record<string, string> = {};
    const external = node.external ? await node.external(context) : {};
    let key: string | null = null;
    if (node.inputs.every((input) => !given.includes(input) && producerKey.get(input))) {
      for (const input of node.inputs) inputs[input] = producerKey.get(input) as string;
      key = await sha256Hex(canonicalJson({
        version: KEY_VERSION,
        node: node.name,
        inputs,
        config: node.config(context.config),
        external,
        code: await codeVersion(node.code),
      }));
    }
    for (const output of node.outputs) producerKey.set(output, key);
    const entry = key !== null && node.cached && options.cacheDir
      ? await readCacheEntry(options.cacheDir, key, context.logger)
      : null;
    planned.push({ node, key, entry: entry?.node === node.name ? entry : null, external });
  }
  return planned;
}

/**
 * Produces the requested datasets, running only the nodes whose outputs are not in the cache.
 *
 * Each cached output is verified (size, sha256, decoding) before use; a failing entry is
 * reported, removed and its node runs again. A cache folder that cannot be written is reported
 * once and the run goes on without writing to it.
 *
 * @param nodes the pipeline's nodes
 * @param context config, logger and hooks for the nodes
 * @param options the targets, the cache folder and the given datasets
 * @returns the targets and the lineage
 * @throws {TypeError} when the nodes are miswired or a node does not return a declared output
 * @throws whatever a node throws; nothing is cached for a node that failed
 * @example
 * ```ts
 * const { values, lineage } = await runPipeline(TRAINING_NODES, context, { targets: ["prepared"], cacheDir: "data/processed/cache" });
 * ```
 */
export async function runPipeline<T extends DatasetName>(
  nodes: readonly PipelineNode[],
  context: NodeContext,
  options: RunPipelineOptions<T>,
): Promise<PipelineResult<T>> {
  const cacheDir = await usableCacheDir(options.cacheDir ?? null, context.logger);
  const given = options.given ?? {};
  const givenNames = Object.keys(given);
  const plan = await planPipeline(nodes, context, { cacheDir, given: givenNames });
  const byOutput = new Map<string, PlannedNode>();
  for (const planned of plan) {
    for (const output of planned.node.outputs) byOutput.set(output, planned);
  }
  if (cacheDir) await removeCacheLeftovers(cacheDir, context.logger);

  const values = new Map<string, unknown>(Object.entries(given));
  const targets = new Set<string>(options.targets);
  const pending = consumersToRun(plan, options.targets, givenNames);
  const stages: Record<string, number> = {};
  for (const { node } of plan) stages[node.stage] ??= 0;
  const done = new Map<string, NodeLineage>();
  let writable = cacheDir !== null;
  const lineage = (): Lineage => ({
    stages: { ...stages },
    nodes: plan.map(({ node, key, entry }) =>
      done.get(node.name) ?? {
        node: node.name,
        key: key ?? "",
        status: givenNames.some((g) => node.outputs.includes(g as DatasetName))
          ? "given"
          : entry
          ? "cached"
          : "skipped",
        seconds: 0,
      }
    ),
  });
  const nodeContext: NodeContext = { ...context, lineage };
  const note = (planned: PlannedNode, status: NodeLineage["status"], seconds: number) => {
    const { node } = planned;
    const before = done.get(node.name);
    const first = before === undefined || (status === "ran" && before.seconds === 0);
    stages[node.stage] = (stages[node.stage] ?? 0) + seconds;
    done.set(node.name, {
      node: node.name,
      key: planned.key ?? "",
      status: before?.status === "ran" ? "ran" : status,
      seconds: (before?.seconds ?? 0) + seconds,
    });
    if (first) {
      context.logger.debug("Stage {node}: {status} ({seconds} s)", {
        node: node.name,
        status: status === "ran" ? "ran" : "cached",
        seconds: Number(seconds.toFixed(3)),
      });
    }
  };

  const readCached = async (planned: PlannedNode, name: string): Promise<boolean> => {
    const entry = planned.entry;
    const codec = DATASETS[name as DatasetName].codec;
    if (!entry || !codec || !cacheDir || !(name in entry.outputs)) return false;
    const start = performance.now();
    try {
      const value = await codec.read(
        (file) => readCachedFile(cacheDir, entry, file),
        name,
        entry.outputs[name],
      );
      values.set(name, value);
      note(planned, "cached", (performance.now() - start) / 1000);
      return true;
    } catch (cause) {
      if (!(cause instanceof ArtifactError)) throw cause;
      await discardCacheEntry(cacheDir, entry.key, cause.message, context.logger);
      planned.entry = null;
      return false;
    }
  };

  const ensure = async (name: string): Promise<void> => {
    if (values.has(name)) return;
    const planned = byOutput.get(name);
    if (!planned) throw new TypeError(`Cannot produce "${name}": no node of the pipeline does`);
    if (await readCached(planned, name)) return;
    const { node } = planned;
    for (const input of node.inputs) await ensure(input);
    context.signal?.throwIfAborted();
    const inputs = Object.fromEntries(node.inputs.map((input) => [input, values.get(input)]));
    const start = performance.now();
    // Running from here on: a node that reads the lineage while it runs (record) sees itself so.
    done.set(node.name, { node: node.name, key: planned.key ?? "", status: "ran", seconds: 0 });
    const outputs = await node.run(inputs as never, nodeContext, planned.external) as Record<
      string,
      unknown
    >;
    for (const output of node.outputs) {
      if (!(output in outputs)) {
        throw new TypeError(
          `Cannot run node "${node.name}": it returned no "${output}", which it declares as an output`,
        );
      }
      values.set(output, outputs[output]);
    }
    if (writable && node.cached && planned.key !== null && cacheDir) {
      try {
        planned.entry = await writeCacheEntry(
          cacheDir,
          { key: planned.key, node: node.name, inputs: inputKeys(planned, byOutput) },
          async (out) => {
            const described: Record<string, unknown> = {};
            for (const output of node.outputs) {
              const codec = DATASETS[output].codec;
              if (codec) {
                described[output] = await codec.write(out, output, outputs[output] as never);
              }
            }
            return described;
          },
        );
      } catch (cause) {
        if (!(cause instanceof ArtifactError)) throw cause;
        writable = false;
        context.logger.warning(
          "{error}. The stages still run; nothing more is cached in this run",
          { error: cause.message },
        );
      }
    }
    note(planned, "ran", (performance.now() - start) / 1000);
    // Free what no node still to run needs.
    for (const input of node.inputs) {
      const left = (pending.get(input) ?? 1) - 1;
      pending.set(input, left);
      if (left <= 0 && !targets.has(input) && !(input in given)) values.delete(input);
    }
  };

  for (const target of options.targets) await ensure(target);
  const out = Object.fromEntries(options.targets.map((t) => [t, values.get(t)]));
  return { values: out as { [K in T]: Datasets[K] }, lineage: lineage() };
}

/**
 * Tells which nodes must run to produce the targets: those whose outputs are needed and not in
 * the cache (an entry that later fails its check adds its node at run time).
 *
 * @param plan the planned nodes
 * @param targets the datasets wanted
 * @param given names of datasets the caller provides
 * @returns the planned nodes that will run
 * @example
 * ```ts
 * const running = nodesToRun(await planPipeline(nodes, context, { cacheDir }), ["run"]);
 * ```
 */
export function nodesToRun(
  plan: readonly PlannedNode[],
  targets: readonly string[],
  given: readonly string[] = [],
): Set<PlannedNode> {
  const byOutput = new Map<string, PlannedNode>();
  for (const planned of plan) {
    for (const output of planned.node.outputs) byOutput.set(output, planned);
  }
  const willRun = new Set<PlannedNode>();
  const need = (name: string) => {
    if (given.includes(name)) return;
    const planned = byOutput.get(name);
    if (!planned || willRun.has(planned)) return;
    const codec = DATASETS[name as DatasetName].codec;
    if (planned.entry && codec && name in planned.entry.outputs) return;
    willRun.add(planned);
    for (const input of planned.node.inputs) need(input);
  };
  for (const target of targets) need(target);
  return willRun;
}

/** How many nodes that will run read each dataset. */
function consumersToRun(
  plan: readonly PlannedNode[],
  targets: readonly string[],
  given: readonly string[],
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const planned of nodesToRun(plan, targets, given)) {
    for (const input of planned.node.inputs) counts.set(input, (counts.get(input) ?? 0) + 1);
  }
  return counts;
}

function inputKeys(
  planned: PlannedNode,
  byOutput: ReadonlyMap<string, PlannedNode>,
): Record<string, string> {
  return Object.fromEntries(
    planned.node.inputs.map((input) => [input, byOutput.get(input)?.key ?? ""]),
  );
}

/** The cache folder, created when missing; `null` (with one warning) when it cannot be. */
async function usableCacheDir(dir: string | null, logger: Logger): Promise<string | null> {
  if (dir === null) return null;
  try {
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  } catch (cause) {
    logger.warning(
      "Cannot use the stage cache under {dir}: {error}; every stage runs and nothing is cached (check that the folder is writable, or run with --no-cache)",
      { dir, error: (cause as Error).message },
    );
    return null;
  }
}

const codeVersions = new Map<string, Promise<string>>();

/**
 * The sha256 of the TypeScript sources under the given `src/` folders, so an edit to the code
 * a node runs changes its key.
 *
 * @param folders folder names under `src/`, e.g. `["data", "utils"]`
 * @returns the hash, memoised per process
 * @example
 * ```ts
 * await codeVersion(["data"]); // "3f2a..."
 * ```
 */
export function codeVersion(folders: readonly string[]): Promise<string> {
  const id = [...folders].sort().join(",");
  let version = codeVersions.get(id);
  if (!version) {
    version = hashSources([...folders].sort());
    codeVersions.set(id, version);
  }
  return version;
}

async function hashSources(folders: readonly string[]): Promise<string> {
  const src = new URL("../../", import.meta.url);
  const parts: string[] = [];
  const walk = async (url: URL, relative: string) => {
    const names: Array<{ name: string; dir: boolean }> = [];
    for await (const item of Deno.readDir(url)) {
      names.push({ name: item.name, dir: item.isDirectory });
    }
    for (const { name, dir } of names.sort((a, b) => a.name.localeCompare(b.name))) {
      if (dir) await walk(new URL(`${name}/`, url), `${relative}${name}/`);
      else if (name.endsWith(".ts")) {
        parts.push(`${relative}${name}`, await sha256Hex(await Deno.readFile(new URL(name, url))));
      }
    }
  };
  for (const folder of folders) await walk(new URL(`${folder}/`, src), `${folder}/`);
  return await sha256Hex(parts.join("\n"));
}
