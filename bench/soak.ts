/**
 * Soak test of the prediction service (`deno task serve`, started with its declared permissions)
 * on loopback: closed-loop clients send a steady, seeded mix of valid and invalid requests for
 * several minutes while production is promoted to a second run a third of the way in and rolled
 * back two thirds of the way in. Bounded by time and by request count, it stops by itself. By
 * default the service requires a bearer token (`serve.tokens`), which every request carries;
 * micro-batching and live drift are on (as by default), drift checked every 10 s.
 *
 * It requires: zero failed valid requests (a valid request is one that must get 200: a failed
 * connection, another status or a wrong number of predictions fails it); every invalid request
 * answered with its own status (400, 404, 405, 413, 415 or 422); both runs served; and the
 * server's resident memory and open file handles flat: after a warm-up of 20 % of the run, the
 * median of the last 20 % of the samples may exceed the median of the 20 % after warm-up by at
 * most {@link RSS_TOLERANCE_MIB} MiB plus {@link RSS_TOLERANCE_SHARE} of it, and by at most
 * {@link FD_TOLERANCE} handles; and live drift checked and within its row bound.
 *
 * Usage: `deno run -A bench/soak.ts [--seconds 180] [--clients 4] [--seed 1] [--no-auth]
 * [--json FILE]`;
 * `deno task bench:reliability` runs it and writes the figures into bench/RELIABILITY.md.
 *
 * @module
 */
import { loadConfig } from "../src/config/mod.ts";
import { promoteRun } from "../src/models/mod.ts";
import { runTraining } from "../src/pipelines/mod.ts";
import { generateToken, tokenSha256 } from "../src/serve/mod.ts";
import type { DriftSnapshot } from "../src/serve/mod.ts";
import { captureLogs, Random } from "../src/utils/mod.ts";
import { makeTempProject } from "../tests/_helpers/project.ts";
import { startService } from "../tests/_helpers/service.ts";
import { runTask } from "../tests/_helpers/tasks.ts";

/** Allowed growth of resident memory, in MiB, on top of {@link RSS_TOLERANCE_SHARE}. */
export const RSS_TOLERANCE_MIB = 16;
/** Allowed growth of resident memory as a share of the early median. */
export const RSS_TOLERANCE_SHARE = 0.1;
/** Allowed growth of open file handles. */
export const FD_TOLERANCE = 4;
/** Most requests of one soak, whatever its duration. */
const MAX_REQUESTS = 2_000_000;

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /**
   * How long to send requests, in seconds.
   * @default 180
   */
  seconds?: number;
  /**
   * Closed-loop clients.
   * @default 4
   */
  clients?: number;
  /**
   * Seed of the request mix.
   * @default 1
   */
  seed?: number;
  /**
   * Start the service with a bearer token (`serve.tokens`) and send it with every request, as
   * a service behind a gateway runs.
   * @default true
   */
  auth?: boolean;
  /**
   * Seconds between two live drift checks of the service (`serve.drift.interval_s`); micro-
   * batching and live drift stay on, as by default.
   * @default 10
   */
  driftIntervalSeconds?: number;
  /**
   * Fewest recent rows before a live drift check (`serve.drift.min_rows`).
   * @default 100
   */
  driftMinRows?: number;
  /**
   * Called with a line of progress now and then.
   * @default none
   */
  onProgress?: ((line: string) => void) | null;
}

/** Defaults of {@link SoakOptions}. */
export const DEFAULT_SOAK_OPTIONS: Readonly<Required<SoakOptions>> = {
  seconds: 180,
  clients: 4,
  seed: 1,
  auth: true,
  driftIntervalSeconds: 10,
  driftMinRows: 100,
  onProgress: null,
};

/** One kind of request, and the status it must get. */
interface RequestKind {
  name: string;
  expected: number;
  /** Share of the mix. */
  weight: number;
  make(random: Random): { path: string; init: RequestInit; rows: number };
}

