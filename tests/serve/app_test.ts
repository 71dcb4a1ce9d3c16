import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import type { RegistryConfig } from "../../src/config/mod.ts";
import { projectProductionDir, promoteRun, readProductionPointer } from "../../src/models/mod.ts";
import { runTraining, scoreRows } from "../../src/pipelines/mod.ts";
import { createApp, ModelHolder, ServeMetrics } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

const COLUMNS = [
  "Island",
  "Beak Length (mm)",
  "Beak Depth (mm)",
  "Flipper Length (mm)",
  "Body Mass (g)",
  "Sex",
];
const GENTOO = {
  Island: "Biscoe",
  "Beak Length (mm)": 46.1,
  "Beak Depth (mm)": 13.2,
  "Flipper Length (mm)": 211,
  "Body Mass (g)": 4500,
  Sex: "FEMALE",
};
const ADELIE = {
  Island: "Dream",
  "Beak Length (mm)": 39.5,
  "Beak Depth (mm)": 18.8,
  "Flipper Length (mm)": 190,
  "Body Mass (g)": 3700,
  Sex: "MALE",
};

/** A temporary project with two trained runs, the first in production. */
async function setUp(): Promise<{ root: string; registry: RegistryConfig; ids: [string, string] }> {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const ids: string[] = [];
  for (const epochs of [10, 12]) {
    const result = await runTraining(
      await loadConfig({ root, overrides: [`training.epochs=${epochs}`] }),
    );
    result.model.dispose();
    ids.push(result.id);
  }
  const { registry } = (await loadConfig({ root })).config;
  await promoteRun(registry, "penguins", { runId: ids[0]!, force: true, reason: "test" });
  return { root, registry, ids: ids as [string, string] };
}

const project = await setUp();
const [FIRST, SECOND] = project.ids;

/** A holder serving FIRST and an app around it; `close()` releases both. */
async function serving(options: Parameters<typeof createApp>[1] = {}) {
  const pointer = await readProductionPointer(
    projectProductionDir(project.registry.production_dir, "penguins"),
  );
  if (pointer?.run_id !== FIRST) {
    await promoteRun(project.registry, "penguins", { runId: FIRST, force: true, reason: "test" });
  }
  const holder = new ModelHolder({ ...project.registry, project: "penguins" }, project.root);
  await holder.refresh();
  const metrics = new ServeMetrics();
  const app = createApp(holder, { maxRows: 20, maxBodyBytes: 8192, metrics, ...options });
  return {
    holder,
    metrics,
    app,
    fetch: (path: string, init: RequestInit = {}) =>
      Promise.resolve(app.fetch(new Request(`http://localhost${path}`, init))),
    predict: (body: unknown, type = "application/json") =>
      Promise.resolve(app.fetch(
        new Request("http://localhost/v1/predict", {
          method: "POST",
          headers: { "content-type": type, "x-request-id": "test-request" },
          body: typeof body === "string" ? body : JSON.stringify(body),
        }),
      )),
    close: () => holder.close(),
  };
}

Deno.test("POST /v1/predict answers the predictions scoreRows gives for the same rows", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const response = await s.predict({ rows: [GENTOO, ADELIE] });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-run-id"), FIRST);
    const body = await response.json();
    assert.equal(body.run_id, FIRST);
    assert.equal(body.rows, 2);
    assert.deepEqual(body.warnings, []);

    const lease = s.holder.acquire()!;
    const frame = pl.DataFrame(
      Object.fromEntries(
        COLUMNS.map((c) => [c, [GENTOO, ADELIE].map((r) => r[c as keyof typeof r])]),
      ),
    );
    const expected = scoreRows(lease.run, frame).predictions!;
    lease.release();
    const classes = ["Adelie", "Chinstrap", "Gentoo"];
    assert.deepEqual(
      body.predictions,
      expected.toRecords().map((r) => ({
        prediction: r["prediction"],
        probabilities: Object.fromEntries(classes.map((c) => [c, r[`proba_${c}`]])),
      })),
    );
    assert.deepEqual(body.predictions.map((p: { prediction: string }) => p.prediction), [
      "Gentoo",
      "Adelie",
    ]);
  } finally {
    await s.close();
  }
});

