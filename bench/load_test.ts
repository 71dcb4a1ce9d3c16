/**
 * Load test of the prediction service (`deno task serve`) on loopback.
 *
 * Trains two penguins runs in a temporary project, promotes the first, starts the real service
 * as a subprocess on a free port and drives it with closed-loop clients (each sends its next
 * request when the previous answer arrives): single-row requests at rising concurrency (a ladder
 * fine enough to find the highest rate whose p99 stays under 10 ms), then 1,000-row requests,
 * then single rows while the second run is promoted mid-way. Every scenario is bounded by time
 * and by request count, so the test stops by itself. It reports sustained requests/s, p50/p99
 * latency, errors (any non-200 answer or failed connection), which engine scored (the row
 * engine or `scoreRows`, from the service's metrics) and the server's resident memory at the end
 * of every scenario, then stops the server with SIGTERM.
 *
 * Usage: `deno run -A bench/load_test.ts [--seconds 5] [--no-write]`; results go into the
 * `serve` section of bench/RESULTS.md.
 *
 * @module
 */
import { loadConfig } from "../src/config/mod.ts";
import { promoteRun } from "../src/models/mod.ts";
import { captureLogs } from "../src/utils/mod.ts";
import { describeMachine, writeResultsSection } from "./_results.ts";
import {
  bodies,
  makeProject,
  metric,
  quantile,
  rssMiB,
  startServer,
  train,
} from "./_serve_harness.ts";
import type { Server } from "./_serve_harness.ts";

const args = Deno.args;
const SECONDS = Number(args[args.indexOf("--seconds") + 1] ?? 5) || 5;
const WRITE = !args.includes("--no-write");
const GC_EVERY = args.includes("--gc-every") ? args[args.indexOf("--gc-every") + 1]! : null;
/** Most requests of one scenario, whatever its duration. */
const MAX_REQUESTS = 50_000;
const SINGLE_CONCURRENCY = [1, 2, 3, 4, 6, 8, 16];
const BULK_CONCURRENCY = [1, 2, 4];
const P99_TARGET_MS = 10;

interface ScenarioResult {
  name: string;
  concurrency: number;
  rowsPerRequest: number;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Server-side p50 and p99 (ms), from the access log: arrival to response built. */
  serverP50: number;
  serverP99: number;
  /** Scoring calls the server made (either engine), and their mean duration (ms). */
  scoringCalls: number;
  scoringMeanMs: number;
  /** Scoring calls by engine: the row engine, `scoreRows`; and row-engine fallbacks. */
  rowCalls: number;
  polarsCalls: number;
  fallbacks: number;
  /** Server VmRSS (MiB) when the scenario ended. */
  rssEnd: number;
  runIds: Record<string, number>;
}

const ENGINE_CALLS = "deno_mlops_serve_scoring_calls_total";
const FALLBACKS = "deno_mlops_serve_row_engine_fallbacks_total";

/** Durations (ms) of the predict requests logged since byte `from` of the access log. */
async function loggedDurations(logFile: string, from: number): Promise<number[]> {
  const bytes = await Deno.readFile(logFile);
  const durations: number[] = [];
  for (const line of new TextDecoder().decode(bytes.subarray(from)).split("\n")) {
    if (!line.includes("POST /v1/predict")) continue;
    const value = JSON.parse(line).properties?.duration_ms;
    if (typeof value === "number") durations.push(value);
  }
  return durations.sort((a, b) => a - b);
}

