/**
 * The HTTP routes of the prediction service as a Hono app: prediction (the default project at
 * `/v1/predict`, every promoted project at `/v1/models/<name>/predict`), the model list, health,
 * readiness, the model card, live drift, Prometheus metrics, the OpenAPI document and the admin
 * reload, with the checks every route shares (header size, credentials in the URL, browser
 * origins, bearer tokens, the concurrency cap), request ids, JSON errors (never a stack trace)
 * and an access log.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { RunArtifacts } from "../pipelines/mod.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { BatchScorer, DEFAULT_BATCH_SCORER_OPTIONS } from "./batch_scorer.ts";
import { ModelHolder } from "./model_holder.ts";
import type { ServedModel } from "./model_holder.ts";
import { ModelCatalog } from "./model_catalog.ts";
import { PROMETHEUS_CONTENT_TYPE, ServeMetrics } from "./metrics.ts";
import { didYouMean, RequestRejectedError } from "../errors.ts";
import {
  DEFAULT_PARSE_ROWS_OPTIONS,
  parseCsvRows,
  parseJsonRows,
  readBodyText,
  REQUEST_MEDIA_TYPES,
  requestFormat,
  rowsSchemaForRun,
} from "./request_rows.ts";
import type { RequestRows } from "./request_rows.ts";
import { refuseCredentialsInQuery, TokenAuthenticator } from "./auth.ts";
import type { Caller, ServiceToken } from "./auth.ts";
import { CorsPolicy } from "./cors.ts";
import { REQUEST_ID_HEADER, requestIdFor } from "./request_id.ts";
import { checkHeaderSize, overloaded, withScoringDeadline } from "./limits.ts";
import { openApiDocument } from "./openapi.ts";
import { exampleRow } from "./example_row.ts";
import { LiveDrift } from "./live_drift.ts";
import { renderDriftMetrics } from "./drift_metrics.ts";

/**
 * The service's routes and the methods each answers; `:name` is a project name (`project.name`)
 * with a promoted run. The routes without a name answer for the default project.
 */
export const ROUTES: Readonly<Record<string, readonly string[]>> = {
  "/v1/predict": ["POST"],
  "/v1/health": ["GET", "HEAD"],
  "/v1/ready": ["GET", "HEAD"],
  "/v1/model": ["GET", "HEAD"],
  "/v1/models": ["GET", "HEAD"],
  "/v1/models/:name": ["GET", "HEAD"],
  "/v1/models/:name/predict": ["POST"],
  "/v1/models/:name/drift": ["GET", "HEAD"],
  "/metrics": ["GET", "HEAD"],
  "/openapi.json": ["GET", "HEAD"],
  "/v1/admin/reload": ["POST"],
};

/** Routes anyone may call, token or not: liveness and readiness probes. */
const OPEN_ROUTES: ReadonlySet<string> = new Set(["/v1/health", "/v1/ready"]);
/** Routes that need a token of scope `admin` when tokens are configured. */
const ADMIN_ROUTES: ReadonlySet<string> = new Set(["/v1/admin/reload"]);

/** The route pattern of a path, for metric labels (never the raw path), or `unmatched`. */
function routeOf(path: string): string {
  if (Object.hasOwn(ROUTES, path)) return path;
  if (/^\/v1\/models\/[^/]+\/predict$/.test(path)) return "/v1/models/:name/predict";
  if (/^\/v1\/models\/[^/]+\/drift$/.test(path)) return "/v1/models/:name/drift";
  if (/^\/v1\/models\/[^/]+$/.test(path)) return "/v1/models/:name";
  return "unmatched";
}