/** What a soak did. */
export interface SoakReport {
  seconds: number;
  clients: number;
  seed: number;
  /** Whether the service required a bearer token (sent with every request). */
  auth: boolean;
  requests: number;
  valid: number;
  /** Valid requests that did not get 200 with one prediction per row. */
  validFailures: number;
  invalid: number;
  /** Invalid requests answered with another status than their own. */
  invalidWrong: number;
  /** Requests by kind: sent, and answers by status. */
  byKind: Record<string, { expected: number; sent: number; statuses: Record<string, number> }>;
  /** The first few failures, for the report. */
  failures: string[];
  /** Valid answers by the run that scored them. */
  runIds: Record<string, number>;
  /** The two runs, and when production changed (seconds into the soak). */
  runs: { first: string; second: string; promotedAt: number; rolledBackAt: number };
  /** Resident memory and open handles of the server, sampled once a second. */
  samples: Array<{ t: number; rssMiB: number; fds: number }>;
  rss: { early: number; late: number; driftMiB: number; allowedMiB: number; peak: number };
  fds: { early: number; late: number; drift: number; allowed: number };
  /** p50 and p99 latency of valid requests, ms. */
  latency: { p50: number; p99: number };
  /** Micro-batching at the end, from `/metrics`: scoring calls and the requests they scored. */
  batching: { calls: number; requests: number };
  /** Live drift at the end, from `GET /v1/models/penguins/drift`. */
  drift: {
    intervalSeconds: number;
    status: string;
    reservoirRows: number;
    capacity: number;
    seen: number;
    checkedAt: string | null;
    datasetDrifted: boolean | null;
    shareDrifted: number | null;
  };
  /** Whether every requirement held. */
  passed: boolean;
}

const ROW = {
  "Beak Length (mm)": 39.5,
  "Beak Depth (mm)": 18.8,
  "Flipper Length (mm)": 190,
  "Body Mass (g)": 3700,
  Island: "Dream",
  Sex: "MALE",
};
const ISLANDS = ["Biscoe", "Dream", "Torgersen"];
const MAX_ROWS = 100;
const MAX_BODY = 262_144;

function row(random: Random): Record<string, string | number> {
  return {
    "Beak Length (mm)": Math.round((34 + random.next() * 24) * 10) / 10,
    "Beak Depth (mm)": Math.round((13.5 + random.next() * 7.5) * 10) / 10,
    "Flipper Length (mm)": Math.round(175 + random.next() * 55),
    "Body Mass (g)": Math.round(2800 + random.next() * 3400),
    Island: ISLANDS[random.int(3)]!,
    Sex: random.next() < 0.5 ? "MALE" : "FEMALE",
  };
}

function json(body: unknown, type = "application/json"): RequestInit {
  return { method: "POST", headers: { "content-type": type }, body: JSON.stringify(body) };
}

