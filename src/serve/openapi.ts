/**
 * The service's OpenAPI 3.1 document (`GET /openapi.json`), generated from what it serves: each
 * model's input signature (types, known categories, training ranges, an example row that
 * scores), the prediction answer, and every error the routes can give.
 *
 * @module
 */
import type { ColumnSignature } from "../data/mod.ts";
import type { RunArtifacts } from "../pipelines/mod.ts";
import { isIntegerDtype } from "../utils/mod.ts";
import { exampleRow } from "./example_row.ts";
import type { ModelCatalog } from "./model_catalog.ts";
import { REQUEST_MEDIA_TYPES } from "./request_rows.ts";

/** What the document needs to know of the service's settings. */
export interface OpenApiSettings {
  /** Whether bearer tokens are configured (adds the security scheme and 401). */
  readonly tokens: readonly unknown[];
  /** `serve.max_rows`. */
  readonly maxRows: number;
  /** `serve.max_body_bytes`. */
  readonly maxBodyBytes: number;
}

type Json = Record<string, unknown>;

/** The error statuses and what each means, shared by every route that can give it. */
const ERRORS: Readonly<Record<string, string>> = {
  "400": "The request cannot be read: invalid JSON or UTF-8, or a credential in the query string",
  "401": "No bearer token, or one the service does not accept",
  "403":
    "The token lacks the scope, the origin is not allowed, or (without tokens) the client is not on loopback",
  "404": "No such route or model",
  "405": "The route does not answer this method",
  "408": "The body did not arrive within serve.body_timeout_ms",
  "413": "The body or the number of rows is over serve.max_body_bytes or serve.max_rows",
  "415": "The Content-Type is not application/json or text/csv (UTF-8)",
  "422": "Rows that break the input schema; problems lists each",
  "431": "The request headers are over serve.max_header_bytes",
  "503":
    "No model loaded yet, shutting down, too many requests in flight, or scoring over serve.scoring_timeout_ms; retry after Retry-After",
};

/**
 * Builds the OpenAPI 3.1 document of the service as it is now (the models loaded at the call).
 *
 * @param models the served models
 * @param settings whether tokens are on, and the body limits
 * @returns the document, ready for `JSON.stringify`
 * @example
 * ```ts
 * const document = openApiDocument(catalog, { tokens: [], maxRows: 10_000, maxBodyBytes: 1 << 20 });
 * document.paths["/v1/predict"].post.requestBody.content["application/json"].example; // { rows: [...] }
 * ```
 */
