/**
 * `deno task report <run-id>`: rebuilds a run's `report.html` from its folder, with the test
 * split rebuilt from the run's config snapshot (checked against its recorded fingerprint).
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { writeRunReport } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

const SPEC = { ...CONFIG_ARG_SPEC, positional: 1 };

await runTask("report", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(
      formatUsage(
        "report <run-id>",
        SPEC,
        "Rebuild a run's report.html (self-contained HTML with charts) from its run folder.",
      ),
    );
    return 0;
  }
  const id = args.positional[0];
  if (!id) {
    throw new UsageError(
      "Cannot build a report: give a run id, e.g. deno task report 20261127-074512-penguins-1a2b3c4d (list them with deno task runs)",
    );
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const result = await writeRunReport(id, loaded);
  const shown = result.path.startsWith(`${loaded.root}/`)
    ? result.path.slice(loaded.root.length + 1)
    : result.path;
  console.log(`report: ${shown}`);
  if (result.note !== null) {
    console.log(`note: written without the test split: ${result.note}`);
  }
});
