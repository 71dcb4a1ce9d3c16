/**
 * Hostile inputs, each with the answer it must get: YAML alias bombs and deep nesting refused by
 * limits; `__proto__` and `constructor` keys in config and request rows polluting nothing; run
 * ids and paths on the command line and over HTTP unable to leave `models/` or `data/`
 * (`../`, absolute paths, symbolic links); NaN, Infinity, 1e308, 10 MB strings and
 * 100,000-column rows answered with errors, never crashes.
 *
 * Gateway cases (issue #18) go to a second real service started with bearer tokens, a CORS
 * allowlist and a short body deadline: missing, wrong and malformed tokens, a token in the query
 * string, a spoofed `X-Forwarded-For` on admin, slow-header and slow-body clients, 500 concurrent
 * connections and a preflight from a disallowed origin.
 *
 * HTTP cases go to the real service started with its task permissions; command-line cases run
 * the real tasks with theirs.
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { promoteRun, writeRunRecord } from "../../src/models/mod.ts";
import type { RunRecord } from "../../src/models/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs, sha256Hex } from "../../src/utils/mod.ts";
import { generateToken, tokenSha256 } from "../../src/serve/mod.ts";
import { listDir, makeTempProject } from "./project.ts";
import { startService } from "./service.ts";
import type { Service } from "./service.ts";
import { runTask } from "./tasks.ts";

/** One hostile input and the answer it must get. */
export interface HostileCase {
  /** `config`, `http`, `command line` or `files`. */
  area: string;
  /** What is sent. */
  input: string;
  /** The answer required. */
  expected: string;
  /** Sends it and checks the answer; returns what was observed. */
  run(context: HostileContext): Promise<string>;
}

/** What the cases run against. */
export interface HostileContext {
  /** A project with a trained, promoted run. */
  root: string;
  /** That run's id. */
  runId: string;
  /** A folder outside the project. */
  outside: string;
  /** The service, started on first use. */
  service(): Promise<Service>;
  /** The service with tokens, CORS and a 500 ms body deadline, started on first use. */
  gateway(): Promise<Gateway>;
}

/** The gateway-facing service and the tokens it accepts. */
export interface Gateway {
  /** The running service. */
  service: Service;
  /** Its loopback port. */
  port: number;
  /** A token of scope `predict`. */
  predictToken: string;
  /** A token of scope `admin`. */
  adminToken: string;
}

/** The one origin the gateway service allows. */
const ALLOWED_ORIGIN = "https://app.example.com";
/** The gateway service's body deadline. */
const GATEWAY_BODY_TIMEOUT_MS = 500;

/** One case's outcome. */
export interface HostileResult {
  /** The case's area. */
  area: string;
  /** The input. */
  input: string;
  /** The answer required. */
  expected: string;
  /** What happened. */
  observed: string;
  /** Milliseconds to the answer. */
  ms: number;
}

const ADELIE = {
  "Beak Length (mm)": 39.5,
  "Beak Depth (mm)": 18.8,
  "Flipper Length (mm)": 190,
  "Body Mass (g)": 3700,
  Island: "Dream",
  Sex: "MALE",
};

/** Options of {@link runHostileCases}. */
export interface HostileOptions {
  /**
   * Cases run at the same time (they use separate files and run ids). Times per case are
   * longer when above 1.
   * @default 1
   */
  concurrency?: number;
}

/**
 * Runs every hostile case (or those whose area is listed) and returns their outcomes.
 *
 * @param areas the areas to run; all when empty
 * @param options how many cases run at once
 * @returns one result per case, in {@link HOSTILE_CASES} order
 * @throws {AssertionError} naming the case when an answer is wrong
 * @example
 * ```ts
 * const results = await runHostileCases(["config"]);
 * ```
 */
export async function runHostileCases(
  areas: readonly string[] = [],
  options: HostileOptions = {},
): Promise<HostileResult[]> {
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const context = await makeContext();
  const cases = HOSTILE_CASES.filter((c) => areas.length === 0 || areas.includes(c.area));
  const results: HostileResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const item = cases[index]!;
      const started = performance.now();
      let observed: string;
      try {
        observed = await item.run(context);
      } catch (error) {
        throw new assert.AssertionError({
          message: `hostile ${item.area} case "${item.input}" (expected ${item.expected}): ${
            (error as Error).message
          }`,
        });
      }
      assertClean(item.input);
      results[index] = {
        area: item.area,
        input: item.input,
        expected: item.expected,
        observed,
        ms: Math.round(performance.now() - started),
      };
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await context.close();
  }
  return results;
}

function assertClean(what: string): void {
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined, `${what} polluted`);
  assert.equal(Object.hasOwn(Object.prototype, "polluted"), false, `${what} polluted`);
}

// ---------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------