/** Options of {@link createApp}. */
export interface AppOptions {
  /**
   * Largest request body, in bytes (`serve.max_body_bytes`); larger is answered with 413.
   * @default 10485760
   */
  maxBodyBytes?: number;
  /**
   * Most rows in one request (`serve.max_rows`); more is answered with 413.
   * @default 10000
   */
  maxRows?: number;
  /**
   * Longest text value accepted, in characters.
   * @default 1024
   */
  maxValueChars?: number;
  /**
   * How far outside the training range a number may lie, in range widths, before it is refused.
   * @default 1000000
   */
  maxRangeMultiple?: number;
  /**
   * Most problems listed in a 422 answer.
   * @default 100
   */
  maxProblems?: number;
  /**
   * Full garbage collection every this many `scoreRows` calls (the row engine leaves no
   * garbage to force), when the process runs with `--v8-flags=--expose-gc`; `0` leaves it to
   * V8 (see `BatchScorerOptions`).
   * @default 4
   */
  collectGarbageEvery?: number;
  /**
   * Most rows of a request the run's row engine scores; larger requests go to `scoreRows`.
   * @default 1024
   */
  rowEngineMaxRows?: number;
  /**
   * Micro-batching (`serve.batching`): concurrent requests for the same model wait at most this
   * many milliseconds for more to join, only while requests keep arriving, and are scored with
   * one call; `0` scores each request alone (see `BatchScorer`).
   * @default 2
   */
  batchWaitMs?: number;
  /**
   * A gathered batch is scored as soon as it holds this many rows (`serve.batching.max_rows`).
   * @default 256
   */
  batchRows?: number;
  /**
   * Accepted bearer tokens, as sha256 and scope (`serve.tokens`); empty turns authentication
   * off. With tokens, every route but health and readiness needs one, and the admin routes need
   * scope `admin` from any address.
   * @default []
   */
  tokens?: readonly ServiceToken[];
  /**
   * Browser origins allowed to call the service (`serve.cors_origins`); a request with another
   * `Origin` is refused with 403, and empty allows none.
   * @default []
   */
  corsOrigins?: readonly string[];
  /**
   * Most requests in flight at once (`serve.max_concurrent_requests`); more answer 503
   * (health and readiness are never refused).
   * @default 512
   */
  maxConcurrentRequests?: number;
  /**
   * Largest total size of header names and values, in bytes (`serve.max_header_bytes`); more
   * answers 431.
   * @default 16384
   */
  maxHeaderBytes?: number;
  /**
   * Milliseconds a request body may take to arrive (`serve.body_timeout_ms`); later answers 408.
   * @default 10000
   */
  bodyTimeoutMs?: number;
  /**
   * Milliseconds scoring a request may take (`serve.scoring_timeout_ms`); later answers 503.
   * @default 10000
   */
  scoringTimeoutMs?: number;
  /**
   * Write one access-log line per request (info level) through the logger.
   * @default true
   */
  accessLog?: boolean;
  /**
   * Where access lines and unexpected errors go.
   * @default the "serve" project logger
   */
  logger?: Logger;
  /**
   * The metrics to update and render (pass one to read them outside the app).
   * @default a new ServeMetrics
   */
  metrics?: ServeMetrics;
  /**
   * Whether the service is shutting down: `/v1/ready` then answers 503 so load balancers stop
   * sending, while requests that still arrive are served.
   * @default () => false
   */
  shuttingDown?: () => boolean;
  /**
   * The live drift monitor that keeps the rows of scored requests, answers
   * `GET /v1/models/<name>/drift` and adds the drift metrics; `null` turns live drift off (the
   * route answers status `off`). The app only feeds and reads it: start its schedule with
   * `LiveDrift.start()` (`startServer` does).
   * @default null
   */
  drift?: LiveDrift | null;
}

/** Defaults of {@link AppOptions} (logger and metrics are created when not given). */
export const DEFAULT_APP_OPTIONS: Readonly<
  Required<Omit<AppOptions, "logger" | "metrics" | "shuttingDown" | "drift">>
