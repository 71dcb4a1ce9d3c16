import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config/mod.ts";
import type { RegistryConfig } from "../../src/config/mod.ts";
import { projectProductionDir, promoteRun, readProductionPointer } from "../../src/models/mod.ts";
import { openRun, runTraining } from "../../src/pipelines/mod.ts";
import type { RunArtifacts } from "../../src/pipelines/mod.ts";
import {
  createApp,
  generateToken,
  LiveDrift,
  ModelHolder,
  parseJsonRows,
  RecentRows,
  renderDriftMetrics,
  rowsSchemaForRun,
  startServer,
  tokenSha256,
} from "../../src/serve/mod.ts";
import type { AppOptions, RequestRows, RowValue } from "../../src/serve/mod.ts";
import { captureLogs, Random } from "../../src/utils/mod.ts";
import { makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

const MASS = "Body Mass (g)";

/** A temporary project with two trained runs, the first in production. */
const project = await (async () => {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=3"] });
  const runs: RunArtifacts[] = [];
  for (let i = 0; i < 2; i++) {
    const result = await runTraining(loaded);
    result.model.dispose();
    runs.push(await openRun(result.id, loaded));
  }
  const { registry } = loaded.config;
  await promoteRun(registry, "penguins", { runId: runs[0]!.id, force: true, reason: "test" });
  return { root, registry: registry as RegistryConfig, runs: runs as [RunArtifacts, RunArtifacts] };
})();
const [RUN, OTHER_RUN] = project.runs;
const INPUTS = RUN.signature.columns.map((c) => c.name);

/** The penguins rows with every input value present and a known sex, as request rows. */
const TRAINING_ROWS: Record<string, RowValue>[] = (() => {
  const [header, ...lines] = Deno.readTextFileSync(join(REPO_ROOT, "data/raw/penguins.csv"))
    .trim().split("\n").map((line) => line.split(","));
  const numeric = new Set(
    RUN.signature.columns.filter((c) => c.kind === "numeric").map((c) => c.name),
  );
  return lines
    .filter((cells) =>
      INPUTS.every((name) => cells[header!.indexOf(name)] !== "") &&
      ["MALE", "FEMALE"].includes(cells[header!.indexOf("Sex")]!)
    )
    .map((cells) =>
      Object.fromEntries(INPUTS.map((name) => {
        const cell = cells[header!.indexOf(name)]!;
        return [name, numeric.has(name) ? Number(cell) : cell];
      }))
    );
})();
/** The numeric inputs, and how far the shifted rows move them. */
const SHIFTS: Record<string, number> = {
  "Beak Length (mm)": 20,
  "Beak Depth (mm)": 10,
  "Flipper Length (mm)": 50,
  [MASS]: 3000,
};
/** The training rows with every measurement moved well outside its training range. */
const SHIFTED_ROWS = TRAINING_ROWS.map((row) =>
  Object.fromEntries(
    Object.entries(row).map((
      [name, value],
    ) => [name, name in SHIFTS ? (value as number) + SHIFTS[name]! : value]),
  ) as Record<string, RowValue>
);

/** Rows parsed as the service parses a request. */
function requestRows(rows: readonly Record<string, RowValue>[], run = RUN): RequestRows {
  return parseJsonRows(JSON.stringify({ rows }), rowsSchemaForRun(run));
}

/**
 * `count` rows drawn at random (seeded) from `rows`: traffic in no particular order, unlike the
 * file, which is sorted by species.
 */
function drawn(rows: readonly Record<string, RowValue>[], count: number, seed = 1) {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => rows[rng.int(rows.length)]!);
}

/** {@link drawn} rows as one parsed request. */
function repeated(rows: readonly Record<string, RowValue>[], count: number): RequestRows {
  return requestRows(drawn(rows, count));
}

// ---------------------------------------------------------------- the sample of recent rows

