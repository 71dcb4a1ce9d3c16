/**
 * Changing production: promote a run through the gate, or roll back to an earlier one; both
 * swap the pointer atomically under the registry lock and log the change.
 *
 * @module
 */
import type { RegistryConfig } from "../../config/mod.ts";
import { ArtifactError, PromotionRefusedError } from "../../errors.ts";
import { getProjectLogger, removeLeftovers } from "../../utils/mod.ts";
import type { Logger } from "../../utils/mod.ts";
import { assertKnownMetric, numberOrNull } from "./_values.ts";
import { checkPromotionGate, type GateResult, type GateRun } from "./gate.ts";
import { readRunMetrics, type RunMetricsFile, selectBestRun } from "./listing.ts";
import type { RegistryLockOptions } from "./lock.ts";
import { resolveProductionDir } from "./project.ts";
import type { MetricValues, PromotionAction, PromotionLogEntry } from "./production.ts";
import { openProductionSlot } from "./production_slot.ts";
import { assertRunId, isPartialName, readRunFolder, RUN_FORMAT_VERSION } from "./run_folder.ts";
import { isS3Url } from "../../storage/mod.ts";

/** Options of {@link promoteRun}. */
export interface PromoteOptions {
  /**
   * The run to promote; `null` picks the best run by {@link selectBestRun} on the primary metric.
   * @default null
   */
  runId?: string | null;
  /**
   * Which runs compete when `runId` is `null`: those of this profile (see `selectBestRun`);
   * `null` lets every run of the project compete. Runs of other projects never compete.
   * @default null
   */
  match?: { profile: string | null } | null;
  /**
   * Promote even when the gate refuses (never when the candidate's files are corrupt).
   * @default false
   */
  force?: boolean;
  /**
   * Why: required with `force`; otherwise recorded instead of the gate summary.
   * @default null
   */
  reason?: string | null;
  /**
   * Check the gate and report what would happen without changing production.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Who promotes, for the log (the CLI passes `USER`).
   * @default null
   */
  user?: string | null;
  /**
   * Most runs kept in `history` (and as copies) for rollback, the current one included.
   * @default 10
   */
  keep?: number;
  /**
   * Where to log.
   * @default the "registry" project logger
   */
  logger?: Logger;
  /**
   * Lock timing.
   * @default DEFAULT_REGISTRY_LOCK_OPTIONS
   */
  lock?: RegistryLockOptions;
}

/** Defaults of {@link PromoteOptions} (the logger defaults to the "registry" project logger). */
export const DEFAULT_PROMOTE_OPTIONS: Readonly<Required<Omit<PromoteOptions, "logger">>> = {
  runId: null,
  match: null,
  force: false,
  reason: null,
  dryRun: false,
  user: null,
  keep: 10,
  lock: {},
};

/** The outcome of {@link promoteRun} and {@link rollbackProduction}. */
export interface PromotionResult {
  /** What was done (or, on a dry run, would be done). */
  action: PromotionAction;
  /** The run in production before, or `null`. */
  from: string | null;
  /** The run in production after. */
  to: string;
  /** The gate's verdict (always passing for a rollback). */
  gate: GateResult;
  /** The log line written, or `null` on a dry run. */
  entry: PromotionLogEntry | null;
  /** The production copy of `to`, or `null` on a dry run. */
  dir: string | null;
  /** Whether production was left unchanged on purpose. */
  dryRun: boolean;
}

/**
 * Promotes a run to the production of its project through the gate
 * ({@link checkPromotionGate}), under the project's registry lock.
 *
 * Production is kept per project, in `<registry.production_dir>/<project>/`; only a run of
 * `project` may enter it, and the gate compares it only with that project's production. The
 * candidate's checksums are verified first. The run folder is copied to
 * `<project>/runs/<id>/`, verified again, and `current.json` is renamed over the old pointer;
 * then a line is appended to `promotions.jsonl` and copies no longer in `history` are removed.
 * On any error before the rename, production is unchanged.
 *
 * @param registry the `registry` config slice (directories, primary metric, margin)
 * @param project the project whose production changes (`project.name`)
 * @param options the run (or how to pick one), force and reason, dry run, user, lock timing
 * @returns what changed and the log entry
 * @throws {PromotionRefusedError} when the gate refuses (listing every reason; a tie with
 *   production says so), the run belongs to another project (even with `force`), the run is
 *   already in production, or `force` is given without a reason
 * @throws {ArtifactError} when the run is unknown (with the closest id), a file of it is missing
 *   or altered (naming the file), the production copy is corrupt and `force` is not given, or
 *   production is in the layout from before it was kept per project
 * @throws {ConfigError} when the primary metric is unknown or the project name cannot be a folder
 * @throws {RegistryLockedError} when another promotion holds the lock for too long
 * @example
 * ```ts
 * const result = await promoteRun(config.registry, config.project.name, {
 *   runId: "20261127-074512-penguins-1a2b3c4d",
 * });
 * console.log(`${result.from} -> ${result.to}`);
 * ```
 */