const KINDS: readonly RequestKind[] = [
  {
    name: "valid: 1 row",
    expected: 200,
    weight: 40,
    make: (r) => ({ path: "/v1/predict", init: json({ rows: [row(r)] }), rows: 1 }),
  },
  {
    name: "valid: 2-100 rows",
    expected: 200,
    weight: 20,
    make: (r) => {
      const n = 2 + r.int(MAX_ROWS - 1);
      return {
        path: "/v1/predict",
        init: json({ rows: Array.from({ length: n }, () => row(r)) }),
        rows: n,
      };
    },
  },
  {
    name: "valid: CSV rows",
    expected: 200,
    weight: 10,
    make: (r) => {
      const n = 1 + r.int(20);
      const rows = Array.from({ length: n }, () => row(r));
      const header = Object.keys(ROW).map((k) => JSON.stringify(k)).join(",");
      const body = [header, ...rows.map((x) => Object.values(x).join(","))].join("\n") + "\n";
      return {
        path: "/v1/predict",
        init: { method: "POST", headers: { "content-type": "text/csv" }, body },
        rows: n,
      };
    },
  },
  {
    name: "invalid JSON",
    expected: 400,
    weight: 4,
    make: () => ({
      path: "/v1/predict",
      init: { method: "POST", headers: { "content-type": "application/json" }, body: '{"rows": [' },
      rows: 0,
    }),
  },
  {
    name: "not UTF-8",
    expected: 400,
    weight: 2,
    make: () => ({
      path: "/v1/predict",
      init: {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: new Uint8Array([0x7b, 0xff, 0x7d]),
      },
      rows: 0,
    }),
  },
  {
    name: "unknown route",
    expected: 404,
    weight: 3,
    make: () => ({ path: "/v1/predictions", init: { method: "GET" }, rows: 0 }),
  },
  {
    name: "wrong method",
    expected: 405,
    weight: 3,
    make: () => ({ path: "/v1/predict", init: { method: "GET" }, rows: 0 }),
  },
  {
    name: "too many rows",
    expected: 413,
    weight: 3,
    make: (r) => ({
      path: "/v1/predict",
      init: json({ rows: Array.from({ length: MAX_ROWS + 1 }, () => row(r)) }),
      rows: 0,
    }),
  },
  {
    name: "body too large",
    expected: 413,
    weight: 2,
    make: () => ({
      path: "/v1/predict",
      init: json({ rows: [{ ...ROW, Sex: "x".repeat(MAX_BODY) }] }),
      rows: 0,
    }),
  },
  {
    name: "unsupported media type",
    expected: 415,
    weight: 3,
    make: () => ({
      path: "/v1/predict",
      init: json({ rows: [ROW] }, "text/plain"),
      rows: 0,
    }),
  },
  {
    name: "unknown field",
    expected: 422,
    weight: 4,
    make: (r) => ({
      path: "/v1/predict",
      init: json({ rows: [{ ...row(r), "Beak Lenght (mm)": 1 }] }),
      rows: 0,
    }),
  },
  {
    name: '"NaN" in a numeric field',
    expected: 422,
    weight: 3,
    make: (r) => ({
      path: "/v1/predict",
      init: json({ rows: [{ ...row(r), "Body Mass (g)": "NaN" }] }),
      rows: 0,
    }),
  },
  {
    name: "1e308 in a numeric field",
    expected: 422,
    weight: 3,
    make: (r) => ({
      path: "/v1/predict",
      init: json({ rows: [{ ...row(r), "Beak Depth (mm)": 1e308 }] }),
      rows: 0,
    }),
  },
];

