/**
 * The service's counters and histograms, rendered in the Prometheus text exposition format
 * (version 0.0.4) for `GET /metrics`.
 *
 * @module
 */

/** Upper bounds (seconds) of the request latency histogram buckets. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Upper bounds of the histogram of requests merged into one scoring call. */
export const BATCH_SIZE_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128];

/** The `Content-Type` of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Prefix of every metric the service exports. */
export const METRIC_PREFIX = "deno_mlops_serve";

/** The state of one served model shown by {@link ServeMetrics.render}. */
export interface ModelMetricsState {
  /**
   * The project (`project.name`) the model serves, the `model` label; absent for a service of
   * one unnamed model.
   */
  model?: string;
  /** Whether it is the default project (`/v1/predict`); the unlabelled gauges follow it. */
  isDefault?: boolean;
  /** The run served now, or `null` when none is loaded. */
  runId: string | null;
  /** Successful model loads since start. */
  reloads: number;
  /** Model loads that failed. */
  reloadFailures: number;
}

class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array(bounds.length).fill(0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    // Buckets are cumulative when rendered; here each value counts once, in its first bucket.
    const i = this.bounds.findIndex((bound) => value <= bound);
    if (i >= 0) this.counts[i]!++;
  }
}

/**
 * Counts requests, latencies, rows and errors, and renders them for Prometheus.
 *
 * @example
 * ```ts
 * const metrics = new ServeMetrics();
 * metrics.observeRequest("/v1/predict", "POST", 200, 0.004);
 * metrics.render({ runId: "20261127-074512-penguins-1a2b3c4d", reloads: 1, reloadFailures: 0 });
 * ```
 */
export class ServeMetrics {
  #requests = new Map<string, number>();
  #latency = new Map<string, Histogram>();
  #errors = new Map<string, number>();
  #batchSizes = new Histogram(BATCH_SIZE_BUCKETS);
  #scoring = new Histogram(LATENCY_BUCKETS);
  #engineCalls = new Map<string, number>();
  #fallbacks = 0;
  #rowsPredicted = 0;
  #rowsRejected = 0;
  #inFlight = 0;
  #started = Date.now();

  /**
   * Records one answered request.
   *
   * @param route the route pattern (never the raw path, to bound the label values)
   * @param method the HTTP method
   * @param status the status answered
   * @param seconds time from arrival to the response
   * @param model the served project the request went to (a `model` label), or `null` for
   *   routes of no model and unknown model names (so label values stay bounded)
   * @example
   * ```ts
   * metrics.observeRequest("/v1/health", "GET", 200, 0.0002);
   * metrics.observeRequest("/v1/models/:name/predict", "POST", 200, 0.004, "cars");
   * ```
   */
  observeRequest(
    route: string,
    method: string,
    status: number,
    seconds: number,
    model: string | null = null,
  ): void {
    const key = formatLabels(
      model === null
        ? { route, method, status: String(status) }
        : { route, method, status: String(status), model },
    );
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    const routeKey = formatLabels(model === null ? { route } : { route, model });
    let histogram = this.#latency.get(routeKey);
    if (histogram === undefined) {
      histogram = new Histogram(LATENCY_BUCKETS);
      this.#latency.set(routeKey, histogram);
    }
    histogram.observe(seconds);
  }

  /**
   * Records an error answer by its code (`invalid_rows`, `body_too_large`, `internal`, ...).
   *
   * @param code the error code of the response body
   * @example
   * ```ts
   * metrics.countError("invalid_json");
   * ```
   */
  countError(code: string): void {
    const key = formatLabels({ code });
    this.#errors.set(key, (this.#errors.get(key) ?? 0) + 1);
  }

  /**
   * Adds rows that were scored (200) or refused (422).
   *
   * @param scored rows answered with a prediction
   * @param rejected rows of requests refused with 422
   * @example
   * ```ts
   * metrics.countRows(1000, 0);
   * ```
   */
  countRows(scored: number, rejected = 0): void {
    this.#rowsPredicted += scored;
    this.#rowsRejected += rejected;
  }

  /**
   * Records one scoring call: how many requests it merged, how long it took and which engine
   * made it.
   *
   * @param requests requests scored by the call
   * @param seconds time the call took
   * @param engine `rows` (the row engine) or `polars` (`scoreRows`)
   * @example
   * ```ts
   * metrics.observeBatch(3, 0.012, "polars");
   * ```
   */
  observeBatch(requests: number, seconds: number, engine: "rows" | "polars" = "polars"): void {
    this.#batchSizes.observe(requests);
    this.#scoring.observe(seconds);
    const key = formatLabels({ engine });
    this.#engineCalls.set(key, (this.#engineCalls.get(key) ?? 0) + 1);
  }

  /**
   * Counts a request the row engine left to `scoreRows`.
   *
   * @example
   * ```ts
   * metrics.countFallback();
   * ```
   */
  countFallback(): void {
    this.#fallbacks++;
  }

  /**
   * Marks a request as started (`+1`) or finished (`-1`).
   *
   * @param delta `1` or `-1`
   * @example
   * ```ts
   * metrics.trackInFlight(1);
   * ```
   */
  trackInFlight(delta: 1 | -1): void {
    this.#inFlight += delta;
  }