> = {
  maxBodyBytes: 10 * 1024 * 1024,
  maxRows: DEFAULT_PARSE_ROWS_OPTIONS.maxRows,
  maxValueChars: DEFAULT_PARSE_ROWS_OPTIONS.maxValueChars,
  maxRangeMultiple: DEFAULT_PARSE_ROWS_OPTIONS.maxRangeMultiple,
  maxProblems: DEFAULT_PARSE_ROWS_OPTIONS.maxProblems,
  collectGarbageEvery: DEFAULT_BATCH_SCORER_OPTIONS.collectGarbageEvery,
  rowEngineMaxRows: DEFAULT_BATCH_SCORER_OPTIONS.rowEngineMaxRows,
  batchWaitMs: DEFAULT_BATCH_SCORER_OPTIONS.batchWaitMs,
  batchRows: DEFAULT_BATCH_SCORER_OPTIONS.batchRows,
  tokens: [],
  corsOrigins: [],
  maxConcurrentRequests: 512,
  maxHeaderBytes: 16 * 1024,
  bodyTimeoutMs: 10_000,
  scoringTimeoutMs: 10_000,
  accessLog: true,
};

/**
 * What the server passes to `app.fetch` as Hono's env: `Deno.serve`'s handler info, whose
 * `remoteAddr` is the client's address (`undefined` when the app is called directly).
 */
type Env = {
  Bindings: { remoteAddr?: Deno.Addr };
  Variables: {
    rows: number;
    runId: string;
    model: string;
    requestId: string;
    caller: Caller | null;
  };
};

/**
 * Builds the service's Hono app around the served models: a {@link ModelCatalog} (every promoted
 * project) or one {@link ModelHolder} (one project).
 *
 * Routes: `POST /v1/predict` (JSON `{"rows": [...]}` or CSV) for the default project,
 * `POST /v1/models/<name>/predict` (the same formats and errors) for any served project,
 * `GET /v1/models` (every project: name, run id, primary metric, promotion time, whether it is
 * the default), `GET /v1/models/<name>` (its model card), `GET /v1/models/<name>/drift` (the
 * latest live drift check of its recent rows, see `LiveDrift`), `GET /v1/health`, `GET /v1/ready`,
 * `GET /v1/model` (the default project's card), `GET /metrics`, `GET /openapi.json` (the
 * OpenAPI 3.1 document) and `POST /v1/admin/reload`. An unknown model name answers 404 naming
 * the served ones. Every error is a JSON `{ error, message, problems?, request_id }` with the
 * matching status; unexpected failures answer 500 with no detail and are logged.
 *
 * Before any route, in this order: headers over `maxHeaderBytes` answer 431; a credential in
 * the query string 400; an `Origin` outside `corsOrigins` 403 (an allowed preflight is answered
 * 204 here); with `tokens`, a missing or unknown bearer token 401 and a token without the
 * admin scope on an admin route 403 (health and readiness need none); more than
 * `maxConcurrentRequests` in flight 503. Every answer carries `X-Request-Id` (the caller's when
 * sane, see `requestIdFor`), and the access log line has it with the client address.
 *
 * Predictions use the run's row engine when it has one (see `ModelHolder`) and `scoreRows`
 * otherwise; both give the same answers. Concurrent requests for one model are scored together
 * (`batchWaitMs`, `batchRows`; see `BatchScorer`), each caller still getting exactly its own
 * answer. The body must arrive within `bodyTimeoutMs` (408),
 * and scoring that ends after `scoringTimeoutMs` answers 503 with `Retry-After`.
 *
 * `POST /v1/admin/reload` makes every holder read its production now (they also poll) and
 * answers `{ run_id, reloaded, error, models }`: the default project's run served after the
 * call, whether any new run was swapped in, why the default project's last load failed (or
 * `null`), and `models`, `{ <name>: { run_id, error } }` for every project. With `tokens` it
 * needs the admin scope, from any address. Without tokens it answers only clients on a
 * loopback address (127.0.0.0/8, ::1, or a Unix socket), read from the `remoteAddr` of the env
 * `app.fetch` gets (`startServer` passes `Deno.serve`'s handler info); any other client, or a
 * call without an address, gets 403. Without tokens, put no proxy on the same machine in front
 * of it that forwards outside requests to that route.
 *
 * @param served the production models (a catalog), or one holder
 * @param options limits, access log, logger and metrics
 * @returns the app; serve it with `Deno.serve(app.fetch)`
 * @throws {RangeError} when a limit is not a positive number
 * @example
 * ```ts
 * const app = createApp(holder, { maxRows: config.serve.max_rows });
 * Deno.serve({ port: 8000 }, app.fetch);
 * ```
 */