Deno.test("RecentRows never keeps more than its capacity over 200,000 rows, and old rows fade out", () => {
  const recent = new RecentRows(["x", "label"], 1000, 42);
  const batch = 500;
  for (let start = 0; start < 200_000; start += batch) {
    const x = Array.from({ length: batch }, (_, i) => start + i);
    recent.add(new Map<string, RowValue[]>([["x", x], ["label", x.map((v) => `row ${v}`)]]), batch);
    assert.ok(recent.rows <= 1000);
  }
  assert.equal(recent.rows, 1000);
  assert.equal(recent.seen, 200_000);
  const kept = recent.columns();
  assert.deepEqual([...kept.keys()], ["x", "label"]);
  assert.equal(kept.get("x")!.length, 1000);
  assert.equal(kept.get("label")!.length, 1000);
  // Kept as received: each kept label is the label of its own row.
  kept.get("x")!.forEach((v, i) => assert.equal(kept.get("label")![i], `row ${v}`));
  // A row survives m later rows with probability (1 - 1/1000)^m: of the last 1000 rows about
  // 63% are kept, rows older than 20,000 rows almost never (expected 1000 × e^-20).
  const x = kept.get("x")! as number[];
  const recentShare = x.filter((v) => v >= 199_000).length / 1000;
  assert.ok(recentShare > 0.55 && recentShare < 0.7, `recent share ${recentShare}`);
  assert.equal(x.filter((v) => v < 180_000).length, 0);
});

Deno.test("RecentRows keeps the same rows for the same seed and rows, others for another seed", () => {
  const fill = (seed: number) => {
    const recent = new RecentRows(["x"], 50, seed);
    for (let start = 0; start < 1000; start += 100) {
      recent.add(new Map([["x", Array.from({ length: 100 }, (_, i) => start + i)]]), 100);
    }
    return recent.columns().get("x");
  };
  assert.deepEqual(fill(7), fill(7));
  assert.notDeepEqual(fill(7), fill(8));
});

Deno.test("RecentRows keeps nulls for a column the rows lack and ignores others", () => {
  const recent = new RecentRows(["a", "b"], 3, 1);
  recent.add(new Map([["a", [1, 2]], ["c", ["x", "y"]]]), 2);
  assert.deepEqual(recent.columns(), new Map([["a", [1, 2]], ["b", [null, null]]]));
  assert.throws(() => new RecentRows(["a"], 0, 1), { name: "RangeError", message: /capacity/ });
  assert.throws(() => recent.add(new Map([["a", [1]]]), 2), {
    name: "RangeError",
    message: /column "a" holds 1 value/,
  });
});

// ---------------------------------------------------------------- the monitor

Deno.test("LiveDrift keeps at most reservoirRows rows per model, however many it sees", () => {
  const drift = new LiveDrift({ reservoirRows: 500, minRows: 100 });
  const request = repeated(TRAINING_ROWS, 10_000);
  for (let i = 0; i < 20; i++) {
    drift.observe("penguins", RUN, request);
    const { reservoir } = drift.snapshot("penguins", RUN.id);
    assert.ok(reservoir.rows <= 500);
  }
  assert.deepEqual(drift.snapshot("penguins", RUN.id).reservoir, {
    rows: 500,
    capacity: 500,
    seen: 200_000,
  });
});

Deno.test("LiveDrift starts a model's sample over when its run changes, and ignores the old run after", () => {
  const drift = new LiveDrift({ reservoirRows: 200, minRows: 100 });
  drift.observe("penguins", RUN, repeated(TRAINING_ROWS, 150));
  assert.equal(drift.check().length, 1);
  assert.equal(drift.snapshot("penguins", RUN.id).status, "ok");
  // The served run changed but no row was scored by it yet: nothing is known of it.
  assert.equal(drift.snapshot("penguins", OTHER_RUN.id).status, "collecting");
  assert.equal(drift.snapshot("penguins", OTHER_RUN.id).reservoir.rows, 0);

  drift.observe("penguins", OTHER_RUN, repeated(TRAINING_ROWS, 20));
  // A request that leased the previous run before the swap does not start it over again.
  drift.observe("penguins", RUN, repeated(TRAINING_ROWS, 30));
  const after = drift.snapshot("penguins", OTHER_RUN.id);
  assert.equal(after.run_id, OTHER_RUN.id);
  assert.equal(after.status, "collecting");
  assert.deepEqual(after.reservoir, { rows: 20, capacity: 200, seen: 20 });
  assert.equal(after.report, null);
  assert.equal(after.checked_at, null);
});

