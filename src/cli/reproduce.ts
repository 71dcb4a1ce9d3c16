/**
 * `deno task reproduce <run-id>`: re-runs a run from its own config snapshot and data, and says
 * whether every metric, loss and weight is identical. Exits 1 on any difference.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { reproduceRun } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { formatUsage, parseTaskArgs } from "./_args.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

const SPEC = { positional: 1 };

await runTask("reproduce", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(
      formatUsage("reproduce <run-id>", SPEC, "Re-run a run and compare it byte for byte."),
    );
    return 0;
  }
  const id = args.positional[0];
  if (!id) {
    throw new UsageError(
      "Cannot reproduce: give a run id, e.g. deno task reproduce 20261127-074512-penguins-1a2b3c4d",
    );
  }
  const loaded = await loadConfig({ env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const result = await reproduceRun(loaded.config.registry.experiments_dir, id, loaded.root);
  if (result.identical) {
    console.log(`checked: ${result.checked.join(", ")}`);
    console.log("reproduced: identical");
    return 0;
  }
  console.log(`reproduced: DIFFERENT (${result.differences.length} difference(s))`);
  for (const line of result.differences) console.log(`  ${line}`);
  return 1;
});
