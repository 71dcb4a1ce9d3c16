/**
 * `deno task promote [--config NAME] [--run ID] [--force --reason "..."] [--dry-run] [--json]`:
 * promotes a run to the production of the loaded config's project (`project.name`), kept in
 * `<registry.production_dir>/<project>/`, through the gate.
 *
 * Without `--run`, the candidate is the run with the best validation value of
 * `registry.primary_metric` (ties: the newest) among runs of the loaded config's project (and of
 * the `--config` profile when one is given), so `--config cars` picks among cars runs and
 * penguins runs never compete with them. A run of another project is refused, even with
 * `--force`. The gate (see `checkPromotionGate`) compares the test split with the run's baseline
 * and with the project's production; a refusal prints every reason (a tie with production says
 * so) and exits 1 with production unchanged.
 *
 * @module
 */
import type { PromotionResult } from "../models/mod.ts";
import { CONFIG_ARG_SPEC, formatUsage, parseTaskArgs } from "./_args.ts";
import { promoteFromArgs } from "./_promotion.ts";
import { formatMetric } from "./_tables.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "run", "reason"],
  flags: ["force", "dry-run", "json"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    run:
      "the run to promote (default: the best run of this project, and of --config's profile, by val)",
    force: "promote even when the gate refuses; needs --reason",
    reason: "why, recorded in models/production/<project>/promotions.jsonl",
    "dry-run": "check the gate and say what would happen, change nothing",
    json: "print the result as JSON",
  },
};

await runTask("promote", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "promote",
      SPEC,
      "Promote a run to the production of the config's project (project.name) if it passes the gate: it must beat its baseline and beat that project's production on registry.primary_metric (test split, same test data) by more than registry.min_improvement; a tie is refused.",
    ));
    return 0;
  }
  const { result } = await promoteFromArgs(args, "promotion");
  if (args.flags["json"]) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  console.log(describe(result));
  return 0;
});

function describe(result: PromotionResult): string {
  const lines: string[] = [];
  const verb = result.dryRun
    ? `would ${result.action === "force" ? "force-promote" : "promote"}`
    : result.action === "force"
    ? "force-promoted"
    : "promoted";
  lines.push(`${verb} ${result.to} (replacing ${result.from ?? "an empty production slot"})`);
  for (const check of result.gate.passed) lines.push(`  ok: ${check}`);
  for (const reason of result.gate.reasons) lines.push(`  overridden: ${reason}`);
  if (result.entry !== null) {
    const { metric, metrics } = result.entry;
    const values = (v: { val: number | null; test: number | null } | null) =>
      v === null ? "n/a" : `val ${formatMetric(v.val)} test ${formatMetric(v.test)}`;
    lines.push(`  ${metric}: ${values(metrics.to)} (was ${values(metrics.from)})`);
    lines.push(`  reason: ${result.entry.reason}`);
  }
  if (result.dir !== null) lines.push(`production: ${result.dir}`);
  if (result.dryRun) lines.push("dry run: production was not changed");
  return lines.join("\n");
}