Deno.test("LiveDrift finds no drift in training rows, drift in shifted measurements, and logs both turns", () => {
  using logs = captureLogs({ level: "info" });
  const drift = new LiveDrift({ reservoirRows: 300, minRows: 100 });
  drift.observe("penguins", RUN, requestRows(TRAINING_ROWS));
  assert.deepEqual(drift.check(), ["penguins"]);
  const calm = drift.snapshot("penguins", RUN.id);
  assert.equal(calm.status, "ok");
  assert.equal(calm.report!.dataset.drifted, false);
  assert.equal(calm.report!.current_rows, 300);
  assert.ok(calm.checked_at !== null);
  assert.deepEqual(drift.check(), [], "no new rows: no new check");

  // 10 × capacity new rows: the expected share of old rows still kept is e^-10.
  drift.observe("penguins", RUN, repeated(SHIFTED_ROWS, 3000));
  assert.deepEqual(drift.check(), ["penguins"]);
  const shifted = drift.snapshot("penguins", RUN.id).report!;
  assert.equal(shifted.dataset.drifted, true);
  assert.deepEqual(
    shifted.columns.filter((c) => c.drifted).map((c) => c.column).sort(),
    Object.keys(SHIFTS).sort(),
  );

  drift.observe("penguins", RUN, repeated(TRAINING_ROWS, 3000));
  drift.check();
  assert.equal(drift.snapshot("penguins", RUN.id).report!.dataset.drifted, false);

  const lines = logs.records.filter((r) =>
    /drift/i.test(logs.messages()[logs.records.indexOf(r)]!)
  );
  const messages = logs.messages().filter((m) => /drift/i.test(m));
  assert.equal(lines.length, 2, messages.join("\n"));
  assert.equal(lines[0]!.level, "warning");
  assert.match(
    messages[0]!,
    new RegExp(`Data drift in model "?penguins"? \\(run "?${RUN.id}"?\\): 4 of 6 features`),
  );
  assert.match(messages[0]!, /Body Mass \(g\)/);
  assert.equal(lines[1]!.level, "info");
  assert.match(messages[1]!, /No more data drift in model "?penguins"?/);
});

Deno.test("LiveDrift checks only models with minRows rows, and keeps the last report when a check fails", () => {
  using logs = captureLogs({ level: "error" });
  const drift = new LiveDrift({ reservoirRows: 200, minRows: 100 });
  drift.observe("penguins", RUN, repeated(TRAINING_ROWS, 99));
  assert.deepEqual(drift.check(), []);
  assert.equal(drift.snapshot("penguins", RUN.id).status, "collecting");
  drift.observe("penguins", RUN, repeated(TRAINING_ROWS, 1));
  assert.deepEqual(drift.check(), ["penguins"]);
  const first = drift.snapshot("penguins", RUN.id);

  // A value no frame can hold (the request parser never lets one through) fails the check.
  const broken = repeated(TRAINING_ROWS, 1);
  (broken.columns.get("Island") as unknown[])[0] = { not: "a value" };
  drift.observe("penguins", RUN, broken);
  assert.deepEqual(drift.check(), []);
  const after = drift.snapshot("penguins", RUN.id);
  assert.deepEqual(after.report, first.report);
  assert.equal(after.checked_at, first.checked_at);
  assert.match(after.error!, /Island/);
  assert.equal(after.status, "ok");
  assert.equal(logs.records.length, 1);
  assert.match(logs.messages()[0]!, /Cannot check drift of model "?penguins"?/);
});

Deno.test("LiveDrift checks on its schedule once started, and stops", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const drift = new LiveDrift({ reservoirRows: 200, minRows: 100, intervalSeconds: 0.02 });
  drift.observe("penguins", RUN, repeated(TRAINING_ROWS, 150));
  drift.start();
  try {
    assert.ok(drift.snapshot("penguins", RUN.id).next_check_at !== null);
    const deadline = performance.now() + 5000;
    while (drift.snapshot("penguins", RUN.id).status !== "ok" && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(drift.snapshot("penguins", RUN.id).status, "ok");
  } finally {
    drift.stop();
  }
  assert.equal(drift.snapshot("penguins", RUN.id).next_check_at, null);
});

Deno.test("LiveDrift turned off keeps nothing and reports status off", () => {
  const drift = new LiveDrift({ enabled: false });
  drift.observe("penguins", RUN, repeated(TRAINING_ROWS, 500));
  assert.deepEqual(drift.check(), []);
  drift.start();
  const snapshot = drift.snapshot("penguins", RUN.id);
  assert.equal(snapshot.status, "off");
  assert.equal(snapshot.enabled, false);
  assert.equal(snapshot.reservoir.rows, 0);
  assert.equal(snapshot.next_check_at, null);
  assert.equal(renderDriftMetrics([snapshot]), "");
});

