/**
 * The record node: writes a run folder under `registry.experiments_dir` from the other nodes'
 * outputs, with the run's lineage (each node's cache key and whether it ran or came from the
 * cache).
 *
 * @module
 */
import pl from "nodejs-polars";
import * as tf from "@tensorflow/tfjs";
import { configToYaml } from "../../config/mod.ts";
import { createRunId, metricValue, RUN_ARTIFACTS, writeRunFolder } from "../../models/mod.ts";
import type { RunRecord } from "../../models/mod.ts";
import { buildRunReport } from "../_report_html.ts";
import { configSlice, defineNode } from "./node.ts";

/** Records the run folder: config, schema, features, cleaning, model, metrics, reports. */
export const RECORD_NODE = defineNode({
  name: "record",
  description: "write the run folder under models/experiments (atomically)",
  stage: "record",
  inputs: [
    "input",
    "validation",
    "cleaning",
    "cleaning_state",
    "features",
    "description",
    "model",
    "history",
    "evaluation",
    "split_rows",
  ],
  outputs: ["run"],
  code: ["models", "pipelines"],
  cached: false,
  config: (config) => configSlice(config, ["project", "registry"]),
  async run(inputs, context) {
    const { features, description, model, history, evaluation } = inputs;
    if (!context.loaded) {
      throw new TypeError(`Cannot record a run: the node context has no loaded config`);
    }
    const { config, root, hash } = context.loaded;
    const primaryMetric = config.registry.primary_metric;
    const relative = (path: string) =>
      path.startsWith(root + "/") ? path.slice(root.length + 1) : path;
    const started = context.started ?? new Date();
    const lineage = context.lineage?.() ?? { stages: {}, nodes: [] };
    const record: Omit<RunRecord, "artifacts"> = {
      format_version: 1,
      id: createRunId(started, config.project.name, hash),
      created: new Date().toISOString(),
      project: config.project.name,
      profile: context.profile ?? null,
      task: config.data.task,
      family: config.model.family,
      git: await gitState(root, [
        ...configFiles(context.loaded.sources),
        relative(inputs.input.path),
      ]),
      versions: {
        deno: Deno.version.deno,
        typescript: Deno.version.typescript,
        tfjs: tf.version_core,
        tfjs_backend: tf.getBackend(),
        "nodejs-polars": String((pl as unknown as { version?: string }).version ?? "unknown"),
      },
      seeds: { split: config.split.seed, training: config.training.seed },
      config_hash: hash,
      data: [{ ...inputs.input, path: relative(inputs.input.path) }],
      test_fingerprint: description.testFingerprint,
      rows: {
        raw: inputs.input.rows,
        clean: description.rows.train + description.rows.val + description.rows.test,
        ...description.rows,
      },
      primary: {
        metric: primaryMetric,
        val: metricValue(evaluation.model.val, primaryMetric),
        test: metricValue(evaluation.model.test, primaryMetric),
      },
      stages: lineage.stages,
      lineage: lineage.nodes,
    };
    if (context.record === false) {
      return { run: { id: record.id, dir: null, record: { ...record, artifacts: {} } } };
    }
    const reports = {
      validation: inputs.validation,
      cleaning: inputs.cleaning,
      selection: features.selection,
    };
    const metrics = { primary_metric: primaryMetric, ...evaluation };
    const configYaml = configToYaml(config, root);
    const written = await writeRunFolder(config.registry.experiments_dir, record, async (dir) => {
      const artifacts = RUN_ARTIFACTS;
      await artifacts.config.write(dir, configYaml);
      await artifacts.schema.write(dir, description.signature);
      await artifacts.features.write(dir, {
        pipeline: features.pipeline.toJSON(),
        selector: features.selector?.toJSON() ?? null,
        names: features.names,
      });
      await artifacts.cleaning.write(dir, { state: inputs.cleaning_state });
      await artifacts.model.write(dir, model);
      await artifacts.metrics.write(dir, metrics);
      await artifacts.history.write(dir, history);
      await artifacts.profile.write(dir, description.profile);
      await artifacts.reports.write(dir, reports);
      const splitRows = inputs.split_rows;
      await artifacts.split.write(dir, {
        format_version: 1,
        data: {
          path: relative(inputs.input.path),
          sha256: inputs.input.sha256,
          rows: splitRows.input_rows,
        },
        rows: { ...description.rows },
        train: splitRows.train,
        val: splitRows.val,
        test: splitRows.test,
      });
      // Written with the run, so a finished run always has its report; it is derived, so it
      // stays out of the checksums and `deno task report` may rebuild it.
      await artifacts.report.write(
        dir,
        await buildRunReport({
          record,
          configYaml,
          target: config.data.target,
          metrics,
          history,
          reports,
          model,
          names: features.names,
          inputColumns: features.pipeline.inputColumns(),
          splitRecorded: true,
        }, { test: { x: features.x.test, y: features.y.test }, logger: context.logger }),
      );
    });
    context.logger.info("Recorded run {id} in {dir}", {
      id: written.record.id,
      dir: written.dir,
    });
    return { run: { id: written.record.id, dir: written.dir, record: written.record } };
  },
});

/**
 * Reads the git state of the project for a run record: the commit, and whether the work tree
 * differs from it in a way that matters to the run.
 *
 * A run is dirty when a tracked file is modified, or when one of the files the run read (its
 * config files, its profile, its data) is untracked: a run trained from an untracked profile
 * cannot be rebuilt from the commit. Ignored files (pulled data) do not count.
 *
 * @param root the project root (a git work tree, or not)
 * @param files the files the run read, relative to the root, e.g. `["config/config.yaml",
 *   "config/profiles/cars.yaml"]`; paths outside the root are skipped
 * @returns `{ commit, dirty }`, both `null` when git or the repository is missing
 * @example
 * ```ts
 * await gitState(".", ["config/config.yaml", "config/profiles/mine.yaml"]);
 * // { commit: "3f2a…", dirty: true } when config/profiles/mine.yaml is untracked
 * ```
 */
export async function gitState(
  root: string,
  files: readonly string[] = [],
): Promise<RunRecord["git"]> {
  const run = async (args: string[]) => {
    try {
      const out = await new Deno.Command("git", {
        args,
        cwd: root,
        stdout: "piped",
        stderr: "null",
      })
        .output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
    } catch {
      return null; // git is not installed: the run records that it does not know.
    }
  };
  const commit = await run(["rev-parse", "HEAD"]);
  if (commit === null) return { commit, dirty: null };
  const tracked = await run(["status", "--porcelain", "--untracked-files=no"]);
  const inside = files.filter((file) =>
    file.length > 0 && !file.startsWith("../") && !file.startsWith("/") && file !== ".."
  );
  const read = inside.length === 0
    ? ""
    : await run(["status", "--porcelain", "--untracked-files=all", "--", ...inside]);
  if (tracked === null || read === null) return { commit, dirty: null };
  return { commit, dirty: tracked.length > 0 || read.length > 0 };
}

/** The config files among `loadConfig`'s sources, which also list `env NAME` and `--set` entries. */
function configFiles(sources: readonly string[]): string[] {
  return sources.filter((source) => !source.startsWith("env ") && !source.startsWith("--set "));
}
