/**
 * Live drift monitoring: the service keeps a bounded sample of the recent rows each model
 * scored ({@link RecentRows}) and, on a schedule, compares it with the run's training profile
 * with `driftOfColumns`, the statistics `deno task drift` computes. The latest result of each
 * model is kept for `GET /v1/models/<name>/drift` and `/metrics`, and a warning is logged when
 * a model's recent rows have drifted.
 *
 * @module
 */
import { driftOfColumns } from "../pipelines/mod.ts";
import type { RunArtifacts } from "../pipelines/mod.ts";
import type { DriftOptions, DriftReport } from "../data/mod.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { RecentRows } from "./recent_rows.ts";
import type { RequestRows } from "./request_rows.ts";

/** Options of {@link LiveDrift}; the first four are `serve.drift`. */
export interface LiveDriftOptions {
  /**
   * Keep rows and check drift at all; `false` makes {@link LiveDrift.observe} and
   * {@link LiveDrift.check} do nothing.
   * @default true
   */
  enabled?: boolean;
  /**
   * Seconds between two scheduled checks once {@link LiveDrift.start} is called.
   * @default 60
   */
  intervalSeconds?: number;
  /**
   * Most recent rows kept per model (see {@link RecentRows} for which).
   * @default 1000
   */
  reservoirRows?: number;
  /**
   * Fewest rows kept before a model is checked.
   * @default 100
   */
  minRows?: number;
  /**
   * The seed of each model's sample; `null` takes the run's split seed, as `checkDrift` does.
   * @default null
   */
  seed?: number | null;
  /**
   * Drift thresholds.
   * @default Evidently's defaults (see `driftReport`)
   */
  drift?: DriftOptions;
  /**
   * Where drift warnings, recoveries and failed checks are logged.
   * @default the "serve" project logger
   */
  logger?: Logger;
}

/** Defaults of {@link LiveDriftOptions} (the logger defaults to the "serve" project logger). */
export const DEFAULT_LIVE_DRIFT_OPTIONS: Readonly<
  Required<Omit<LiveDriftOptions, "logger">>
> = {
  enabled: true,
  intervalSeconds: 60,
  reservoirRows: 1000,
  minRows: 100,
  seed: null,
  drift: {},
};

/** What is known of one model's drift: the body of `GET /v1/models/<name>/drift`. */
export interface DriftSnapshot {
  /** The project (`project.name`). */
  model: string;
  /** The run the rows were scored by, or `null` when none is loaded. */
  run_id: string | null;
  /** Whether live drift monitoring is on (`serve.drift.enabled`). */
  enabled: boolean;
  /**
   * `off`: monitoring is off; `collecting`: no check of this run yet (fewer than `min_rows`
   * rows, or the first check is still to come); `ok`: `report` is the latest check.
   */
  status: "ok" | "collecting" | "off";
  /** The sample of recent rows. */
  reservoir: {
    /** Rows kept now. */
    rows: number;
    /** Most rows kept (`serve.drift.reservoir_rows`). */
    capacity: number;
    /** Rows scored by this run since the sample started. */
    seen: number;
  };
  /** When the latest check ran (ISO time), or `null`. */
  checked_at: string | null;
  /** When the next scheduled check runs (ISO time), or `null` when none is scheduled. */
  next_check_at: string | null;
  /** Fewest rows kept before a check (`serve.drift.min_rows`). */
  min_rows: number;
  /** Why the latest check failed (the previous report stays), or `null`. */
  error: string | null;
  /** The latest report, or `null`. */
  report: DriftReport | null;
}

/** The state of one model (project). */
interface ModelDrift {
  run: RunArtifacts;
  recent: RecentRows;
  /** `recent.seen` at the latest check. */
  seenAtCheck: number;
  checkedAt: Date | null;
  report: DriftReport | null;
  error: string | null;
}

