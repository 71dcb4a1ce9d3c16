import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import type { RegistryConfig } from "../../src/config/mod.ts";
import { promoteRun } from "../../src/models/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import { createApp, ModelHolder, startServer, withScoringDeadline } from "../../src/serve/mod.ts";
import type { AppOptions } from "../../src/serve/mod.ts";
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

/** A temporary project with one trained run in production. */
async function setUp(): Promise<{ root: string; registry: RegistryConfig }> {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const result = await runTraining(await loadConfig({ root, overrides: ["training.epochs=5"] }));
  result.model.dispose();
  const { registry } = (await loadConfig({ root })).config;
  await promoteRun(registry, "penguins", { runId: result.id, force: true, reason: "test" });
  return { root, registry };
}

const project = await setUp();

/** The service on a free loopback port with small limits; `stop()` shuts it down. */
async function service(overrides: string[]) {
  const loaded = await loadConfig({ root: project.root, overrides });
  const server = await startServer(loaded, { hostname: "127.0.0.1", port: 0, app: {} });
  return { server, port: server.port, stop: () => server.shutdown() };
}

/**
 * Writes `head` on a new loopback connection, then each of `chunks` after `gapMs`, and returns
 * what the server answered (status line to end of body) or `""` when it closed without one.
 * Gives up after `limitMs`.
 */
async function rawExchange(
  port: number,
  head: string,
  chunks: string[] = [],
  gapMs = 0,
  limitMs = 3000,
): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  const give = setTimeout(() => connection.close(), limitMs);
  let text = "";
  const reading = (async () => {
    const buffer = new Uint8Array(65536);
    try {
      while (true) {
        const n = await connection.read(buffer);
        if (n === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, n));
        const [headers, body = ""] = text.split("\r\n\r\n");
        const length = Number(/content-length: (\d+)/i.exec(headers ?? "")?.[1] ?? NaN);
        if (body.length >= length) break;
      }
    } catch {
      // Closed by the server or by the limit.
    }
  })();
  try {
    await connection.write(encoder.encode(head));
    for (const chunk of chunks) {
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      await connection.write(encoder.encode(chunk));
    }
  } catch {
    // The server may close before every chunk is written.
  }
  await reading;
  clearTimeout(give);
  try {
    connection.close();
  } catch {
    // Already closed.
  }
  return { text, ms: performance.now() - started };
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function bodyOf(text: string): Record<string, unknown> {
  return JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
}

