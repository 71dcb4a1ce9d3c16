/**
 * Runs the prediction service: loads the production model of every promoted project (the
 * loaded config's project is the default, at `/v1/predict`), serves the Hono app with
 * `Deno.serve` on `serve.host:serve.port`, reloads each model when its production changes, checks
 * the recent rows of each model for drift on a schedule (`serve.drift`), and shuts down
 * gracefully (in-flight requests finish, then the models are released).
 *
 * @module
 */
import type { LoadedConfig } from "../config/mod.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { createApp } from "./app.ts";
import type { AppOptions } from "./app.ts";
import { LiveDrift } from "./live_drift.ts";
import { ServeMetrics } from "./metrics.ts";
import { ModelCatalog } from "./model_catalog.ts";
import type { ModelHolder } from "./model_holder.ts";

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /**
   * The interface to listen on; `null` takes `serve.host`.
   * @default null
   */
  hostname?: string | null;
  /**
   * The port; `0` lets the system pick a free one; `null` takes `serve.port`.
   * @default null
   */
  port?: number | null;
  /**
   * Milliseconds between two checks of production for a new run.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * On shutdown, how long to wait for in-flight requests (bodies still arriving included) before
   * closing connections anyway.
   * @default 10000
   */
  drainTimeoutMs?: number;
  /**
   * Access log and the app's extra limits (body, row, header, time limits, tokens and CORS
   * origins come from `serve`).
   * @default {}
   */
  app?: Pick<
    AppOptions,
    | "accessLog"
    | "maxValueChars"
    | "maxRangeMultiple"
    | "maxProblems"
    | "collectGarbageEvery"
    | "rowEngineMaxRows"
  >;
  /**
   * Compile each loaded run into a row engine (see `ModelHolder`); `false` scores every
   * request with `scoreRows`.
   * @default true
   */
  rowEngine?: boolean;
  /**
   * Where to log.
   * @default the "serve" project logger
   */
  logger?: Logger;
}

/** Defaults of {@link StartServerOptions} (the logger defaults to the "serve" project logger). */
export const DEFAULT_START_SERVER_OPTIONS: Readonly<
  Required<Omit<StartServerOptions, "logger">>
> = {
  hostname: null,
  port: null,
  pollIntervalMs: 1000,
  drainTimeoutMs: 10_000,
  app: {},
  rowEngine: true,
};

/** A running service. */
export interface RunningServer {
  /** The base URL, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** The interface it listens on. */
  readonly hostname: string;
  /** The port it listens on (the real one when `0` was asked). */
  readonly port: number;
  /** The default project's production model (the loaded config's `project.name`). */
  readonly holder: ModelHolder;
  /** Every project's production model, the default one included. */
  readonly models: ModelCatalog;
  /** Its metrics. */
  readonly metrics: ServeMetrics;
  /** Its live drift monitor (`serve.drift`), checking on its schedule until shutdown. */
  readonly drift: LiveDrift;
  /**
   * Drains and stops: `/v1/ready` answers 503 at once, requests keep being served until none is
   * in flight (or `drainTimeoutMs` passes), then the server closes and the model is released.
   */
  shutdown(): Promise<void>;
  /** Settles when the server has stopped. */
  readonly finished: Promise<void>;
}

/**
 * Loads the production model of every promoted project and starts serving.
 *
 * The server starts even when the default project's production is empty or its run cannot be
 * loaded: `/v1/ready` answers 503 with the reason, and the model is picked up as soon as a run
 * is promoted. A project promoted while the service runs is served from the next poll on.
 *
 * @param loaded the loaded config (`serve`, `registry`, `project.name`, the root)
 * @param options listen address overrides, poll interval, app options and logger
 * @returns the running server
 * @throws {Deno.errors.AddrInUse} when the port is taken
 * @example
 * ```ts
 * const server = await startServer(await loadConfig(), { port: 0 });
 * console.log(server.url);
 * await server.shutdown();
 * ```
 */
