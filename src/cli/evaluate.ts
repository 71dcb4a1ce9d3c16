/**
 * `deno task evaluate --run <id> [--input labelled.csv]`: recomputes a run's metrics on its own
 * test split, or on a labelled file.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { evaluateRun } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { formatMetric, formatTable } from "./_tables.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "run", "input"],
  flags: ["json"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    run: "the run id (see models/experiments/)",
    input: "a labelled file (CSV, Parquet, JSON, NDJSON, Arrow) to score instead of the test split",
    json: "print the metrics as JSON",
  },
};

await runTask("evaluate", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage("evaluate", SPEC, "Recompute a run's metrics."));
    return 0;
  }
  const id = args.options["run"];
  if (!id) {
    throw new UsageError("Cannot evaluate: --run <id> is required (see models/experiments/)");
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const result = await evaluateRun(id, loaded, {
    input: args.options["input"] ?? null,
  });
  if (args.flags["json"]) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const metrics = result.metrics as unknown as Record<string, unknown>;
  const names = Object.keys(metrics).filter((k) => typeof metrics[k] === "number" && k !== "n");
  console.log(formatTable(["metric", "value"], names.map((k) => [k, formatMetric(metrics[k])])));
  console.log(`\nrun ${result.id} on ${result.source}: ${result.rows} rows`);
});
