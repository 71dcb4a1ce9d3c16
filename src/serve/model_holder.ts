/**
 * Holds the production model of one project that the service scores with (a `ModelCatalog`
 * holds one per promoted project), and swaps it when that project's production changes
 * (promotion or rollback) without dropping a request: each request leases the run it starts
 * with and keeps it to the end; a replaced run is disposed once its last lease is released.
 * Each run is compiled into a row engine (`compileRowScorer`) when it is loaded, before it is
 * swapped in.
 *
 * Production may live under an `s3://` prefix (`registry.production_dir`): then each check reads
 * the pointer object (one GET), and a new run is fetched once into the local mirror
 * (`data/processed/remote/registry/…`), verified, and loaded from there, so every replica picks
 * up a promotion made on any machine within one poll interval.
 *
 * @module
 */
import {
  readProduction,
  readProductionPointer,
  readRunMetrics,
  resolveProductionDir,
} from "../models/mod.ts";
import type { RunMetricsFile } from "../models/mod.ts";
import { compileRowScorer, loadRunArtifacts } from "../pipelines/mod.ts";
import type { RowScorer, RunArtifacts } from "../pipelines/mod.ts";
import { getProjectLogger } from "../utils/mod.ts";
import { Poller } from "./_poller.ts";
import type { Logger } from "../utils/mod.ts";

/** Where a holder finds its production: the production root and the project. */
export interface ProductionSource {
  /** The production root (`registry.production_dir`). */
  production_dir: string;
  /** The project (`project.name`); its production is `<production_dir>/<project>/`. */
  project: string;
}

/** What the holder knows about the run it serves. */
export interface ServedModel {
  /** The project (`project.name`) whose production this is. */
  project: string;
  /** The run id. */
  runId: string;
  /** When production last changed to this run (`current.json`). */
  promotedAt: string;
  /** How it got there: `promote`, `force` or `rollback`. */
  action: string;
  /** When this process loaded it (ISO time). */
  loadedAt: string;
  /** The run's `metrics.json`, or `null` when it cannot be read. */
  metrics: RunMetricsFile | null;
  /** `rows` when the run compiled into a row engine, else `polars` (`scoreRows` only). */
  engine: "rows" | "polars";
  /** Why the run scores with `scoreRows` only, or `null` when it has a row engine. */
  engineReason: string | null;
}

/** A run leased by one request; call `release()` exactly once when the response is built. */
export interface ModelLease {
  /** The loaded run. */
  readonly run: RunArtifacts;
  /** Its row engine, or `null` when it scores with `scoreRows` only. */
  readonly scorer: RowScorer | null;
  /** What is known about it. */
  readonly model: ServedModel;
  /** Ends the lease; later calls do nothing. */
  release(): void;
}

/** Options of {@link ModelHolder}. */
export interface ModelHolderOptions {
  /**
   * Milliseconds between two checks of `current.json` by {@link ModelHolder.start}.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * Compile each loaded run into a row engine; `false` scores everything with `scoreRows`.
   * @default true
   */
  rowEngine?: boolean;
  /**
   * Where to log loads, swaps and failures.
   * @default the "serve" project logger
   */
  logger?: Logger;
}

/** Defaults of {@link ModelHolderOptions} (the logger defaults to the "serve" project logger). */
export const DEFAULT_MODEL_HOLDER_OPTIONS: Readonly<Required<Omit<ModelHolderOptions, "logger">>> =
  {
    pollIntervalMs: 1000,
    rowEngine: true,
  };

interface Entry {
  run: RunArtifacts;
  scorer: RowScorer | null;
  model: ServedModel;
  /** `run_id@promoted_at`: changes with every promotion or rollback. */
  key: string;
  leases: number;
  retired: boolean;
  disposed: boolean;
}

/**
 * The production model of one project, reloaded when its `current.json` changes.
 *
 * @example
 * ```ts
 * const holder = new ModelHolder({ ...config.registry, project: config.project.name }, root);
 * await holder.refresh();
 * holder.start();
 * const lease = holder.acquire();
 * try { scoreRows(lease!.run, frame); } finally { lease?.release(); }
 * await holder.close();
 * ```
 */
export class ModelHolder {
  #source: ProductionSource;
  #root: string;
  #rowEngine: boolean;
  #logger: Logger;
  #current: Entry | null = null;
  #poller: Poller;
  #failedKey: string | null = null;
  #lastError: string | null = null;
  #reloads = 0;
  #failures = 0;

  /**
   * @param source the production root (`config.registry`) and the project whose production
   *   this holds (`config.project.name`)
   * @param root the project root, against which the run's config snapshot resolves
   * @param options poll interval, row engine and logger
   * @throws {RangeError} when `pollIntervalMs` is not a positive number
   */
  constructor(
    source: ProductionSource,
    root: string,
    options: ModelHolderOptions = {},
  ) {
    const settings = { ...DEFAULT_MODEL_HOLDER_OPTIONS, ...options };
    if (!(settings.pollIntervalMs > 0)) {
      throw new RangeError(
        `Cannot create ModelHolder: pollIntervalMs must be a positive number, got ${settings.pollIntervalMs}`,
      );
    }
    this.#source = { production_dir: source.production_dir, project: source.project };
    this.#root = root;
    this.#poller = new Poller(() => this.#refresh(), settings.pollIntervalMs);
    this.#rowEngine = settings.rowEngine;
    this.#logger = options.logger ?? getProjectLogger("serve");
  }

  /** The project whose production this holds. */
  get project(): string {
    return this.#source.project;
  }