Deno.test("POST /v1/predict answers CSV rows exactly like the same rows in JSON", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const csv = [
      COLUMNS.map((c) => (c.includes(" ") ? `"${c}"` : c)).join(","),
      ...[GENTOO, ADELIE].map((r) => COLUMNS.map((c) => r[c as keyof typeof r]).join(",")),
    ].join("\n");
    const fromCsv = await (await s.predict(csv, "text/csv; charset=utf-8")).json();
    const fromJson = await (await s.predict({ rows: [GENTOO, ADELIE] })).json();
    assert.deepEqual(fromCsv, fromJson);
  } finally {
    await s.close();
  }
});

Deno.test("POST /v1/predict answers 422 with every row problem scoreRows finds and scores nothing", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const response = await s.predict({
      rows: [
        GENTOO,
        { ...ADELIE, "Beak Length (mm)": "abc" },
        { ...ADELIE, Sex: null },
        { ...ADELIE, "Body Mass (g)": "NaN" },
        { ...ADELIE, "Flipper Length (mm)": "Infinity" },
      ],
    });
    assert.equal(response.status, 422);
    const body = await response.json();
    assert.equal(body.error, "invalid_rows");
    assert.equal(
      body.message,
      "Cannot score the request: 4 of 5 rows have problems, so nothing was scored; fix the listed fields and send it again",
    );
    assert.deepEqual(body.problems, [
      { row: 2, column: "Beak Length (mm)", message: 'cannot parse "abc" as a number' },
      { row: 3, column: "Sex", message: "missing value" },
      { row: 4, column: "Body Mass (g)", message: 'not a finite number: "NaN"' },
      { row: 5, column: "Flipper Length (mm)", message: 'not a finite number: "Infinity"' },
    ]);
    assert.equal(body.predictions, undefined);
  } finally {
    await s.close();
  }
});

Deno.test("POST /v1/predict lists problems of shape and of value together, in row order", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const [mixed, good] = await Promise.all([
      s.predict({
        rows: [
          { ...ADELIE, Comment: "x", "Beak Depth (mm)": "deep" },
          { ...ADELIE, "Beak Length (mm)": "46,1" },
          GENTOO,
          { ...ADELIE, Sex: 5 },
          { ...GENTOO, "Body Mass (g)": null },
        ],
      }),
      s.predict({ rows: [GENTOO] }),
    ]);
    assert.equal(good.status, 200);
    assert.equal(mixed.status, 422);
    const body = await mixed.json();
    assert.match(body.message, /^Cannot score the request: 4 of 5 rows have problems/);
    assert.deepEqual(body.problems.map((p: { row: number; column: string }) => [p.row, p.column]), [
      [1, "Comment"],
      [1, "Beak Depth (mm)"],
      [2, "Beak Length (mm)"],
      [4, "Sex"],
      [5, "Body Mass (g)"],
    ]);
    assert.equal(body.problems[2].message, 'cannot parse "46,1" as a number');
    assert.equal(body.problems[4].message, "missing value");
  } finally {
    await s.close();
  }
});

Deno.test("POST /v1/predict scores values outside training but flags them in warnings", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const response = await s.predict({
      rows: [{ ...GENTOO, "Body Mass (g)": 9000 }, { ...ADELIE, Island: "Atlantis" }, ADELIE],
    });
    assert.equal(response.status, 200);
    const body = await response.json();
    assert.equal(body.predictions.length, 3);
    assert.deepEqual(
      body.warnings.map((
        w: { column: string; kind: string; count: number },
      ) => [w.column, w.kind, w.count]),
      [
        ["Body Mass (g)", "out_of_range", 1],
        ["Island", "unseen_category", 1],
      ],
    );
    assert.match(
      body.warnings[0].message,
      /^1 value outside the training range \[\d+, \d+\]: scored all the same/,
    );
  } finally {
    await s.close();
  }
});

