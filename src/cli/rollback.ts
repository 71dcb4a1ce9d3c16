/**
 * `deno task rollback [--config NAME] [--reason "..."] [--json]`: returns the production of the
 * config's project (`project.name`) to the run promoted before the current one, and logs it in
 * models/production/<project>/promotions.jsonl. Other projects' production is untouched.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { rollbackProduction } from "../models/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { formatMetric } from "./_tables.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "reason"],
  flags: ["json"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    reason: "why, recorded in models/production/<project>/promotions.jsonl",
    json: "print the result as JSON",
  },
};

await runTask("rollback", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "rollback",
      SPEC,
      "Return the production of the config's project (project.name) to the run promoted before the current one.",
    ));
    return 0;
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const result = await rollbackProduction(loaded.config.registry, loaded.config.project.name, {
    reason: args.options["reason"] ?? null,
    user: Deno.env.get("USER") ?? null,
  });
  if (args.flags["json"]) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const entry = result.entry;
  console.log(`rolled back ${loaded.config.project.name}: ${result.from} -> ${result.to}`);
  if (entry !== null) {
    const values = (v: { val: number | null; test: number | null } | null) =>
      v === null ? "n/a" : `val ${formatMetric(v.val)} test ${formatMetric(v.test)}`;
    console.log(
      `  ${entry.metric}: ${values(entry.metrics.to)} (was ${values(entry.metrics.from)})`,
    );
    console.log(`  reason: ${entry.reason}`);
  }
  console.log(`production: ${result.dir}`);
  return 0;
});