export async function promoteRun(
  registry: RegistryConfig,
  project: string,
  options: PromoteOptions = {},
): Promise<PromotionResult> {
  const { runId, match, force, reason, dryRun, user, keep, lock } = {
    ...DEFAULT_PROMOTE_OPTIONS,
    ...options,
  };
  const logger = options.logger ?? getProjectLogger("registry");
  const metric = registry.primary_metric;
  assertKnownMetric(metric);
  if (!Number.isInteger(keep) || keep < 1) {
    throw new RangeError(`Cannot promote: keep is ${keep}, expected an integer >= 1`);
  }
  const givenReason = reason?.trim() || null;
  if (force && givenReason === null) {
    throw new PromotionRefusedError(
      `Cannot force a promotion without a reason: pass --reason "why the gate may be skipped"`,
    );
  }
  if (runId !== null) assertRunId(runId);
  const productionDir = await resolveProductionDir(registry, project);
  if (!isS3Url(registry.experiments_dir)) {
    await removeLeftovers(registry.experiments_dir, isPartialName, { logger });
  }
  const slot = openProductionSlot(productionDir, { logger, lock });

  // Run folders never change once written, so the candidate is checked before taking the lock:
  // an unknown or corrupt run fails without touching the production folder at all.
  const id = runId ??
    await selectBestRun(registry.experiments_dir, {
      metric,
      match: match === null ? { project } : { project, profile: match.profile },
    });
  const candidate = await readRunFolder(registry.experiments_dir, id);
  if (candidate.record.project !== project) {
    // Not even by force: production of one project must never serve another project's model.
    throw new PromotionRefusedError(
      `Cannot promote run "${id}" to the production of project "${project}": the run belongs to project "${candidate.record.project}", and production is kept per project; promote it with the profile of project "${candidate.record.project}" (--config), or train a run of project "${project}"`,
      [`run "${id}" belongs to project "${candidate.record.project}", not "${project}"`],
    );
  }
  const candidateMetrics = await readRunMetrics(candidate.dir);

  const work = async (): Promise<PromotionResult> => {
    await slot.tidy();
    const pointer = await slot.readPointer();
    let production: GateRun | null = null;
    let broken: string | null = null;
    if (pointer !== null) {
      try {
        const copy = await slot.openCopy(pointer.run_id);
        production = {
          id: pointer.run_id,
          record: copy.record,
          metrics: await readRunMetrics(copy.dir),
        };
      } catch (cause) {
        if (!(cause instanceof ArtifactError) || !force) {
          throw new ArtifactError(
            `${
              (cause as Error).message
            }; production was not changed (roll back with \`deno task rollback\`, or replace it with --force --reason "...")`,
            { cause },
          );
        }
        broken = `production run "${pointer.run_id}" is unreadable: ${cause.message}`;
        logger.warning("Production run {id} is unreadable and is replaced by force: {error}", {
          id: pointer.run_id,
          error: cause.message,
        });
      }
    }
    // Re-promoting the production run is pointless, unless by force to repair a broken copy.
    if (pointer?.run_id === id && broken === null) {
      throw new PromotionRefusedError(
        `Cannot promote run "${id}": it is already in production; train a better run, or return to the previous one with \`deno task rollback\``,
        [`run "${id}" is already in production`],
      );
    }

    const checked = checkPromotionGate(
      { id, record: candidate.record, metrics: candidateMetrics },
      production,
      { metric, minImprovement: registry.min_improvement },
    );
    const gate: GateResult = broken === null
      ? checked
      : { ok: false, reasons: [broken, ...checked.reasons], passed: checked.passed, tie: false };
    if (!gate.ok && !force) {
      const why = gate.tie && production !== null
        ? `it ties production run "${production.id}" of project "${project}" on test ${metric} (a tie does not replace production), production is unchanged`
        : "the gate refused it, production is unchanged";
      throw new PromotionRefusedError(
        `Cannot promote run "${id}": ${why}:\n${gate.reasons.map((r) => `  - ${r}`).join("\n")}\n${
          gate.tie ? "Train a run that beats production" : "Train a better run"
        }, or override with --force --reason "..."`,
        gate.reasons,
      );
    }
    const action: PromotionAction = gate.ok ? "promote" : "force";
    const from = pointer?.run_id ?? null;
    if (dryRun) return { action, from, to: id, gate, entry: null, dir: null, dryRun: true };

    const dir = await slot.installCopy(candidate);
    const history = [...(pointer?.history ?? []).filter((h) => h !== id), id].slice(-keep);
    const time = new Date().toISOString();
    const entry: PromotionLogEntry = {
      time,
      action,
      from,
      to: id,
      metric,
      metrics: {
        from: production === null ? null : metricValues(production.metrics, metric),
        to: metricValues(candidateMetrics, metric),
      },
      reason: givenReason ?? gate.passed.join("; "),
      overridden: gate.ok ? [] : gate.reasons,
      user,
    };
    await slot.swapPointer({
      format_version: RUN_FORMAT_VERSION,
      run_id: id,
      promoted_at: time,
      action,
      previous: history.at(-2) ?? null,
      history,
      log_entry: entry,
    });
    await slot.appendLog(entry);
    if (action === "force") {
      logger.warning("Forced promotion of {to} over {from}: {reason} (gate: {gate})", {
        to: id,
        from: from ?? "(empty)",
        reason: entry.reason,
        gate: gate.reasons.join("; "),
      });
    } else {
      logger.info("Promoted {to} over {from}", { to: id, from: from ?? "(empty)" });
    }
    await slot.prune(history);
    return { action, from, to: id, gate, entry, dir, dryRun: false };
  };
  return await slot.guard(work);
}