/**
 * The live drift monitor of the service: a sample of recent rows per model, checked on a
 * schedule.
 *
 * Each model (project) has its own {@link RecentRows} of the input values it scored, at most
 * `reservoirRows` rows. When the run that scores a model changes (a promotion or rollback swaps
 * it), its sample starts over: the new run has its own training profile. Every
 * `intervalSeconds`, each model with at least `minRows` rows, and rows added since its last
 * check, is checked with `driftOfColumns`; a drifted result logs a warning (model, run, share
 * and drifted features), a return to no drift logs an info line, and a check that fails logs an
 * error and keeps the previous result.
 *
 * @example
 * ```ts
 * const drift = new LiveDrift({ reservoirRows: 1000, minRows: 100 });
 * const app = createApp(catalog, { drift });
 * drift.start();
 * // ... later
 * drift.snapshot("penguins", runId).report?.dataset.drifted;
 * drift.stop();
 * ```
 */
export class LiveDrift {
  readonly #settings: Required<Omit<LiveDriftOptions, "logger">>;
  readonly #logger: Logger;
  readonly #models = new Map<string, ModelDrift>();
  /** Runs a model moved away from: rows still scored by them are not kept. */
  readonly #retired = new WeakSet<RunArtifacts>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #nextCheck: Date | null = null;

  /**
   * @param options `serve.drift` settings, seed, thresholds and logger
   * @throws {RangeError} when a count or the interval is not positive, or `minRows` is above
   *   `reservoirRows`
   */
  constructor(options: LiveDriftOptions = {}) {
    const settings = { ...DEFAULT_LIVE_DRIFT_OPTIONS, ...options };
    for (const key of ["reservoirRows", "minRows"] as const) {
      if (!Number.isInteger(settings[key]) || settings[key] < 1) {
        throw new RangeError(
          `Cannot monitor drift: ${key} must be a positive integer, got ${settings[key]}`,
        );
      }
    }
    if (!(settings.intervalSeconds > 0) || !Number.isFinite(settings.intervalSeconds)) {
      throw new RangeError(
        `Cannot monitor drift: intervalSeconds must be a positive number, got ${settings.intervalSeconds}`,
      );
    }
    if (settings.minRows > settings.reservoirRows) {
      throw new RangeError(
        `Cannot monitor drift: minRows (${settings.minRows}) is above reservoirRows (${settings.reservoirRows}), so no check would ever run; lower serve.drift.min_rows or raise serve.drift.reservoir_rows`,
      );
    }
    this.#settings = settings;
    this.#logger = options.logger ?? getProjectLogger("serve");
  }

  /** Whether monitoring is on. */
  get enabled(): boolean {
    return this.#settings.enabled;
  }

