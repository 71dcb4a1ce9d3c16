import assert from "node:assert/strict";
import { generateToken, TokenAuthenticator, tokenSha256 } from "../../src/serve/mod.ts";
import type { ServiceToken } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { loadConfig } from "../../src/config/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";
import { emptyApp } from "../_helpers/empty_app.ts";

const PREDICT_TOKEN = generateToken();
const ADMIN_TOKEN = generateToken();
const TOKENS: ServiceToken[] = [
  { name: "scorer", scope: "predict", sha256: tokenSha256(PREDICT_TOKEN) },
  { name: "ops", scope: "admin", sha256: tokenSha256(ADMIN_TOKEN) },
];
/** An app around a holder with nothing promoted: authentication answers before any model. */
function appWith(tokens: ServiceToken[]) {
  return emptyApp({ tokens });
}

function bearer(token: string): RequestInit {
  return { headers: { authorization: `Bearer ${token}` } };
}

Deno.test("generateToken() makes distinct dmt_ tokens whose sha256 is 64 hex digits", () => {
  const tokens = new Set(Array.from({ length: 50 }, () => generateToken()));
  assert.equal(tokens.size, 50);
  for (const token of tokens) assert.match(token, /^dmt_[A-Za-z0-9_-]{43}$/);
  assert.equal(
    tokenSha256("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("TokenAuthenticator accepts known tokens with their scope and refuses the rest", () => {
  const auth = new TokenAuthenticator(TOKENS);
  assert.equal(auth.enabled, true);
  assert.deepEqual(auth.authenticate(`Bearer ${PREDICT_TOKEN}`, "predict"), {
    name: "scorer",
    scope: "predict",
  });
  assert.deepEqual(auth.authenticate(`bearer  ${ADMIN_TOKEN}`, "admin"), {
    name: "ops",
    scope: "admin",
  });
  assert.throws(() => auth.authenticate(null, "predict"), {
    name: "RequestRejectedError",
    status: 401,
    code: "missing_token",
  });
  assert.throws(() => auth.authenticate(`Basic ${btoa("a:b")}`, "predict"), {
    status: 401,
    message: /is not "Bearer <token>"/,
  });
  assert.throws(() => auth.authenticate(`Bearer ${generateToken()}`, "predict"), {
    status: 401,
    code: "invalid_token",
    message: /not one the service accepts/,
  });
  assert.throws(() => auth.authenticate("Bearer 0123456789abcdef", "predict"), {
    status: 401,
    message: /not a service token/,
  });
  assert.throws(() => auth.authenticate(`Bearer ${PREDICT_TOKEN}`, "admin"), {
    status: 403,
    code: "insufficient_scope",
    message: /token "scorer" has scope "predict" and this route needs "admin"/,
  });
  assert.equal(new TokenAuthenticator([]).authenticate(null, "admin"), null);
  assert.throws(() => new TokenAuthenticator([{ name: "x", scope: "admin", sha256: "abc" }]), {
    name: "TypeError",
    message: /Cannot use token "x": its sha256 must be 64 lowercase hex digits/,
  });
});

Deno.test("With tokens, every route but health and readiness answers 401 JSON without one", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await appWith(TOKENS);
  try {
    assert.equal((await s.call("/v1/health")).status, 200);
    assert.equal((await s.call("/v1/ready")).status, 503); // open, but no model yet
    for (
      const [path, method] of [
        ["/v1/predict", "POST"],
        ["/v1/models/penguins/predict", "POST"],
        ["/v1/models", "GET"],
        ["/v1/model", "GET"],
        ["/metrics", "GET"],
        ["/openapi.json", "GET"],
        ["/v1/admin/reload", "POST"],
        ["/nowhere", "GET"],
      ] as const
    ) {
      const response = await s.call(path, { method });
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.headers.get("www-authenticate"), 'Bearer realm="deno-mlops"');
      const body = await response.json();
      assert.equal(body.error, "missing_token");
      assert.match(body.message, /send Authorization: Bearer <token>/);
      assert.equal(body.request_id, response.headers.get("x-request-id"));
    }
    // With a predict token the route itself answers (503: nothing promoted yet).
    const models = await s.call("/v1/models", bearer(PREDICT_TOKEN));
    assert.equal(models.status, 200);
    assert.deepEqual((await models.json()).default, "penguins");
    assert.equal(
      (await s.call("/v1/predict", { method: "POST", ...bearer(PREDICT_TOKEN) })).status,
      415,
    );
  } finally {
    await s.close();
  }
});