/** Options of {@link rollbackProduction}. */
export interface RollbackOptions {
  /**
   * Why, for the log.
   * @default null
   */
  reason?: string | null;
  /**
   * Who rolls back, for the log (the CLI passes `USER`).
   * @default null
   */
  user?: string | null;
  /**
   * Where to log.
   * @default the "registry" project logger
   */
  logger?: Logger;
  /**
   * Lock timing.
   * @default DEFAULT_REGISTRY_LOCK_OPTIONS
   */
  lock?: RegistryLockOptions;
}

/** Defaults of {@link RollbackOptions} (the logger defaults to the "registry" project logger). */
export const DEFAULT_ROLLBACK_OPTIONS: Readonly<Required<Omit<RollbackOptions, "logger">>> = {
  reason: null,
  user: null,
  lock: {},
};

/**
 * Returns production to the run promoted before the current one, under the registry lock, and
 * logs it.
 *
 * The earlier run's production copy is verified before the pointer is swapped; the current run
 * may be corrupt (rolling back is the remedy for that).
 *
 * @param registry the `registry` config slice
 * @param project the project whose production rolls back (`project.name`); other projects'
 *   production is untouched
 * @param options reason, user, lock timing
 * @returns the runs before and after and the log entry
 * @throws {ArtifactError} when production is empty, no earlier run is recorded, or the earlier
 *   run's copy is missing or altered (naming the file); production is then unchanged
 * @throws {RegistryLockedError} when another promotion holds the lock for too long
 * @example
 * ```ts
 * const { from, to } = await rollbackProduction(config.registry, config.project.name, {
 *   reason: "bad predictions",
 * });
 * ```
 */
export async function rollbackProduction(
  registry: RegistryConfig,
  project: string,
  options: RollbackOptions = {},
): Promise<PromotionResult> {
  const { reason, user, lock } = { ...DEFAULT_ROLLBACK_OPTIONS, ...options };
  const logger = options.logger ?? getProjectLogger("registry");
  const productionDir = await resolveProductionDir(registry, project);
  const slot = openProductionSlot(productionDir, { logger, lock });
  const empty = () =>
    new ArtifactError(
      `Cannot roll back project "${project}": its production in "${productionDir}" is empty; promote a run first with \`deno task promote\``,
    );
  // Checked before the lock too, so an empty slot fails without creating the folder.
  if ((await slot.readPointer()) === null) throw empty();
  const work = async (): Promise<PromotionResult> => {
    await slot.tidy();
    const pointer = await slot.readPointer();
    if (pointer === null) throw empty();
    const previous = pointer.history.at(-2);
    if (previous === undefined) {
      throw new ArtifactError(
        `Cannot roll back production run "${pointer.run_id}": no earlier promoted run is recorded; promote another run with \`deno task promote --run ID\` instead`,
      );
    }
    const target = await slot.openCopy(previous);
    const targetMetrics = await readRunMetrics(target.dir);
    let fromMetrics: MetricValues | null = null;
    try {
      const current = (await slot.openCopy(pointer.run_id)).dir;
      fromMetrics = metricValues(await readRunMetrics(current), registry.primary_metric);
    } catch {
      fromMetrics = null; // The run being rolled back may be the broken one.
    }
    const history = pointer.history.slice(0, -1);
    const time = new Date().toISOString();
    const entry: PromotionLogEntry = {
      time,
      action: "rollback",
      from: pointer.run_id,
      to: previous,
      metric: registry.primary_metric,
      metrics: {
        from: fromMetrics,
        to: metricValues(targetMetrics, registry.primary_metric),
      },
      reason: reason?.trim() || `rolled back from ${pointer.run_id}`,
      overridden: [],
      user,
    };
    await slot.swapPointer({
      format_version: RUN_FORMAT_VERSION,
      run_id: previous,
      promoted_at: time,
      action: "rollback",
      previous: history.at(-2) ?? null,
      history,
      log_entry: entry,
    });
    await slot.appendLog(entry);
    logger.info("Rolled production back from {from} to {to}", {
      from: pointer.run_id,
      to: previous,
    });
    await slot.prune(history);
    const gate: GateResult = { ok: true, reasons: [], passed: [], tie: false };
    return {
      action: "rollback",
      from: pointer.run_id,
      to: previous,
      gate,
      entry,
      dir: target.dir,
      dryRun: false,
    };
  };
  return await slot.guard(work);
}

function metricValues(metrics: RunMetricsFile, metric: string): MetricValues {
  return {
    val: numberOrNull(metrics.model.val?.[metric]),
    test: numberOrNull(metrics.model.test?.[metric]),
  };
}