  /**
   * Keeps the input values of a scored request in the model's sample. The app calls this after
   * a request is answered with predictions (a refused request adds nothing). O(rows × columns),
   * no polars.
   *
   * @param project the model (project) that scored the rows
   * @param run the run that scored them
   * @param rows the request's rows
   * @example
   * ```ts
   * drift.observe("penguins", lease.run, rows);
   * ```
   */
  observe(project: string, run: RunArtifacts, rows: RequestRows): void {
    if (!this.#settings.enabled || rows.count === 0) return;
    let state = this.#models.get(project);
    if (state === undefined || state.run !== run) {
      // A request that leased the previous run before the swap must not start the sample over.
      if (this.#retired.has(run)) return;
      if (state !== undefined) this.#retired.add(state.run);
      state = {
        run,
        recent: new RecentRows(
          run.signature.columns.map((column) => column.name),
          this.#settings.reservoirRows,
          this.#settings.seed ?? run.record.seeds.split,
        ),
        seenAtCheck: 0,
        checkedAt: null,
        report: null,
        error: null,
      };
      this.#models.set(project, state);
    }
    state.recent.add(rows.columns, rows.count);
  }

  /**
   * Checks every model that has at least `minRows` rows and rows added since its last check,
   * and keeps each result. Never throws: a failed check is logged and its previous result kept.
   *
   * @returns the models checked
   * @example
   * ```ts
   * drift.check(); // ["penguins"]
   * ```
   */
  check(): string[] {
    if (!this.#settings.enabled) return [];
    const checked: string[] = [];
    for (const [project, state] of this.#models) {
      const { recent } = state;
      if (recent.rows < this.#settings.minRows || recent.seen === state.seenAtCheck) continue;
      const checkedAt = new Date();
      let report: DriftReport;
      try {
        report = driftOfColumns(state.run, recent.columns(), this.#settings.drift);
      } catch (error) {
        state.error = error instanceof Error ? error.message : String(error);
        this.#logger.error("Cannot check drift of model {model} (run {run_id}): {error}", {
          model: project,
          run_id: state.run.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
        continue;
      }
      const wasDrifted = state.report?.dataset.drifted ?? false;
      state.report = report;
      state.checkedAt = checkedAt;
      state.seenAtCheck = recent.seen;
      state.error = null;
      checked.push(project);
      this.#logResult(project, state, report, wasDrifted);
    }
    return checked;
  }

  /**
   * Starts checking every `intervalSeconds` (the timer does not keep the process alive).
   * Calling it again does nothing.
   *
   * @example
   * ```ts
   * drift.start();
   * ```
   */
  start(): void {
    if (!this.#settings.enabled || this.#timer !== null) return;
    const ms = this.#settings.intervalSeconds * 1000;
    this.#nextCheck = new Date(Date.now() + ms);
    const timer = setInterval(() => {
      this.#nextCheck = new Date(Date.now() + ms);
      this.check();
    }, ms);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /**
   * Stops the schedule; results are kept.
   *
   * @example
   * ```ts
   * drift.stop();
   * ```
   */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#nextCheck = null;
  }

  /**
   * What is known of a model's drift for the run it serves now. A sample of another run (the
   * model was swapped and has scored nothing since) counts as none.
   *
   * @param project the model (project)
   * @param runId the run it serves now, or `null` when none is loaded
   * @returns the snapshot
   * @example
   * ```ts
   * drift.snapshot("penguins", holder.current?.runId ?? null).status; // "collecting"
   * ```
   */
  snapshot(project: string, runId: string | null): DriftSnapshot {
    const { enabled, reservoirRows, minRows } = this.#settings;
    const found = this.#models.get(project);
    const state = enabled && found !== undefined && found.run.id === runId ? found : null;
    return {
      model: project,
      run_id: runId,
      enabled,
      status: !enabled ? "off" : state?.report ? "ok" : "collecting",
      reservoir: {
        rows: state?.recent.rows ?? 0,
        capacity: reservoirRows,
        seen: state?.recent.seen ?? 0,
      },
      checked_at: state?.checkedAt?.toISOString() ?? null,
      next_check_at: enabled ? this.#nextCheck?.toISOString() ?? null : null,
      min_rows: minRows,
      error: state?.error ?? null,
      report: state?.report ?? null,
    };
  }

  #logResult(project: string, state: ModelDrift, report: DriftReport, wasDrifted: boolean): void {
    const properties = {
      model: project,
      run_id: state.run.id,
      share: Math.round(report.dataset.share_drifted * 1000) / 1000,
      n_drifted: report.dataset.n_drifted,
      n_columns: report.dataset.n_columns,
      features: report.columns.filter((c) => c.drifted).map((c) => c.column).join(", "),
      rows: report.current_rows,
    };
    if (report.dataset.drifted) {
      this.#logger.warning(
        "Data drift in model {model} (run {run_id}): {n_drifted} of {n_columns} features drifted (share {share}) over the {rows} recent rows: {features}",
        properties,
      );
    } else if (wasDrifted) {
      this.#logger.info(
        "No more data drift in model {model} (run {run_id}): {n_drifted} of {n_columns} features drifted (share {share}) over the {rows} recent rows",
        properties,
      );
    }
  }
}
