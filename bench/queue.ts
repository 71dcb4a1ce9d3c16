/**
 * The work queue's speed: a 20-trial random search with 5-fold cross-validation on penguins run
 * on the queue by 1 and then 2 `deno task worker` processes, and the queue's own cost per job.
 *
 *   deno run -A bench/queue.ts [--trials 20] [--folds 5] [--noop 200] [--repeat 1]
 *
 * It starts its own redis-server on a loopback port. This process is the coordinator
 * (`runStudy` with `queue`, no refit); the workers are started before the clock starts, as
 * long-running workers are. Overhead figures: the round trip of no-op jobs through Redis and
 * BullMQ (one in-process worker); per trial on the 1-worker study, the time between consecutive
 * results less the trials' own times (what the queue adds to each trial once the study runs);
 * and the study's start (wall time before the first result, less that trial's time). Studies go
 * to a temporary registry. The machine is shared: the load average before each study is
 * recorded next to its time.
 *
 * @module
 */
import { loadConfig } from "../src/config/mod.ts";
import { readStudy, runStudy } from "../src/pipelines/mod.ts";
import type { StudyResult } from "../src/pipelines/mod.ts";
import { QueueConnection, runJobs, serveJobs } from "../src/queue/mod.ts";
import { redisMissing, startRedis, startWorker } from "../tests/_helpers/redis_server.ts";
import { describeMachine, median, ROOT, writeResultsSection } from "./_results.ts";

const args = Deno.args;
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`bench: --${name} expects a positive integer`);
    Deno.exit(2);
  }
  return value;
};
const trials = flag("trials", 20);
const folds = flag("folds", 5);
const noopJobs = flag("noop", 200);
const repeat = flag("repeat", 1);

const missing = redisMissing();
if (missing !== null) {
  console.error(`bench: ${missing}`);
  Deno.exit(1);
}

/** User + system CPU seconds a process has used so far (/proc/<pid>/stat), 0 when gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(" ") || "unknown";
}

interface Measurement {
  workers: number;
  seconds: number;
  trialSeconds: number;
  loadBefore: string;
  study: StudyResult;
  /** Seconds since the start at which each result was recorded, with the trial's own seconds. */
  results: { at: number; seconds: number }[];
  /** CPU seconds the worker processes used during the study. */
  workerCpu: number;
}

function leaderboardKey(study: StudyResult): string {
  return JSON.stringify(
    [...study.leaderboard, ...study.failed].map(({ seconds: _s, ...rest }) => rest),
  );
}

const registry = await Deno.makeTempDir({ prefix: "bench-queue-" });
const redis = await startRedis();
const measurements: Measurement[] = [];
let noopMs = 0;
let singleMs = 0;
try {
  // 1. The queue alone: no-op jobs through Redis and BullMQ.
  const connection = await QueueConnection.open(redis.url);
  const stop = new AbortController();
  const serving = serveJobs({
    connection,
    handlers: { noop: () => Promise.resolve(null) },
    signal: stop.signal,
    queueName: "bench-noop",
  });
  const many = Array.from(
    { length: noopJobs },
    (_, i) => ({ id: `noop-${i}`, name: "noop", data: i }),
  );
  const started = performance.now();
  await runJobs(many, { connection, queueName: "bench-noop", onResult: () => {} });
  noopMs = (performance.now() - started) / noopJobs;
  const singles: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await runJobs([{ id: `single-${i}`, name: "noop", data: i }], {
      connection,
      queueName: "bench-noop",
      onResult: () => {},
    });
    singles.push(performance.now() - t0);
  }
  singleMs = median(singles);
  stop.abort();
  await serving;
  await connection.close();
  console.log(
    `no-op jobs: ${noopMs.toFixed(2)} ms each over ${noopJobs}; one job at a time: ${
      singleMs.toFixed(1)
    } ms (median of 20)`,
  );

  // 2. The study on 1, then 2 worker processes.
  // Repeats alternate the order, so a change in the machine's load does not favour one side.
  const order = Array.from({ length: repeat }, (_, r) => r % 2 === 0 ? [1, 2] : [2, 1]).flat();
  for (const [run, count] of order.entries()) {
    const loaded = await loadConfig({
      root: ROOT,
      overrides: [
        `registry.experiments_dir=${registry}/${run}/experiments`,
        `registry.production_dir=${registry}/${run}/production`,
        "logging.level=warning",
      ],
    });
    const workers = Array.from({ length: count }, () => startWorker(redis.url, ROOT));
    try {
      await Promise.all(workers.map((w) => w.waitFor(/takes jobs from/, 60_000)));
      const loadBefore = await loadAverage();
      const results: Measurement["results"] = [];
      const cpuBefore = workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid), 0);
      const t0 = performance.now();
      const study = await runStudy(loaded, {
        strategy: "random",
        trials,
        folds,
        refit: false,
        queue: { url: redis.url },
        onTrial: (trial) => {
          results.push({ at: (performance.now() - t0) / 1000, seconds: trial.seconds });
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      const workerCpu = workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid), 0) - cpuBefore;
      const record = await readStudy(loaded.config.registry.experiments_dir, study.id);
      const trialSeconds = record.trials.reduce((sum, t) => sum + t.seconds, 0);
      console.log(
        `${count} worker(s): ${seconds.toFixed(1)} s wall, trials ${
          trialSeconds.toFixed(1)
        } s in total, workers ${
          (workerCpu / seconds).toFixed(2)
        } cores busy, load before ${loadBefore}`,
      );
      measurements.push({
        workers: count,
        seconds,
        trialSeconds,
        loadBefore,
        study,
        results,
        workerCpu,
      });
    } finally {
      await Promise.all(workers.map((w) => w.stop("SIGTERM")));
    }
  }
} finally {
  await redis.stop();
  await Deno.remove(registry, { recursive: true });
}

