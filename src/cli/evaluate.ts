/**
 * `deno task evaluate [--run <id>|production] [--input labelled.csv]`: recomputes a run's metrics
 * on its own test split, or on a labelled file.
 *
 * Without `--run` it evaluates the production run when one is promoted, else the newest run of
 * the configured project, and says which.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import type { LoadedConfig } from "../config/mod.ts";
import { listRuns, readProductionPointer, resolveProductionDir } from "../models/mod.ts";
import { evaluateRun, PRODUCTION } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { formatMetric, formatTable } from "./_tables.ts";
import { ArtifactError } from "../errors.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "run", "input"],
  flags: ["json"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    run:
      'the run id (see deno task runs) or "production"; default: production when a run is promoted, else the newest run',
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
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  let id = args.options["run"];
  if (id === undefined) {
    const chosen = await defaultRun(loaded);
    id = chosen.ref;
    // On stderr with --json, so the JSON on stdout stays parseable.
    (args.flags["json"] ? console.error : console.log)(
      `no --run given: evaluating ${chosen.label}`,
    );
  }
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

/**
 * The run to evaluate without `--run`: the production run of the config's project when one is
 * promoted, else that project's newest run.
 */
async function defaultRun(loaded: LoadedConfig): Promise<{ ref: string; label: string }> {
  const { experiments_dir: experiments } = loaded.config.registry;
  const project = loaded.config.project.name;
  const pointer = await readProductionPointer(
    await resolveProductionDir(loaded.config.registry, project),
  );
  if (pointer !== null) {
    return { ref: PRODUCTION, label: `the production run ${pointer.run_id} of ${project}` };
  }
  const newest = (await listRuns(experiments, { project })).find((run) => run.record !== null);
  if (newest === undefined) {
    throw new ArtifactError(
      `Cannot evaluate: no run is in production and "${experiments}" holds no run of project "${project}"; train one with \`deno task train\`, or pass --run <id>`,
    );
  }
  return { ref: newest.id, label: `the newest run ${newest.id} (production is empty)` };
}
