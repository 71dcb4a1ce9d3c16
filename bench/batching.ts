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
 * {@link MIN_REQUESTS} requests, so that p99 rests on at least ten slow requests. A rate passes
 * when p99 is under 10 ms, nothing fails, and at least 95% of the scheduled requests were sent;
 * a service leaves the ladder after two failed rates in a row.
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
const MIN_SECONDS = 2;
/** Fewest requests of a step. */
const MIN_REQUESTS = 1000;
/** A rate fails when fewer than this share of its scheduled requests could be sent. */
const MIN_SENT_SHARE = 0.95;
/** A service leaves the ladder after this many failed rates in a row. */
const MAX_FAILURES = 2;

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
  best: Step | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One rate: every client sends on its schedule, one request in flight at most. */
async function step(server: Server, clients: number, rate: number, payloads: string[]) {
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
    off: { mode: "off", clients, steps: [], best: null },
    on: { mode: "on", clients, steps: [], best: null },
  };
  const failuresInARow = { off: 0, on: 0 };
  for (const rate of RATES) {
    for (const mode of MODES) {
      if (failuresInARow[mode] >= MAX_FAILURES) continue;
      const s = await step(servers[mode], clients, rate, payloads);
      sweeps[mode].steps.push(s);
      failuresInARow[mode] = s.passed ? 0 : failuresInARow[mode] + 1;
      console.log(line(mode, clients, s));
      await sleep(200);
    }
    if (MODES.every((mode) => failuresInARow[mode] >= MAX_FAILURES)) break;
  }
  for (const sweep of Object.values(sweeps)) {
    sweep.best = sweep.steps.filter((s) => s.passed).sort((a, b) => b.rate - a.rate)[0] ?? null;
  }
  return MODES.map((mode) => sweeps[mode]);
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
const servers = {
  on: await startServer(root),
  off: await startServer(root, ["--set", "serve.batching.enabled=false"]),
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
const cell = (s: Step | null, value: (s: Step) => string) => (s === null ? "none" : value(s));
const rows = CLIENTS.map((clients) => {
  const off = sweeps.find((s) => s.clients === clients && s.mode === "off")!.best;
  const on = sweeps.find((s) => s.clients === clients && s.mode === "on")!.best;
  const ratio = off !== null && on !== null ? `${(on.rate / off.rate).toFixed(2)}×` : "n/a";
  return `| ${clients} | ${cell(off, (s) => `${s.rate}`)} | ${
    cell(off, (s) => s.p99.toFixed(1))
  } | ${cell(on, (s) => `${s.rate}`)} | ${cell(on, (s) => s.p99.toFixed(1))} | ${
    cell(on, (s) => s.perCall.toFixed(2))
  } | ${ratio} |`;
});
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
127.0.0.1, one with \`serve.batching\` on (max_wait_ms 2, max_rows 256), one with it off, driven
in turn by one Deno client process on the same 2 cores. Open loop: each client sends single-row
requests on its schedule, one in flight at most; latency runs from the send, or from the
scheduled time when the previous answer made the send late.
The two services take turns at each rate of the ladder (${RATES.join(", ")} req/s); each rate runs
at least ${MIN_SECONDS} s and ${
  MIN_REQUESTS.toLocaleString("en")
} requests, and passes with p99 under ${P99_TARGET_MS} ms, no error and ≥ 95% of the
scheduled requests sent; a service leaves the ladder after ${MAX_FAILURES} failed rates in a row.

| clients | batching off: highest req/s at p99 < ${P99_TARGET_MS} ms | p99 ms | batching on: highest req/s | p99 ms | requests per scoring call (on) | on / off |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

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
