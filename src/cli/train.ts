/**
 * `deno task train [--config F] [--set k=v ...] [--no-cache]`: trains the configured model,
 * records the run under models/experiments/ and prints which stages ran or came from the stage
 * cache, and its metrics beside the baseline's.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { createProgressReporter, trainingStepName } from "../models/mod.ts";
import { runTraining } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { formatMetric, formatTable } from "./_tables.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  flags: ["no-cache"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    "no-cache": "compute every stage; neither read nor write data/processed/cache",
  },
};

await runTask("train", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage("train", SPEC, "Train the configured model and record the run."));
    return 0;
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const controller = new AbortController();
  const stop = () => controller.abort(new Error("Training interrupted (Ctrl-C): no run recorded"));
  Deno.addSignalListener("SIGINT", stop);
  const result = await runTraining(loaded, {
    callbacks: createProgressReporter(),
    signal: controller.signal,
    profile: args.options["config"] ?? null,
    cache: !args.flags["no-cache"],
  });
  Deno.removeSignalListener("SIGINT", stop);

  const { metrics, baseline, record } = result;
  const names = record.task === "classification"
    ? ["accuracy", "balanced_accuracy", "f1_macro", "roc_auc", "log_loss"]
    : ["mae", "rmse", "r2", "mape"];
  const cell = (m: unknown, name: string) =>
    formatMetric((m as Record<string, unknown> | null)?.[name]);
  console.log("");
  console.log(formatTable(
    ["stage", "status", "seconds", "key"],
    result.lineage.nodes.map((n) => [n.node, n.status, n.seconds.toFixed(2), n.key.slice(0, 12)]),
  ));
  console.log("");
  console.log(formatTable(
    ["metric", "val", "test", `baseline val`, `baseline test`],
    names.map((name) => [
      name === record.primary.metric ? `${name} *` : name,
      cell(metrics.val, name),
      cell(metrics.test, name),
      cell(baseline.val, name),
      cell(baseline.test, name),
    ]),
  ));
  const steps = result.history.epochs.length;
  const step = trainingStepName(record.family); // "epoch", or "round" for the tree families
  console.log("");
  console.log(
    `${record.family} trained ${steps} ${step}(s)${
      result.history.stoppedEarly
        ? `, stopped early (best ${step} ${result.history.bestEpoch + 1})`
        : ""
    } on ${record.rows.train} rows in ${(record.stages["train"] ?? 0).toFixed(1)}s`,
  );
  console.log(`run: ${record.id}`);
  console.log(`folder: ${result.dir}`);
  result.model.dispose();
});
