/**
 * `deno task predict --input F [--output F] [--run ID|production] [--on-error fail|skip]
 * [--queue redis://HOST:PORT [--partition-rows N]]`: scores a file with a recorded run or the
 * production model of the config's project (`project.name`; `--config cars` scores with the cars
 * production model); with `--queue`, `deno task worker` processes score its partitions.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { formatDriftSummary } from "../data/mod.ts";
import {
  openRun,
  parsePartition,
  predictFile,
  predictOnQueue,
  PRODUCTION,
} from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [
    ...CONFIG_ARG_SPEC.options,
    "input",
    "output",
    "run",
    "on-error",
    "rejected",
    "keep",
    "drift-report",
    "batch-rows",
    "queue",
    "partition-rows",
    "partition",
  ],
  flags: ["json"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    input: "the rows to score (CSV, TSV, Parquet, JSON, NDJSON, Arrow)",
    output:
      "where predictions go; the extension picks the format (default <input>.predictions.csv)",
    run: `a run id, or "${PRODUCTION}" (default: the production model of the config's project)`,
    "on-error": "fail (default): write nothing if a row cannot be scored; skip: score the rest",
    rejected:
      "with --on-error skip: file for rejected rows (default: the output's name with .rejected.csv for its extension, preds.csv → preds.rejected.csv)",
    keep: "comma-separated input columns copied into the output (default data.id_columns)",
    "drift-report": "write the drift detail as JSON to this file",
    "batch-rows": "rows per batch, the memory bound (default 100000)",
    queue:
      "score on the work queue at redis://HOST:PORT[/DB]: workers score partitions, this process writes the output (--on-error fail only, no drift check)",
    "partition-rows": "with --queue: rows per partition, one job each (default 50000)",
    partition:
      "K/N: score only part K (from 0) of N, batches K, K+N, … of --batch-rows rows, e.g. one part per pod of an Indexed Job",
    json: "print the summary as JSON",
  },
};

await runTask("predict", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(
      formatUsage(
        "predict",
        SPEC,
        "Score a file with a run or the production model of the config's project (project.name).",
      ),
    );
    return 0;
  }
  const input = args.options["input"];
  if (!input) throw new UsageError("Cannot predict: --input <file> is required");
  const onError = args.options["on-error"] ?? "fail";
  if (onError !== "fail" && onError !== "skip") {
    throw new UsageError(`Cannot predict: --on-error must be "fail" or "skip", got "${onError}"`);
  }
  const batchRows = Number(args.options["batch-rows"] ?? 100_000);
  if (!Number.isInteger(batchRows) || batchRows < 1) {
    throw new UsageError(
      `Cannot predict: --batch-rows must be a positive integer, got "${
        args.options["batch-rows"]
      }"`,
    );
  }
  const queue = args.options["queue"];
  const partitionRows = Number(args.options["partition-rows"] ?? 50_000);
  if (!Number.isInteger(partitionRows) || partitionRows < 1) {
    throw new UsageError(
      `Cannot predict: --partition-rows must be a positive integer, got "${
        args.options["partition-rows"]
      }"`,
    );
  }
  const partition = args.options["partition"] === undefined
    ? null
    : parsePartition(args.options["partition"]);
  if (queue !== undefined && partition !== null) {
    throw new UsageError(
      "Cannot predict: --partition and --queue do not go together; --queue splits the input itself",
    );
  }
  if (queue !== undefined && onError !== "fail") {
    throw new UsageError(
      `Cannot predict: --on-error ${onError} is not supported with --queue; leave --queue out to skip rows`,
    );
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const run = await openRun(args.options["run"] ?? PRODUCTION, loaded);
  const output = args.options["output"] ?? defaultOutput(loaded.root, input);
  try {
    const options = {
      input,
      output,
      onError,
      rejected: args.options["rejected"] ?? null,
      keep: args.options["keep"]?.split(",").map((c) => c.trim()).filter((c) => c) ?? null,
      batchRows,
      // The input is written as the run's training data: its separator, quote, encoding and
      // null markers.
      data: run.loaded.config.data,
      partition,
    } as const;
    const summary = queue === undefined
      ? await predictFile(run, options)
      : await predictOnQueue(run, { ...options, queue: { url: queue }, partitionRows });
    const driftPath = args.options["drift-report"];
    if (driftPath && summary.drift) {
      await Deno.writeTextFile(driftPath, JSON.stringify(summary.drift, null, 2) + "\n");
    }
    if (args.flags["json"]) {
      console.log(JSON.stringify(summary, null, 2));
      return 0;
    }
    console.log(
      `run ${summary.run_id}: scored ${summary.rows_scored} of ${summary.rows_read} rows in ${
        summary.seconds.toFixed(1)
      }s → ${summary.output}`,
    );
    if (summary.rows_rejected > 0) {
      console.log(`rejected ${summary.rows_rejected} row(s) → ${summary.rejected_file}`);
      for (const p of summary.problems.slice(0, 10)) {
        console.log(`  row ${p.row}, ${p.column}: ${p.problem}`);
      }
    }
    if (summary.extra_columns.length > 0) {
      console.log(`ignored columns: ${summary.extra_columns.join(", ")}`);
    }
    for (const [column, count] of Object.entries(summary.unseen_categories)) {
      console.log(
        `unseen categories in ${column}: ${count} value(s) (encoded as all zeros or "other")`,
      );
    }
    for (const [column, count] of Object.entries(summary.out_of_range)) {
      console.log(`outside the training range in ${column}: ${count} value(s)`);
    }
    if (summary.drift) console.log(formatDriftSummary(summary.drift));
  } finally {
    run.model.dispose();
  }
});

/** `data/processed/<input file name without extension>.predictions.csv` under the project root. */
function defaultOutput(root: string, input: string): string {
  const name = input.replace(/^.*[\\/]/, "").replace(/\.[^.]+$/, "");
  return `${root}/data/processed/${name}.predictions.csv`;
}
