/**
 * Micro-batching on and off, side by side in one run: for 1, 16, 64 and 200 concurrent clients,
 * the highest request rate the service answers with p99 under 10 ms.
 *
 * Trains the penguins MLP in a temporary project, promotes it and starts two services on
 * loopback from the same project: one with `serve.batching` on (the default), one with it off.
 * For each client count the two services get the same open-loop load, one after the other at
 * each rate of a fixed ladder: every client sends single-row requests on a fixed schedule (its
 * share of the rate), at most one in flight, and a late answer delays its next send. When an
 * answer came after the next send was due, that next request's latency runs from when it was
 * due, so a service that falls behind is charged for the wait (no coordinated omission); else
 * from when it was sent (timers on this machine wake up to several ms late, which is the
 * client's delay, not the service's). Each rate runs for at least {@link MIN_SECONDS} s and
 * {@link MIN_REQUESTS} requests, so that p99 rests on at least 25 slow requests and one pause
 * of a few tens of ms (a garbage collection) does not decide it alone. A rate passes
 * when p99 is under 10 ms, nothing fails, and at least 95% of the scheduled requests were sent.
 * A service leaves the ladder once it is saturated at two rates in a row: its median latency
 * over 10 ms or under 95% of the requests sent (a p99 failure alone does not stop it: one pause
 * can cause it at any rate).
 *
 * Usage: `deno run -A bench/batching.ts [--clients 1,16,64,200] [--no-write]`; results go into
 * the `batching` section of bench/RESULTS.md.
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
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const CLIENTS = (option("clients") ?? "1,16,64,200").split(",").map(Number);
const WRITE = !args.includes("--no-write");
const P99_TARGET_MS = 10;
/** The rates tried, in requests per second. */
const RATES = [250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000];
/** Shortest step, in seconds. */
const MIN_SECONDS = 5;
/** Fewest requests of a step. */
const MIN_REQUESTS = 2500;
/** A rate fails when fewer than this share of its scheduled requests could be sent. */
const MIN_SENT_SHARE = 0.95;
/** A service leaves the ladder after this many saturated rates in a row. */
const MAX_SATURATED = 2;

interface Step {
  rate: number;
  sent: number;
  scheduled: number;
  errors: number;
  p50: number;
  p99: number;
  /** Requests per scoring call on the server over the step. */
  perCall: number;
  passed: boolean;
}

type Mode = "off" | "on";
const MODES: readonly Mode[] = ["off", "on"];