Deno.test("Requests that arrive together are scored in one scoreRows call, each with its own answer", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving({ rowEngineMaxRows: 0 }); // every request goes to scoreRows
  try {
    const bodies = [
      { rows: [GENTOO] },
      { rows: [ADELIE, GENTOO] },
      { rows: [{ ...ADELIE, "Beak Depth (mm)": "deep" }] },
      { rows: [ADELIE] },
    ];
    const responses = await Promise.all(bodies.map((b) => s.predict(b)));
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 422, 200]);
    const answers = await Promise.all(responses.map((r) => r.json()));
    assert.deepEqual(answers[0].predictions.map((p: { prediction: string }) => p.prediction), [
      "Gentoo",
    ]);
    assert.deepEqual(answers[1].predictions.map((p: { prediction: string }) => p.prediction), [
      "Adelie",
      "Gentoo",
    ]);
    assert.deepEqual(answers[2].problems, [
      { row: 1, column: "Beak Depth (mm)", message: 'cannot parse "deep" as a number' },
    ]);
    assert.deepEqual(answers[3].predictions.map((p: { prediction: string }) => p.prediction), [
      "Adelie",
    ]);
    // Alone, each gets the same answer.
    assert.deepEqual(await (await s.predict(bodies[1])).json(), answers[1]);
    const text = s.metrics.render({ runId: null, reloads: 0, reloadFailures: 0 });
    assert.match(text, /deno_mlops_serve_batch_requests_count 2\n/);
    assert.match(text, /deno_mlops_serve_batch_requests_sum 5\n/);
    assert.match(text, /deno_mlops_serve_scoring_calls_total\{engine="polars"\} 2\n/);
    assert.match(text, /deno_mlops_serve_rows_predicted_total 6\n/);
    assert.match(text, /deno_mlops_serve_rows_rejected_total 1\n/);
  } finally {
    await s.close();
  }
});

Deno.test("Concurrent requests are scored in one row-engine call; a request with a bad row alone gets 422", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const batched = await serving();
  const alone = await serving({ batchWaitMs: 0 });
  try {
    const bodies = [
      { rows: [GENTOO] },
      { rows: [ADELIE, GENTOO] },
      { rows: [ADELIE, { ...ADELIE, Sex: null }] },
      { rows: [{ ...GENTOO, "Body Mass (g)": 6100 }] },
      { rows: [ADELIE] },
    ];
    const responses = await Promise.all(bodies.map((b) => batched.predict(b)));
    assert.deepEqual(responses.map((r) => r.status), [200, 200, 422, 200, 200]);
    const answers = await Promise.all(responses.map((r) => r.json()));
    assert.deepEqual(answers[2].problems, [{ row: 2, column: "Sex", message: "missing value" }]);
    // Each answer is the one the request gets scored alone, probabilities to the bit.
    for (const [i, body] of bodies.entries()) {
      assert.deepEqual(answers[i], await (await alone.predict(body)).json());
    }
    const text = batched.metrics.render({ runId: null, reloads: 0, reloadFailures: 0 });
    assert.match(text, /deno_mlops_serve_scoring_calls_total\{engine="rows"\} 1\n/);
    assert.match(text, /deno_mlops_serve_batch_requests_sum 5\n/);
    assert.match(text, /deno_mlops_serve_rows_predicted_total 5\n/);
    assert.match(text, /deno_mlops_serve_rows_rejected_total 2\n/);
  } finally {
    await batched.close();
    await alone.close();
  }
});

Deno.test("POST /v1/predict answers the same through the row engine as through scoreRows", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const rows = await serving();
  const polars = await serving({ rowEngineMaxRows: 0 });
  try {
    const csv = [
      COLUMNS.map((c) => (c.includes(" ") ? `"${c}"` : c)).join(","),
      ...[GENTOO, ADELIE].map((r) => COLUMNS.map((c) => r[c as keyof typeof r]).join(",")),
      "Dream, 41.1 ,18,190,,MALE",
    ].join("\n");
    const bodies: Array<[unknown, string]> = [
      [{ rows: [GENTOO, ADELIE] }, "application/json"],
      [{ rows: [{ ...ADELIE, "Beak Depth (mm)": "deep" }, GENTOO] }, "application/json"],
      [{ rows: [{ ...ADELIE, "Body Mass (g)": 9000, Island: "Atlantis" }] }, "application/json"],
      [{ rows: [{ ...ADELIE, Sex: " ." }, { ...GENTOO, Sex: null }] }, "application/json"],
      [
        { rows: [{ ...ADELIE, "Beak Length (mm)": " 41.1 ", Island: "Torgersen " }] },
        "application/json",
      ],
      [{ rows: [{ ...ADELIE, "Flipper Length (mm)": "inf" }] }, "application/json"],
      [{ rows: [{ ...ADELIE, extra: 1 }, GENTOO] }, "application/json"],
      [csv, "text/csv"],
    ];
    for (const [body, type] of bodies) {
      const a = await rows.predict(body, type);
      const b = await polars.predict(body, type);
      assert.equal(a.status, b.status, JSON.stringify(body));
      assert.deepEqual(await a.json(), await b.json(), JSON.stringify(body));
    }
    const engines = (s: Awaited<ReturnType<typeof serving>>) =>
      s.metrics.render({ runId: null, reloads: 0, reloadFailures: 0 }).match(
        /deno_mlops_serve_scoring_calls_total\{engine="(\w+)"\} (\d+)/g,
      );
    // Every request is scored, one call each (values are checked even beside an unknown field).
    assert.deepEqual(engines(rows), ['deno_mlops_serve_scoring_calls_total{engine="rows"} 8']);
    assert.deepEqual(engines(polars), ['deno_mlops_serve_scoring_calls_total{engine="polars"} 8']);
    const card = await (await rows.fetch("/v1/model")).json();
    assert.deepEqual(card.scoring, { engine: "rows", reason: null });
  } finally {
    await rows.close();
    await polars.close();
  }
});

