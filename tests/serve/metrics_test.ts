import assert from "node:assert/strict";
import { LATENCY_BUCKETS, ServeMetrics } from "../../src/serve/mod.ts";

/** The value of one sample line of the exposition text, or undefined. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

Deno.test("ServeMetrics.render() counts requests by route, method and status", () => {
  const metrics = new ServeMetrics();
  metrics.observeRequest("/v1/predict", "POST", 200, 0.004);
  metrics.observeRequest("/v1/predict", "POST", 200, 0.02);
  metrics.observeRequest("/v1/predict", "POST", 422, 0.001);
  metrics.observeRequest("unmatched", "GET", 404, 0.0001);
  const text = metrics.render({ runId: "run-a", reloads: 2, reloadFailures: 1 });
  assert.equal(
    sample(text, 'deno_mlops_serve_requests_total{route="/v1/predict",method="POST",status="200"}'),
    2,
  );
  assert.equal(
    sample(text, 'deno_mlops_serve_requests_total{route="/v1/predict",method="POST",status="422"}'),
    1,
  );
  assert.equal(
    sample(text, 'deno_mlops_serve_requests_total{route="unmatched",method="GET",status="404"}'),
    1,
  );
  assert.equal(sample(text, 'deno_mlops_serve_model_info{run_id="run-a"}'), 1);
  assert.equal(sample(text, "deno_mlops_serve_model_loaded"), 1);
  assert.equal(sample(text, "deno_mlops_serve_model_reloads_total"), 2);
  assert.equal(sample(text, "deno_mlops_serve_model_reload_failures_total"), 1);
  assert.ok(sample(text, "process_resident_memory_bytes")! > 0);
  assert.ok(text.endsWith("\n"));
});

Deno.test("ServeMetrics.render() writes cumulative latency buckets with sum and count", () => {
  const metrics = new ServeMetrics();
  for (const seconds of [0.0005, 0.003, 0.003, 0.2, 30]) {
    metrics.observeRequest("/v1/predict", "POST", 200, seconds);
  }
  const text = metrics.render({ runId: null, reloads: 0, reloadFailures: 0 });
  const bucket = (le: string) =>
    sample(
      text,
      `deno_mlops_serve_request_duration_seconds_bucket{route="/v1/predict",le="${le}"}`,
    );
  assert.equal(bucket("0.001"), 1);
  assert.equal(bucket("0.0025"), 1);
  assert.equal(bucket("0.005"), 3);
  assert.equal(bucket("0.25"), 4);
  assert.equal(bucket(String(LATENCY_BUCKETS.at(-1))), 4);
  assert.equal(bucket("+Inf"), 5);
  assert.equal(
    sample(text, 'deno_mlops_serve_request_duration_seconds_count{route="/v1/predict"}'),
    5,
  );
  assert.ok(
    Math.abs(
      sample(text, 'deno_mlops_serve_request_duration_seconds_sum{route="/v1/predict"}')! -
        30.2065,
    ) < 1e-9,
  );
  assert.equal(sample(text, "deno_mlops_serve_model_loaded"), 0);
  assert.ok(!text.includes("deno_mlops_serve_model_info{"));
});

Deno.test("ServeMetrics.render() counts rows, errors, batches and in-flight requests", () => {
  const metrics = new ServeMetrics();
  metrics.countRows(1000);
  metrics.countRows(0, 3);
  metrics.countError("invalid_rows");
  metrics.countError("invalid_rows");
  metrics.countError("body_too_large");
  metrics.observeBatch(1, 0.004);
  metrics.observeBatch(5, 0.02);
  metrics.trackInFlight(1);
  const text = metrics.render({ runId: null, reloads: 0, reloadFailures: 0 });
  assert.equal(sample(text, "deno_mlops_serve_rows_predicted_total"), 1000);
  assert.equal(sample(text, "deno_mlops_serve_rows_rejected_total"), 3);
  assert.equal(sample(text, 'deno_mlops_serve_errors_total{code="invalid_rows"}'), 2);
  assert.equal(sample(text, 'deno_mlops_serve_errors_total{code="body_too_large"}'), 1);
  assert.equal(sample(text, 'deno_mlops_serve_batch_requests_bucket{le="4"}'), 1);
  assert.equal(sample(text, 'deno_mlops_serve_batch_requests_bucket{le="8"}'), 2);
  assert.equal(sample(text, "deno_mlops_serve_batch_requests_sum"), 6);
  assert.equal(sample(text, 'deno_mlops_serve_scoring_duration_seconds_bucket{le="0.005"}'), 1);
  assert.equal(sample(text, "deno_mlops_serve_scoring_duration_seconds_count"), 2);
  assert.equal(sample(text, "deno_mlops_serve_in_flight_requests"), 1);
  assert.equal(metrics.inFlight, 1);
});

Deno.test("ServeMetrics.render() escapes quotes, backslashes and newlines in label values", () => {
  const metrics = new ServeMetrics();
  metrics.countError('a"b\\c\nd');
  const text = metrics.render({ runId: null, reloads: 0, reloadFailures: 0 });
  assert.ok(text.includes('deno_mlops_serve_errors_total{code="a\\"b\\\\c\\nd"} 1'));
});

Deno.test("ServeMetrics.render() declares every family once with HELP and TYPE", () => {
  const text = new ServeMetrics().render({ runId: "r", reloads: 1, reloadFailures: 0 });
  const types = text.split("\n").filter((l) => l.startsWith("# TYPE "));
  const names = types.map((l) => l.split(" ")[2]);
  assert.equal(new Set(names).size, names.length);
  for (const name of names) assert.ok(text.includes(`# HELP ${name} `), String(name));
  for (const line of text.trimEnd().split("\n")) {
    if (line.startsWith("#")) continue;
    assert.match(line, /^[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+$/, line);
  }
});

Deno.test("ServeMetrics.render() labels requests and model state by model when several are served", () => {
  const metrics = new ServeMetrics();
  metrics.observeRequest("/v1/predict", "POST", 200, 0.004, "penguins");
  metrics.observeRequest("/v1/models/:name/predict", "POST", 200, 0.004, "cars");
  metrics.observeRequest("/v1/models/:name/predict", "POST", 404, 0.001);
  const text = metrics.render([
    { model: "cars", runId: "run-c", reloads: 1, reloadFailures: 0 },
    { model: "penguins", isDefault: true, runId: null, reloads: 0, reloadFailures: 2 },
  ]);
  assert.equal(
    sample(
      text,
      'deno_mlops_serve_requests_total{route="/v1/predict",method="POST",status="200",model="penguins"}',
    ),
    1,
  );
  assert.equal(
    sample(
      text,
      'deno_mlops_serve_requests_total{route="/v1/models/:name/predict",method="POST",status="200",model="cars"}',
    ),
    1,
  );
  assert.equal(
    sample(
      text,
      'deno_mlops_serve_requests_total{route="/v1/models/:name/predict",method="POST",status="404"}',
    ),
    1,
  );
  assert.equal(
    sample(
      text,
      'deno_mlops_serve_request_duration_seconds_count{route="/v1/predict",model="penguins"}',
    ),
    1,
  );
  assert.equal(sample(text, 'deno_mlops_serve_model_info{model="cars",run_id="run-c"}'), 1);
  assert.ok(!text.includes('model_info{model="penguins"'), "no run, no info line");
  // The unlabelled gauge follows the default model.
  assert.equal(sample(text, "deno_mlops_serve_model_loaded"), 0);
  assert.equal(sample(text, 'deno_mlops_serve_model_loaded{model="cars"}'), 1);
  assert.equal(sample(text, 'deno_mlops_serve_model_loaded{model="penguins"}'), 0);
  assert.equal(sample(text, 'deno_mlops_serve_model_reloads_total{model="cars"}'), 1);
  assert.equal(sample(text, 'deno_mlops_serve_model_reload_failures_total{model="penguins"}'), 2);
});