async function scenario(
  server: Server,
  name: string,
  concurrency: number,
  rowsPerRequest: number,
  seconds: number,
  during?: (elapsed: () => number) => Promise<void>,
): Promise<ScenarioResult> {
  const url = server.url;
  const logStart = (await Deno.stat(server.logFile)).size;
  const scoring = "deno_mlops_serve_scoring_duration_seconds";
  const callsBefore = await metric(url, `${scoring}_count`);
  const secondsBefore = await metric(url, `${scoring}_sum`);
  const rowsBefore = await metric(url, `${ENGINE_CALLS}{engine="rows"}`);
  const polarsBefore = await metric(url, `${ENGINE_CALLS}{engine="polars"}`);
  const fallbacksBefore = await metric(url, FALLBACKS);
  const payloads = bodies(rowsPerRequest, 64);
  const latencies: number[] = [];
  const runIds: Record<string, number> = {};
  let errors = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async (c: number) => {
    while (performance.now() < deadline && sent < MAX_REQUESTS) {
      const body = payloads[(sent++ + c) % payloads.length]!;
      const t0 = performance.now();
      try {
        const response = await fetch(`${url}/v1/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const answer = await response.json();
        latencies.push(performance.now() - t0);
        if (response.status !== 200 || answer.predictions?.length !== rowsPerRequest) {
          errors++;
        } else {
          runIds[answer.run_id] = (runIds[answer.run_id] ?? 0) + 1;
        }
      } catch {
        latencies.push(performance.now() - t0);
        errors++;
      }
    }
  };
  const elapsed = () => (performance.now() - started) / 1000;
  await Promise.all([
    ...Array.from({ length: concurrency }, (_, c) => client(c)),
    during?.(elapsed),
  ]);
  const took = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => quantile(latencies, q);
  const logged = await loggedDurations(server.logFile, logStart);
  const calls = (await metric(url, `${scoring}_count`)) - callsBefore;
  const scoringSeconds = (await metric(url, `${scoring}_sum`)) - secondsBefore;
  const rowCalls = (await metric(url, `${ENGINE_CALLS}{engine="rows"}`)) - rowsBefore;
  const polarsCalls = (await metric(url, `${ENGINE_CALLS}{engine="polars"}`)) - polarsBefore;
  const fallbacks = (await metric(url, FALLBACKS)) - fallbacksBefore;
  return {
    name,
    concurrency,
    rowsPerRequest,
    requests: latencies.length,
    errors,
    seconds: took,
    rps: latencies.length / took,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1)!,
    serverP50: quantile(logged, 0.5),
    serverP99: quantile(logged, 0.99),
    scoringCalls: calls,
    scoringMeanMs: (scoringSeconds / calls) * 1000,
    rowCalls,
    polarsCalls,
    fallbacks,
    rssEnd: rssMiB(server.child.pid),
    runIds,
  };
}

// ---------------------------------------------------------------- main

const logs = captureLogs({ level: "error" });
const loadBefore = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ").slice(0, 3)
  .join(" ");
const root = await makeProject();
console.log(`project ${root}: training two runs`);
const first = await train(root, 30);
const second = await train(root, 40);
const loaded = await loadConfig({ root });
await promoteRun(loaded.config.registry, loaded.config.project.name, { runId: first });
logs.stop();

const server = await startServer(root, GC_EVERY === null ? [] : ["--gc-every", GC_EVERY]);
const pid = server.child.pid;
console.log(`server ${server.url} (pid ${pid}) serving ${first}`);
const rss: number[] = [];
const sampler = setInterval(() => rss.push(rssMiB(pid)), 250);

// Warm-up: JIT, tfjs (its WebAssembly memory grows to the largest batch and stays), the
// connection pool.
await scenario(server, "warm-up", 4, 1, 3);
await scenario(server, "warm-up", 2, 1000, 3);
const rssBefore = rssMiB(pid);
const heapBefore = await metric(server.url, "process_heap_used_bytes") / 2 ** 20;
const results: ScenarioResult[] = [];
for (const c of SINGLE_CONCURRENCY) {
  const r = await scenario(server, "single row", c, 1, SECONDS);
  results.push(r);
  console.log(format(r));
}
for (const c of BULK_CONCURRENCY) {
  const r = await scenario(server, "1,000 rows", c, 1000, SECONDS);
  results.push(r);
  console.log(format(r));
}
const promotion = await scenario(
  server,
  "single row, promotion mid-run",
  4,
  1,
  SECONDS * 2,
  async (elapsed) => {
    while (elapsed() < SECONDS) await new Promise((r) => setTimeout(r, 50));
    using _quiet = captureLogs({ level: "error" });
    await promoteRun(loaded.config.registry, loaded.config.project.name, {
      runId: second,
      force: true,
      reason: "load test",
    });
  },
);
results.push(promotion);
console.log(format(promotion));
// The first single-row scenario again, after everything else: memory and latency should be
// where they were.
const again = await scenario(server, "single row, again at the end", 4, 1, SECONDS);
results.push(again);
console.log(format(again));
const rssAfter = rssMiB(pid);
const heapAfter = await metric(server.url, "process_heap_used_bytes") / 2 ** 20;
clearInterval(sampler);

const metricsText = await (await fetch(`${server.url}/metrics`)).text();
const loadAfter = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ").slice(0, 3)
  .join(" ");
const batches = Number(
  metricsText.match(/deno_mlops_serve_batch_requests_count (\d+)/)?.[1] ?? 0,
);
const scoredRequests = Number(
  metricsText.match(/deno_mlops_serve_batch_requests_sum (\d+)/)?.[1] ?? 0,
);
server.child.kill("SIGTERM");
const status = await server.child.status;
const accessLines =
  (await Deno.readTextFile(server.logFile)).split("\n").filter((l) =>
    l.includes('"POST /v1/predict')
  ).length;

const machine = await describeMachine();
const single = results.filter((r) => r.rowsPerRequest === 1 && r.name === "single row");
const withinTarget = single.filter((r) => r.errors === 0 && r.p99 < P99_TARGET_MS);
const best = withinTarget.sort((a, b) => b.rps - a.rps)[0];
const totalErrors = results.reduce((sum, r) => sum + r.errors, 0);
const switched = Object.keys(promotion.runIds);

const markdown = `
## HTTP prediction service under load (\`bench/load_test.ts\`)

Machine: ${machine}. Load average before the run: ${loadBefore}, after: ${loadAfter} (the
machine is shared; other work running at the same time inflates latencies).
Server: \`deno task serve\` as a subprocess on 127.0.0.1, access log on (JSON lines to a file),
model: penguins MLP run \`${first}\`, scored by its row engine (\`compileRowScorer\`; requests it
cannot answer exactly go to \`scoreRows\`). Clients: closed loop in one Deno process on the same
machine (they share the cores with the server), JSON bodies, keep-alive; each scenario runs
${SECONDS} s (the promotion scenario ${SECONDS * 2} s) or ${MAX_REQUESTS.toLocaleString("en")}
requests, after a warm-up. Latency is client-side, request sent to answer parsed, in ms.

| scenario | clients | requests | errors | req/s | rows/s | p50 ms | p99 ms | max ms | server p50 / p99 ms | scoring calls (row engine / scoreRows) | ms per call | RSS at end MiB |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${results.map(row).join("\n")}

- Highest single-row rate with p99 under ${P99_TARGET_MS} ms: ${
  best === undefined
    ? `none on this machine (the best p99 was ${
      Math.min(...single.map((r) => r.p99)).toFixed(1)
    } ms, at ${single.sort((a, b) => a.p99 - b.p99)[0]!.concurrency} client(s))`
    : `${best.rps.toFixed(0)} req/s at ${best.concurrency} client(s), p99 ${best.p99.toFixed(1)} ms`
}.
- Server side, a single-row request takes ${
  Math.min(...single.map((r) => r.serverP50)).toFixed(2)
} ms at the median (arrival to response built), of which scoring (checks, cleaning, features,
  model) is ${
  Math.min(...single.map((r) => r.scoringMeanMs)).toFixed(2)
} ms; the rest of the client latency is the client itself, the loopback and waiting for a core.
  Past the rate the cores sustain, more clients only queue: latency grows with the clients
  (closed loop), not with the work.
- Engines: ${
  results.reduce((s, r) => s + r.rowCalls, 0).toLocaleString("en")
} scoring calls by the row engine, ${
  results.reduce((s, r) => s + r.polarsCalls, 0).toLocaleString("en")
} by \`scoreRows\` (${
  results.reduce((s, r) => s + r.fallbacks, 0)
} row-engine fallbacks). The row engine makes no polars call, so the service forces no garbage
  collection for it (it still does every few \`scoreRows\` calls).
- Errors: ${totalErrors} in ${
  results.reduce((s, r) => s + r.requests, 0).toLocaleString("en")
} requests.
- Promotion mid-run (\`promoteRun\` of \`${second}\` after ${SECONDS} s; the service loads and
  compiles the new run on its next poll): ${promotion.errors} failed request(s); answers by run: ${
  switched.map((id) => `\`${id}\` ${promotion.runIds[id]}`).join(", ")
}.
- Server memory (VmRSS): ${rssBefore.toFixed(0)} MiB after warm-up, ${
  rssAfter.toFixed(0)
} MiB at the end, ${Math.min(...rss).toFixed(0)}–${
  Math.max(...rss).toFixed(0)
} MiB over the run (sampled every 250 ms); see the last column for each scenario's end. V8 heap
  in use: ${heapBefore.toFixed(0)} MiB after warm-up, ${heapAfter.toFixed(0)} MiB at the end.
- Scoring calls: ${scoredRequests.toLocaleString("en")} scored requests in ${
  batches.toLocaleString("en")
} calls (micro-batching, \`serve.batching\`: the row engine scores the requests that arrive
  together for one model with one call, as \`scoreRows\` does for its own; \`deno task bench:batching\`
  compares it on and off).
- Access log: ${
  accessLines.toLocaleString("en")
} \`POST /v1/predict\` lines written. Shutdown: SIGTERM, exit code ${status.code}.
`;
console.log(markdown);
if (WRITE) {
  await writeResultsSection("serve", markdown);
  console.log("wrote the serve section of bench/RESULTS.md");
}
if (!args.includes("--keep")) await Deno.remove(root, { recursive: true });
if (totalErrors > 0 || status.code !== 0) Deno.exitCode = 1;

function row(r: ScenarioResult): string {
  return `| ${r.name} | ${r.concurrency} | ${r.requests.toLocaleString("en")} | ${r.errors} | ${
    r.rps.toFixed(0)
  } | ${(r.rps * r.rowsPerRequest).toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${
    r.max.toFixed(1)
  } | ${r.serverP50.toFixed(2)} / ${r.serverP99.toFixed(2)} | ${
    r.rowCalls.toLocaleString("en")
  } / ${r.polarsCalls.toLocaleString("en")} | ${r.scoringMeanMs.toFixed(2)} | ${
    r.rssEnd.toFixed(0)
  } |`;
}

function format(r: ScenarioResult): string {
  return `${r.name.padEnd(30)} c=${String(r.concurrency).padStart(2)} ${
    String(r.requests).padStart(6)
  } req ${String(r.errors).padStart(3)} err ${r.rps.toFixed(0).padStart(5)} req/s p50 ${
    r.p50.toFixed(1)
  } p99 ${r.p99.toFixed(1)} max ${r.max.toFixed(1)} ms (server p50 ${r.serverP50.toFixed(2)} p99 ${
    r.serverP99.toFixed(2)
  }; ${r.rowCalls} row-engine / ${r.polarsCalls} scoreRows calls of ${
    r.scoringMeanMs.toFixed(2)
  } ms; RSS ${r.rssEnd.toFixed(0)} MiB)`;
}