/** `loadConfig` of a project whose config.yaml is the real one plus `extra`. */
async function configWith(
  context: HostileContext,
  extra: string,
  options: { overrides?: string[]; env?: Record<string, string>; profile?: string } = {},
): Promise<string> {
  const root = await makeTempProject();
  try {
    if (extra !== "") {
      const path = `${root}/config/config.yaml`;
      await Deno.writeTextFile(path, `${await Deno.readTextFile(path)}\n${extra}\n`);
    }
    let profile: string | null = null;
    if (options.profile !== undefined) {
      await Deno.writeTextFile(`${root}/config/profiles/hostile.yaml`, options.profile);
      profile = "hostile";
    }
    const load = () =>
      loadConfig({ root, profile, overrides: options.overrides ?? [], env: options.env ?? {} });
    const started = performance.now();
    await assert.rejects(
      load,
      (error: Error) => {
        assert.equal(error.name, "ConfigError", error.stack ?? error.message);
        const ms = performance.now() - started;
        assert.ok(ms < 5_000, `took ${Math.round(ms)} ms`);
        return true;
      },
    );
    try {
      await load();
    } catch (error) {
      const lines = (error as Error).message.split("\n");
      return `ConfigError: ${(lines[1] ?? lines[0] ?? "").trim().slice(0, 160)}`;
    }
    return "accepted";
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    void context;
  }
}

