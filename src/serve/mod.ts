/**
 * The HTTP prediction service (`deno task serve`): a Hono app on `Deno.serve` that scores JSON
 * or CSV rows with the production run of every promoted project (`/v1/models/<name>/predict`;
 * `/v1/predict` for the loaded config's project; `/v1/models` lists them), through the run's
 * row engine (`compileRowScorer`: no polars per request, the same answers) or `scoreRows` (the
 * code `deno task predict` runs), scoring concurrent requests together (micro-batching); answers
 * health, readiness, model and Prometheus metrics routes, live drift of the rows each model
 * scores (`/v1/models/<name>/drift` and `/metrics`), and an OpenAPI 3.1 document
 * (`/openapi.json`); checks bearer tokens (`serve.tokens`), browser origins, request ids, header,
 * body and scoring limits; reloads each project's model when its production changes without
 * dropping requests, on its own poll or at once on a loopback `POST /v1/admin/reload`
 * (`deno task deploy` sends it); and shuts down gracefully.
 *
 * @module
 */
export { createApp, DEFAULT_APP_OPTIONS, ROUTES } from "./app.ts";
export type { AppOptions } from "./app.ts";
export {
  generateToken,
  refuseCredentialsInQuery,
  TOKEN_PREFIX,
  TokenAuthenticator,
  tokenSha256,
} from "./auth.ts";
export type { Caller, ServiceToken } from "./auth.ts";
export { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, CorsPolicy } from "./cors.ts";
export type { CorsDecision } from "./cors.ts";
export { REQUEST_ID_HEADER, REQUEST_ID_PATTERN, requestIdFor } from "./request_id.ts";
export { checkHeaderSize, overloaded, withScoringDeadline } from "./limits.ts";
export { openApiDocument } from "./openapi.ts";
export type { OpenApiSettings } from "./openapi.ts";
export { exampleRow } from "./example_row.ts";
export { BatchScorer, DEFAULT_BATCH_SCORER_OPTIONS } from "./batch_scorer.ts";
export type {
  BatchInfo,
  BatchScorerOptions,
  ExpectedRequest,
  Prediction,
  RequestWarning,
  ScoredRequest,
  ScoringEngine,
} from "./batch_scorer.ts";
export {
  BATCH_SIZE_BUCKETS,
  formatLabels,
  LATENCY_BUCKETS,
  METRIC_PREFIX,
  PROMETHEUS_CONTENT_TYPE,
  ServeMetrics,
} from "./metrics.ts";
export type { ModelMetricsState } from "./metrics.ts";
export { DEFAULT_MODEL_HOLDER_OPTIONS, ModelHolder } from "./model_holder.ts";
export type {
  ModelHolderOptions,
  ModelLease,
  ProductionSource,
  ServedModel,
} from "./model_holder.ts";
export { ModelCatalog } from "./model_catalog.ts";
export type { ModelCatalogOptions } from "./model_catalog.ts";
export { RequestRejectedError, ServiceReloadError } from "../errors.ts";
export type { ErrorBody, RequestProblem } from "../errors.ts";
export {
  DEFAULT_PARSE_ROWS_OPTIONS,
  parseCsvRows,
  parseJsonRows,
  readBodyText,
  REQUEST_MEDIA_TYPES,
  requestFormat,
  rowsRejected,
  rowsSchemaForRun,
} from "./request_rows.ts";
export type {
  ParseRowsOptions,
  RequestFormat,
  RequestRows,
  RowsSchema,
  RowValue,
} from "./request_rows.ts";
export { DEFAULT_LIVE_DRIFT_OPTIONS, LiveDrift } from "./live_drift.ts";
export type { DriftSnapshot, LiveDriftOptions } from "./live_drift.ts";
export { RecentRows } from "./recent_rows.ts";
export { renderDriftMetrics } from "./drift_metrics.ts";
export { DEFAULT_START_SERVER_OPTIONS, startServer } from "./server.ts";
export type { RunningServer, StartServerOptions } from "./server.ts";
export { DEFAULT_REQUEST_RELOAD_OPTIONS, reloadUrl, requestReload } from "./reload_client.ts";
export type { ReloadOutcome, RequestReloadOptions } from "./reload_client.ts";
