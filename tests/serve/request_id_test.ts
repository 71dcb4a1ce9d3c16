import assert from "node:assert/strict";
import { requestIdFor } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { emptyApp } from "../_helpers/empty_app.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("requestIdFor() keeps a short plain id and replaces anything else with a UUID", () => {
  assert.equal(requestIdFor("gw-7f3a.1:2_b"), "gw-7f3a.1:2_b");
  assert.equal(requestIdFor("x".repeat(128)), "x".repeat(128));
  for (const bad of [null, "", "x".repeat(129), "a b", "id\u00e9", "<script>", "a\tb"]) {
    assert.match(requestIdFor(bad), UUID, JSON.stringify(bad));
  }
});

Deno.test("Every answer returns its request id, every error body and log line of the request carries it", async () => {
  const logs = captureLogs({ level: "info" });
  const s = await emptyApp();
  const client: Deno.Addr = { transport: "tcp", hostname: "10.0.0.7", port: 51000 };
  try {
    const kept = await s.call("/nowhere", { headers: { "x-request-id": "gw-42" } }, client);
    assert.equal(kept.status, 404);
    assert.equal(kept.headers.get("x-request-id"), "gw-42");
    assert.equal((await kept.json()).request_id, "gw-42");

    const made = await s.call("/v1/predict", {
      method: "POST",
      headers: { "x-request-id": "bad id with spaces" },
    });
    const id = made.headers.get("x-request-id")!;
    assert.match(id, UUID);
    assert.equal((await made.json()).request_id, id);

    const ok = await s.call("/v1/health", { headers: { "x-request-id": "probe-1" } });
    assert.equal(ok.headers.get("x-request-id"), "probe-1");
    assert.deepEqual(await ok.json(), { status: "ok" });

    const access = logs.records.filter((r) => r.properties["status"] !== undefined);
    assert.deepEqual(
      access.map((r) => {
        const { duration_ms: _duration, ...rest } = r.properties;
        return rest;
      }),
      [
        {
          request_id: "gw-42",
          client: "10.0.0.7:51000",
          method: "GET",
          path: "/nowhere",
          route: "unmatched",
          status: 404,
          rows: null,
          model: null,
          run_id: null,
          token: null,
        },
        {
          request_id: id,
          client: "127.0.0.1:40000",
          method: "POST",
          path: "/v1/predict",
          route: "/v1/predict",
          status: 415,
          rows: null,
          model: null,
          run_id: null,
          token: null,
        },
        {
          request_id: "probe-1",
          client: "127.0.0.1:40000",
          method: "GET",
          path: "/v1/health",
          route: "/v1/health",
          status: 200,
          rows: null,
          model: null,
          run_id: null,
          token: null,
        },
      ],
    );
    assert.ok(access.every((r) => typeof r.properties["duration_ms"] === "number"));
  } finally {
    logs.stop();
    await s.close();
  }
});