function aliasBomb(levels: number, width: number): string {
  const lines = [`lol0: &lol0 ["lol"]`];
  for (let level = 1; level <= levels; level++) {
    lines.push(
      `lol${level}: &lol${level} [${
        Array.from({ length: width }, () => `*lol${level - 1}`).join(", ")
      }]`,
    );
  }
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

async function post(
  context: HostileContext,
  body: BodyInit,
  type = "application/json",
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { url } = await context.service();
  const response = await fetch(`${url}/v1/predict`, {
    method: "POST",
    headers: { "content-type": type },
    body,
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`status ${response.status} answered with non-JSON: ${text.slice(0, 200)}`);
  }
  assert.doesNotMatch(text, /\bat \S+\.ts:\d+/, "the answer holds a stack trace");
  return { status: response.status, body: parsed };
}

/** Posts `body`, requires `status` (and `fragment` in the JSON answer), then a valid request. */
async function expectStatus(
  context: HostileContext,
  body: BodyInit,
  status: number,
  fragment: RegExp,
  type = "application/json",
): Promise<string> {
  const answer = await post(context, body, type);
  const text = JSON.stringify(answer.body);
  assert.equal(answer.status, status, text.slice(0, 500));
  assert.match(text, fragment);
  // The service is unharmed: a valid request still gets its prediction.
  const valid = await post(context, JSON.stringify({ rows: [ADELIE] }));
  assert.equal(valid.status, 200, JSON.stringify(valid.body));
  const problems = answer.body["problems"] as
    | Array<{ column: string | null; message: string }>
    | undefined;
  const first = problems?.[0];
  const detail = first === undefined
    ? firstLine(String(answer.body["message"]))
    : `${first.column === null ? "" : `${first.column}: `}${first.message}${
      problems!.length > 1 ? ` (+${problems!.length - 1} more listed)` : ""
    }`;
  return `${answer.status} ${answer.body["error"]}: ${detail}`;
}

/** Posts a valid body to the gateway service with `headers`; requires `status` and `fragment`. */
async function expectGateway(
  context: HostileContext,
  path: string,
  headers: Record<string, string>,
  status: number,
  fragment: RegExp,
): Promise<string> {
  const g = await context.gateway();
  const response = await fetch(`${g.service.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ rows: [ADELIE] }),
  });
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(text, fragment);
  const body = JSON.parse(text);
  assert.equal(body.request_id, response.headers.get("x-request-id"));
  if (status === 401) assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer /);
  await expectValidPredict(g);
  return `${status} ${body.error}: ${firstLine(String(body.message))}`;
}

/** The gateway service still scores a valid request with a predict token. */
async function expectValidPredict(g: Gateway): Promise<void> {
  const response = await fetch(`${g.service.url}/v1/predict`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${g.predictToken}` },
    body: JSON.stringify({ rows: [ADELIE] }),
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
}

/**
 * Writes `pieces` on a new loopback connection, `gapMs` apart, and returns what the server
 * answered before it closed, the answer was complete, or `limitMs` passed.
 */
async function rawRequest(
  port: number,
  pieces: readonly string[],
  gapMs: number,
  limitMs: number,
): Promise<string> {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  const give = setTimeout(() => {
    try {
      connection.close();
    } catch {
      // Already closed.
    }
  }, limitMs);
  let text = "";
  const reading = (async () => {
    const buffer = new Uint8Array(16384);
    const decoder = new TextDecoder();
    try {
      while (true) {
        const n = await connection.read(buffer);
        if (n === null) break;
        text += decoder.decode(buffer.subarray(0, n));
        const end = text.indexOf("\r\n\r\n");
        const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? NaN);
        if (end >= 0 && text.length - end - 4 >= length) break;
      }
    } catch {
      // Closed by the server or by the limit.
    }
  })();
  const encoder = new TextEncoder();
  try {
    for (const [i, piece] of pieces.entries()) {
      if (i > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      if (text !== "") break; // answered already (e.g. 408)
      await connection.write(encoder.encode(piece));
    }
  } catch {
    // The server closed before every piece was written.
  }
  await reading;
  clearTimeout(give);
  try {
    connection.close();
  } catch {
    // Already closed.
  }
  return text;
}

async function getPath(context: HostileContext, path: string): Promise<string> {
  const { url } = await context.service();
  const response = await fetch(`${url}${path}`);
  const text = await response.text();
  assert.equal(response.status, 404, text);
  assert.doesNotMatch(text, /root:|\[boot loader\]|BEGIN/, "a file was served");
  return `404 ${JSON.parse(text).error}`;
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

async function taskFails(
  context: HostileContext,
  name: string,
  args: string[],
  fragment: RegExp,
): Promise<string> {
  const result = await runTask(name, args, context.root);
  assert.equal(result.code, 1, `exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  assert.match(result.stderr, fragment);
  assert.doesNotMatch(result.stderr, /^\s+at .*:\d+:\d+\)?$/m, "a stack trace was printed");
  return `exit 1: ${firstLine(result.stderr.replace(/^\S+: /, ""))}`;
}

/** Copies the run folder to `outside` and returns the copy's path. */
async function copyRunOutside(context: HostileContext, name: string): Promise<string> {
  const from = `${context.root}/models/experiments/${context.runId}`;
  const to = `${context.outside}/${name}`;
  const copy = async (a: string, b: string) => {
    await Deno.mkdir(b, { recursive: true });
    for await (const entry of Deno.readDir(a)) {
      if (entry.isDirectory) await copy(`${a}/${entry.name}`, `${b}/${entry.name}`);
      else await Deno.copyFile(`${a}/${entry.name}`, `${b}/${entry.name}`);
    }
  };
  await copy(from, to);
  return to;
}

/** Makes a run folder `id` in experiments from the real run, `prepare`d, and returns its path. */
async function craftedRun(
  context: HostileContext,
  id: string,
  prepare: (dir: string, record: RunRecord) => Promise<RunRecord>,
): Promise<string> {
  const source = await copyRunOutside(context, `${id}-source`);
  const dir = `${context.root}/models/experiments/${id}`;
  await Deno.rename(source, dir);
  const record = JSON.parse(await Deno.readTextFile(`${dir}/run.json`)) as RunRecord;
  await writeRunRecord(dir, await prepare(dir, { ...record, id }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

/** Every hostile case, in the order they run. */
export const HOSTILE_CASES: readonly HostileCase[] = [
  // ------------------------------------------------------------------ config
  {
    area: "config",
    input: "YAML alias bomb (9 levels × 10 aliases: 10⁹ nodes) in config.yaml",
    expected: "ConfigError naming the alias limit, in well under a second",
    run: (c) => configWith(c, aliasBomb(9, 10)),
  },
  {
    area: "config",
    input: "YAML alias bomb as a --set value",
    expected: "ConfigError",
    run: (c) =>
      configWith(c, "", {
        overrides: [`project.name=${aliasBomb(9, 10).replaceAll("\n", ", ").replace(/^/, "{")}}`],
      }),
  },
  {
    area: "config",
    input: "100,000 nested flow sequences in config.yaml",
    expected: "ConfigError: nested too deeply (no stack overflow)",
    run: (c) => configWith(c, `deep: ${"[".repeat(100_000)}${"]".repeat(100_000)}`),
  },
  {
    area: "config",
    input: "10,000 nested block maps in config.yaml",
    expected: "ConfigError: nested too deeply",
    run: (c) =>
      configWith(
        c,
        `deep:\n${Array.from({ length: 10_000 }, (_, i) => `${" ".repeat(i + 1)}a:`).join("\n")} 1`,
      ),
  },
  {
    area: "config",
    input: "__proto__: {polluted: true} under training, in a profile",
    expected: "ConfigError: forbidden key; Object.prototype untouched",
    run: (c) => configWith(c, "", { profile: "training:\n  __proto__:\n    polluted: true\n" }),
  },
  {
    area: "config",
    input: "constructor: {prototype: {polluted: true}} at the top level",
    expected: "ConfigError; Object.prototype untouched",
    run: (c) => configWith(c, "constructor:\n  prototype:\n    polluted: true"),
  },
  {
    area: "config",
    input: "--set __proto__.polluted=true and --set constructor.prototype.polluted=true",
    expected: "ConfigError; Object.prototype untouched",
    run: (c) =>
      configWith(c, "", {
        overrides: ["__proto__.polluted=true", "constructor.prototype.polluted=true"],
      }),
  },
  {
    area: "config",
    input: "DENO_MLOPS__CONSTRUCTOR__PROTOTYPE__POLLUTED=1 in the environment",
    expected: "ConfigError; Object.prototype untouched",
    run: (c) => configWith(c, "", { env: { DENO_MLOPS__CONSTRUCTOR__PROTOTYPE__POLLUTED: "1" } }),
  },
  {
    area: "config",
    input: "!!js/function and !!python/object tags",
    expected: "ConfigError; nothing executed",
    run: (c) =>
      configWith(
        c,
        "hook: !!js/function 'function () { globalThis.polluted = 1 }'\nx: !!python/object:os.system ls",
      ),
  },
  // ------------------------------------------------------------------ HTTP
  {
    area: "http",
    input: 'a row with a "__proto__" field holding {"polluted": true}',
    expected: "422 naming the unknown field; nothing polluted",
    run: (c) =>
      expectStatus(
        c,
        `{"rows":[{"__proto__":{"polluted":true},${JSON.stringify(ADELIE).slice(1)}]}`,
        422,
        /unknown field/,
      ),
  },
  {
    area: "http",
    input: 'a top-level "__proto__" field',
    expected: "422 unknown top-level field",
    run: (c) =>
      expectStatus(
        c,
        `{"__proto__":{"polluted":true},"rows":[${JSON.stringify(ADELIE)}]}`,
        422,
        /__proto__/,
      ),
  },
  {
    area: "http",
    input: 'a row with "constructor": {"prototype": {"polluted": true}}',
    expected: "422 naming the unknown field",
    run: (c) =>
      expectStatus(
        c,
        JSON.stringify({ rows: [{ ...ADELIE, constructor: { prototype: { polluted: true } } }] }),
        422,
        /constructor/,
      ),
  },
  {
    area: "http",
    input: "NaN and Infinity as JSON literals",
    expected: "400 invalid_json",
    run: async (c) => {
      const nan = await expectStatus(
        c,
        `{"rows":[{"Beak Length (mm)": NaN}]}`,
        400,
        /invalid_json/,
      );
      await expectStatus(c, `{"rows":[{"Beak Length (mm)": Infinity}]}`, 400, /invalid_json/);
      return nan;
    },
  },
  {
    area: "http",
    input: '"NaN", "Infinity", "-inf" as text in a numeric field',
    expected: "422 not a finite number",
    run: async (c) => {
      let out = "";
      for (const value of ["NaN", "Infinity", "-inf"]) {
        out = await expectStatus(
          c,
          JSON.stringify({ rows: [{ ...ADELIE, "Beak Length (mm)": value }] }),
          422,
          /not a finite number/,
        );
      }
      return out;
    },
  },
  {
    area: "http",
    input: "1e308 and -1e308 as numbers, 1e309 as a literal (parses to Infinity)",
    expected: "422 too far outside the training range / overflows",
    run: async (c) => {
      const out = await expectStatus(
        c,
        JSON.stringify({ rows: [{ ...ADELIE, "Body Mass (g)": 1e308 }] }),
        422,
        /too far outside the training range/,
      );
      await expectStatus(
        c,
        JSON.stringify({ rows: [{ ...ADELIE, "Body Mass (g)": -1e308 }] }),
        422,
        /too far outside/,
      );
      await expectStatus(
        c,
        JSON.stringify({ rows: [ADELIE] }).replace("3700", "1e309"),
        422,
        /overflows/,
      );
      return out;
    },
  },
  {
    area: "http",
    input: "a 10 MB string value (body over serve.max_body_bytes)",
    expected: "413 body_too_large",
    run: (c) =>
      expectStatus(
        c,
        JSON.stringify({ rows: [{ ...ADELIE, Sex: "x".repeat(10 * 1024 * 1024) }] }),
        413,
        /body_too_large/,
      ),
  },
  {
    area: "http",
    input: "a 100,000-character string value (within the body limit)",
    expected: "422 text too long",
    run: (c) =>
      expectStatus(
        c,
        JSON.stringify({ rows: [{ ...ADELIE, Island: "x".repeat(100_000) }] }),
        422,
        /characters long/,
      ),
  },
  {
    area: "http",
    input: "a JSON row with 100,000 columns",
    expected: "422 with a capped problem list, in under 2 s",
    run: async (c) => {
      const row: Record<string, unknown> = { ...ADELIE };
      for (let i = 0; i < 100_000; i++) row[`c${i}`] = i;
      const started = performance.now();
      const out = await expectStatus(c, JSON.stringify({ rows: [row] }), 422, /more problems/);
      const ms = performance.now() - started;
      assert.ok(ms < 2_000, `took ${Math.round(ms)} ms`);
      return out;
    },
  },
  {
    area: "http",
    input: "a CSV body with 100,000 columns",
    expected: "422 with a capped problem list, in under 2 s",
    run: async (c) => {
      const names = Array.from({ length: 100_000 }, (_, i) => `c${i}`);
      const body = `${names.join(",")}\n${names.map(() => "1").join(",")}\n`;
      const started = performance.now();
      const out = await expectStatus(c, body, 422, /more problems/, "text/csv");
      assert.ok(performance.now() - started < 2_000);
      return out;
    },
  },
  {
    area: "http",
    input: "a body nested 100,000 arrays deep",
    expected: "400 or 422, no crash",
    run: async (c) => {
      const body = `{"rows":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
      const answer = await post(c, body);
      assert.ok([400, 422].includes(answer.status), JSON.stringify(answer.body));
      return `${answer.status} ${answer.body["error"]}`;
    },
  },
  {
    area: "http",
    input: "bytes that are not UTF-8",
    expected: "400 invalid_encoding",
    run: (c) => expectStatus(c, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 400, /invalid_encoding/),
  },
  {
    area: "http",
    input: "GET /v1/%2e%2e/%2e%2e/etc/passwd, /v1/..%2f..%2fetc%2fpasswd, //etc/passwd",
    expected: "404 JSON, no file served",
    run: async (c) => {
      await getPath(c, "/v1/%2e%2e/%2e%2e/etc/passwd");
      await getPath(c, "/v1/..%2f..%2fetc%2fpasswd");
      return await getPath(c, "//etc/passwd");
    },
  },
  // ------------------------------------------------------------------ gateway (issue #18)
  {
    area: "gateway",
    input: "POST /v1/predict without an Authorization header",
    expected: "401 missing_token with WWW-Authenticate",
    run: (c) => expectGateway(c, "/v1/predict", {}, 401, /missing_token/),
  },
  {
    area: "gateway",
    input: "a well-formed token the service does not know",
    expected: "401 invalid_token",
    run: (c) =>
      expectGateway(
        c,
        "/v1/predict",
        { authorization: `Bearer ${generateToken()}` },
        401,
        /not one the service accepts/,
      ),
  },
  {
    area: "gateway",
    input: "an old-format token (a JWT), Basic credentials, an empty Bearer",
    expected: "401 invalid_token, not a service token",
    run: async (c) => {
      const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4IiwiZXhwIjoxfQ.c2lnbmF0dXJl";
      await expectGateway(
        c,
        "/v1/predict",
        { authorization: "Basic dXNlcjpwYXNz" },
        401,
        /invalid_token/,
      );
      await expectGateway(
        c,
        "/v1/predict",
        { authorization: "Bearer " },
        401,
        /invalid_token|missing_token/,
      );
      return await expectGateway(
        c,
        "/v1/predict",
        { authorization: `Bearer ${jwt}` },
        401,
        /not a service token/,
      );
    },
  },
  {
    area: "gateway",
    input: "a valid token in the query string (?access_token=…)",
    expected: "400 credentials_in_query: send it in the Authorization header",
    run: async (c) => {
      const g = await c.gateway();
      const out = await expectGateway(
        c,
        `/v1/predict?access_token=${g.predictToken}`,
        {
          authorization: `Bearer ${g.predictToken}`,
        },
        400,
        /credentials_in_query/,
      );
      return out;
    },
  },
  {
    area: "gateway",
    input:
      "POST /v1/admin/reload from loopback with X-Forwarded-For: 127.0.0.1, no token or a predict token",
    expected: "401, then 403 insufficient_scope; an admin token reloads",
    run: async (c) => {
      const g = await c.gateway();
      const spoof = { "x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1" };
      await expectGateway(c, "/v1/admin/reload", spoof, 401, /missing_token/);
      const out = await expectGateway(
        c,
        "/v1/admin/reload",
        {
          ...spoof,
          authorization: `Bearer ${g.predictToken}`,
        },
        403,
        /insufficient_scope/,
      );
      const admin = await fetch(`${g.service.url}/v1/admin/reload`, {
        method: "POST",
        headers: { authorization: `Bearer ${g.adminToken}` },
      });
      assert.equal(admin.status, 200, await admin.clone().text());
      assert.equal((await admin.json()).run_id, c.runId);
      return out;
    },
  },
  {
    area: "gateway",
    input: `a preflight and a text/csv POST from a disallowed origin (allowed: ${ALLOWED_ORIGIN})`,
    expected: "403 origin_not_allowed, no Access-Control-* header",
    run: async (c) => {
      const g = await c.gateway();
      const preflight = await fetch(`${g.service.url}/v1/predict`, {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      const text = await preflight.text();
      assert.equal(preflight.status, 403, text);
      assert.equal(preflight.headers.get("access-control-allow-origin"), null);
      const simple = await fetch(`${g.service.url}/v1/predict`, {
        method: "POST",
        headers: {
          origin: "https://evil.example",
          "content-type": "text/csv",
          authorization: `Bearer ${g.predictToken}`,
        },
        body: "Island\nDream\n",
      });
      await simple.body?.cancel();
      assert.equal(simple.status, 403);
      const allowed = await fetch(`${g.service.url}/v1/predict`, {
        method: "OPTIONS",
        headers: { origin: ALLOWED_ORIGIN, "access-control-request-method": "POST" },
      });
      await allowed.body?.cancel();
      assert.equal(allowed.status, 204);
      return `403 ${JSON.parse(text).error}; allowed origin: 204`;
    },
  },
  {
    area: "gateway",
    input: "a slow-body client: half the body, then one byte every 100 ms",
    expected: `408 body_timeout at serve.body_timeout_ms (${GATEWAY_BODY_TIMEOUT_MS} ms)`,
    run: async (c) => {
      const g = await c.gateway();
      const body = JSON.stringify({ rows: [ADELIE] });
      const head =
        `POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${g.predictToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
      const started = performance.now();
      const answer = await rawRequest(
        g.port,
        [head + body.slice(0, 40), ...body.slice(40)],
        100,
        5000,
      );
      const ms = Math.round(performance.now() - started);
      assert.match(answer, /^HTTP\/1\.1 408 /, answer);
      assert.match(answer, /"error":"body_timeout"/);
      assert.ok(ms < GATEWAY_BODY_TIMEOUT_MS + 1500, `answered after ${ms} ms`);
      await expectValidPredict(g);
      return `408 body_timeout after ${ms} ms`;
    },
  },
  {
    area: "gateway",
    input: "a slow-header client: the request line and headers at one byte every 100 ms for 2 s",
    expected:
      "not enforced by the service (Deno.serve has no header deadline): served once complete; set the proxy's header timeout",
    run: async (c) => {
      const g = await c.gateway();
      const head = `GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${"p".repeat(4)}\r\n\r\n`;
      const started = performance.now();
      const answer = await rawRequest(g.port, [...head], 2000 / head.length, 5000);
      const ms = Math.round(performance.now() - started);
      assert.match(answer, /^HTTP\/1\.1 200 /, answer);
      await expectValidPredict(g);
      return `200 after ${ms} ms: the connection was held for as long as the headers took`;
    },
  },
  {
    area: "gateway",
    input: "500 concurrent connections, each sending one prediction",
    expected: "every one answered 200 (or 503 overloaded), none dropped",
    run: async (c) => {
      const g = await c.gateway();
      const body = JSON.stringify({ rows: [ADELIE] });
      const request =
        `POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${g.predictToken}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 500 }, () => rawRequest(g.port, [request], 0, 20_000)),
      );
      const ms = Math.round(performance.now() - started);
      const counts: Record<string, number> = {};
      for (const answer of answers) {
        const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? "none";
        counts[status] = (counts[status] ?? 0) + 1;
      }
      assert.equal((counts["200"] ?? 0) + (counts["503"] ?? 0), 500, JSON.stringify(counts));
      await expectValidPredict(g);
      return `${Object.entries(counts).map(([k, v]) => `${v} × ${k}`).join(", ")} in ${ms} ms`;
    },
  },
  {
    area: "gateway",
    input:
      "40 concurrent single-row requests scored in micro-batches, one with a missing Sex and one with Island 3",
    expected: "those two callers 422 with their own problems; the 38 others 200, each as alone",
    run: async (c) => {
      const g = await c.gateway();
      const post = (rows: unknown[]) =>
        fetch(`${g.service.url}/v1/predict`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${g.predictToken}`,
          },
          body: JSON.stringify({ rows }),
        }).then(async (r) => ({ status: r.status, body: await r.json() }));
      const bodies: unknown[][] = Array.from({ length: 40 }, (_, i) => [
        { ...ADELIE, "Body Mass (g)": 3000 + 50 * i, "Flipper Length (mm)": 180 + i },
      ]);
      bodies[11] = [{ ...ADELIE, Sex: null }];
      bodies[29] = [{ ...ADELIE, Island: 3 }];
      const metric = async (name: string) => {
        const text = await (await fetch(`${g.service.url}/metrics`, {
          headers: { authorization: `Bearer ${g.predictToken}` },
        })).text();
        return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
      };
      const calls = await metric("deno_mlops_serve_batch_requests_count");
      const answers = await Promise.all(bodies.map(post));
      const callsAfter = await metric("deno_mlops_serve_batch_requests_count");
      const statuses = answers.map((a) => a.status);
      assert.deepEqual(
        statuses.map((s, i) => (i === 11 || i === 29 ? s === 422 : s === 200)),
        statuses.map(() => true),
        JSON.stringify(statuses),
      );
      assert.deepEqual(answers[11]!.body.problems, [
        { row: 1, column: "Sex", message: "missing value" },
      ]);
      assert.equal(answers[29]!.body.problems[0].column, "Island");
      // Each caller got what it gets alone, probabilities to the bit.
      for (const i of [0, 11, 17, 29, 39]) {
        const alone = await post(bodies[i]!);
        assert.deepEqual({ ...answers[i]!.body, request_id: null }, {
          ...alone.body,
          request_id: null,
        });
      }
      await expectValidPredict(g);
      return `422 for the 2 bad callers only, 200 for the 38 others, in ${
        callsAfter - calls
      } scoring calls for 40 requests`;
    },
  },
  // ------------------------------------------------------------------ command line
  {
    area: "command line",
    input: "deno task evaluate --run ../../etc",
    expected: "exit 1: a run id holds only letters, digits, ., _ and -",
    run: (c) => taskFails(c, "evaluate", ["--run", "../../etc"], /a run id holds only/),
  },
  {
    area: "command line",
    input: "deno task predict --run /etc --input data/raw/penguins.csv",
    expected: "exit 1: not a run id",
    run: (c) =>
      taskFails(
        c,
        "predict",
        ["--run", "/etc", "--input", "data/raw/penguins.csv"],
        /a run id holds only/,
      ),
  },
  {
    area: "command line",
    input: "deno task promote --run ../production",
    expected: "exit 1: not a run id; production unchanged",
    run: (c) => taskFails(c, "promote", ["--run", "../production"], /a run id holds only/),
  },
  {
    area: "command line",
    input: "deno task predict --input /tmp/…/secret.csv (an absolute path outside the project)",
    expected: "exit 1: read access denied by the task's permissions",
    run: async (c) => {
      await Deno.writeTextFile(`${c.outside}/secret.csv`, "a\n1\n");
      return await taskFails(
        c,
        "predict",
        ["--input", `${c.outside}/secret.csv`],
        /Requires read access/,
      );
    },
  },
  {
    area: "command line",
    input: "deno task predict --output ../outside.csv",
    expected: "exit 1: write access denied; nothing written",
    run: async (c) => {
      const out = await taskFails(c, "predict", [
        "--input",
        "data/raw/penguins.csv",
        "--on-error",
        "skip",
        "--output",
        "../outside.csv",
      ], /Requires write access/);
      assert.ok(!listDir(`${c.root}/..`).includes("outside.csv"));
      return out;
    },
  },
  {
    area: "command line",
    input: "deno task train --set data.path=/tmp/…/penguins.csv (a copy outside the project)",
    expected: "exit 1: read access denied",
    run: async (c) => {
      await Deno.copyFile(`${c.root}/data/raw/penguins.csv`, `${c.outside}/penguins.csv`);
      return await taskFails(
        c,
        "train",
        ["--set", `data.path=${c.outside}/penguins.csv`],
        /Requires read access/,
      );
    },
  },
  {
    area: "command line",
    input: "deno task train --config ../../../../etc/passwd",
    expected: "exit 1: read access denied or not a profile",
    run: (c) =>
      taskFails(c, "train", ["--config", "../../../../etc/passwd"], /Requires read access|Cannot/),
  },
  {
    area: "files",
    input: "a run folder in experiments/ that is a symbolic link to a copy outside the project",
    expected: "exit 1: refused as a link outside the folder; not listed by runs",
    run: async (c) => {
      const id = "20990101-000000-penguins-linkdir0";
      const target = await copyRunOutside(c, "linked-run");
      const record = JSON.parse(await Deno.readTextFile(`${target}/run.json`)) as RunRecord;
      await writeRunRecord(target, { ...record, id });
      await Deno.symlink(target, `${c.root}/models/experiments/${id}`);
      try {
        const runs = await runTask("runs", [], c.root);
        assert.doesNotMatch(runs.stdout, new RegExp(id));
        return await taskFails(
          c,
          "predict",
          ["--run", id, "--input", "data/raw/penguins.csv", "--on-error", "skip"],
          /symbolic link/,
        );
      } finally {
        await Deno.remove(`${c.root}/models/experiments/${id}`);
      }
    },
  },
  {
    area: "files",
    input: "features.json of a run replaced by a symbolic link to an identical file outside",
    expected: "exit 1: refused as a link (its sha256 matches, so the checksum alone would pass)",
    run: async (c) => {
      const id = "20990101-000000-penguins-linkfile";
      const dir = await craftedRun(c, id, async (d, record) => {
        await Deno.copyFile(`${d}/features.json`, `${c.outside}/features.json`);
        await Deno.remove(`${d}/features.json`);
        await Deno.symlink(`${c.outside}/features.json`, `${d}/features.json`);
        return record;
      });
      try {
        return await taskFails(
          c,
          "predict",
          ["--run", id, "--input", "data/raw/penguins.csv", "--on-error", "skip"],
          /symbolic link/,
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
  {
    area: "files",
    input: 'run.json listing an artifact "../../../../../../etc/hostname" (resealed)',
    expected: "exit 1: not a plain relative path",
    run: async (c) => {
      const id = "20990101-000000-penguins-traverse";
      const dir = await craftedRun(c, id, async (_d, record) => ({
        ...record,
        artifacts: {
          ...record.artifacts,
          "../../../../../../etc/hostname": await sha256Hex("x"),
        },
      }));
      try {
        return await taskFails(
          c,
          "evaluate",
          ["--run", id],
          /not a plain relative path/,
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  },
  {
    area: "files",
    input: "predict input with NaN, inf, -inf and 1e308 in a numeric column (--on-error skip)",
    expected: "exit 0: those rows rejected with the reason, the rest scored",
    run: async (c) => {
      const header =
        '"Beak Length (mm)","Beak Depth (mm)","Flipper Length (mm)","Body Mass (g)",Island,Sex';
      const rows = ["NaN", "inf", "1e308", "39.5", "-inf", "-1e308"].map((v) =>
        `${v},18.8,190,3700,Dream,MALE`
      );
      await Deno.writeTextFile(`${c.root}/data/raw/hostile.csv`, `${header}\n${rows.join("\n")}\n`);
      const result = await runTask("predict", [
        "--input",
        "data/raw/hostile.csv",
        "--output",
        "data/processed/hostile.csv",
        "--on-error",
        "skip",
      ], c.root);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /scored 1 of 6 rows/);
      assert.match(result.stdout, /rejected 5 row\(s\)/);
      assert.match(result.stdout, /too far outside the training range/);
      return "exit 0: scored 1 of 6 rows, rejected 5 (not a finite number / too far outside)";
    },
  },
  {
    area: "files",
    input: "predict input whose numeric column reads as floats holding inf (--on-error fail)",
    expected: "exit 1: every bad row listed, nothing written",
    run: async (c) => {
      const header =
        '"Beak Length (mm)","Beak Depth (mm)","Flipper Length (mm)","Body Mass (g)",Island,Sex';
      await Deno.writeTextFile(
        `${c.root}/data/raw/floats.csv`,
        `${header}\n39.5,18.8,190,inf,Dream,MALE\n39.5,18.8,190,3700,Dream,MALE\n`,
      );
      const out = await taskFails(c, "predict", [
        "--input",
        "data/raw/floats.csv",
        "--output",
        "data/processed/floats.csv",
      ], /row 1, Body Mass \(g\): not a finite number/);
      assert.ok(!listDir(`${c.root}/data/processed`).includes("floats.csv"));
      return out;
    },
  },
];

// ---------------------------------------------------------------------------------------------

async function makeContext(): Promise<HostileContext & { close(): Promise<void> }> {
  const root = await makeTempProject();
  const outside = await Deno.makeTempDir({ prefix: "deno-mlops-outside-" });
  let runId: string;
  {
    using _logs = captureLogs({ level: "fatal" });
    const loaded = await loadConfig({ root, overrides: ["training.epochs=3"] });
    const result = await runTraining(loaded);
    result.model.dispose();
    runId = result.id;
    await promoteRun(loaded.config.registry, loaded.config.project.name, { runId });
  }
  let service: Promise<Service> | null = null;
  let gateway: Promise<Gateway> | null = null;
  const startGateway = async (): Promise<Gateway> => {
    const predictToken = generateToken();
    const adminToken = generateToken();
    const tokens = `[{name: scorer, scope: predict, sha256: ${
      tokenSha256(
        predictToken,
      )
    }}, ${`{name: ops, scope: admin, sha256: ${tokenSha256(adminToken)}}]`}`;
    const started = await startService(root, [
      "--set",
      `serve.tokens=${tokens}`,
      "--set",
      `serve.cors_origins=[${ALLOWED_ORIGIN}]`,
      "--set",
      `serve.body_timeout_ms=${GATEWAY_BODY_TIMEOUT_MS}`,
    ]);
    return {
      service: started,
      port: Number(new URL(started.url).port),
      predictToken,
      adminToken,
    };
  };
  return {
    root,
    runId,
    outside,
    service: () => (service ??= startService(root)),
    gateway: () => (gateway ??= startGateway()),
    close: async () => {
      if (service !== null) await (await service).stop();
      if (gateway !== null) await (await gateway).service.stop();
      await Deno.remove(outside, { recursive: true }).catch(() => {});
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

function firstLine(text: string): string {
  return (text.split("\n").find((line) => line.trim() !== "") ?? "").trim().slice(0, 160);
}