const BODY = JSON.stringify({ rows: [ADELIE] });
const HEAD = (length: number) =>
  `POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

Deno.test("A body that stalls or trickles is answered 408 JSON at serve.body_timeout_ms", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await service(["serve.body_timeout_ms=400"]);
  try {
    // Half the body, then nothing.
    const stalled = await rawExchange(s.port, HEAD(BODY.length), [BODY.slice(0, 20)]);
    assert.equal(statusOf(stalled.text), 408, stalled.text);
    const body = bodyOf(stalled.text);
    assert.equal(body["error"], "body_timeout");
    assert.match(String(body["message"]), /did not arrive within 400 ms \(serve\.body_timeout_ms/);
    assert.match(String(body["request_id"]), /^[0-9a-f-]{36}$/);
    assert.ok(stalled.ms >= 400 && stalled.ms < 2500, `answered after ${stalled.ms} ms`);

    // One small piece every 100 ms: it would take 2 s, the deadline cuts it at 400 ms.
    const pieces = BODY.match(/.{1,8}/gs)!;
    const trickle = await rawExchange(s.port, HEAD(BODY.length), pieces, 100);
    assert.equal(statusOf(trickle.text), 408, trickle.text);
    assert.ok(trickle.ms < 2500, `answered after ${trickle.ms} ms`);

    // The same body sent at once scores.
    const whole = await rawExchange(s.port, HEAD(BODY.length) + BODY);
    assert.equal(statusOf(whole.text), 200, whole.text);
  } finally {
    await s.stop();
  }
});

Deno.test("Headers over serve.max_header_bytes get 431 JSON; over Deno's own limit, its empty 400", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await service(["serve.max_header_bytes=2048"]);
  try {
    const big = await rawExchange(
      s.port,
      `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: big-1\r\nCookie: ${
        "a".repeat(4000)
      }\r\n\r\n`,
    );
    assert.equal(statusOf(big.text), 431, big.text);
    assert.deepEqual(bodyOf(big.text), {
      error: "headers_too_large",
      message: bodyOf(big.text)["message"],
      request_id: "big-1",
    });
    assert.match(String(bodyOf(big.text)["message"]), /more than the 2048 allowed/);
    // Deno's HTTP server refuses about 64 KiB of headers before the app sees them.
    const huge = await rawExchange(
      s.port,
      `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${"a".repeat(100_000)}\r\n\r\n`,
    );
    assert.match(huge.text, /^HTTP\/1\.1 400 Bad Request\r\ncontent-length: 0\r\n/);
    const small = await rawExchange(s.port, "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    assert.equal(statusOf(small.text), 200);
  } finally {
    await s.stop();
  }
});

/** An app on the trained run whose model takes `delayMs` to predict (a busy wait). */
async function slowApp(delayMs: number, options: AppOptions) {
  const holder = new ModelHolder({ ...project.registry, project: "penguins" }, project.root, {
    rowEngine: false,
  });
  await holder.refresh();
  const lease = holder.acquire()!;
  const predict = lease.run.model.predict.bind(lease.run.model);
  lease.run.model.predict = (...args: Parameters<typeof predict>) => {
    const until = performance.now() + delayMs;
    while (performance.now() < until) {
      // Scoring is synchronous: a busy wait is what a slow model looks like.
    }
    return predict(...args);
  };
  lease.release();
  const app = createApp(holder, options);
  return {
    post: (body: BodyInit, headers: Record<string, string> = {}) =>
      Promise.resolve(app.fetch(
        new Request("http://localhost/v1/predict", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body,
        }),
      )),
    get: (path: string) => Promise.resolve(app.fetch(new Request(`http://localhost${path}`))),
    close: () => holder.close(),
  };
}

Deno.test("Scoring over serve.scoring_timeout_ms answers 503 JSON with Retry-After", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await slowApp(150, { scoringTimeoutMs: 50 });
  try {
    const late = await s.post(BODY, { "x-request-id": "slow-1" });
    assert.equal(late.status, 503);
    assert.equal(late.headers.get("retry-after"), "1");
    const body = await late.json();
    assert.equal(body.error, "scoring_timeout");
    assert.equal(body.request_id, "slow-1");
    assert.match(body.message, /scoring took more than 50 ms \(serve\.scoring_timeout_ms\)/);
  } finally {
    await s.close();
  }
  const fast = await slowApp(0, { scoringTimeoutMs: 5000 });
  try {
    assert.equal((await fast.post(BODY)).status, 200);
  } finally {
    await fast.close();
  }
});

Deno.test("Requests over serve.max_concurrent_requests answer 503 while probes still answer", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const s = await slowApp(0, { maxConcurrentRequests: 2 });
  const release: (() => void)[] = [];
  const held = () =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        release.push(() => {
          controller.enqueue(new TextEncoder().encode(BODY));
          controller.close();
        });
      },
    });
  try {
    const first = s.post(held());
    const second = s.post(held());
    await new Promise((resolve) => setTimeout(resolve, 20));
    const third = await s.post(BODY);
    assert.equal(third.status, 503);
    assert.equal(third.headers.get("retry-after"), "1");
    assert.equal((await third.json()).error, "overloaded");
    assert.equal((await s.get("/v1/health")).status, 200);
    assert.equal((await s.get("/v1/ready")).status, 200);
    for (const go of release) go();
    assert.deepEqual([(await first).status, (await second).status], [200, 200]);
    assert.equal((await s.post(BODY)).status, 200);
  } finally {
    await s.close();
  }
});

Deno.test("withScoringDeadline() answers 503 at the deadline when the work waits", async () => {
  let finish = () => {};
  const work = new Promise<string>((resolve) => finish = () => resolve("late"));
  const started = performance.now();
  await assert.rejects(withScoringDeadline(work, 50), {
    name: "RequestRejectedError",
    status: 503,
    code: "scoring_timeout",
  });
  assert.ok(performance.now() - started < 1000);
  finish();
  assert.equal(await withScoringDeadline(Promise.resolve("now"), 50), "now");
});