Deno.test("POST /v1/admin/reload answers loopback clients only and swaps in a promoted run", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  const reload = (remoteAddr?: Deno.Addr) =>
    Promise.resolve(s.app.fetch(
      new Request("http://localhost/v1/admin/reload", { method: "POST" }),
      remoteAddr === undefined ? undefined : { remoteAddr },
    ));
  const tcp = (hostname: string): Deno.Addr => ({ transport: "tcp", hostname, port: 40000 });
  try {
    for (const [address, who] of [[undefined, "unknown address"], [tcp("10.1.2.3"), "10.1.2.3"]]) {
      const refused = await reload(address as Deno.Addr | undefined);
      assert.equal(refused.status, 403);
      const body = await refused.json();
      assert.equal(body.error, "forbidden");
      assert.match(body.message, new RegExp(`Cannot reload the model for .*${who}.*loopback`));
    }
    assert.deepEqual(await (await reload(tcp("127.0.0.1"))).json(), {
      run_id: FIRST,
      reloaded: false,
      error: null,
      models: { penguins: { run_id: FIRST, error: null } },
    });
    await promoteRun(project.registry, "penguins", { runId: SECOND, force: true, reason: "test" });
    assert.deepEqual(await (await reload(tcp("::1"))).json(), {
      run_id: SECOND,
      reloaded: true,
      error: null,
      models: { penguins: { run_id: SECOND, error: null } },
    });
    assert.equal((await (await reload(tcp("::ffff:127.0.0.2"))).json()).reloaded, false);
    const socket = await reload({ transport: "unix", path: "/run/serve.sock" });
    assert.equal(socket.status, 200);
    assert.equal((await s.fetch("/v1/admin/reload")).status, 405);
    assert.deepEqual(await (await s.fetch("/v1/ready")).json(), {
      status: "ready",
      run_id: SECOND,
    });
  } finally {
    await s.close();
  }
});

Deno.test("A request keeps the run it started with when production changes under it", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const first = s.holder.acquire()!;
    let disposed = false;
    const dispose = first.run.model.dispose.bind(first.run.model);
    first.run.model.dispose = () => {
      disposed = true;
      dispose();
    };
    first.release();

    let send!: (text: string | null) => void;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        send = (text) => {
          if (text === null) controller.close();
          else controller.enqueue(new TextEncoder().encode(text));
        };
      },
    });
    const slow = s.app.fetch(
      new Request("http://localhost/v1/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
    );
    send('{"rows": [');
    await new Promise((resolve) => setTimeout(resolve, 10));
    await promoteRun(project.registry, "penguins", { runId: SECOND, force: true, reason: "test" });
    assert.equal(await s.holder.refresh(), true);
    assert.equal(disposed, false, "the first run is still in use");

    const meanwhile = await (await s.predict({ rows: [ADELIE] })).json();
    assert.equal(meanwhile.run_id, SECOND);
    send(`${JSON.stringify(GENTOO)}]}`);
    send(null);
    const answer = await (await slow).json();
    assert.equal(answer.run_id, FIRST);
    assert.equal(answer.predictions[0].prediction, "Gentoo");
    assert.equal(disposed, true, "the first run is released after its last request");
  } finally {
    await s.close();
  }
});

