/**
 * Hyperparameter search speed and determinism: `deno task tune` with a 20-trial random search
 * and 5-fold cross-validation on penguins, once on 1 worker and once on 2 workers, each in a
 * fresh process. It measures the wall time of each, the speed-up, and checks that both studies
 * give the identical leaderboard (trial ids, values, fold scores, means and spreads).
 *
 *   deno run -A bench/tune.ts [--trials 20] [--folds 5] [--repeat 1]
 *
 * Runs go to a temporary registry, never to models/. The machine is shared: the load average
 * before each run is recorded next to its time.
 *
 * @module
 */
import { describeMachine, median, runMeasured, writeResultsSection } from "./_results.ts";

interface Trial {
  id: number;
  params: Record<string, unknown>;
  status: string;
  fold_scores: number[];
  mean: number | null;
  std: number | null;
  seconds: number;
  error?: string;
}

interface Study {
  id: string;
  status: string;
  trials: Trial[];
  leaderboard: number[];
  best: { trial: number; params: Record<string, unknown>; mean: number; std: number } | null;
  final_run: { id: string; val: number | null; test: number | null } | null;
  primary_metric: string;
}

interface Measurement {
  workers: number;
  seconds: number;
  /** CPU seconds (user + system) of the tune process, its workers included. */
  cpuSeconds: number;
  peakRssMiB: number;
  loadBefore: string;
  trialSeconds: number;
  study: Study;
}

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
const repeat = flag("repeat", 1);

async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(" ") || "unknown";
}

async function measure(workers: number, registry: string): Promise<Measurement> {
  const loadBefore = await loadAverage();
  const run = await runMeasured(Deno.execPath(), [
    "run",
    "-A",
    "src/cli/tune.ts",
    "--strategy",
    "random",
    "--trials",
    String(trials),
    "--folds",
    String(folds),
    "--workers",
    String(workers),
    "--set",
    `registry.experiments_dir=${registry}/experiments`,
    "--set",
    `registry.production_dir=${registry}/production`,
    "--set",
    "logging.level=warning",
  ]);
  if (run.code !== 0) {
    console.error(run.stdout, run.stderr);
    Deno.exit(1);
  }
  const path = run.stdout.match(/^study: (\S+)$/m)?.[1];
  if (path === undefined) throw new Error(`no study path in the output:\n${run.stdout}`);
  const study = JSON.parse(await Deno.readTextFile(path)) as Study;
  const trialSeconds = study.trials.reduce((sum, t) => sum + t.seconds, 0);
  console.log(
    `${workers} worker(s): ${run.seconds.toFixed(1)} s wall, ${run.cpuSeconds.toFixed(1)} CPU s (${
      (run.cpuSeconds / run.seconds).toFixed(2)
    } cores busy), trials ${trialSeconds.toFixed(1)} s in total, peak RSS ${
      run.peakRssMiB.toFixed(0)
    } MiB, load before ${loadBefore}`,
  );
  return {
    workers,
    seconds: run.seconds,
    cpuSeconds: run.cpuSeconds,
    peakRssMiB: run.peakRssMiB,
    loadBefore,
    trialSeconds,
    study,
  };
}

/** The leaderboard as it must be equal across worker counts: everything but the timings. */
function leaderboardKey(study: Study): string {
  const byId = new Map(study.trials.map((t) => [t.id, t]));
  const rows = [
    ...study.leaderboard.map((id) => byId.get(id)!),
    ...study.trials.filter((t) => t.status !== "ok"),
  ].map(({ seconds: _seconds, ...rest }) => rest);
  return JSON.stringify(rows);
}

const work = await Deno.makeTempDir({ prefix: "bench-tune-" });
const runs: Measurement[] = [];
try {
  for (let r = 0; r < repeat; r++) {
    // Alternate the order so a change in the machine's load does not favour one side.
    const order = r % 2 === 0 ? [1, 2] : [2, 1];
    for (const workers of order) runs.push(await measure(workers, `${work}/${r}-${workers}`));
  }
} finally {
  await Deno.remove(work, { recursive: true });
}