/**
 * Runs the soak and returns its figures.
 *
 * @param options duration, clients, seed and progress callback
 * @returns the report; `passed` says whether every requirement held
 * @example
 * ```ts
 * const report = await runSoak({ seconds: 30, clients: 2 });
 * ```
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakReport> {
  const { seconds, clients, seed, auth, driftIntervalSeconds, driftMinRows, onProgress } = {
    ...DEFAULT_SOAK_OPTIONS,
    ...options,
  };
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const ids: string[] = [];
  {
    using _logs = captureLogs({ level: "fatal" });
    for (const epochs of [6, 12]) {
      const result = await runTraining(
        await loadConfig({ root, overrides: [`training.epochs=${epochs}`] }),
      );
      result.model.dispose();
      ids.push(result.id);
    }
    await promoteRun(loaded.config.registry, loaded.config.project.name, { runId: ids[0]! });
  }
  const [first, second] = ids as [string, string];
  const token = generateToken();
  const tokens = auth
    ? ["--set", `serve.tokens=[{name: soak, scope: predict, sha256: ${tokenSha256(token)}}]`]
    : [];
  const service = await startService(root, [
    "--poll-interval",
    "200",
    "--set",
    `serve.max_rows=${MAX_ROWS}`,
    "--set",
    `serve.max_body_bytes=${MAX_BODY}`,
    "--set",
    `serve.drift.interval_s=${driftIntervalSeconds}`,
    "--set",
    `serve.drift.min_rows=${driftMinRows}`,
    ...tokens,
  ]);
  const pid = service.child.pid;
  const samples: SoakReport["samples"] = [];
  const byKind: SoakReport["byKind"] = Object.fromEntries(
    KINDS.map((k) => [k.name, { expected: k.expected, sent: 0, statuses: {} }]),
  );
  const failures: string[] = [];
  const runIds: Record<string, number> = {};
  const latencies: number[] = [];
  let requests = 0;
  let validFailures = 0;
  let invalidWrong = 0;
  const totalWeight = KINDS.reduce((sum, k) => sum + k.weight, 0);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const elapsed = () => (performance.now() - started) / 1000;
  const runs = { first, second, promotedAt: NaN, rolledBackAt: NaN };

  const sampler = setInterval(() => {
    try {
      const status = Deno.readTextFileSync(`/proc/${pid}/status`);
      const rssMiB = Number(status.match(/VmRSS:\s*(\d+)/)?.[1] ?? 0) / 1024;
      const fds = [...Deno.readDirSync(`/proc/${pid}/fd`)].length;
      samples.push({ t: Math.round(elapsed() * 10) / 10, rssMiB, fds });
      if (samples.length % 30 === 0) {
        onProgress?.(
          `${Math.round(elapsed())} s: ${requests} requests, rss ${
            rssMiB.toFixed(1)
          } MiB, ${fds} fds`,
        );
      }
    } catch {
      // The server is gone; the requests will say why.
    }
  }, 1000);

  const client = async (c: number) => {
    const random = new Random(seed * 1000 + c);
    while (performance.now() < deadline && requests < MAX_REQUESTS) {
      let pick = random.next() * totalWeight;
      const kind = KINDS.find((k) => (pick -= k.weight) < 0) ?? KINDS[0]!;
      const request = kind.make(random);
      requests++;
      byKind[kind.name]!.sent++;
      const t0 = performance.now();
      let status = "connection failed";
      let detail = "";
      try {
        const headers = new Headers(request.init.headers);
        if (auth) headers.set("authorization", `Bearer ${token}`);
        const response = await fetch(`${service.url}${request.path}`, {
          ...request.init,
          headers,
        });
        status = String(response.status);
        const text = await response.text();
        if (kind.expected === 200 && response.status === 200) {
          const body = JSON.parse(text);
          if (body.predictions?.length !== request.rows) {
            status = "wrong prediction count";
            detail = `${body.predictions?.length} for ${request.rows} rows`;
          } else {
            runIds[body.run_id] = (runIds[body.run_id] ?? 0) + 1;
            latencies.push(performance.now() - t0);
          }
        } else if (response.status !== kind.expected) {
          detail = text.slice(0, 200);
        }
      } catch (error) {
        detail = (error as Error).message;
      }
      const statuses = byKind[kind.name]!.statuses;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== String(kind.expected)) {
        if (kind.expected === 200) validFailures++;
        else invalidWrong++;
        if (failures.length < 10) {
          failures.push(`${elapsed().toFixed(1)} s ${kind.name}: ${status} ${detail}`);
        }
      }
    }
  };

  const changes = (async () => {
    await sleepUntil(started + (seconds * 1000) / 3);
    const promote = await runTask(
      "promote",
      ["--run", second, "--force", "--reason", "soak"],
      root,
    );
    if (promote.code !== 0) failures.push(`promote failed: ${promote.stderr}`);
    runs.promotedAt = Math.round(elapsed() * 10) / 10;
    onProgress?.(`${runs.promotedAt} s: promoted ${second}`);
    await sleepUntil(started + (seconds * 2000) / 3);
    const rollback = await runTask("rollback", ["--reason", "soak"], root);
    if (rollback.code !== 0) failures.push(`rollback failed: ${rollback.stderr}`);
    runs.rolledBackAt = Math.round(elapsed() * 10) / 10;
    onProgress?.(`${runs.rolledBackAt} s: rolled back to ${first}`);
  })();

  try {
    await Promise.all([...Array.from({ length: clients }, (_, c) => client(c)), changes]);
  } finally {
    clearInterval(sampler);
  }
  const authorization: Record<string, string> = auth ? { authorization: `Bearer ${token}` } : {};
  const observed = await serviceState(service.url, authorization).catch((error) => {
    failures.push(`cannot read /metrics and the drift route: ${(error as Error).message}`);
    return null;
  });
  const code = await service.stop();
  if (code !== 0) failures.push(`the server exited with ${code}: ${await service.stderr}`);
  await Deno.remove(root, { recursive: true }).catch(() => {});

  const warm = samples.filter((s) => s.t >= seconds * 0.2);
  const span = Math.max(1, Math.floor(warm.length * 0.2));
  const early = warm.slice(0, span);
  const late = warm.slice(-span);
  const rssEarly = median(early.map((s) => s.rssMiB));
  const rssLate = median(late.map((s) => s.rssMiB));
  const fdEarly = median(early.map((s) => s.fds));
  const fdLate = median(late.map((s) => s.fds));
  const allowedMiB = RSS_TOLERANCE_MIB + RSS_TOLERANCE_SHARE * rssEarly;
  const valid = KINDS.filter((k) => k.expected === 200).reduce(
    (sum, k) => sum + byKind[k.name]!.sent,
    0,
  );
  const sorted = latencies.sort((a, b) => a - b);
  const report: SoakReport = {
    seconds,
    clients,
    seed,
    auth,
    requests,
    valid,
    validFailures,
    invalid: requests - valid,
    invalidWrong,
    byKind,
    failures,
    runIds,
    runs,
    samples,
    rss: {
      early: round(rssEarly),
      late: round(rssLate),
      driftMiB: round(rssLate - rssEarly),
      allowedMiB: round(allowedMiB),
      peak: round(Math.max(...samples.map((s) => s.rssMiB))),
    },
    fds: { early: fdEarly, late: fdLate, drift: fdLate - fdEarly, allowed: FD_TOLERANCE },
    latency: {
      p50: round(sorted[Math.floor(sorted.length * 0.5)] ?? NaN),
      p99: round(sorted[Math.floor(sorted.length * 0.99)] ?? NaN),
    },
    batching: observed?.batching ?? { calls: 0, requests: 0 },
    drift: {
      intervalSeconds: driftIntervalSeconds,
      status: observed?.drift.status ?? "unknown",
      reservoirRows: observed?.drift.reservoir.rows ?? 0,
      capacity: observed?.drift.reservoir.capacity ?? 0,
      seen: observed?.drift.reservoir.seen ?? 0,
      checkedAt: observed?.drift.checked_at ?? null,
      datasetDrifted: observed?.drift.report?.dataset.drifted ?? null,
      shareDrifted: observed?.drift.report?.dataset.share_drifted ?? null,
    },
    passed: false,
  };
  // Live drift ran (a check once the sample held enough rows) and kept its bound.
  const driftOk = report.drift.reservoirRows <= report.drift.capacity &&
    (seconds < 3 * driftIntervalSeconds || report.drift.status === "ok");
  if (!driftOk) failures.push(`live drift: ${JSON.stringify(report.drift)}`);
  report.passed = validFailures === 0 && invalidWrong === 0 && failures.length === 0 &&
    (runIds[first] ?? 0) > 0 && (runIds[second] ?? 0) > 0 &&
    report.rss.driftMiB <= allowedMiB && report.fds.drift <= FD_TOLERANCE;
  return report;
}

/** Micro-batching counts from `/metrics` and the default model's live drift state. */
async function serviceState(url: string, headers: Record<string, string>) {
  const metrics = await (await fetch(`${url}/metrics`, { headers })).text();
  const sample = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? 0);
  const drift = await (await fetch(`${url}/v1/models/penguins/drift`, { headers })).json();
  return {
    batching: {
      calls: sample("deno_mlops_serve_batch_requests_count"),
      requests: sample("deno_mlops_serve_batch_requests_sum"),
    },
    drift: drift as DriftSnapshot,
  };
}

function sleepUntil(time: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, time - performance.now())));
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

if (import.meta.main) {
  const args = Deno.args;
  const option = (name: string, fallback: number) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const report = await runSoak({
    seconds: option("seconds", DEFAULT_SOAK_OPTIONS.seconds),
    clients: option("clients", DEFAULT_SOAK_OPTIONS.clients),
    seed: option("seed", DEFAULT_SOAK_OPTIONS.seed),
    auth: !args.includes("--no-auth"),
    onProgress: (line) => console.log(line),
  });
  const at = args.indexOf("--json");
  if (at >= 0) await Deno.writeTextFile(args[at + 1]!, JSON.stringify(report, null, 2) + "\n");
  console.log(JSON.stringify({ ...report, samples: `${report.samples.length} samples` }, null, 2));
  if (!report.passed) Deno.exit(1);
}
