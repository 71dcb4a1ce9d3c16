/**
 * `deno task tune [--config F] [--set k=v ...] [--trials N] [--strategy grid|random] [--folds K]
 * [--workers W] [--seed S] [--resume STUDY] [--queue redis://HOST:PORT]`: searches the
 * hyperparameters listed under `search:` in config/model_config.yaml, scoring each trial by
 * stratified k-fold cross-validation on the training split, in parallel on Web Workers or, with
 * `--queue`, on `deno task worker` processes on any machines; then refits the best trial as a
 * recorded run and prints the leaderboard. Ctrl-C stops cleanly; `--resume <study-id>` continues.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { didYouMean } from "../errors.ts";
import { createProgressReporter } from "../models/mod.ts";
import { formatTrialParams, runStudy, SEARCH_STRATEGIES } from "../pipelines/mod.ts";
import type { SearchStrategy, StudyResult, TrialResult } from "../pipelines/mod.ts";
import { redactQueueUrl } from "../queue/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import {
  CONFIG_ARG_SPEC,
  configOptionsFromArgs,
  formatUsage,
  integerOption,
  parseTaskArgs,
} from "./_args.ts";
import { formatMetric, formatTable } from "./_tables.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

/** Exit status after Ctrl-C (128 + SIGINT), as shells report it. */
const EXIT_INTERRUPTED = 130;

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [
    ...CONFIG_ARG_SPEC.options,
    "trials",
    "strategy",
    "folds",
    "workers",
    "seed",
    "grid-points",
    "resume",
    "queue",
  ],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    trials: "trials to run: random draws (default 20), or a cap on the grid (default: all)",
    strategy: `${SEARCH_STRATEGIES.join(" | ")} (default random)`,
    folds: "cross-validation folds on the training split (default split.folds)",
    workers:
      `trials run side by side on Web Workers (default ${navigator.hardwareConcurrency}, one per core; 0: in this process)`,
    seed: "study seed for the draws and the folds (default project.seed)",
    "grid-points": "values a grid search takes from each range (default 5)",
    resume: "continue an interrupted study by its id, with the same --config and --set",
    queue:
      "run the trials on the work queue at redis://HOST:PORT[/DB], on `deno task worker` processes, instead of Web Workers",
  },
};