Deno.test("Every route answers JSON errors with the right status and no stack trace", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving({ maxRows: 3, maxBodyBytes: 2048 });
  try {
    const cases: Array<[Promise<Response>, number, string, RegExp]> = [
      [
        s.fetch("/nope"),
        404,
        "not_found",
        /Cannot find GET "\/nope": the service answers POST \/v1\/predict/,
      ],
      [s.fetch("/v1/predict"), 405, "method_not_allowed", /the route answers POST/],
      [s.fetch("/v1/health", { method: "DELETE" }), 405, "method_not_allowed", /answers GET, HEAD/],
      [
        s.predict("Island\nDream", "text/plain"),
        415,
        "unsupported_media_type",
        /"text\/plain" is not accepted/,
      ],
      [
        s.fetch("/v1/predict", { method: "POST", body: new TextEncoder().encode("{}") }),
        415,
        "unsupported_media_type",
        /no Content-Type/,
      ],
      [
        s.predict('{"rows": [', "application/json"),
        400,
        "invalid_json",
        /Cannot parse the request body as JSON/,
      ],
      [s.predict({ rows: [] }), 422, "no_rows", /it has no rows/],
      [
        s.predict({ rows: [ADELIE, ADELIE, ADELIE, ADELIE] }),
        413,
        "too_many_rows",
        /4 rows, more than the 3 allowed/,
      ],
      [
        s.predict({ rows: [{ ...ADELIE, Sex: "M".repeat(3000) }] }),
        413,
        "body_too_large",
        /more than the 2048 bytes allowed/,
      ],
      [
        s.predict({ rows: [{ ...ADELIE, Sex: "M".repeat(1500) }] }),
        422,
        "invalid_rows",
        /1 of 1 row has problems/,
      ],
    ];
    for (const [pending, status, code, message] of cases) {
      const response = await pending;
      const text = await response.text();
      assert.equal(response.status, status, text);
      assert.equal(response.headers.get("content-type"), "application/json");
      const body = JSON.parse(text);
      assert.equal(body.error, code, text);
      assert.match(body.message, message);
      assert.doesNotMatch(text, /\bat .*\.ts:\d+/);
    }
    assert.equal((await s.fetch("/v1/predict", { method: "GET" })).headers.get("allow"), "POST");
    // It keeps serving.
    assert.equal((await s.predict({ rows: [ADELIE] })).status, 200);
  } finally {
    await s.close();
  }
});

Deno.test("An unexpected failure answers 500 without detail and logs the error", async () => {
  const logs = captureLogs({ level: "error" });
  const s = await serving();
  try {
    const lease = s.holder.acquire()!;
    const predict = lease.run.model.predict;
    lease.run.model.predict = () => {
      throw new Error("secret detail in /srv/model.ts:1");
    };
    const response = await s.predict({ rows: [ADELIE] });
    lease.run.model.predict = predict;
    lease.release();
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), {
      error: "internal",
      message:
        "Cannot answer the request: the service failed unexpectedly; the failure is logged, try again or report it",
      request_id: "test-request",
    });
    assert.ok(logs.messages().some((m) => m.includes("secret detail")));
    assert.equal((await s.predict({ rows: [ADELIE] })).status, 200);
  } finally {
    logs.stop();
    await s.close();
  }
});

Deno.test("GET /v1/model describes the run, and its example request scores", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const card = await (await s.fetch("/v1/model")).json();
    assert.equal(card.run_id, FIRST);
    assert.equal(card.task, "classification");
    assert.deepEqual(card.classes, ["Adelie", "Chinstrap", "Gentoo"]);
    assert.equal(card.metrics.primary_metric, "f1_macro");
    assert.equal(typeof card.metrics.test.accuracy, "number");
    assert.deepEqual(
      card.input_schema.columns.map((c: { name: string }) => c.name).sort(),
      [...COLUMNS].sort(),
    );
    assert.deepEqual(card.limits, {
      max_body_bytes: 8192,
      max_rows: 20,
      max_value_chars: 1024,
      media_types: ["application/json", "text/csv"],
    });
    const answer = await s.predict(card.example_request);
    assert.equal(answer.status, 200);
    assert.deepEqual((await answer.json()).warnings, []);
  } finally {
    await s.close();
  }
});