const ones = measurements.filter((m) => m.workers === 1);
const twos = measurements.filter((m) => m.workers === 2);
const one = ones[0]!;
const two = twos[0]!;
const speedup = median(ones.map((m) => m.seconds)) / median(twos.map((m) => m.seconds));
// One worker runs the trials back to back: between two results lie the later trial and what the
// queue adds to it (pick-up, checks, result, event, study.json).
const steady = one.results.slice(1);
const perTrialMs = (one.results.at(-1)!.at - one.results[0]!.at -
  steady.reduce((sum, r) => sum + r.seconds, 0)) / steady.length * 1000;
const startSeconds = one.results[0]!.at - one.results[0]!.seconds;
const wholeMs = (one.seconds - one.trialSeconds) / trials * 1000;
const identical = measurements.every((m) => leaderboardKey(m.study) === leaderboardKey(one.study));
console.log(
  `speed-up of 2 workers over 1: ${speedup.toFixed(2)}×; overhead per trial ${
    perTrialMs.toFixed(0)
  } ms (start ${startSeconds.toFixed(2)} s, whole study ${
    wholeMs.toFixed(0)
  } ms per trial); leaderboards identical: ${identical}`,
);
const rows = measurements.map((m) =>
  `| ${m.workers} | ${m.seconds.toFixed(1)} | ${m.trialSeconds.toFixed(1)} | ${
    m.workerCpu.toFixed(1)
  } | ${(m.workerCpu / m.seconds).toFixed(2)} | ${m.loadBefore} |`
);
await writeResultsSection(
  "queue",
  `## Work queue (\`bench/queue.ts\`)

Machine: ${await describeMachine()}. The machine is shared with other work: the load
average (1, 5, 15 min) before each study is listed with it. redis-server on loopback, started by
the bench.
Study: \`runStudy\` with \`queue\` (as \`deno task tune --queue redis://…\`), random search,
${trials} trials, ${folds}-fold cross-validation on penguins, the configured training, no refit;
the coordinator is the bench process and the workers are \`deno task worker\` processes started
before the clock. "trial s" is the sum of the trials' own wall times; "worker CPU s" is the user +
system time of the worker processes during the study, and "cores busy" is that over the wall time.

| workers | wall s | trial s | worker CPU s | cores busy | load before |
| --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

2 workers against 1: **${speedup.toFixed(2)}×** faster (median wall ${
    median(ones.map((m) => m.seconds)).toFixed(1)
  } s → ${median(twos.map((m) => m.seconds)).toFixed(1)} s; target at least 1.7×).${
    speedup < 1.7
      ? ` The 2 workers kept ${
        (two.workerCpu / two.seconds).toFixed(2)
      } cores busy: they share the machine's 2 cores with other work, so this run cannot show the speed-up of 2 free cores; rerun when \`uptime\` shows a load below 1.`
      : ""
  } Leaderboards identical: **${identical ? "yes" : "NO"}**.

Queue overhead: **${perTrialMs.toFixed(0)} ms per trial** on the 1-worker study (target at most
50 ms): the time between consecutive results less the later trial's own time, averaged over
${steady.length} trials (pick-up, code version and data check, Redis round trips, the completion
event, writing \`study.json\`). Once per study, before the first result: ${
    startSeconds.toFixed(2)
  } s (loading the data to check the folds, hashing the sources for the code version, connecting);
spread over the ${trials} trials the whole study's wall time less the trials' own times is ${
    wholeMs.toFixed(0)
  } ms per trial. No-op jobs through Redis and BullMQ: ${noopMs.toFixed(2)} ms each over ${noopJobs}
queued at once, ${
    singleMs.toFixed(1)
  } ms for one job at a time (median of 20, opening the queue and its event reader each time).`,
);
console.log("wrote bench/RESULTS.md (queue section)");
if (!identical) Deno.exit(1);