export async function startServer(
  loaded: LoadedConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const settings = { ...DEFAULT_START_SERVER_OPTIONS, ...options };
  const { serve, registry, project } = loaded.config;
  const logger = options.logger ?? getProjectLogger("serve");
  const models = new ModelCatalog(
    { production_dir: registry.production_dir, project: project.name },
    loaded.root,
    { pollIntervalMs: settings.pollIntervalMs, rowEngine: settings.rowEngine, logger },
  );
  await models.refresh();
  const holder = models.default;
  const metrics = new ServeMetrics();
  const drift = new LiveDrift({
    enabled: serve.drift.enabled,
    intervalSeconds: serve.drift.interval_s,
    reservoirRows: serve.drift.reservoir_rows,
    minRows: serve.drift.min_rows,
    logger,
  });
  let stopping: Promise<void> | null = null;
  const app = createApp(models, {
    ...settings.app,
    maxBodyBytes: serve.max_body_bytes,
    maxRows: serve.max_rows,
    tokens: serve.tokens,
    corsOrigins: serve.cors_origins,
    maxConcurrentRequests: serve.max_concurrent_requests,
    maxHeaderBytes: serve.max_header_bytes,
    bodyTimeoutMs: serve.body_timeout_ms,
    scoringTimeoutMs: serve.scoring_timeout_ms,
    batchWaitMs: serve.batching.enabled ? serve.batching.max_wait_ms : 0,
    batchRows: serve.batching.max_rows,
    logger,
    metrics,
    drift,
    shuttingDown: () => stopping !== null,
  });
  const server = Deno.serve({
    hostname: settings.hostname ?? serve.host,
    port: settings.port ?? serve.port,
    onListen: () => {},
    onError: (error) => {
      logger.error("Cannot answer a request: {error}", {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      return new Response(
        JSON.stringify({
          error: "internal",
          message: "Cannot answer the request: the service failed unexpectedly",
        }),
        { status: 500, headers: { "Content-Type": "application/json" } },
      );
    },
  }, (request, info) => app.fetch(request, info)); // info.remoteAddr: see the reload route
  models.start();
  drift.start();
  const address = server.addr;
  const hostname = address.hostname;
  const port = address.port;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  logger.info("Listening on http://{host}:{port}, serving {run_id} (models: {models})", {
    host,
    port,
    run_id: holder.current?.runId ?? "no model yet",
    models: models.names().join(", "),
  });
  // Names and scopes only: the service never sees a token at rest, and never logs one.
  logger.info("Authentication: {auth}", {
    auth: serve.tokens.length === 0
      ? "off (serve.tokens is empty; /v1/admin/reload answers loopback clients only)"
      : `bearer tokens ${serve.tokens.map((t) => `${t.name} (${t.scope})`).join(", ")}`,
  });
  logger.info("Micro-batching: {batching}; live drift: {drift}", {
    batching: serve.batching.enabled
      ? `on (at most ${serve.batching.max_wait_ms} ms, ${serve.batching.max_rows} rows)`
      : "off",
    drift: serve.drift.enabled
      ? `checked every ${serve.drift.interval_s} s on the last ${serve.drift.reservoir_rows} rows`
      : "off",
  });

  const shutdown = () => {
    stopping ??= (async () => {
      logger.info("Shutting down: finishing {count} in-flight request(s)", {
        count: metrics.inFlight,
      });
      // Deno's server.shutdown() cuts request bodies still being received, so wait for the
      // requests in flight first.
      const deadline = performance.now() + settings.drainTimeoutMs;
      while (metrics.inFlight > 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      if (metrics.inFlight > 0) {
        logger.warning("Closing with {count} request(s) still in flight after {ms} ms", {
          count: metrics.inFlight,
          ms: settings.drainTimeoutMs,
        });
      }
      await server.shutdown();
      drift.stop();
      await models.close();
      logger.info("Stopped");
    })();
    return stopping;
  };
  return {
    url: `http://${host}:${port}`,
    hostname,
    port,
    holder,
    models,
    metrics,
    drift,
    shutdown,
    finished: server.finished.then(() => stopping ?? undefined),
  };
}