const one = runs.filter((m) => m.workers === 1);
const two = runs.filter((m) => m.workers === 2);
const reference = leaderboardKey(one[0]!.study);
const identical = runs.every((m) => leaderboardKey(m.study) === reference);
const wall1 = median(one.map((m) => m.seconds));
const wall2 = median(two.map((m) => m.seconds));
const speedup = wall1 / wall2;
// Each repeat ran one pair (1 worker and 2 workers, back to back): its own ratio.
const pairRatios = one.map((m, i) => m.seconds / two[i]!.seconds).sort((a, b) => a - b);
const study = one[0]!.study;
const best = study.best;
const failed = study.trials.filter((t) => t.status !== "ok").length;
const metric = study.primary_metric;
console.log(
  `speed-up of 2 workers over 1: ${speedup.toFixed(2)}×; leaderboards identical: ${identical}`,
);

const rows = runs.map((m) =>
  `| ${m.workers} | ${m.seconds.toFixed(1)} | ${m.cpuSeconds.toFixed(1)} | ${
    (m.cpuSeconds / m.seconds).toFixed(2)
  } | ${m.trialSeconds.toFixed(1)} | ${m.peakRssMiB.toFixed(0)} | ${m.loadBefore} |`
);
const cpu1 = median(one.map((m) => m.cpuSeconds));
const cpu2 = median(two.map((m) => m.cpuSeconds));
const busy1 = median(one.map((m) => m.cpuSeconds / m.seconds));
const busy2 = median(two.map((m) => m.cpuSeconds / m.seconds));
const top = study.leaderboard.slice(0, 5).map((id, rank) => {
  const t = study.trials.find((trial) => trial.id === id)!;
  return `| ${rank + 1} | ${t.id} | \`${JSON.stringify(t.params)}\` | ${t.mean!.toFixed(4)} ± ${
    t.std!.toFixed(4)
  } |`;
});
await writeResultsSection(
  "tune",
  `## Hyperparameter search (\`bench/tune.ts\`)

Machine: ${await describeMachine()}. The machine is shared with other work: the load
average (1, 5, 15 min) before each run is listed with it.
Task: \`deno task tune --strategy random --trials ${trials} --folds ${folds} --workers W\` on penguins
(search space of \`config/model_config.yaml\`; ${folds}-fold stratified cross-validation of the
233 training rows; the configured training: up to 200 epochs, early stopping after 20 epochs
without improvement of the validation loss). Each run is a fresh process; wall time includes
Deno start-up, starting the workers and the final refit of the best trial as a run. "CPU s" is
the user + system time of the tune process (its workers are threads of it), "cores busy" is CPU s
/ wall s, and "trial s" is the sum of the trials' own wall times.

| workers | wall s | CPU s | cores busy | trial s | peak RSS MiB | load before |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}

2 workers against 1: **${speedup.toFixed(2)}×** faster (median wall ${wall1.toFixed(1)} s → ${
    wall2.toFixed(1)
  } s; pair by pair ${pairRatios[0]!.toFixed(2)}–${
    pairRatios.at(-1)!.toFixed(2)
  }×). The work is the same on both (${cpu1.toFixed(0)} against ${
    cpu2.toFixed(0)
  } CPU s); the wall time depends on the cores the shared machine gave: ${
    busy1.toFixed(2)
  } core(s) busy on 1 worker, ${busy2.toFixed(2)} on 2.${
    busy2 < 1.5
      ? ` Other work kept the 2 cores busy, so this run cannot show the speed-up of 2 free cores; rerun \`deno run -A bench/tune.ts\` when \`uptime\` shows a load below 1.`
      : ""
  } Leaderboards of every run identical (ids, values, fold scores, mean and std): **${
    identical ? "yes" : "NO"
  }**. ${failed} of ${study.trials.length} trials failed. Best trial ${
    best?.trial ?? "-"
  }: ${metric} ${
    best ? `${best.mean.toFixed(4)} ± ${best.std.toFixed(4)}` : "n/a"
  }; refitted run test ${metric} ${study.final_run?.test?.toFixed(4) ?? "n/a"}.

| rank | trial | values | ${metric} mean ± std |
| --- | --- | --- | --- |
${top.join("\n")}`,
);
console.log("wrote bench/RESULTS.md (tune section)");
if (!identical) Deno.exit(1);