Deno.test("LiveDrift refuses settings under which no check could run", () => {
  assert.throws(() => new LiveDrift({ reservoirRows: 50, minRows: 100 }), {
    name: "RangeError",
    message: /minRows \(100\) is above reservoirRows \(50\)/,
  });
  assert.throws(() => new LiveDrift({ reservoirRows: 0 }), { name: "RangeError" });
  assert.throws(() => new LiveDrift({ intervalSeconds: 0 }), { name: "RangeError" });
});

// ---------------------------------------------------------------- the service

/** A holder serving the first run and an app around it with `drift`. */
async function serving(options: AppOptions = {}) {
  const pointer = await readProductionPointer(
    projectProductionDir(project.registry.production_dir, "penguins"),
  );
  assert.equal(pointer?.run_id, RUN.id);
  const holder = new ModelHolder({ ...project.registry, project: "penguins" }, project.root);
  await holder.refresh();
  const app = createApp(holder, { accessLog: false, ...options });
  const fetch = (path: string, init: RequestInit = {}) =>
    Promise.resolve(app.fetch(new Request(`http://localhost${path}`, init)));
  return {
    fetch,
    predict: (rows: unknown[], path = "/v1/models/penguins/predict") =>
      fetch(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rows }),
      }),
    metrics: async () => await (await fetch("/metrics")).text(),
    close: () => holder.close(),
  };
}

/** The value of the metric line named `name{labels}`, or `undefined`. */
function metricValue(text: string, line: string): number | undefined {
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

Deno.test("GET /v1/models/<name>/drift and /metrics show the live checks of scored requests", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const drift = new LiveDrift({ reservoirRows: 300, minRows: 100 });
  const s = await serving({ drift });
  try {
    let body = await (await s.fetch("/v1/models/penguins/drift")).json();
    assert.equal(body.status, "collecting");
    assert.equal(body.report, null);

    for (let start = 0; start < TRAINING_ROWS.length; start += 100) {
      const response = await s.predict(TRAINING_ROWS.slice(start, start + 100));
      assert.equal(response.status, 200);
      await response.body?.cancel();
    }
    // A refused request adds nothing.
    const refused = await s.predict([{ ...TRAINING_ROWS[0]!, [MASS]: "heavy" }]);
    assert.equal(refused.status, 422);
    await refused.body?.cancel();
    drift.check();

    const response = await s.fetch("/v1/models/penguins/drift");
    assert.equal(response.status, 200);
    body = await response.json();
    assert.equal(body.model, "penguins");
    assert.equal(body.run_id, RUN.id);
    assert.equal(body.enabled, true);
    assert.equal(body.status, "ok");
    assert.deepEqual(body.reservoir, {
      rows: 300,
      capacity: 300,
      seen: TRAINING_ROWS.length,
    });
    assert.equal(body.min_rows, 100);
    assert.equal(body.error, null);
    assert.ok(Date.parse(body.checked_at) > 0);
    assert.equal(body.report.dataset.drifted, false);
    assert.deepEqual(body.report.columns.map((c: { column: string }) => c.column), INPUTS);

    let text = await s.metrics();
    const mass = body.report.columns.find((c: { column: string }) => c.column === MASS);
    assert.equal(
      metricValue(
        text,
        `deno_mlops_serve_drift_score{model="penguins",feature="${MASS}",test="${mass.test}"}`,
      ),
      mass.score,
    );
    assert.equal(
      metricValue(
        text,
        `deno_mlops_serve_drift_threshold{model="penguins",feature="${MASS}",test="${mass.test}"}`,
      ),
      mass.threshold,
    );
    assert.equal(
      metricValue(text, `deno_mlops_serve_drift_detected{model="penguins",feature="${MASS}"}`),
      0,
    );
    assert.equal(metricValue(text, `deno_mlops_serve_dataset_drift{model="penguins"}`), 0);
    assert.equal(metricValue(text, `deno_mlops_serve_dataset_drift_share{model="penguins"}`), 0);
    assert.equal(metricValue(text, `deno_mlops_serve_drift_reservoir_rows{model="penguins"}`), 300);
    assert.equal(
      metricValue(text, `deno_mlops_serve_drift_last_check_timestamp_seconds{model="penguins"}`),
      Date.parse(body.checked_at) / 1000,
    );
    for (const name of ["drift_score", "dataset_drift", "drift_last_check_timestamp_seconds"]) {
      assert.ok(text.includes(`# HELP deno_mlops_serve_${name} `), name);
      assert.ok(text.includes(`# TYPE deno_mlops_serve_${name} gauge\n`), name);
    }
    assert.match(
      text,
      /deno_mlops_serve_requests_total\{route="\/v1\/models\/:name\/drift",method="GET",status="200",model="penguins"\} 2/,
    );

    const shiftedRows = drawn(SHIFTED_ROWS, 3000);
    for (let i = 0; i < 10; i++) {
      const shifted = await s.predict(shiftedRows.slice(i * 300, i * 300 + 300), "/v1/predict");
      assert.equal(shifted.status, 200);
      await shifted.body?.cancel();
    }
    drift.check();
    body = await (await s.fetch("/v1/models/penguins/drift")).json();
    assert.equal(body.report.dataset.drifted, true);
    text = await s.metrics();
    assert.equal(metricValue(text, `deno_mlops_serve_dataset_drift{model="penguins"}`), 1);
    assert.equal(
      metricValue(text, `deno_mlops_serve_drift_detected{model="penguins",feature="${MASS}"}`),
      1,
    );
    assert.equal(
      metricValue(text, `deno_mlops_serve_drift_detected{model="penguins",feature="Island"}`),
      0,
    );
    assert.ok(metricValue(text, `deno_mlops_serve_dataset_drift_share{model="penguins"}`)! >= 0.5);
  } finally {
    await s.close();
  }
});