export function createApp(
  served: ModelCatalog | ModelHolder,
  options: AppOptions = {},
): Hono<Env> {
  const models = served instanceof ModelHolder ? ModelCatalog.of(served) : served;
  const holder = models.default;
  const settings = { ...DEFAULT_APP_OPTIONS, ...options };
  for (
    const key of [
      "maxBodyBytes",
      "maxRows",
      "maxValueChars",
      "maxProblems",
      "maxConcurrentRequests",
      "maxHeaderBytes",
      "bodyTimeoutMs",
      "scoringTimeoutMs",
    ] as const
  ) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) {
      throw new RangeError(
        `Cannot create the app: ${key} must be a positive integer, got ${settings[key]}`,
      );
    }
  }
  if (!(settings.maxRangeMultiple > 0)) {
    throw new RangeError(
      `Cannot create the app: maxRangeMultiple must be a positive number, got ${settings.maxRangeMultiple}`,
    );
  }
  const logger = options.logger ?? getProjectLogger("serve");
  const shuttingDown = options.shuttingDown ?? (() => false);
  const metrics = options.metrics ?? new ServeMetrics();
  const drift = options.drift ?? new LiveDrift({ enabled: false });
  const scorer = new BatchScorer({
    maxBatchRows: Math.max(settings.maxRows, DEFAULT_PARSE_ROWS_OPTIONS.maxRows),
    maxProblems: settings.maxProblems,
    collectGarbageEvery: settings.collectGarbageEvery,
    rowEngineMaxRows: settings.rowEngineMaxRows,
    batchWaitMs: settings.batchWaitMs,
    batchRows: settings.batchRows,
    onBatch: (info) => metrics.observeBatch(info.requests, info.seconds, info.engine),
    onFallback: () => metrics.countFallback(),
  });
  const parseOptions = {
    maxRows: settings.maxRows,
    maxValueChars: settings.maxValueChars,
    maxRangeMultiple: settings.maxRangeMultiple,
    maxProblems: settings.maxProblems,
  };
  const auth = new TokenAuthenticator(settings.tokens);
  const cors = new CorsPolicy(settings.corsOrigins);
  let active = 0;
  const app = new Hono<Env>();

  // Outermost: the request id, the in-flight count, metrics and the access log, for every
  // answer (refusals by the checks below included).
  app.use("*", async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFor(c.req.header(REQUEST_ID_HEADER) ?? null);
    c.set("requestId", requestId);
    metrics.trackInFlight(1);
    try {
      await next();
    } finally {
      metrics.trackInFlight(-1);
      c.res.headers.set(REQUEST_ID_HEADER, requestId);
      const seconds = (performance.now() - started) / 1000;
      const path = c.req.path;
      const route = routeOf(path);
      const status = c.res.status;
      metrics.observeRequest(route, c.req.method, status, seconds, c.get("model") ?? null);
      if (settings.accessLog) {
        // The path only: the query string may hold what a client should not have sent there.
        logger.info("{method} {path} {status} {duration_ms} ms", {
          request_id: requestId,
          client: describeClient(remoteAddressOf(c)),
          method: c.req.method,
          path: path.length > 200 ? `${path.slice(0, 200)}…` : path,
          route,
          status,
          duration_ms: Math.round(seconds * 100_000) / 100,
          rows: c.get("rows") ?? null,
          model: c.get("model") ?? null,
          run_id: c.get("runId") ?? null,
          token: c.get("caller")?.name ?? null,
        });
      }
    }
  });

  // Then the checks every route shares, cheapest first: headers, credentials in the URL, the
  // browser origin (a preflight is answered here), the token, the concurrency cap.
  app.use("*", async (c, next) => {
    checkHeaderSize(c.req.raw.headers, settings.maxHeaderBytes);
    refuseCredentialsInQuery(new URL(c.req.url));
    const route = routeOf(c.req.path);
    const decision = cors.check(
      c.req.method,
      c.req.header("origin") ?? null,
      c.req.header("access-control-request-method") ?? null,
      route === "unmatched" ? null : ROUTES[route] ?? null,
    );
    if (decision.kind === "preflight") return c.body(null, 204, decision.headers);
    if (decision.kind === "allowed") {
      for (const [name, value] of Object.entries(decision.headers)) c.header(name, value);
    }
    if (!OPEN_ROUTES.has(route)) {
      const needed = ADMIN_ROUTES.has(route) ? "admin" : "predict";
      c.set("caller", auth.authenticate(c.req.header("authorization") ?? null, needed));
      if (active >= settings.maxConcurrentRequests) {
        throw overloaded(settings.maxConcurrentRequests);
      }
    }
    active += 1;
    try {
      await next();
    } finally {
      active -= 1;
    }
  });

  const predict = async (c: Context<Env>, target: ModelHolder) => {
    const format = requestFormat(c.req.header("content-type") ?? null);
    c.set("model", target.project);
    const lease = target.acquire();
    if (lease === null) throw notReady(target);
    c.set("runId", lease.run.id);
    let rows: RequestRows | null = null;
    let scoring: Promise<unknown> | null = null;
    // Batches being gathered wait for this request while its body arrives.
    const expected = scorer.expect(describeClient(remoteAddressOf(c)));
    try {
      const text = await readBodyText(c.req.raw, settings.maxBodyBytes, {
        timeoutMs: settings.bodyTimeoutMs,
      });
      const schema = rowsSchemaForRun(lease.run);
      rows = format === "json"
        ? parseJsonRows(text, schema, parseOptions)
        : parseCsvRows(text, schema, parseOptions);
      c.set("rows", rows.count);
      const work = scorer.score(lease.run, rows, lease.scorer, expected);
      scoring = work;
      const scored = await withScoringDeadline(work, settings.scoringTimeoutMs);
      metrics.countRows(rows.count);
      drift.observe(target.project, lease.run, rows);
      c.header("X-Run-Id", scored.runId);
      return c.json({
        run_id: scored.runId,
        rows: rows.count,
        predictions: scored.predictions,
        warnings: scored.warnings,
      });
    } catch (error) {
      if (rows !== null && error instanceof RequestRejectedError) metrics.countRows(0, rows.count);
      throw error;
    } finally {
      expected.cancel(); // when the request failed before scoring
      // Scoring past its deadline goes on; the run stays leased until it ends.
      if (scoring === null) lease.release();
      else void scoring.then(() => lease.release(), () => lease.release());
    }
  };

  /** The holder of `name`, or a 404 naming the projects served. */
  const modelNamed = (name: string): ModelHolder => {
    const found = models.get(name);
    if (found !== null) return found;
    const names = models.names();
    throw new RequestRejectedError(
      404,
      "unknown_model",
      `Cannot find model ${
        JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}…` : name)
      }: the service serves ${JSON.stringify(names)}${
        didYouMean(name, names)
      }; send POST /v1/models/<name>/predict with one of them (GET /v1/models lists them)`,
    );
  };

  app.post("/v1/predict", (c) => predict(c, holder));

  app.post("/v1/models/:name/predict", (c) => predict(c, modelNamed(c.req.param("name"))));

  app.get("/v1/models", (c) =>
    c.json({
      default: models.defaultName,
      models: models.holders().map((each) => modelEntry(each, models.defaultName)),
    }));

  app.get("/v1/models/:name", (c) => {
    const target = modelNamed(c.req.param("name"));
    c.set("model", target.project);
    const lease = target.acquire();
    if (lease === null) throw notReady(target);
    try {
      return c.json(modelCard(lease.run, lease.model, settings));
    } finally {
      lease.release();
    }
  });

  app.get("/v1/models/:name/drift", (c) => {
    const target = modelNamed(c.req.param("name"));
    c.set("model", target.project);
    return c.json(drift.snapshot(target.project, target.current?.runId ?? null));
  });

  app.get("/v1/health", (c) => c.json({ status: "ok" }));

  app.get("/v1/ready", (c) => {
    if (shuttingDown()) {
      throw new RequestRejectedError(
        503,
        "shutting_down",
        "Cannot take new work: the service is shutting down; send requests to another instance",
      );
    }
    const model = holder.current;
    if (model === null) throw notReady(holder);
    return c.json({ status: "ready", run_id: model.runId });
  });

  app.get("/v1/model", (c) => {
    const lease = holder.acquire();
    if (lease === null) throw notReady(holder);
    try {
      return c.json(modelCard(lease.run, lease.model, settings));
    } finally {
      lease.release();
    }
  });

  app.get("/openapi.json", (c) => c.json(openApiDocument(models, settings)));

  app.post("/v1/admin/reload", async (c) => {
    // With tokens, the admin scope (checked above) is what counts, from any address: behind a
    // proxy on this machine every client looks local. Without tokens, loopback clients only.
    const address = remoteAddressOf(c);
    if (!auth.enabled && !isLoopback(address)) {
      throw new RequestRejectedError(
        403,
        "forbidden",
        `Cannot reload the model for ${
          describeAddress(address)
        }: only loopback clients may; send POST /v1/admin/reload from the machine the service runs on (deno task deploy does)`,
      );
    }
    // A poll already in flight may have read production before this request: if it found
    // nothing new, read again.
    const reloaded = (await models.refresh()) || (await models.refresh());
    return c.json({
      run_id: holder.current?.runId ?? null,
      reloaded,
      error: holder.lastError,
      models: Object.fromEntries(
        models.holders().map((
          each,
        ) => [each.project, { run_id: each.current?.runId ?? null, error: each.lastError }]),
      ),
    });
  });

  app.get("/metrics", (c) => {
    const text = metrics.render(
      models.holders().map((each) => ({
        model: each.project,
        isDefault: each === holder,
        runId: each.current?.runId ?? null,
        reloads: each.reloads,
        reloadFailures: each.failures,
      })),
    );
    const drifts = models.holders().map((each) =>
      drift.snapshot(each.project, each.current?.runId ?? null)
    );
    return c.body(text + renderDriftMetrics(drifts), 200, {
      "Content-Type": PROMETHEUS_CONTENT_TYPE,
    });
  });

  for (const [path, methods] of Object.entries(ROUTES)) {
    app.all(path, (c) => {
      throw new RequestRejectedError(
        405,
        "method_not_allowed",
        `Cannot answer ${c.req.method} ${path}: the route answers ${methods.join(", ")}`,
        { headers: { Allow: methods.join(", ") } },
      );
    });
  }

  app.notFound((c) => {
    const routes = Object.entries(ROUTES).map(([path, methods]) =>
      `${methods[0]} ${path.replace(":name", "<name>")}`
    );
    const path = c.req.path.length > 200 ? `${c.req.path.slice(0, 200)}…` : c.req.path;
    return answer(
      c,
      metrics,
      new RequestRejectedError(
        404,
        "not_found",
        `Cannot find ${c.req.method} ${JSON.stringify(path)}: the service answers ${
          routes.join(", ")
        }`,
      ),
    );
  });

  app.onError((error, c) => {
    if (error instanceof RequestRejectedError) return answer(c, metrics, error);
    logger.error("Cannot answer {method} {path}: {error}", {
      request_id: c.get("requestId") ?? null,
      method: c.req.method,
      path: c.req.path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
    return answer(
      c,
      metrics,
      new RequestRejectedError(
        500,
        "internal",
        "Cannot answer the request: the service failed unexpectedly; the failure is logged, try again or report it",
      ),
    );
  });

  return app;
}

function answer(c: Context<Env>, metrics: ServeMetrics, error: RequestRejectedError): Response {
  metrics.countError(error.code);
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  const requestId = c.get("requestId");
  const body = requestId === undefined
    ? error.toBody()
    : { ...error.toBody(), request_id: requestId };
  return c.json(body, error.status as ContentfulStatusCode);
}

/** The client's address from the env `app.fetch` got (`undefined` when called without one). */
function remoteAddressOf(c: Context<Env>): Deno.Addr | undefined {
  return (c.env as Env["Bindings"] | undefined)?.remoteAddr;
}

/** A client address for the access log: `host:port`, a socket kind, or `null`. */
function describeClient(address: Deno.Addr | undefined): string | null {
  if (address === undefined) return null;
  if (!("hostname" in address)) return address.transport;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  return `${host}:${address.port}`;
}

/** Whether a client address is on this machine: 127.0.0.0/8, ::1 (or v4-mapped), a socket. */
function isLoopback(address: Deno.Addr | undefined): boolean {
  if (address === undefined) return false;
  if (address.transport === "unix" || address.transport === "unixpacket") return true;
  if (!("hostname" in address)) return false;
  const host = address.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const v4 = host.startsWith("::ffff:") ? host.slice("::ffff:".length) : host;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || host === "::1" ||
    host === "0:0:0:0:0:0:0:1";
}

function describeAddress(address: Deno.Addr | undefined): string {
  if (address === undefined) return "a client of unknown address";
  return "hostname" in address ? `client ${address.hostname}` : `a ${address.transport} client`;
}

function notReady(holder: ModelHolder): RequestRejectedError {
  return new RequestRejectedError(
    503,
    "not_ready",
    `Cannot answer: no model of project "${holder.project}" is loaded yet (${
      holder.lastError ?? "the production model is loading"
    })`,
    { headers: { "Retry-After": "1" } },
  );
}

/** One entry of `GET /v1/models`. */
function modelEntry(holder: ModelHolder, defaultName: string): Record<string, unknown> {
  const model = holder.current;
  const primary = model?.metrics?.primary_metric ?? null;
  const value = (split: "val" | "test") => {
    const v = primary === null ? undefined : model?.metrics?.model[split]?.[primary];
    return typeof v === "number" && Number.isFinite(v) ? v : null;
  };
  return {
    name: holder.project,
    default: holder.project === defaultName,
    ready: model !== null,
    run_id: model?.runId ?? null,
    promoted_at: model?.promotedAt ?? null,
    primary_metric: primary === null
      ? null
      : { name: primary, val: value("val"), test: value("test") },
    error: model === null ? holder.lastError : null,
  };
}

/** The body of `GET /v1/model`. */
function modelCard(
  run: RunArtifacts,
  model: ServedModel,
  settings: Required<Omit<AppOptions, "logger" | "metrics" | "shuttingDown" | "drift">>,
): Record<string, unknown> {
  const { data } = run.loaded.config;
  const numericOnly = (split: Record<string, unknown> | null | undefined) =>
    split === null || split === undefined
      ? null
      : Object.fromEntries(Object.entries(split).filter(([, v]) => typeof v === "number"));
  return {
    model: model.project,
    run_id: model.runId,
    promoted_at: model.promotedAt,
    action: model.action,
    loaded_at: model.loadedAt,
    scoring: { engine: model.engine, reason: model.engineReason },
    task: run.model.task,
    family: run.model.family,
    target: data.target,
    classes: run.model.task === "classification" ? [...run.model.classes] : null,
    metrics: model.metrics === null ? null : {
      primary_metric: model.metrics.primary_metric,
      val: numericOnly(model.metrics.model.val),
      test: numericOnly(model.metrics.model.test),
    },
    input_schema: {
      columns: run.signature.columns,
      id_columns: data.id_columns,
    },
    example_request: { rows: [exampleRow(run)] },
    limits: {
      max_body_bytes: settings.maxBodyBytes,
      max_rows: settings.maxRows,
      max_value_chars: settings.maxValueChars,
      media_types: Object.values(REQUEST_MEDIA_TYPES),
    },
  };
}