await runTask("tune", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "tune",
      SPEC,
      "Search the hyperparameters under `search:` in config/model_config.yaml with stratified k-fold cross-validation on the training split, refit the best trial as a run and evaluate it once on the test split. Ctrl-C stops; --resume continues.",
    ));
    return 0;
  }
  const strategy = args.options["strategy"];
  if (strategy !== undefined && !(SEARCH_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new UsageError(
      `Cannot parse arguments: --strategy "${strategy}" is not a strategy${
        didYouMean(strategy, SEARCH_STRATEGIES)
      }; use ${SEARCH_STRATEGIES.join(" or ")}`,
    );
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);

  const controller = new AbortController();
  let interrupts = 0;
  const stop = () => {
    interrupts++;
    if (interrupts > 1) Deno.exit(EXIT_INTERRUPTED);
    console.error("\ntune: stopping (Ctrl-C again to quit at once)…");
    controller.abort(new Error("Study interrupted (Ctrl-C)"));
  };
  Deno.addSignalListener("SIGINT", stop);

  const metric = loaded.config.registry.primary_metric;
  const trials = integerOption(args.options, "trials", 1);
  const folds = integerOption(args.options, "folds", 2);
  const workers = integerOption(args.options, "workers", 0);
  const seed = integerOption(args.options, "seed", 0);
  const gridPoints = integerOption(args.options, "grid-points", 2);
  const resume = args.options["resume"] ?? null;
  if (args.options["queue"] !== undefined && workers !== undefined) {
    throw new UsageError(
      "Cannot parse arguments: --workers sets the Web Workers of a local study; with --queue the trials run on `deno task worker` processes, so start more of those instead",
    );
  }
  const started = performance.now();
  let announced = false;
  const study = await runStudy(loaded, {
    ...(trials !== undefined ? { trials } : {}),
    ...(strategy !== undefined ? { strategy: strategy as SearchStrategy } : {}),
    ...(folds !== undefined ? { folds } : {}),
    ...(workers !== undefined ? { workers } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(gridPoints !== undefined ? { gridPoints } : {}),
    resume,
    queue: args.options["queue"] === undefined ? null : { url: args.options["queue"] },
    signal: controller.signal,
    profile: args.options["config"] ?? null,
    callbacks: createProgressReporter(),
    onTrial: (trial, progress) => {
      if (!announced) {
        console.log(`study ${progress.studyId}: ${progress.total} trials`);
        announced = true;
      }
      console.log(progressLine(trial, progress.done, progress.total, metric));
    },
  });
  Deno.removeSignalListener("SIGINT", stop);

  console.log("");
  printLeaderboard(study, metric);
  const seconds = (performance.now() - started) / 1000;
  if (study.status === "interrupted") {
    const resumeHint = [
      "deno task tune",
      ...(args.options["config"] ? [`--config ${args.options["config"]}`] : []),
      ...(args.multi["set"] ?? []).map((s) => `--set ${JSON.stringify(s)}`),
      ...(args.options["queue"] ? [`--queue ${redactQueueUrl(args.options["queue"])}`] : []),
      `--resume ${study.id}`,
    ].join(" ");
    console.error(
      `tune: interrupted after ${study.record.trials.length} of ${study.record.trials_planned} trials (${
        seconds.toFixed(1)
      }s); the finished trials are kept in ${study.dir}/study.json; continue with: ${resumeHint}`,
    );
    return EXIT_INTERRUPTED;
  }
  console.log("");
  console.log(
    `${study.record.trials.length} trials (${study.failed.length} failed) in ${
      seconds.toFixed(1)
    }s`,
  );
  console.log(`study: ${study.dir}/study.json`);
  const finalRun = study.record.final_run;
  if (study.record.best === null) {
    console.error(
      `tune: no trial succeeded, so no run was recorded; the reasons are in the table above (lower training.learning_rate or fix the search space)`,
    );
    return 1;
  }
  if (finalRun !== null) {
    console.log(
      `best trial ${study.record.best.trial} refitted on the training split: ${metric} val ${
        formatMetric(finalRun.val)
      }, test ${formatMetric(finalRun.test)}`,
    );
    console.log(`run: ${finalRun.id}`);
    console.log(`folder: ${finalRun.dir}`);
  }
  study.final?.model.dispose();
});

function progressLine(trial: TrialResult, done: number, total: number, metric: string): string {
  const width = String(total).length;
  const head = `[${String(done).padStart(width)}/${total}] trial ${String(trial.id).padEnd(width)}`;
  const time = `${trial.seconds.toFixed(1)}s`;
  if (trial.status === "failed") {
    return `${head}  failed (${time}): ${trial.error ?? "unknown reason"}  ${
      formatTrialParams(trial.params, trial.ignored)
    }`;
  }
  return `${head}  ${metric} ${formatMetric(trial.mean)} ± ${formatMetric(trial.std)}  (${time})  ${
    formatTrialParams(trial.params, trial.ignored)
  }`;
}

function printLeaderboard(study: StudyResult, metric: string): void {
  const rows = [
    ...study.leaderboard.map((t, i) => [
      String(i + 1),
      String(t.id),
      formatTrialParams(t.params, t.ignored),
      `${formatMetric(t.mean)} ± ${formatMetric(t.std)}`,
      t.seconds.toFixed(1),
    ]),
    ...study.failed.map((t) => [
      "-",
      String(t.id),
      formatTrialParams(t.params, t.ignored),
      `failed: ${(t.error ?? "").slice(0, 60)}`,
      t.seconds.toFixed(1),
    ]),
  ];
  if (rows.length === 0) {
    console.log("no trial finished");
    return;
  }
  console.log(formatTable(["rank", "trial", "params", `${metric} mean ± std`, "seconds"], rows));
}