Deno.test("GET /v1/models/<name>/drift answers 404 naming the served models for an unknown name", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving({ drift: new LiveDrift() });
  try {
    const response = await s.fetch("/v1/models/pengiuns/drift");
    assert.equal(response.status, 404);
    const body = await response.json();
    assert.equal(body.error, "unknown_model");
    assert.match(body.message, /did you mean "penguins"/);
    const wrongMethod = await s.fetch("/v1/models/penguins/drift", { method: "POST" });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "GET, HEAD");
    await wrongMethod.body?.cancel();
  } finally {
    await s.close();
  }
});

Deno.test("Without live drift the drift route answers status off and /metrics shows no drift", async () => {
  using _logs = captureLogs({ level: "fatal" });
  for (const options of [{}, { drift: new LiveDrift({ enabled: false }) }]) {
    const s = await serving(options);
    try {
      const scored = await s.predict(TRAINING_ROWS.slice(0, 150));
      assert.equal(scored.status, 200);
      await scored.body?.cancel();
      const body = await (await s.fetch("/v1/models/penguins/drift")).json();
      assert.equal(body.status, "off");
      assert.equal(body.enabled, false);
      assert.equal(body.report, null);
      assert.equal(body.reservoir.rows, 0);
      const text = await s.metrics();
      assert.ok(!/_drift/.test(text), "no drift metric");
    } finally {
      await s.close();
    }
  }
});

Deno.test("With tokens, the drift route needs a predict token", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const token = generateToken();
  const s = await serving({
    drift: new LiveDrift(),
    tokens: [{ name: "client", scope: "predict", sha256: tokenSha256(token) }],
  });
  try {
    const without = await s.fetch("/v1/models/penguins/drift");
    assert.equal(without.status, 401);
    await without.body?.cancel();
    const withToken = await s.fetch("/v1/models/penguins/drift", {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(withToken.status, 200);
    assert.equal((await withToken.json()).status, "collecting");
  } finally {
    await s.close();
  }
});

Deno.test("startServer() checks the rows of scored requests on the serve.drift schedule", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const loaded = await loadConfig({
    root: project.root,
    overrides: ["serve.drift.interval_s=1", "serve.drift.min_rows=100"],
  });
  const server = await startServer(loaded, { hostname: "127.0.0.1", port: 0 });
  try {
    const scored = await fetch(`${server.url}/v1/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: TRAINING_ROWS.slice(0, 150) }),
    });
    assert.equal(scored.status, 200);
    await scored.body?.cancel();
    let body = await (await fetch(`${server.url}/v1/models/penguins/drift`)).json();
    assert.equal(body.status, "collecting");
    assert.equal(body.reservoir.rows, 150);
    assert.equal(body.reservoir.capacity, 1000);
    assert.ok(body.next_check_at !== null);
    const deadline = performance.now() + 5000;
    while (body.status !== "ok" && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = await (await fetch(`${server.url}/v1/models/penguins/drift`)).json();
    }
    assert.equal(body.status, "ok");
    assert.equal(body.report.current_rows, 150);
  } finally {
    await server.shutdown();
  }
  assert.equal(server.drift.snapshot("penguins", RUN.id).next_check_at, null);
});