export function openApiDocument(models: ModelCatalog, settings: OpenApiSettings): Json {
  const secured = settings.tokens.length > 0;
  const schemas: Json = {
    Error: {
      type: "object",
      required: ["error", "message"],
      properties: {
        error: { type: "string", description: "A stable code, e.g. invalid_rows" },
        message: { type: "string", description: "What failed and how to fix it" },
        request_id: { type: "string", description: "The request's X-Request-Id" },
        problems: {
          type: "array",
          items: {
            type: "object",
            required: ["row", "column", "message"],
            properties: {
              row: { type: ["integer", "null"], minimum: 1 },
              column: { type: ["string", "null"] },
              message: { type: "string" },
            },
          },
        },
      },
    },
    DriftState: driftStateSchema(),
    Warning: {
      type: "object",
      required: ["column", "kind", "count", "message"],
      properties: {
        column: { type: "string" },
        kind: { enum: ["out_of_range", "unseen_category"] },
        count: { type: "integer", minimum: 1 },
        message: { type: "string" },
      },
    },
  };
  const paths: Json = {};
  const operation = (summary: string, responses: Json, statuses: string[], extra: Json = {}) => ({
    summary,
    ...extra,
    // An operation with `security: []` is open: no token, so no 401.
    responses: {
      ...responses,
      ...errorResponses(
        statuses,
        secured && !(Array.isArray(extra["security"]) && extra["security"].length === 0),
      ),
    },
  });
  const ok = (description: string, schema: Json = { type: "object" }) => ({
    "200": { description, content: { "application/json": { schema } } },
  });

  for (const holder of models.holders()) {
    const lease = holder.acquire();
    if (lease === null) continue;
    try {
      const key = componentKey(holder.project);
      Object.assign(schemas, modelSchemas(key, lease.run));
      const predict = predictOperation(key, holder.project, lease.run, settings, operation);
      paths[`/v1/models/${encodeURIComponent(holder.project)}/predict`] = { post: predict };
      if (holder === models.default) paths["/v1/predict"] = { post: predict };
    } finally {
      lease.release();
    }
  }

  const open = { security: [] };
  paths["/v1/health"] = {
    get: operation("Liveness: the process answers", ok("Alive"), ["503"], open),
  };
  paths["/v1/ready"] = {
    get: operation("Readiness: the default model is loaded", ok("Ready"), ["503"], open),
  };
  paths["/v1/models"] = { get: operation("Every served model", ok("The models"), ["403"]) };
  paths["/v1/models/{name}"] = {
    get: operation("A model's card", ok("The card"), ["403", "404", "503"], {
      parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
    }),
  };
  paths["/v1/models/{name}/drift"] = {
    get: operation(
      "The latest live drift check of a model's recent rows",
      ok("The drift state", { $ref: "#/components/schemas/DriftState" }),
      ["403", "404"],
      {
        parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
      },
    ),
  };
  paths["/v1/model"] = {
    get: operation("The default model's card", ok("The card"), ["403", "503"]),
  };
  paths["/metrics"] = {
    get: operation("Prometheus metrics", {
      "200": { description: "Metrics", content: { "text/plain": { schema: { type: "string" } } } },
    }, ["403"]),
  };
  paths["/openapi.json"] = { get: operation("This document", ok("The document"), ["403"]) };
  paths["/v1/admin/reload"] = {
    post: operation(
      "Load every project's production run now",
      ok("What each project serves after the reload"),
      ["403"],
      secured ? { security: [{ bearer: ["admin"] }] } : {},
    ),
  };

  const components: Json = { schemas, responses: errorComponents() };
  if (secured) {
    components["securitySchemes"] = {
      bearer: {
        type: "http",
        scheme: "bearer",
        description:
          "A token whose sha256 is in serve.tokens (deno task token makes one); scope admin for /v1/admin/*",
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "deno-mlops prediction service",
      version: models.default.current?.runId ?? "no model loaded",
      description:
        `Scores rows with the production run of each promoted project. The default project is "${models.defaultName}" at /v1/predict.`,
    },
    ...(secured ? { security: [{ bearer: [] }] } : {}),
    paths,
    components,
  };
}

/** The body of `GET /v1/models/{name}/drift` (a `DriftSnapshot`). */
function driftStateSchema(): Json {
  const time = { type: ["string", "null"], format: "date-time" };
  const count = { type: "integer", minimum: 0 };
  const column = {
    type: "object",
    required: ["column", "kind", "test", "score", "threshold", "drifted"],
    properties: {
      column: { type: "string" },
      kind: { enum: ["numeric", "categorical"] },
      test: { enum: ["ks", "chisquare", "z", "wasserstein", "jensenshannon", "none"] },
      statistic: { type: ["number", "null"] },
      p_value: { type: ["number", "null"] },
      score: {
        type: ["number", "null"],
        description: "The p-value of a test, or the distance, compared with threshold",
      },
      threshold: { type: "number" },
      drifted: { type: "boolean" },
    },
  };
  return {
    type: "object",
    required: [
      "model",
      "run_id",
      "enabled",
      "status",
      "reservoir",
      "checked_at",
      "next_check_at",
      "min_rows",
      "error",
      "report",
    ],
    properties: {
      model: { type: "string" },
      run_id: { type: ["string", "null"] },
      enabled: { type: "boolean", description: "serve.drift.enabled" },
      status: {
        enum: ["ok", "collecting", "off"],
        description:
          "off: monitoring is off; collecting: no check of the served run yet; ok: report is the latest check",
      },
      reservoir: {
        type: "object",
        required: ["rows", "capacity", "seen"],
        properties: {
          rows: { ...count, description: "Recent rows kept now" },
          capacity: { ...count, description: "serve.drift.reservoir_rows" },
          seen: { ...count, description: "Rows scored by the run since the sample started" },
        },
      },
      checked_at: time,
      next_check_at: time,
      min_rows: { ...count, description: "serve.drift.min_rows" },
      error: { type: ["string", "null"], description: "Why the latest check failed" },
      report: {
        description: "The latest drift report (the format of deno task drift), or null",
        oneOf: [
          { type: "null" },
          {
            type: "object",
            required: ["version", "reference_rows", "current_rows", "columns", "dataset"],
            properties: {
              version: { type: "integer" },
              reference_rows: count,
              current_rows: count,
              settings: { type: "object" },
              columns: { type: "array", items: column },
              dataset: {
                type: "object",
                required: ["drifted", "share_drifted", "n_drifted", "n_columns"],
                properties: {
                  drifted: { type: "boolean" },
                  share_drifted: { type: "number", minimum: 0, maximum: 1 },
                  n_drifted: count,
                  n_columns: count,
                  n_skipped: count,
                  dataset_share: { type: "number" },
                },
              },
            },
          },
        ],
      },
    },
  };
}

/** A component-name-safe key for a project name. */
function componentKey(project: string): string {
  return project.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** `Row_<key>`, `PredictRequest_<key>` and `PredictResponse_<key>` of one run. */
function modelSchemas(key: string, run: RunArtifacts): Json {
  const extra = [...run.loaded.config.data.id_columns, run.loaded.config.data.target];
  const properties: Json = Object.fromEntries(
    run.signature.columns.map((column) => [column.name, columnSchema(column)]),
  );
  for (const name of extra) {
    if (!Object.hasOwn(properties, name)) {
      properties[name] = { description: "Accepted and ignored for scoring (an id or the target)" };
    }
  }
  const classification = run.model.task === "classification";
  const prediction = classification
    ? {
      type: "object",
      required: ["prediction", "probabilities"],
      properties: {
        prediction: { enum: [...run.model.classes] },
        probabilities: {
          type: "object",
          required: [...run.model.classes],
          properties: Object.fromEntries(
            run.model.classes.map((c) => [c, { type: "number", minimum: 0, maximum: 1 }]),
          ),
        },
      },
    }
    : {
      type: "object",
      required: ["prediction"],
      properties: { prediction: { type: "number" } },
    };
  return {
    [`Row_${key}`]: {
      type: "object",
      required: run.signature.columns.map((column) => column.name),
      properties,
      additionalProperties: false,
    },
    [`PredictRequest_${key}`]: {
      type: "object",
      required: ["rows"],
      properties: {
        rows: { type: "array", minItems: 1, items: { $ref: `#/components/schemas/Row_${key}` } },
      },
    },
    [`PredictResponse_${key}`]: {
      type: "object",
      required: ["run_id", "rows", "predictions", "warnings"],
      properties: {
        run_id: { type: "string" },
        rows: { type: "integer", minimum: 1 },
        predictions: { type: "array", items: prediction },
        warnings: { type: "array", items: { $ref: "#/components/schemas/Warning" } },
      },
    },
  };
}

/** The JSON Schema of one input column, from the run's signature. */
function columnSchema(column: ColumnSignature): Json {
  const nullable = column.nullable ? ["null"] : [];
  if (column.kind === "numeric") {
    const type = isIntegerDtype(column.dtype) ? "integer" : "number";
    return {
      type: [type, ...nullable],
      description:
        `${column.dtype}; training range ${column.min} to ${column.max} (values outside are scored with an out_of_range warning; numeric text is read too)`,
      examples: [column.min, column.max],
    };
  }
  if (column.kind === "categorical") {
    if (column.dtype !== "String") {
      return {
        description: `${column.dtype} codes seen in training: ${column.categories.join(", ")}`,
        examples: column.categories.slice(0, 5),
      };
    }
    return {
      enum: [...column.categories, ...(column.nullable ? [null] : [])],
      description:
        "The values seen in training (another value is scored with an unseen_category warning)",
    };
  }
  return {
    type: ["string", ...nullable],
    description: `${column.dtype}, ISO 8601; training range ${column.min} to ${column.max}`,
    examples: [column.min],
  };
}

/** The prediction operation of one model. */
function predictOperation(
  key: string,
  project: string,
  run: RunArtifacts,
  settings: OpenApiSettings,
  operation: (summary: string, responses: Json, statuses: string[], extra?: Json) => Json,
): Json {
  const example = exampleRow(run);
  const columns = Object.keys(example);
  const csvCell = (value: unknown) => {
    const text = value === null ? "" : String(value);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const csv = `${columns.map(csvCell).join(",")}\n${
    columns.map((c) => csvCell(example[c])).join(",")
  }\n`;
  return operation(
    `Score rows with "${project}" (run ${run.id})`,
    {
      "200": {
        description: "One prediction per row, in order",
        headers: { "X-Run-Id": { schema: { type: "string" } } },
        content: {
          "application/json": {
            schema: { $ref: `#/components/schemas/PredictResponse_${key}` },
          },
        },
      },
    },
    ["400", "403", "404", "408", "413", "415", "422", "431", "503"],
    {
      requestBody: {
        required: true,
        description:
          `Up to ${settings.maxRows} rows and ${settings.maxBodyBytes} bytes (serve.max_rows, serve.max_body_bytes)`,
        content: {
          [REQUEST_MEDIA_TYPES.json]: {
            schema: { $ref: `#/components/schemas/PredictRequest_${key}` },
            example: { rows: [example] },
          },
          [REQUEST_MEDIA_TYPES.csv]: {
            schema: { type: "string", description: "A header line, then one line per row" },
            example: csv,
          },
        },
      },
    },
  );
}

/** References to the shared error responses, for the given statuses (and 401 when secured). */
function errorResponses(statuses: string[], secured: boolean): Json {
  const listed = [...new Set([...statuses, "400", "431", ...(secured ? ["401"] : [])])];
  return Object.fromEntries(
    listed.sort().map((status) => [status, { $ref: `#/components/responses/Error${status}` }]),
  );
}

/** The shared error responses: an `Error` body for every status the service can give. */
function errorComponents(): Json {
  return Object.fromEntries(
    Object.entries(ERRORS).map(([status, description]) => [
      `Error${status}`,
      {
        description,
        headers: ["503", "401"].includes(status)
          ? {
            [status === "503" ? "Retry-After" : "WWW-Authenticate"]: {
              schema: { type: "string" },
            },
          }
          : undefined,
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
      },
    ]).map(([name, value]) => {
      const response = value as Json;
      if (response["headers"] === undefined) delete response["headers"];
      return [name, response];
    }),
  );
}
