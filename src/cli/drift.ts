/**
 * `deno task drift --run ID --input F [--json] [--out F.json]`: compares a file with a run's
 * training profile without predicting.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { formatDriftSummary } from "../data/mod.ts";
import { checkDrift, openRun, PRODUCTION } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "run", "input", "out"],
  flags: ["json"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    run: `a run id, or "${PRODUCTION}" (default)`,
    input: "the rows to compare with the training data",
    out: "write the full report as JSON to this file",
    json: "print the full report as JSON",
  },
};

await runTask("drift", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(
      formatUsage("drift", SPEC, "Check a file for drift against a run's training data."),
    );
    return 0;
  }
  const input = args.options["input"];
  if (!input) throw new UsageError("Cannot check drift: --input <file> is required");
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const run = await openRun(args.options["run"] ?? PRODUCTION, loaded);
  try {
    // The input is written as the run's training data (separator, quote, encoding, markers).
    const report = await checkDrift(run, input, { data: run.loaded.config.data });
    if (args.options["out"]) {
      await Deno.writeTextFile(args.options["out"], JSON.stringify(report, null, 2) + "\n");
    }
    console.log(args.flags["json"] ? JSON.stringify(report, null, 2) : formatDriftSummary(report));
  } finally {
    run.model.dispose();
  }
});