Deno.test("With tokens, reload needs the admin scope even from loopback, and takes it from anywhere", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await appWith(TOKENS);
  const remote: Deno.Addr = { transport: "tcp", hostname: "10.1.2.3", port: 5000 };
  try {
    // A proxy on this host makes every client look local, spoofed X-Forwarded-For or not.
    const proxied = await s.call("/v1/admin/reload", {
      method: "POST",
      headers: { "x-forwarded-for": "127.0.0.1" },
    });
    assert.equal(proxied.status, 401);
    const scoped = await s.call("/v1/admin/reload", { method: "POST", ...bearer(PREDICT_TOKEN) });
    assert.equal(scoped.status, 403);
    assert.equal((await scoped.json()).error, "insufficient_scope");
    const admin = await s.call("/v1/admin/reload", { method: "POST", ...bearer(ADMIN_TOKEN) });
    assert.equal(admin.status, 200);
    assert.deepEqual((await admin.json()).run_id, null);
    const far = await s.call(
      "/v1/admin/reload",
      { method: "POST", ...bearer(ADMIN_TOKEN) },
      remote,
    );
    assert.equal(far.status, 200);
  } finally {
    await s.close();
  }
});

Deno.test("Without tokens, reload still answers loopback clients only and other routes need nothing", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await appWith([]);
  const remote: Deno.Addr = { transport: "tcp", hostname: "10.1.2.3", port: 5000 };
  try {
    assert.equal((await s.call("/v1/admin/reload", { method: "POST" })).status, 200);
    const far = await s.call("/v1/admin/reload", { method: "POST" }, remote);
    assert.equal(far.status, 403);
    assert.equal((await far.json()).error, "forbidden");
    assert.equal((await s.call("/v1/models")).status, 200);
  } finally {
    await s.close();
  }
});

Deno.test("A token in the query string is refused with 400 and never logged", async () => {
  const logs = captureLogs({ level: "info" });
  const s = await appWith(TOKENS);
  try {
    for (const name of ["token", "access_token", "API_KEY"]) {
      const response = await s.call(`/v1/models?${name}=${PREDICT_TOKEN}`, bearer(PREDICT_TOKEN));
      assert.equal(response.status, 400);
      const body = await response.json();
      assert.equal(body.error, "credentials_in_query");
      assert.match(body.message, /send it as Authorization: Bearer <token> instead/);
    }
    await s.call("/v1/models", bearer(PREDICT_TOKEN));
    const written = JSON.stringify(logs.records.map((r) => [r.message, r.properties]));
    assert.ok(!written.includes(PREDICT_TOKEN), "the token is in the logs");
    assert.ok(written.includes('"token":"scorer"'), "the access log names the token");
  } finally {
    logs.stop();
    await s.close();
  }
});

Deno.test("serve.tokens comes from DENO_MLOPS__SERVE__TOKENS and refuses a token where its sha256 belongs", async () => {
  const root = await makeTempProject();
  try {
    const sha256 = tokenSha256(ADMIN_TOKEN);
    const loaded = await loadConfig({
      root,
      env: { DENO_MLOPS__SERVE__TOKENS: `[{name: ops, scope: admin, sha256: ${sha256}}]` },
    });
    assert.deepEqual(loaded.config.serve.tokens, [{ name: "ops", scope: "admin", sha256 }]);
    await assert.rejects(
      loadConfig({
        root,
        env: { DENO_MLOPS__SERVE__TOKENS: `[{name: ops, scope: admin, sha256: ${ADMIN_TOKEN}}]` },
      }),
      { name: "ConfigError", message: /serve\.tokens\[0\]\.sha256: expected a string/ },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
