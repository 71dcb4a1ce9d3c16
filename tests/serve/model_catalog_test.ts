import assert from "node:assert/strict";
import pl from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import type { RegistryConfig } from "../../src/config/mod.ts";
import { promoteRun, rollbackProduction } from "../../src/models/mod.ts";
import { openRun, runTraining, scoreRows } from "../../src/pipelines/mod.ts";
import { createApp, ModelCatalog, ServeMetrics } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

const ADELIE = {
  Island: "Dream",
  "Beak Length (mm)": 39.5,
  "Beak Depth (mm)": 18.8,
  "Flipper Length (mm)": 190,
  "Body Mass (g)": 3700,
  Sex: "MALE",
};

/** Two penguins runs and two runs of a second project, "other", on the same data. */
async function setUp(): Promise<{
  root: string;
  registry: RegistryConfig;
  penguins: [string, string];
  other: [string, string];
}> {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const train = async (overrides: string[]) => {
    const result = await runTraining(await loadConfig({ root, overrides }));
    result.model.dispose();
    return result.id;
  };
  const penguins = [await train(["training.epochs=8"]), await train(["training.epochs=9"])];
  const other = [
    await train(["project.name=other", "training.epochs=3"]),
    await train(["project.name=other", "training.epochs=4"]),
  ];
  const { registry } = (await loadConfig({ root })).config;
  return {
    root,
    registry,
    penguins: penguins as [string, string],
    other: other as [string, string],
  };
}

const project = await setUp();
const quiet = { level: "fatal" } as const;

/** A fresh registry for one test: the same runs, production emptied. */
async function emptyProduction(): Promise<void> {
  await Deno.remove(project.registry.production_dir, { recursive: true }).catch(() => {});
}

function catalog(): ModelCatalog {
  return new ModelCatalog({ ...project.registry, project: "penguins" }, project.root);
}

function post(app: ReturnType<typeof createApp>, path: string, body: unknown) {
  return Promise.resolve(app.fetch(
    new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "test-request" },
      body: JSON.stringify(body),
    }),
  ));
}

Deno.test("ModelCatalog serves every promoted project, finds new ones, and reloads each on its own", async () => {
  using _logs = captureLogs(quiet);
  await emptyProduction();
  const { registry } = project;
  const models = catalog();
  try {
    // The default project is listed before anything is promoted.
    assert.equal(await models.refresh(), false);
    assert.deepEqual(models.names(), ["penguins"]);
    assert.equal(models.default.current, null);

    await promoteRun(registry, "penguins", { runId: project.penguins[0] });
    await promoteRun(registry, "other", { runId: project.other[0] });
    assert.equal(await models.refresh(), true);
    assert.deepEqual(models.names(), ["other", "penguins"]);
    assert.equal(models.get("other")?.current?.runId, project.other[0]);
    assert.equal(models.get("penguins")?.current?.runId, project.penguins[0]);
    assert.equal(models.get("missing"), null);

    // A change of one project reloads that project only.
    await promoteRun(registry, "other", {
      runId: project.other[1],
      force: true,
      reason: "test",
    });
    assert.equal(await models.refresh(), true);
    assert.equal(models.get("other")?.current?.runId, project.other[1]);
    assert.equal(models.get("other")?.reloads, 2);
    assert.equal(models.get("penguins")?.reloads, 1);

    await rollbackProduction(registry, "other", { reason: "test" });
    assert.equal(await models.refresh(), true);
    assert.equal(models.get("other")?.current?.runId, project.other[0]);
    assert.equal(models.get("other")?.current?.action, "rollback");
    assert.equal(models.get("penguins")?.current?.runId, project.penguins[0]);
    assert.equal(models.get("penguins")?.reloads, 1);
  } finally {
    await models.close();
  }
});