Deno.test("GET /v1/health, /v1/ready and /metrics report liveness, readiness and counts", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    assert.deepEqual(await (await s.fetch("/v1/health")).json(), { status: "ok" });
    assert.deepEqual(await (await s.fetch("/v1/ready")).json(), { status: "ready", run_id: FIRST });
    await s.predict({ rows: [ADELIE] });
    await s.predict("{", "application/json");
    const response = await s.fetch("/metrics");
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const text = await response.text();
    assert.match(
      text,
      /deno_mlops_serve_requests_total\{route="\/v1\/predict",method="POST",status="200",model="penguins"\} 1\n/,
    );
    assert.match(
      text,
      /deno_mlops_serve_requests_total\{route="\/v1\/predict",method="POST",status="400",model="penguins"\} 1\n/,
    );
    assert.match(text, /deno_mlops_serve_errors_total\{code="invalid_json"\} 1\n/);
    assert.match(
      text,
      new RegExp(`deno_mlops_serve_model_info\\{model="penguins",run_id="${FIRST}"\\} 1\\n`),
    );
    assert.match(
      text,
      /deno_mlops_serve_requests_total\{route="\/v1\/health",method="GET",status="200"\} 1\n/,
    );
    assert.match(text, /^deno_mlops_serve_model_loaded 1$/m);
    assert.match(text, /^deno_mlops_serve_model_loaded\{model="penguins"\} 1$/m);
  } finally {
    await s.close();
  }
});

Deno.test("GET /v1/ready and POST /v1/predict answer 503 while no model is loaded", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const { registry } = (await loadConfig({ root })).config;
  const holder = new ModelHolder({ ...registry, project: "penguins" }, root);
  await holder.refresh();
  const app = createApp(holder);
  try {
    for (
      const request of [
        new Request("http://localhost/v1/ready"),
        new Request("http://localhost/v1/model"),
        new Request("http://localhost/v1/predict", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ rows: [ADELIE] }),
        }),
      ]
    ) {
      const response = await app.fetch(request);
      assert.equal(response.status, 503);
      assert.equal(response.headers.get("retry-after"), "1");
      const body = await response.json();
      assert.equal(body.error, "not_ready");
      assert.match(
        body.message,
        /no model of project "penguins" is loaded yet \(production of project "penguins" \(".*\/penguins"\) holds no promoted run/,
      );
    }
    assert.equal((await app.fetch(new Request("http://localhost/v1/health"))).status, 200);
  } finally {
    await holder.close();
  }
});

Deno.test("Every request writes one access-log line through the project logger", async () => {
  const logs = captureLogs({ level: "info" });
  const s = await serving();
  try {
    await s.predict({ rows: [ADELIE, GENTOO] });
    await s.fetch("/missing");
    const access = logs.records.filter((r) =>
      r.category.join(".") === "deno-mlops.serve" && r.properties["method"] !== undefined
    );
    assert.deepEqual(
      access.map((
        r,
      ) => [
        r.properties["method"],
        r.properties["path"],
        r.properties["status"],
        r.properties["rows"],
        r.properties["run_id"],
      ]),
      [
        ["POST", "/v1/predict", 200, 2, FIRST],
        ["GET", "/missing", 404, null, null],
      ],
    );
    assert.ok(typeof access[0]!.properties["duration_ms"] === "number");
    assert.match(
      logs.messages().find((m) => m.startsWith("POST"))!,
      /^POST \/v1\/predict 200 [\d.]+ ms$/,
    );
  } finally {
    logs.stop();
    await s.close();
  }
});

Deno.test("createApp() refuses limits that are not positive", () => {
  const holder = new ModelHolder({ ...project.registry, project: "penguins" }, project.root);
  assert.throws(() => createApp(holder, { maxRows: 0 }), {
    name: "RangeError",
    message: /maxRows must be a positive integer, got 0/,
  });
  assert.throws(() => createApp(holder, { maxRangeMultiple: -1 }), { name: "RangeError" });
});

Deno.test("POST /v1/predict lists a missing field and an unparsable value of the same row", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const { Island: _island, ...noIsland } = ADELIE;
    const response = await s.predict({
      rows: [GENTOO, { ...noIsland, "Body Mass (g)": "heavy" }],
    });
    assert.equal(response.status, 422);
    const body = await response.json();
    assert.match(body.message, /^Cannot score the request: 1 of 2 rows has problems/);
    assert.deepEqual(body.problems, [
      {
        row: 2,
        column: "Island",
        message: "missing field: every row needs every input field (null marks an unknown value)",
      },
      { row: 2, column: "Body Mass (g)", message: 'cannot parse "heavy" as a number' },
    ]);
  } finally {
    await s.close();
  }
});
