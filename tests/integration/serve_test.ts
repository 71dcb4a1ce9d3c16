import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { promoteRun, rollbackProduction } from "../../src/models/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject, REPO_ROOT } from "../_helpers/project.ts";

const ADELIE = {
  Island: "Dream",
  "Beak Length (mm)": 39.5,
  "Beak Depth (mm)": 18.8,
  "Flipper Length (mm)": 190,
  "Body Mass (g)": 3700,
  Sex: "MALE",
};
const HEADER =
  '"Beak Length (mm)","Beak Depth (mm)","Flipper Length (mm)","Body Mass (g)",Island,Sex';

interface Service {
  child: Deno.ChildProcess;
  url: string;
  /** Everything the server printed on stdout so far. */
  stdout: () => string;
  stderr: Promise<string>;
}

/** Starts `deno task serve` (the real entry file) on a free loopback port in `root`. */
async function startService(root: string): Promise<Service> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      `--config=${REPO_ROOT}/deno.json`,
      `${REPO_ROOT}/src/cli/serve.ts`,
      "--set",
      "serve.port=0",
      "--set",
      "serve.max_rows=50",
      "--set",
      "serve.max_body_bytes=65536",
      "--poll-interval",
      "100",
    ],
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited before listening:\n${text}\n${await stderr}`);
    text += value;
  }
  const drained = (async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
  })();
  return {
    child,
    url: text.match(/listening on (\S+)/)![1]!,
    stdout: () => text,
    stderr: drained.then(() => stderr),
  };
}

function post(url: string, body: BodyInit, type = "application/json"): Promise<Response> {
  return fetch(`${url}/v1/predict`, { method: "POST", headers: { "content-type": type }, body });
}

Deno.test("deno task serve answers every route and bad input, reloads on promotion and stops on SIGTERM", async (t) => {
  const root = await makeTempProject();
  const ids: string[] = [];
  {
    using _logs = captureLogs({ level: "error" });
    for (const epochs of [10, 12]) {
      const result = await runTraining(
        await loadConfig({ root, overrides: [`training.epochs=${epochs}`] }),
      );
      result.model.dispose();
      ids.push(result.id);
    }
  }
  const [first, second] = ids as [string, string];
  const { registry } = (await loadConfig({ root })).config;
  const quiet = { level: "fatal" } as const;
  {
    using _logs = captureLogs(quiet);
    await promoteRun(registry, "penguins", { runId: first, force: true, reason: "test" });
  }
  const service = await startService(root);
  const { url } = service;
  let stopped = false;
  try {
    await t.step("it listens on loopback and prints the run it serves", () => {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(service.stdout(), new RegExp(`listening on ${url} \\(run ${first}\\)`));
      assert.match(service.stdout(), new RegExp(`^models: penguins \\(${first}, default\\)$`, "m"));
    });

    await t.step("GET /v1/health, /v1/ready, /v1/model and /metrics answer", async () => {
      const health = await fetch(`${url}/v1/health`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: "ok" });
      assert.deepEqual(await (await fetch(`${url}/v1/ready`)).json(), {
        status: "ready",
        run_id: first,
      });
      const card = await (await fetch(`${url}/v1/model`)).json();
      assert.equal(card.run_id, first);
      assert.equal(card.limits.max_rows, 50);
      const example = await post(url, JSON.stringify(card.example_request));
      assert.equal(example.status, 200);
      const metrics = await fetch(`${url}/metrics`);
      assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      assert.match(
        text,
        /deno_mlops_serve_requests_total\{route="\/v1\/health",method="GET",status="200"\} 1\n/,
      );
      assert.match(
        text,
        new RegExp(`deno_mlops_serve_model_info\\{model="penguins",run_id="${first}"\\} 1`),
      );
      assert.match(text, /deno_mlops_serve_rows_predicted_total 1\n/);
    });

    await t.step("POST /v1/predict answers JSON and CSV rows with the run id", async () => {
      const response = await post(
        url,
        JSON.stringify({
          rows: [ADELIE, {
            ...ADELIE,
            Island: "Biscoe",
            "Beak Depth (mm)": 13.2,
            "Flipper Length (mm)": 215,
            "Body Mass (g)": 5000,
            "Beak Length (mm)": 47,
          }],
        }),
      );
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.run_id, first);
      assert.deepEqual(body.predictions.map((p: { prediction: string }) => p.prediction), [
        "Adelie",
        "Gentoo",
      ]);
      const sum = Object.values(body.predictions[0].probabilities as Record<string, number>)
        .reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5);
      const csv = await post(url, `${HEADER}\n39.5,18.8,190,3700,Dream,MALE\n`, "text/csv");
      assert.equal(csv.status, 200);
      const fromCsv = await csv.json();
      assert.deepEqual(fromCsv.predictions[0], body.predictions[0]);
    });

    await t.step(
      "every bad input gets its status and a JSON error, and the server keeps serving",
      async () => {
        const row = JSON.stringify(ADELIE).slice(1, -1);
        const chunked = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(10_000).fill(32));
            controller.close();
          },
        });
        const cases: Array<[string, () => Promise<Response>, number, string]> = [
          [
            "a body over max_body_bytes",
            () => post(url, `{"rows": [{${row}, "x": "${"a".repeat(70_000)}"}]}`),
            413,
            "body_too_large",
          ],
          ["a streamed body over max_body_bytes", () => post(url, chunked), 413, "body_too_large"],
          [
            "a 10 MB string",
            () => post(url, `{"rows": [{${row}, "Sex": "${"M".repeat(10_000_000)}"}]}`),
            413,
            "body_too_large",
          ],
          [
            "more rows than max_rows",
            () => post(url, JSON.stringify({ rows: Array(51).fill(ADELIE) })),
            413,
            "too_many_rows",
          ],
          ["JSON that does not parse", () => post(url, '{"rows": [{'), 400, "invalid_json"],
          [
            "bare NaN in JSON",
            () => post(url, `{"rows": [{${row}, "Body Mass (g)": NaN}]}`),
            400,
            "invalid_json",
          ],
          [
            "a ragged CSV line",
            () => post(url, `${HEADER}\n39.5,18.8,190,3700,Dream\n`, "text/csv"),
            400,
            "invalid_csv",
          ],
          [
            "a wrong media type",
            () => post(url, "Island=Dream", "application/x-www-form-urlencoded"),
            415,
            "unsupported_media_type",
          ],
          ["an unknown route", () => fetch(`${url}/v2/predict`), 404, "not_found"],
          ["a wrong method", () => fetch(`${url}/v1/predict`), 405, "method_not_allowed"],
          ["an empty rows array", () => post(url, '{"rows": []}'), 422, "no_rows"],
          [
            "a body that is not {rows}",
            () => post(url, JSON.stringify([ADELIE])),
            422,
            "invalid_body",
          ],
          [
            "a missing field",
            () => post(url, JSON.stringify({ rows: [{ ...ADELIE, Sex: undefined }] })),
            422,
            "invalid_rows",
          ],
          [
            "an extra field",
            () => post(url, JSON.stringify({ rows: [{ ...ADELIE, Wings: 2 }] })),
            422,
            "invalid_rows",
          ],
          [
            "a wrong type",
            () => post(url, JSON.stringify({ rows: [{ ...ADELIE, Island: 3 }] })),
            422,
            "invalid_rows",
          ],
          [
            "text that is not a number",
            () => post(url, JSON.stringify({ rows: [{ ...ADELIE, "Body Mass (g)": "heavy" }] })),
            422,
            "invalid_rows",
          ],
          [
            '"NaN" and "Infinity"',
            () =>
              post(
                url,
                JSON.stringify({
                  rows: [{ ...ADELIE, "Body Mass (g)": "NaN", "Beak Depth (mm)": "-Infinity" }],
                }),
              ),
            422,
            "invalid_rows",
          ],
          [
            "a number that overflows",
            () => post(url, `{"rows": [{${row}, "Body Mass (g)": 1e400}]}`),
            422,
            "invalid_rows",
          ],
          [
            "a huge number",
            () => post(url, JSON.stringify({ rows: [{ ...ADELIE, "Body Mass (g)": 1e308 }] })),
            422,
            "invalid_rows",
          ],
          [
            "a very long string",
            () => post(url, JSON.stringify({ rows: [{ ...ADELIE, Island: "D".repeat(5000) }] })),
            422,
            "invalid_rows",
          ],
          [
            "a row that is not an object",
            () => post(url, JSON.stringify({ rows: [ADELIE, [1, 2]] })),
            422,
            "invalid_rows",
          ],
          [
            "a __proto__ field",
            () => post(url, `{"rows": [{${row}, "__proto__": {"admin": true}}]}`),
            422,
            "invalid_rows",
          ],
        ];
        for (const [name, send, status, code] of cases) {
          const response = await send();
          const text = await response.text();
          assert.equal(response.status, status, `${name}: ${text.slice(0, 300)}`);
          assert.equal(response.headers.get("content-type"), "application/json", name);
          const body = JSON.parse(text);
          assert.equal(body.error, code, name);
          assert.match(body.message, /^Cannot /, name);
          assert.doesNotMatch(text, /\bat .*\.ts:\d+|node_modules/, `${name}: no stack trace`);
          if (code === "invalid_rows") {
            assert.ok(body.problems.length > 0, name);
            for (const p of body.problems) {
              assert.deepEqual(Object.keys(p), ["row", "column", "message"], name);
            }
          }
        }
        const ok = await post(url, JSON.stringify({ rows: [ADELIE] }));
        assert.equal(ok.status, 200);
        assert.equal((await ok.json()).predictions[0].prediction, "Adelie");
      },
    );

    await t.step(
      "a promotion and a rollback switch the model while requests flow, with no failed request",
      async () => {
        using _logs = captureLogs(quiet);
        const seen: string[] = [];
        let failures = 0;
        let running = true;
        const body = JSON.stringify({ rows: [ADELIE] });
        const client = async () => {
          while (running) {
            try {
              const response = await post(url, body);
              const answer = await response.json();
              if (response.status !== 200) failures++;
              else seen.push(answer.run_id);
            } catch {
              failures++;
            }
          }
        };
        const waitFor = async (id: string) => {
          const deadline = Date.now() + 20_000;
          while (seen.at(-1) !== id && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        };
        const clients = [client(), client(), client()];
        await new Promise((resolve) => setTimeout(resolve, 300));
        await promoteRun(registry, "penguins", { runId: second, force: true, reason: "test" });
        await waitFor(second);
        const switched = seen.length;
        await new Promise((resolve) => setTimeout(resolve, 300));
        await rollbackProduction(registry, "penguins", { reason: "test" });
        await waitFor(first);
        await new Promise((resolve) => setTimeout(resolve, 200));
        running = false;
        await Promise.all(clients);
        assert.equal(failures, 0);
        assert.ok(seen.includes(second), "answers came from the promoted run");
        assert.equal(seen.at(-1), first, "and from the first run again after the rollback");
        assert.ok(seen.indexOf(second) < switched);
        const ready = await (await fetch(`${url}/v1/ready`)).json();
        assert.equal(ready.run_id, first);
        const metrics = await (await fetch(`${url}/metrics`)).text();
        assert.match(metrics, /deno_mlops_serve_model_reloads_total\{model="penguins"\} 3\n/);
      },
    );

    await t.step(
      "predictions go through the row engine, and POST /v1/admin/reload answers a loopback client",
      async () => {
        const card = await (await fetch(`${url}/v1/model`)).json();
        assert.deepEqual(card.scoring, { engine: "rows", reason: null });
        const metrics = await (await fetch(`${url}/metrics`)).text();
        assert.match(metrics, /deno_mlops_serve_scoring_calls_total\{engine="rows"\} [1-9]\d*\n/);
        assert.doesNotMatch(metrics, /scoring_calls_total\{engine="polars"\}/);
        const reload = await fetch(`${url}/v1/admin/reload`, { method: "POST" });
        assert.equal(reload.status, 200);
        assert.deepEqual(await reload.json(), {
          run_id: first,
          reloaded: false,
          error: null,
          models: { penguins: { run_id: first, error: null } },
        });
      },
    );

    await t.step("SIGTERM lets an in-flight request finish, then the process exits 0", async () => {
      let send!: (text: string | null) => void;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          send = (text) => {
            if (text === null) controller.close();
            else controller.enqueue(new TextEncoder().encode(text));
          };
        },
      });
      const inFlight = post(url, body);
      send('{"rows": [');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const metrics = await (await fetch(`${url}/metrics`)).text();
        // The metrics request itself is one of them.
        if (/deno_mlops_serve_in_flight_requests 2\n/.test(metrics)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      service.child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Draining: not ready for new work, still serving what arrives.
      const ready = await fetch(`${url}/v1/ready`);
      assert.equal(ready.status, 503);
      assert.equal((await ready.json()).error, "shutting_down");
      send(`${JSON.stringify(ADELIE)}]}`);
      send(null);
      const response = await inFlight;
      const answer = await response.json();
      assert.equal(response.status, 200, JSON.stringify(answer));
      assert.equal(answer.predictions.length, 1);
      const status = await service.child.status;
      stopped = true;
      assert.equal(status.code, 0);
      const stderr = await service.stderr;
      assert.match(service.stdout(), /\nstopped\n/);
      assert.match(stderr, /Shutting down: finishing \d+ in-flight request/);
      assert.match(
        stderr,
        /"message":"POST \/v1\/predict 200 [\d.]+ ms"/,
        "access log lines on stderr",
      );
      await assert.rejects(fetch(`${url}/v1/health`));
    });
  } finally {
    if (!stopped) {
      service.child.kill("SIGKILL");
      await service.child.status;
      await service.stderr;
    }
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task serve serves two projects of one registry by name, the config's project at /v1/predict", async () => {
  const root = await makeTempProject();
  const ids: Record<string, string> = {};
  {
    using _logs = captureLogs({ level: "error" });
    for (const [name, epochs] of [["penguins", 8], ["other", 3]] as const) {
      const loaded = await loadConfig({
        root,
        overrides: [`project.name=${name}`, `training.epochs=${epochs}`],
      });
      const result = await runTraining(loaded);
      result.model.dispose();
      ids[name] = result.id;
      await promoteRun(loaded.config.registry, name, { runId: result.id });
    }
  }
  const service = await startService(root);
  const { url } = service;
  try {
    assert.match(
      service.stdout(),
      new RegExp(
        `^models: other \\(${ids["other"]}\\), penguins \\(${ids["penguins"]}, default\\)$`,
        "m",
      ),
    );
    const listed = await (await fetch(`${url}/v1/models`)).json();
    assert.equal(listed.default, "penguins");
    assert.deepEqual(
      listed.models.map((m: Record<string, unknown>) => [m.name, m.run_id, m.default]),
      [["other", ids["other"], false], ["penguins", ids["penguins"], true]],
    );
    for (const name of ["other", "penguins"]) {
      const response = await fetch(`${url}/v1/models/${name}/predict`, {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: `${HEADER}\n39.5,18.8,190,3700,Dream,MALE\n`,
      });
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.equal(body.run_id, ids[name]);
      assert.equal(body.predictions.length, 1);
    }
    const plain = await (await post(url, JSON.stringify({ rows: [ADELIE] }))).json();
    assert.equal(plain.run_id, ids["penguins"]);
    const unknown = await fetch(`${url}/v1/models/cars/predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows: [ADELIE] }),
    });
    assert.equal(unknown.status, 404);
    const body = await unknown.json();
    assert.equal(body.error, "unknown_model");
    assert.match(
      body.message,
      /Cannot find model "cars": the service serves \["other","penguins"\]/,
    );
  } finally {
    service.child.kill("SIGTERM");
    await service.child.status;
    await service.stderr;
    await Deno.remove(root, { recursive: true });
  }
});