  /** The run served now, or `null` before one is loaded. */
  get current(): ServedModel | null {
    return this.#current?.model ?? null;
  }

  /** Why no model is loaded, or why the last reload failed; `null` when nothing failed. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /** Successful loads since the holder was created (the first load included). */
  get reloads(): number {
    return this.#reloads;
  }

  /** Loads that failed (the previous model stayed in service). */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Leases the current run for one request.
   *
   * @returns the lease, or `null` when no model is loaded (or the holder is closed)
   * @example
   * ```ts
   * const lease = holder.acquire();
   * ```
   */
  acquire(): ModelLease | null {
    const entry = this.#current;
    if (entry === null || this.#poller.stopped) return null;
    entry.leases++;
    let released = false;
    return {
      run: entry.run,
      scorer: entry.scorer,
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        this.#disposeIfIdle(entry);
      },
    };
  }

  /**
   * Checks `current.json` and, when production changed, loads the new run (checksums verified)
   * and swaps it in; the old run is disposed when its last lease ends. A run that fails to load
   * is logged and skipped until production changes again; the old run stays in service.
   *
   * @returns `true` when a new run was swapped in
   * @example
   * ```ts
   * if (await holder.refresh()) console.log(holder.current?.runId);
   * ```
   */
  refresh(): Promise<boolean> {
    return this.#poller.run();
  }

  /**
   * Starts checking production every `pollIntervalMs`; {@link close} stops it.
   *
   * @example
   * ```ts
   * holder.start();
   * ```
   */
  start(): void {
    this.#poller.start();
  }

  /**
   * Stops polling and disposes the current run once its leases end; `acquire` then returns
   * `null`.
   *
   * @example
   * ```ts
   * await holder.close();
   * ```
   */
  async close(): Promise<void> {
    await this.#poller.stop();
    const entry = this.#current;
    if (entry !== null) {
      entry.retired = true;
      this.#disposeIfIdle(entry);
    }
  }

  async #refresh(): Promise<boolean> {
    if (this.#poller.stopped) return false;
    const project = this.#source.project;
    let dir: string;
    let pointer;
    try {
      dir = await resolveProductionDir(this.#source, project);
      pointer = await readProductionPointer(dir);
    } catch (error) {
      this.#fail(`pointer:${(error as Error).message}`, error as Error);
      return false;
    }
    if (pointer === null) {
      if (this.#current === null) {
        this.#lastError =
          `production of project "${project}" ("${dir}") holds no promoted run; promote one with \`deno task promote\``;
      }
      return false;
    }
    const key = `${pointer.run_id}@${pointer.promoted_at}`;
    if (key === this.#current?.key || key === this.#failedKey) return false;

    let entry: Entry;
    try {
      const production = await readProduction(dir);
      if (production === null) return false;
      const run = await loadRunArtifacts(production.dir, production.record, this.#root);
      const metrics = await readRunMetrics(production.dir).catch(() => null);
      let engineReason: string | null = this.#rowEngine ? null : "the row engine is turned off";
      let scorer: RowScorer | null = null;
      if (this.#rowEngine) {
        try {
          scorer = compileRowScorer(run, { onUnsupported: (reason) => (engineReason = reason) });
        } catch (error) {
          // The run still serves, through scoreRows.
          engineReason = `the row engine failed to compile: ${(error as Error).message}`;
        }
      }
      if (this.#rowEngine && scorer === null) {
        this.#logger.info("Run {run_id} scores with scoreRows only: {reason}", {
          run_id: run.id,
          reason: engineReason,
        });
      }
      entry = {
        run,
        scorer,
        key: `${production.runId}@${production.pointer.promoted_at}`,
        leases: 0,
        retired: false,
        disposed: false,
        model: {
          project,
          runId: production.runId,
          promotedAt: production.pointer.promoted_at,
          action: production.pointer.action,
          loadedAt: new Date().toISOString(),
          metrics,
          engine: scorer === null ? "polars" : "rows",
          engineReason,
        },
      };
    } catch (error) {
      this.#fail(key, error as Error);
      return false;
    }
    if (this.#poller.stopped) {
      entry.run.model.dispose();
      return false;
    }
    const previous = this.#current;
    this.#current = entry;
    this.#failedKey = null;
    this.#lastError = null;
    this.#reloads++;
    this.#logger.info(
      "Serving run {run_id} for {project} ({action} at {promoted_at}), replacing {previous}",
      {
        project,
        run_id: entry.model.runId,
        action: entry.model.action,
        promoted_at: entry.model.promotedAt,
        previous: previous?.model.runId ?? "none",
      },
    );
    if (previous !== null) {
      previous.retired = true;
      this.#disposeIfIdle(previous);
    }
    return true;
  }

  #fail(key: string, error: Error): void {
    this.#failures++;
    const served = this.#current?.model.runId;
    this.#lastError =
      `Cannot load the production model of project "${this.#source.project}": ${error.message}`;
    if (key === this.#failedKey) return; // logged once per production change
    this.#failedKey = key;
    this.#logger.error("Cannot load the production model of {project}, {keeping}: {error}", {
      project: this.#source.project,
      keeping: served === undefined ? "no model is served" : `still serving ${served}`,
      error: error.message,
    });
  }

  #disposeIfIdle(entry: Entry): void {
    if (!entry.retired || entry.leases > 0 || entry.disposed) return;
    entry.disposed = true;
    entry.run.model.dispose();
    this.#logger.debug("Disposed run {run_id}", { run_id: entry.model.runId });
  }
}