interface Sweep {
  mode: Mode;
  clients: number;
  steps: Step[];
  /** The highest rate that passed (p99 under the target). */
  best: Step | null;
  /** The highest rate served without saturating: p50 under the target, ≥ 95% sent, no error. */
  ceiling: Step | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One rate: every client sends on its schedule, one request in flight at most. */
async function step(
  server: Server,
  clients: number,
  rate: number,
  payloads: string[],
): Promise<Step> {
  const callsName = "deno_mlops_serve_batch_requests_count";
  const requestsName = "deno_mlops_serve_batch_requests_sum";
  const callsBefore = await metric(server.url, callsName);
  const requestsBefore = await metric(server.url, requestsName);
  const interval = (clients / rate) * 1000;
  const start = performance.now() + 20;
  const end = start + Math.max(MIN_SECONDS, MIN_REQUESTS / rate) * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let scheduled = 0;
  const client = async (c: number) => {
    for (let k = 0;; k++) {
      const due = start + (c / clients) * interval + k * interval;
      if (due >= end) return;
      scheduled++;
      // Charged from the scheduled time when the previous answer made this send late; from the
      // send itself when the client slept (a timer here wakes up to several ms late).
      let sentAt = due;
      const now = performance.now();
      if (now < due) {
        await sleep(due - now);
        sentAt = performance.now();
      }
      if (performance.now() >= end + 1000) return; // too far behind: stop sending
      try {
        const response = await fetch(`${server.url}/v1/predict`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: payloads[(k * clients + c) % payloads.length]!,
        });
        const answer = await response.json();
        if (response.status !== 200 || answer.predictions?.length !== 1) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - sentAt);
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  latencies.sort((a, b) => a - b);
  const calls = (await metric(server.url, callsName)) - callsBefore;
  const requests = (await metric(server.url, requestsName)) - requestsBefore;
  const p99 = quantile(latencies, 0.99);
  return {
    rate,
    sent: latencies.length,
    scheduled,
    errors,
    p50: quantile(latencies, 0.5),
    p99,
    perCall: calls > 0 ? requests / calls : 0,
    passed: errors === 0 && p99 < P99_TARGET_MS && latencies.length >= MIN_SENT_SHARE * scheduled,
  };
}

/** Both services at every rate for `clients`, off then on at each rate. */
async function ladder(servers: Record<Mode, Server>, clients: number): Promise<Sweep[]> {
  const payloads = bodies(1, 256);
  const sweeps: Record<Mode, Sweep> = {
    off: { mode: "off", clients, steps: [], best: null, ceiling: null },
    on: { mode: "on", clients, steps: [], best: null, ceiling: null },
  };
  const saturatedInARow = { off: 0, on: 0 };
  for (const rate of RATES) {
    for (const mode of MODES) {
      if (saturatedInARow[mode] >= MAX_SATURATED) continue;
      const s = await step(servers[mode], clients, rate, payloads);
      sweeps[mode].steps.push(s);
      saturatedInARow[mode] = saturated(s) ? saturatedInARow[mode] + 1 : 0;
      console.log(line(mode, clients, s));
      await sleep(200);
    }
    if (MODES.every((mode) => saturatedInARow[mode] >= MAX_SATURATED)) break;
  }
  const highest = (steps: Step[]) => steps.sort((a, b) => b.rate - a.rate)[0] ?? null;
  for (const sweep of Object.values(sweeps)) {
    sweep.best = highest(sweep.steps.filter((s) => s.passed));
    sweep.ceiling = highest(sweep.steps.filter((s) => !saturated(s) && s.errors === 0));
  }
  return MODES.map((mode) => sweeps[mode]);
}

/** Whether the service could not keep up: p50 over the target, or under 95% sent. */
function saturated(s: Step): boolean {
  return s.p50 >= P99_TARGET_MS || s.sent < MIN_SENT_SHARE * s.scheduled;
}

function line(mode: string, clients: number, s: Step): string {
  return `batching ${mode.padEnd(3)} clients ${String(clients).padStart(3)} rate ${
    String(s.rate).padStart(5)
  }: sent ${s.sent}/${s.scheduled} errors ${s.errors} p50 ${s.p50.toFixed(2)} p99 ${
    s.p99.toFixed(2)
  } ms, ${s.perCall.toFixed(2)} requests per call ${s.passed ? "pass" : "FAIL"}`;
}

// ---------------------------------------------------------------- main

const loadBefore = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ")
  .slice(0, 3).join(" ");
const root = await makeProject();
const logs = captureLogs({ level: "error" });
const runId = await train(root, 30);
const loaded = await loadConfig({ root });
await promoteRun(loaded.config.registry, loaded.config.project.name, { runId });
logs.stop();
// Live drift off on both: its check every minute stalls the event loop for tens of ms, which
// would land in some steps and not others.
const quiet = ["--set", "serve.drift.enabled=false"];
const servers = {
  on: await startServer(root, quiet),
  off: await startServer(root, [...quiet, "--set", "serve.batching.enabled=false"]),
};
console.log(`serving ${runId}: batching on at ${servers.on.url}, off at ${servers.off.url}`);
// Warm-up: JIT, tfjs and the connection pools of both.
for (const server of Object.values(servers)) await step(server, 16, 500, bodies(1, 64));

const sweeps: Sweep[] = [];
for (const clients of CLIENTS) sweeps.push(...(await ladder(servers, clients)));
const rss = { on: rssMiB(servers.on.child.pid), off: rssMiB(servers.off.child.pid) };
for (const server of Object.values(servers)) server.child.kill("SIGTERM");
const codes = await Promise.all(
  Object.values(servers).map(async (s) => (await s.child.status).code),
);
const loadAfter = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ")
  .slice(0, 3).join(" ");
await Deno.remove(root, { recursive: true });

const machine = await describeMachine();
const rows = CLIENTS.map((clients) => {
  const of = (mode: Mode) => sweeps.find((s) => s.clients === clients && s.mode === mode)!;
  const rate = (s: Step | null) => (s === null ? "none" : `${s.rate} (p99 ${s.p99.toFixed(1)})`);
  const ratio = (a: Step | null, b: Step | null) =>
    a !== null && b !== null ? `${(b.rate / a.rate).toFixed(2)}×` : "n/a";
  const [off, on] = [of("off"), of("on")];
  return `| ${clients} | ${rate(off.best)} | ${rate(on.best)} | ${ratio(off.best, on.best)} | ${
    off.ceiling === null ? "none" : `${off.ceiling.rate} (p50 ${off.ceiling.p50.toFixed(1)})`
  } | ${on.ceiling === null ? "none" : `${on.ceiling.rate} (p50 ${on.ceiling.p50.toFixed(1)})`} | ${
    ratio(off.ceiling, on.ceiling)
  } | ${on.ceiling === null ? "–" : on.ceiling.perCall.toFixed(2)} |`;
});
/** The lowest and highest, over client counts of ≥ 16, of a number of each mode's ceiling. */
function ceilingRange(value: (s: Step) => number, digits: number, mode: Mode = "on"): string {
  const values = sweeps.filter((s) => s.mode === mode && s.clients >= 16 && s.ceiling !== null)
    .map((s) => value(s.ceiling!));
  if (values.length === 0) return "n/a";
  const show = (x: number) =>
    x.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${show(Math.min(...values))}–${show(Math.max(...values))}`;
}
const bestCeilingRatio = Math.max(
  0,
  ...CLIENTS.filter((c) => c >= 16).map((clients) => {
    const of = (mode: Mode) =>
      sweeps.find((s) => s.clients === clients && s.mode === mode)!.ceiling;
    const [off, on] = [of("off"), of("on")];
    return off !== null && on !== null ? on.rate / off.rate : 0;
  }),
);
const details = CLIENTS.flatMap((clients) => {
  const of = (mode: Mode) => sweeps.find((s) => s.clients === clients && s.mode === mode)!;
  const tried = [...new Set([...of("off").steps, ...of("on").steps].map((s) => s.rate))];
  return tried.map((rate) => {
    const at = (mode: Mode) => of(mode).steps.find((s) => s.rate === rate) ?? null;
    const p99 = (s: Step | null) => s === null ? "–" : `${s.p99.toFixed(1)}${s.passed ? "" : " ✗"}`;
    const sent = (s: Step | null) => (s === null ? "–" : `${s.sent}/${s.scheduled}`);
    const off = at("off");
    const on = at("on");
    return `| ${clients} | ${rate} | ${p99(off)} | ${sent(off)} | ${p99(on)} | ${sent(on)} | ${
      on === null ? "–" : on.perCall.toFixed(2)
    } |`;
  });
});
const markdown = `
## Micro-batching on and off (\`bench/batching.ts\`)

Machine: ${machine}. Load average before the run: ${loadBefore}, after: ${loadAfter}.
Model: penguins MLP run \`${runId}\`, row engine. Two services from the same project on
127.0.0.1, one with \`serve.batching\` on (max_wait_ms 2, max_rows 256), one with it off (live
drift off on both: its check stalls the event loop for tens of ms once a minute), driven
in turn by one Deno client process on the same 2 cores (\`fetch\`, keep-alive). Open loop: each client sends single-row
requests on its schedule, one in flight at most; latency runs from the send, or from the
scheduled time when the previous answer made the send late.
The two services take turns at each rate of the ladder (${RATES.join(", ")} req/s); each rate runs
at least ${MIN_SECONDS} s and ${
  MIN_REQUESTS.toLocaleString("en")
} requests, and passes with p99 under ${P99_TARGET_MS} ms, no error and ≥ 95% of the
scheduled requests sent; a service leaves the ladder once saturated (p50 over ${P99_TARGET_MS} ms or under 95% sent) at ${MAX_SATURATED}
rates in a row.

| clients | off: highest req/s with p99 < ${P99_TARGET_MS} ms | on: highest req/s with p99 < ${P99_TARGET_MS} ms | on / off | off: highest req/s kept up with (p50 < ${P99_TARGET_MS} ms) | on: highest req/s kept up with | on / off | on: requests per scoring call there |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

Reading: p99 under ${P99_TARGET_MS} ms is decided by pauses of tens of ms (garbage collection in the server or in
the client process, which shares the cores) that strike either service at any rate, so the first
two columns move from run to run (see the per-rate table: failures well below saturation, on both).
The rate each service keeps up with is steadier: with batching, ${
  ceilingRange((s) => s.perCall, 1)
} requests share one scoring call there, and the service keeps up with ${
  ceilingRange((s) => s.rate, 0)
} req/s against ${ceilingRange((s) => s.rate, 0, "off")} without (up to ${
  bestCeilingRatio.toFixed(1)
}× at ≥ 16 clients). A lone client gains nothing: its requests never overlap,
so its batches hold one request and it waits for no other.

Every rate tried: p99 in ms (✗: failed), and requests per scoring call.

| clients | req/s | off: p99 | off: sent | on: p99 | on: sent | on: requests per call |
| --- | --- | --- | --- | --- | --- | --- |
${details.join("\n")}

- Server memory at the end (VmRSS): ${rss.on.toFixed(0)} MiB with batching, ${
  rss.off.toFixed(0)
} MiB without. Exit codes after SIGTERM: ${codes.join(", ")}.
`;
console.log(markdown);
if (WRITE) {
  await writeResultsSection("batching", markdown);
  console.log("wrote the batching section of bench/RESULTS.md");
}
