import assert from "node:assert/strict";
import { reloadUrl, requestReload } from "../../src/serve/mod.ts";

/** Serves `handler` on a free loopback port for the duration of `body`. */
async function withServer(
  handler: (request: Request) => Response | Promise<Response>,
  body: (port: number) => Promise<void>,
): Promise<void> {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  try {
    await body(server.addr.port);
  } finally {
    await server.shutdown();
  }
}

Deno.test("reloadUrl() reaches a wildcard host on loopback and brackets IPv6", () => {
  assert.equal(reloadUrl({ host: "0.0.0.0", port: 8000 }), "http://127.0.0.1:8000/v1/admin/reload");
  assert.equal(reloadUrl({ host: "::", port: 8000 }), "http://[::1]:8000/v1/admin/reload");
  assert.equal(reloadUrl({ host: "[::1]", port: 9 }), "http://[::1]:9/v1/admin/reload");
  assert.equal(reloadUrl({ host: "localhost", port: 80 }), "http://localhost:80/v1/admin/reload");
});

Deno.test("requestReload() reports a service that is not running instead of failing", async () => {
  // A port that was just free: nothing listens there.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  assert.deepEqual(await requestReload({ host: "127.0.0.1", port }), {
    listening: false,
    url: `http://127.0.0.1:${port}/v1/admin/reload`,
  });
});

Deno.test("requestReload() POSTs the reload and returns the service's answer", async () => {
  const seen: string[] = [];
  await withServer((request) => {
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
    return Response.json({ run_id: "run-b", reloaded: true, error: null });
  }, async (port) => {
    assert.deepEqual(await requestReload({ host: "0.0.0.0", port }), {
      listening: true,
      url: `http://127.0.0.1:${port}/v1/admin/reload`,
      runId: "run-b",
      reloaded: true,
      error: null,
    });
  });
  assert.deepEqual(seen, ["POST /v1/admin/reload"]);
});

Deno.test("requestReload() with a project reports that project's run from the service's models", async () => {
  await withServer(() =>
    Response.json({
      run_id: "run-p",
      reloaded: true,
      error: null,
      models: {
        cars: { run_id: "run-c", error: 'Cannot load the production model of project "cars": x' },
        penguins: { run_id: "run-p", error: null },
      },
    }), async (port) => {
    const url = `http://127.0.0.1:${port}/v1/admin/reload`;
    const serve = { host: "127.0.0.1", port };
    assert.deepEqual(await requestReload(serve, { project: "cars" }), {
      listening: true,
      url,
      runId: "run-c",
      reloaded: true,
      error: 'Cannot load the production model of project "cars": x',
    });
    assert.deepEqual(await requestReload(serve, { project: "other" }), {
      listening: true,
      url,
      runId: null,
      reloaded: true,
      error: 'the service does not serve project "other"',
    });
    // Without a project: the service's default project.
    assert.deepEqual(await requestReload(serve), {
      listening: true,
      url,
      runId: "run-p",
      reloaded: true,
      error: null,
    });
  });
});

Deno.test("requestReload() throws ServiceReloadError for refusals, odd answers and timeouts", async () => {
  const cases: Array<[() => Response | Promise<Response>, RegExp, number?]> = [
    [
      () => Response.json({ error: "not_found", message: "Cannot find POST" }, { status: 404 }),
      /answered 404 \(Cannot find POST\); the service predates the reload route, restart it/,
    ],
    [() => new Response("<html>proxy</html>"), /answered 200 \(<html>proxy<\/html>\)/],
    [
      () => new Promise((resolve) => setTimeout(() => resolve(Response.json({})), 500)),
      /did not answer within 50 ms/,
      50,
    ],
  ];
  for (const [handler, message, timeoutMs] of cases) {
    await withServer(handler, async (port) => {
      await assert.rejects(
        requestReload({ host: "127.0.0.1", port }, timeoutMs ? { timeoutMs } : {}),
        { name: "ServiceReloadError", message },
      );
    });
  }
});

Deno.test("requestReload() sends an admin token as a bearer token and names the fix on 401", async () => {
  const seen: (string | null)[] = [];
  await withServer((request) => {
    const authorization = request.headers.get("authorization");
    seen.push(authorization);
    return authorization === "Bearer dmt_admin"
      ? Response.json({ run_id: "run-b", reloaded: false, error: null })
      : Response.json({ error: "missing_token", message: "Cannot answer: no token" }, {
        status: 401,
      });
  }, async (port) => {
    const outcome = await requestReload({ host: "127.0.0.1", port }, { token: "dmt_admin" });
    assert.deepEqual(outcome, {
      listening: true,
      url: `http://127.0.0.1:${port}/v1/admin/reload`,
      runId: "run-b",
      reloaded: false,
      error: null,
    });
    await assert.rejects(requestReload({ host: "127.0.0.1", port }), {
      name: "ServiceReloadError",
      message:
        /answered 401 \(Cannot answer: no token\); set DENO_MLOPS_ADMIN_TOKEN to a token of scope admin/,
    });
  });
  assert.deepEqual(seen, ["Bearer dmt_admin", null]);
});