  /** Requests being answered now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Renders every metric in the Prometheus text format.
   *
   * The model gauges and counters get a `model` label per served project; the unlabelled
   * `model_loaded` follows the default project (or the only model), as before projects.
   *
   * @param served the served model, or one state per served project
   * @returns the exposition text, ending with a newline
   * @example
   * ```ts
   * const text = metrics.render({ runId: null, reloads: 0, reloadFailures: 0 });
   * ```
   */
  render(served: ModelMetricsState | readonly ModelMetricsState[]): string {
    const models: readonly ModelMetricsState[] = Array.isArray(served)
      ? served
      : [served as ModelMetricsState];
    const main = models.find((m) => m.isDefault) ?? models[0] ??
      { runId: null, reloads: 0, reloadFailures: 0 };
    const modelLabel = (m: ModelMetricsState, extra: Record<string, string> = {}) =>
      formatLabels(m.model === undefined ? extra : { model: m.model, ...extra });
    const braces = (text: string) => (text === "" ? "" : `{${text}}`);
    const p = METRIC_PREFIX;
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };

    family(
      `${p}_requests_total`,
      "counter",
      "HTTP requests answered, by route, method and status.",
    );
    for (const [key, value] of [...this.#requests].sort()) {
      out.push(`${p}_requests_total{${key}} ${value}`);
    }

    family(
      `${p}_request_duration_seconds`,
      "histogram",
      "Time from a request's arrival to its response, by route.",
    );
    for (const [key, histogram] of [...this.#latency].sort()) {
      histogramLines(out, `${p}_request_duration_seconds`, key, histogram);
    }

    family(`${p}_rows_predicted_total`, "counter", "Rows answered with a prediction.");
    out.push(`${p}_rows_predicted_total ${this.#rowsPredicted}`);
    family(
      `${p}_rows_rejected_total`,
      "counter",
      "Rows of requests refused with 422 (nothing of such a request is scored).",
    );
    out.push(`${p}_rows_rejected_total ${this.#rowsRejected}`);

    family(`${p}_errors_total`, "counter", "Error answers, by error code.");
    for (const [key, value] of [...this.#errors].sort()) {
      out.push(`${p}_errors_total{${key}} ${value}`);
    }

    family(
      `${p}_batch_requests`,
      "histogram",
      "Requests merged into one scoring call.",
    );
    histogramLines(out, `${p}_batch_requests`, "", this.#batchSizes);
    family(
      `${p}_scoring_duration_seconds`,
      "histogram",
      "Time of one scoring call (checks, cleaning, features and model on the merged rows).",
    );
    histogramLines(out, `${p}_scoring_duration_seconds`, "", this.#scoring);
    family(
      `${p}_scoring_calls_total`,
      "counter",
      "Scoring calls by engine: rows (the row engine) or polars (scoreRows).",
    );
    for (const [key, value] of [...this.#engineCalls].sort()) {
      out.push(`${p}_scoring_calls_total{${key}} ${value}`);
    }
    family(
      `${p}_row_engine_fallbacks_total`,
      "counter",
      "Requests the row engine left to scoreRows (rows it cannot answer exactly).",
    );
    out.push(`${p}_row_engine_fallbacks_total ${this.#fallbacks}`);

    family(`${p}_in_flight_requests`, "gauge", "Requests being answered now.");
    out.push(`${p}_in_flight_requests ${this.#inFlight}`);

    family(`${p}_model_info`, "gauge", "The run served now (1), by model and run id.");
    for (const m of models) {
      if (m.runId !== null) out.push(`${p}_model_info{${modelLabel(m, { run_id: m.runId })}} 1`);
    }
    family(
      `${p}_model_loaded`,
      "gauge",
      "1 when a model is loaded; unlabelled: the default model (the service is ready).",
    );
    out.push(`${p}_model_loaded ${main.runId === null ? 0 : 1}`);
    for (const m of models) {
      if (m.model !== undefined) {
        out.push(`${p}_model_loaded${braces(modelLabel(m))} ${m.runId === null ? 0 : 1}`);
      }
    }
    family(
      `${p}_model_reloads_total`,
      "counter",
      "Models loaded since start, the first included, by model.",
    );
    for (const m of models) {
      out.push(`${p}_model_reloads_total${braces(modelLabel(m))} ${m.reloads}`);
    }
    family(
      `${p}_model_reload_failures_total`,
      "counter",
      "Model loads that failed (the previous model stayed in service), by model.",
    );
    for (const m of models) {
      out.push(`${p}_model_reload_failures_total${braces(modelLabel(m))} ${m.reloadFailures}`);
    }

    const memory = Deno.memoryUsage();
    family("process_resident_memory_bytes", "gauge", "Resident memory of the process.");
    out.push(`process_resident_memory_bytes ${memory.rss}`);
    family("process_heap_used_bytes", "gauge", "V8 heap in use.");
    out.push(`process_heap_used_bytes ${memory.heapUsed}`);
    family("process_start_time_seconds", "gauge", "Start time of the service (Unix seconds).");
    out.push(`process_start_time_seconds ${Math.floor(this.#started / 1000)}`);
    return out.join("\n") + "\n";
  }
}

function histogramLines(out: string[], name: string, key: string, histogram: Histogram): void {
  const sep = key === "" ? "" : ",";
  let cumulative = 0;
  histogram.bounds.forEach((bound, i) => {
    cumulative += histogram.counts[i]!;
    out.push(`${name}_bucket{${key}${sep}le="${bound}"} ${cumulative}`);
  });
  out.push(`${name}_bucket{${key}${sep}le="+Inf"} ${histogram.count}`);
  const braces = key === "" ? "" : `{${key}}`;
  out.push(`${name}_sum${braces} ${histogram.sum}`);
  out.push(`${name}_count${braces} ${histogram.count}`);
}

/**
 * Formats label pairs for the Prometheus text format, escaping `\`, `"` and line breaks as the
 * format requires.
 *
 * @param pairs label names and values, in the order written
 * @returns the text between the braces, e.g. `model="penguins",route="/v1/predict"`
 * @example
 * ```ts
 * formatLabels({ model: 'say "hi"' }); // model="say \"hi\""
 * ```
 */
export function formatLabels(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([name, value]) =>
      `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`
    )
    .join(",");
}
