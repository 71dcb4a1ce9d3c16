import assert from "node:assert/strict";
import { CorsPolicy } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { emptyApp } from "../_helpers/empty_app.ts";

const APP_ORIGIN = "https://app.example.com";
const EVIL_ORIGIN = "https://evil.example";

function preflight(origin: string, method = "POST"): RequestInit {
  return {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": method,
      "access-control-request-headers": "authorization, content-type",
    },
  };
}

/** Every `Access-Control-*` header of a response, by lowercase name. */
function corsHeaders(response: Response): Record<string, string> {
  return Object.fromEntries(
    [...response.headers].filter(([name]) => name.startsWith("access-control-")),
  );
}

Deno.test("Without cors_origins, no CORS header is sent and every browser origin gets 403 JSON", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await emptyApp();
  try {
    const refused = await s.call("/v1/predict", preflight(APP_ORIGIN));
    assert.equal(refused.status, 403);
    assert.deepEqual(corsHeaders(refused), {});
    const body = await refused.json();
    assert.equal(body.error, "origin_not_allowed");
    assert.match(
      body.message,
      /origin "https:\/\/app\.example\.com": the service allows no browser origin; .*serve\.cors_origins/,
    );
    // A "simple" cross-origin POST (text/csv needs no preflight) never reaches scoring.
    const post = await s.call("/v1/predict", {
      method: "POST",
      headers: { origin: EVIL_ORIGIN, "content-type": "text/csv" },
      body: "Island\nBiscoe\n",
    });
    assert.equal(post.status, 403);
    assert.deepEqual(corsHeaders(post), {});
    // Without an Origin (curl, servers) nothing changes, and OPTIONS stays 405.
    const plain = await s.call("/v1/health");
    assert.equal(plain.status, 200);
    assert.deepEqual(corsHeaders(plain), {});
    assert.equal((await s.call("/v1/predict", { method: "OPTIONS" })).status, 405);
  } finally {
    await s.close();
  }
});

Deno.test("With cors_origins, an allowed preflight gets 204 with the allow headers and others get 403", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await emptyApp({ corsOrigins: [APP_ORIGIN] });
  try {
    const allowed = await s.call("/v1/models/penguins/predict", preflight(APP_ORIGIN));
    assert.equal(allowed.status, 204);
    assert.equal(await allowed.text(), "");
    assert.deepEqual(corsHeaders(allowed), {
      "access-control-allow-origin": APP_ORIGIN,
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": "Authorization, Content-Type, X-Request-Id",
      "access-control-max-age": "600",
    });
    assert.equal(allowed.headers.get("vary"), "Origin");

    const evil = await s.call("/v1/predict", preflight(EVIL_ORIGIN));
    assert.equal(evil.status, 403);
    assert.deepEqual(corsHeaders(evil), {});
    assert.match((await evil.json()).message, /it is not in serve\.cors_origins/);

    const wrongMethod = await s.call("/v1/predict", preflight(APP_ORIGIN, "DELETE"));
    assert.equal(wrongMethod.status, 403);
    assert.equal((await wrongMethod.json()).error, "method_not_allowed_cross_origin");

    // The actual request from the allowed origin carries the headers a script needs.
    const models = await s.call("/v1/models", { headers: { origin: APP_ORIGIN } });
    assert.equal(models.status, 200);
    assert.deepEqual(corsHeaders(models), {
      "access-control-allow-origin": APP_ORIGIN,
      "access-control-expose-headers": "X-Request-Id, X-Run-Id, Retry-After",
    });
    // An error answer to an allowed origin is readable by the page too.
    const error = await s.call("/v1/predict", { method: "POST", headers: { origin: APP_ORIGIN } });
    assert.equal(error.status, 415);
    assert.equal(error.headers.get("access-control-allow-origin"), APP_ORIGIN);
  } finally {
    await s.close();
  }
});

Deno.test("CorsPolicy compares origins without case and treats the literal null origin as any other", () => {
  const cors = new CorsPolicy(["https://App.Example.com"]);
  assert.equal(cors.check("GET", null, null, ["GET"]).kind, "none");
  assert.equal(cors.check("GET", "https://app.example.com", null, ["GET"]).kind, "allowed");
  assert.throws(() => cors.check("POST", "null", null, ["POST"]), {
    name: "RequestRejectedError",
    status: 403,
  });
});
