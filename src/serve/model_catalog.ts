/**
 * The models the service serves: one {@link ModelHolder} per project promoted in the registry
 * (`<registry.production_dir>/<project>/`), found again on every poll so that a project promoted
 * while the service runs is served without a restart, plus the default project (the loaded
 * config's `project.name`), which is always listed, promoted or not.
 *
 * @module
 */
import { listProductionProjects } from "../models/mod.ts";
import { getProjectLogger } from "../utils/mod.ts";
import { Poller } from "./_poller.ts";
import type { Logger } from "../utils/mod.ts";
import { DEFAULT_MODEL_HOLDER_OPTIONS, ModelHolder } from "./model_holder.ts";
import type { ModelHolderOptions, ProductionSource } from "./model_holder.ts";

/** Options of {@link ModelCatalog}: those of every holder it creates. */
export type ModelCatalogOptions = ModelHolderOptions;

/**
 * Every promoted project's production model, each reloaded when its own `current.json` changes.
 *
 * @example
 * ```ts
 * const models = new ModelCatalog({ ...config.registry, project: config.project.name }, root);
 * await models.refresh();
 * models.start();
 * models.get("cars")?.acquire();
 * await models.close();
 * ```
 */
export class ModelCatalog {
  #source: ProductionSource | null;
  #root: string;
  #options: ModelHolderOptions;
  #logger: Logger;
  #holders = new Map<string, ModelHolder>();
  #default: ModelHolder;
  #poller: Poller;
  #listError: string | null = null;

  /**
   * @param source the production root (`config.registry`) and the default project
   *   (`config.project.name`), served at `/v1/predict`
   * @param root the project root, against which each run's config snapshot resolves
   * @param options poll interval, row engine and logger of every holder
   * @throws {RangeError} when `pollIntervalMs` is not a positive number
   */
  constructor(source: ProductionSource, root: string, options: ModelCatalogOptions = {}) {
    this.#source = { production_dir: source.production_dir, project: source.project };
    this.#root = root;
    this.#options = options;
    this.#poller = new Poller(
      () => this.#refresh(),
      options.pollIntervalMs ?? DEFAULT_MODEL_HOLDER_OPTIONS.pollIntervalMs,
    );
    this.#logger = options.logger ?? getProjectLogger("serve");
    this.#default = new ModelHolder(source, root, options);
    this.#holders.set(source.project, this.#default);
  }

  /**
   * A catalog of one given holder, which it never adds to (for an app built around one holder).
   *
   * @param holder the holder, served as the default model
   * @returns the catalog
   * @example
   * ```ts
   * const models = ModelCatalog.of(holder);
   * ```
   */
  static of(holder: ModelHolder): ModelCatalog {
    const catalog = new ModelCatalog({ production_dir: "", project: "default" }, "");
    catalog.#source = null;
    catalog.#holders = new Map([[holder.project, holder]]);
    catalog.#default = holder;
    return catalog;
  }

  /** The default project's holder (the loaded config's `project.name`). */
  get default(): ModelHolder {
    return this.#default;
  }

  /** The default project's name. */
  get defaultName(): string {
    return this.#default.project;
  }

  /** Why the production root could not be listed at the last refresh, or `null`. */
  get listError(): string | null {
    return this.#listError;
  }

  /**
   * The holder of a project.
   *
   * @param name the project name
   * @returns its holder, or `null` when the project has no production folder
   * @example
   * ```ts
   * const holder = models.get("cars");
   * ```
   */
  get(name: string): ModelHolder | null {
    return this.#holders.get(name) ?? null;
  }

  /**
   * Every project served, sorted by name, the default one included.
   *
   * @returns the names
   * @example
   * ```ts
   * models.names(); // ["cars", "penguins"]
   * ```
   */
  names(): string[] {
    return [...this.#holders.keys()].sort();
  }

  /** Every holder, sorted by project name. */
  holders(): ModelHolder[] {
    return this.names().map((name) => this.#holders.get(name)!);
  }

  /**
   * Looks for projects promoted since the last call, then has every holder check its
   * production (see {@link ModelHolder.refresh}).
   *
   * @returns `true` when any holder swapped in a new run
   * @example
   * ```ts
   * await models.refresh();
   * ```
   */
  refresh(): Promise<boolean> {
    return this.#poller.run();
  }

  /**
   * Starts checking every project's production every `pollIntervalMs`; {@link close} stops it.
   *
   * @example
   * ```ts
   * models.start();
   * ```
   */
  start(): void {
    this.#poller.start();
  }

  /**
   * Stops polling and closes every holder (each disposes its run once its leases end).
   *
   * @example
   * ```ts
   * await models.close();
   * ```
   */
  async close(): Promise<void> {
    await this.#poller.stop();
    await Promise.all(this.holders().map((holder) => holder.close()));
  }

  async #refresh(): Promise<boolean> {
    if (this.#poller.stopped) return false;
    if (this.#source !== null) {
      try {
        for (const name of await listProductionProjects(this.#source.production_dir)) {
          if (this.#holders.has(name)) continue;
          this.#holders.set(
            name,
            new ModelHolder(
              { production_dir: this.#source.production_dir, project: name },
              this.#root,
              this.#options,
            ),
          );
          this.#logger.info("Found the production of project {project}", { project: name });
        }
        this.#listError = null;
      } catch (error) {
        // The holders already known keep serving; the default one reports the same problem.
        if (this.#listError === null) {
          this.#logger.error("Cannot list the promoted projects: {error}", {
            error: (error as Error).message,
          });
        }
        this.#listError = (error as Error).message;
      }
    }
    // One project at a time: loads never race each other for the backend or for memory.
    let swapped = false;
    for (const holder of this.holders()) swapped = (await holder.refresh()) || swapped;
    return swapped;
  }
}