Deno.test("ModelCatalog.start() picks up a project promoted while it polls", async () => {
  using _logs = captureLogs(quiet);
  await emptyProduction();
  await promoteRun(project.registry, "penguins", { runId: project.penguins[0] });
  const models = new ModelCatalog({ ...project.registry, project: "penguins" }, project.root, {
    pollIntervalMs: 20,
  });
  try {
    await models.refresh();
    models.start();
    await promoteRun(project.registry, "other", { runId: project.other[0] });
    const deadline = Date.now() + 10_000;
    while (models.get("other")?.current?.runId !== project.other[0] && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(models.get("other")?.current?.runId, project.other[0]);
  } finally {
    await models.close();
  }
  assert.equal(models.get("other")?.acquire(), null, "a closed catalog leases nothing");
});

Deno.test("The service lists its models, predicts with each by name, keeps /v1/predict for the default, and names the models on a 404", async () => {
  using _logs = captureLogs(quiet);
  await emptyProduction();
  const { registry } = project;
  await promoteRun(registry, "penguins", { runId: project.penguins[0] });
  await promoteRun(registry, "other", { runId: project.other[0] });
  const models = catalog();
  await models.refresh();
  const metrics = new ServeMetrics();
  const app = createApp(models, { metrics, accessLog: false });
  try {
    const listed = await (await app.fetch(new Request("http://localhost/v1/models"))).json();
    assert.equal(listed.default, "penguins");
    assert.deepEqual(
      listed.models.map((m: Record<string, unknown>) => [m.name, m.default, m.ready, m.run_id]),
      [["other", false, true, project.other[0]], ["penguins", true, true, project.penguins[0]]],
    );
    for (const entry of listed.models) {
      const run = await openRun(entry.run_id, {
        root: project.root,
        config: { registry, project: { name: entry.name } },
      });
      assert.equal(entry.primary_metric.name, "f1_macro");
      assert.equal(entry.primary_metric.test, run.record.primary.test);
      assert.equal(entry.primary_metric.val, run.record.primary.val);
      assert.match(entry.promoted_at, /^\d{4}-\d{2}-\d{2}T/);
      assert.equal(entry.error, null);
      run.model.dispose();
    }

    // Each named model answers with its own run, exactly as scoreRows does for that run.
    for (const [name, id] of [["other", project.other[0]], ["penguins", project.penguins[0]]]) {
      const response = await post(app, `/v1/models/${name}/predict`, { rows: [ADELIE] });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-run-id"), id);
      const body = await response.json();
      assert.equal(body.run_id, id);
      const lease = models.get(name!)!.acquire()!;
      const frame = pl.DataFrame(
        Object.fromEntries(Object.entries(ADELIE).map(([k, v]) => [k, [v]])),
      );
      const expected = scoreRows(lease.run, frame).predictions!.toRecords()[0]!;
      lease.release();
      assert.equal(body.predictions[0].prediction, expected["prediction"]);
      assert.equal(body.predictions[0].probabilities.Adelie, expected["proba_Adelie"]);
    }
    const byDefault = await (await post(app, "/v1/predict", { rows: [ADELIE] })).json();
    assert.equal(byDefault.run_id, project.penguins[0]);

    // The same request errors on a named route as on /v1/predict.
    const bad = { rows: [{ ...ADELIE, Island: 3 }] };
    const named = await post(app, "/v1/models/other/predict", bad);
    const plain = await post(app, "/v1/predict", bad);
    assert.equal(named.status, 422);
    assert.equal(plain.status, 422);
    assert.deepEqual(await named.json(), await plain.json());

    // The card of a named model.
    const card = await (await app.fetch(new Request("http://localhost/v1/models/other"))).json();
    assert.deepEqual([card.model, card.run_id], ["other", project.other[0]]);

    // An unknown name: 404 naming the served models, with the closest one.
    const unknown = await post(app, "/v1/models/pengiuns/predict", { rows: [ADELIE] });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), {
      error: "unknown_model",
      message:
        'Cannot find model "pengiuns": the service serves ["other","penguins"]: did you mean "penguins"; send POST /v1/models/<name>/predict with one of them (GET /v1/models lists them)',
      request_id: "test-request",
    });
    assert.equal(
      (await app.fetch(new Request("http://localhost/v1/models/nope"))).status,
      404,
    );
    const wrongMethod = await app.fetch(new Request("http://localhost/v1/models/other/predict"));
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "POST");

    const text = await (await app.fetch(new Request("http://localhost/metrics"))).text();
    assert.match(
      text,
      /^deno_mlops_serve_requests_total\{route="\/v1\/models\/:name\/predict",method="POST",status="200",model="other"\} 1$/m,
    );
    assert.match(
      text,
      /^deno_mlops_serve_requests_total\{route="\/v1\/models\/:name\/predict",method="POST",status="404"\} 1$/m,
    );
    assert.match(
      text,
      new RegExp(
        `^deno_mlops_serve_model_info\\{model="other",run_id="${project.other[0]}"\\} 1$`,
        "m",
      ),
    );
  } finally {
    await models.close();
  }
});

Deno.test("The service reloads every project on POST /v1/admin/reload and reports each", async () => {
  using _logs = captureLogs(quiet);
  await emptyProduction();
  const { registry } = project;
  await promoteRun(registry, "penguins", { runId: project.penguins[0] });
  const models = catalog();
  await models.refresh();
  const app = createApp(models, { accessLog: false });
  const reload = async () =>
    await (await app.fetch(
      new Request("http://localhost/v1/admin/reload", { method: "POST" }),
      { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 } },
    )).json();
  try {
    await promoteRun(registry, "other", { runId: project.other[0] });
    assert.deepEqual(await reload(), {
      run_id: project.penguins[0],
      reloaded: true,
      error: null,
      models: {
        other: { run_id: project.other[0], error: null },
        penguins: { run_id: project.penguins[0], error: null },
      },
    });
    // Another project's rollback leaves the default project's model as it is.
    await promoteRun(registry, "other", { runId: project.other[1], force: true, reason: "t" });
    await rollbackProduction(registry, "other", { reason: "test" });
    const after = await reload();
    assert.equal(after.models.other.run_id, project.other[0]);
    assert.equal(after.run_id, project.penguins[0]);
  } finally {
    await models.close();
  }
});

Deno.test("The service reports a production folder from before projects as the reason it serves nothing", async () => {
  using _logs = captureLogs(quiet);
  await emptyProduction();
  await Deno.mkdir(project.registry.production_dir, { recursive: true });
  await Deno.writeTextFile(`${project.registry.production_dir}/current.json`, "{}");
  const models = catalog();
  try {
    assert.equal(await models.refresh(), false);
    assert.deepEqual(models.names(), ["penguins"]);
    assert.match(
      models.default.lastError ?? "",
      /^Cannot load the production model of project "penguins": Cannot use production in ".*": it holds "current\.json" at the top, the layout from before production was kept per project .*; move it into the folder of its project with: mkdir -p .*\/<project> && mv /,
    );
    const ready = await createApp(models).fetch(new Request("http://localhost/v1/ready"));
    assert.equal(ready.status, 503);
    assert.match(
      (await ready.json()).message,
      /the layout from before production was kept per project/,
    );
  } finally {
    await models.close();
    await emptyProduction();
  }
});
