import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { loadConfig } from "../../src/config/mod.ts";
import type { RegistryConfig } from "../../src/config/mod.ts";
import { promoteRun } from "../../src/models/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import {
  createApp,
  generateToken,
  LiveDrift,
  ModelHolder,
  tokenSha256,
} from "../../src/serve/mod.ts";
import type { AppOptions } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

/** A temporary project with one trained run in production. */
async function setUp(): Promise<{ root: string; runId: string; registry: RegistryConfig }> {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const result = await runTraining(await loadConfig({ root, overrides: ["training.epochs=10"] }));
  result.model.dispose();
  const { registry } = (await loadConfig({ root })).config;
  await promoteRun(registry, "penguins", { runId: result.id, force: true, reason: "test" });
  return { root, runId: result.id, registry };
}

const project = await setUp();

async function serving(options: AppOptions = {}) {
  const holder = new ModelHolder({ ...project.registry, project: "penguins" }, project.root);
  await holder.refresh();
  const app = createApp(holder, { maxRows: 20, maxBodyBytes: 8192, ...options });
  return {
    fetch: (path: string, init: RequestInit = {}) =>
      Promise.resolve(app.fetch(new Request(`http://localhost${path}`, init))),
    close: () => holder.close(),
  };
}

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

Deno.test("GET /openapi.json is a valid OpenAPI 3.1 document of the model's input schema and errors", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const response = await s.fetch("/openapi.json");
    assert.equal(response.status, 200);
    const document: Json = await response.json();
    const result = await new Validator().validate(document);
    assert.deepEqual(result.errors, undefined);
    assert.equal(result.valid, true);
    // The validator does refuse a broken document (a response without its description).
    const broken = { ...document, paths: { "/x": { get: { responses: { "200": {} } } } } };
    assert.equal((await new Validator().validate(broken)).valid, false);
    assert.equal(document.openapi, "3.1.0");
    assert.equal(document.info.version, project.runId);

    const row = document.components.schemas.Row_penguins;
    assert.deepEqual(row.required, [
      "Beak Length (mm)",
      "Beak Depth (mm)",
      "Flipper Length (mm)",
      "Body Mass (g)",
      "Island",
      "Sex",
    ]);
    assert.equal(row.additionalProperties, false);
    assert.deepEqual(row.properties.Island.enum, ["Biscoe", "Dream", "Torgersen"]);
    assert.deepEqual(row.properties["Beak Length (mm)"].type, ["number"]);
    assert.match(
      row.properties["Beak Length (mm)"].description,
      /training range 3\d\.\d+ to 5\d\.\d+/,
    );
    const response200 = document.components.schemas.PredictResponse_penguins;
    assert.deepEqual(
      response200.properties.predictions.items.properties.prediction.enum,
      ["Adelie", "Chinstrap", "Gentoo"],
    );

    const predict = document.paths["/v1/predict"].post;
    assert.deepEqual(Object.keys(predict.responses), [
      "200",
      "400",
      "403",
      "404",
      "408",
      "413",
      "415",
      "422",
      "431",
      "503",
    ]);
    assert.deepEqual(document.paths["/v1/models/penguins/predict"].post, predict);
    assert.equal(
      document.components.responses.Error503.headers["Retry-After"].schema.type,
      "string",
    );
    assert.equal(document.security, undefined, "no tokens, no security requirement");
  } finally {
    await s.close();
  }
});

Deno.test("The OpenAPI document's example requests score, in JSON and in CSV", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving();
  try {
    const document: Json = await (await s.fetch("/openapi.json")).json();
    for (const path of ["/v1/predict", "/v1/models/penguins/predict"]) {
      const content = document.paths[path].post.requestBody.content;
      for (const type of ["application/json", "text/csv"]) {
        const example = content[type].example;
        const response = await s.fetch(path, {
          method: "POST",
          headers: { "content-type": type },
          body: typeof example === "string" ? example : JSON.stringify(example),
        });
        assert.equal(response.status, 200, `${path} ${type}: ${await response.clone().text()}`);
        const body = await response.json();
        assert.equal(body.rows, 1);
        assert.equal(body.run_id, project.runId);
        assert.deepEqual(body.warnings, []);
        assert.ok(["Adelie", "Chinstrap", "Gentoo"].includes(body.predictions[0].prediction));
      }
    }
  } finally {
    await s.close();
  }
});

Deno.test("The OpenAPI document describes GET /v1/models/{name}/drift with the fields it answers", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await serving({ drift: new LiveDrift() });
  try {
    const document: Json = await (await s.fetch("/openapi.json")).json();
    const operation = document.paths["/v1/models/{name}/drift"].get;
    assert.deepEqual(Object.keys(operation.responses), ["200", "400", "403", "404", "431"]);
    assert.equal(
      operation.responses["200"].content["application/json"].schema.$ref,
      "#/components/schemas/DriftState",
    );
    const schema = document.components.schemas.DriftState;
    const body = await (await s.fetch("/v1/models/penguins/drift")).json();
    assert.deepEqual(Object.keys(body).sort(), [...schema.required].sort());
    assert.deepEqual(Object.keys(schema.properties).sort(), [...schema.required].sort());
    assert.ok(schema.properties.status.enum.includes(body.status));
  } finally {
    await s.close();
  }
});

Deno.test("With tokens, the OpenAPI document declares bearer auth, 401 answers and open probes", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const token = generateToken();
  const s = await serving({
    tokens: [{ name: "docs", scope: "predict", sha256: tokenSha256(token) }],
  });
  try {
    assert.equal((await s.fetch("/openapi.json")).status, 401);
    const response = await s.fetch("/openapi.json", {
      headers: { authorization: `Bearer ${token}` },
    });
    const document: Json = await response.json();
    assert.equal((await new Validator().validate(document)).valid, true);
    assert.deepEqual(document.security, [{ bearer: [] }]);
    assert.equal(document.components.securitySchemes.bearer.scheme, "bearer");
    assert.ok("401" in document.paths["/v1/predict"].post.responses);
    assert.deepEqual(document.paths["/v1/health"].get.security, []);
    assert.ok(!("401" in document.paths["/v1/health"].get.responses));
    assert.deepEqual(document.paths["/v1/admin/reload"].post.security, [{ bearer: ["admin"] }]);
  } finally {
    await s.close();
  }
});
