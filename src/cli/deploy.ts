/**
 * `deno task deploy [--run ID] [--force --reason "..."]`: what a release does on this machine.
 * It promotes a run to the production of the config's project through the gate, exactly as
 * `deno task promote` does (same candidate choice, flags and log), then tells the service
 * running on `serve.host:serve.port` to load it now with `POST /v1/admin/reload`, and checks
 * that the service serves it for that project.
 *
 * - The gate refuses: every reason is printed, production is unchanged, the service is not
 *   contacted, and the task exits 1.
 * - Nothing listens on the service's address: that is said, and the task exits 0 (the service
 *   loads production when it starts).
 * - The service answers but does not serve the promoted run (its load failed): the task exits
 *   1 with the service's reason; production holds the new run, the service keeps the old one.
 *
 * When the service has `serve.tokens`, the reload needs a token of scope `admin`: set
 * `DENO_MLOPS_ADMIN_TOKEN` to it (the environment, never config).
 *
 * @module
 */
import { requestReload, ServiceReloadError } from "../serve/mod.ts";
import { CONFIG_ARG_SPEC, formatUsage, parseTaskArgs } from "./_args.ts";
import { promoteFromArgs } from "./_promotion.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "run", "reason"],
  flags: ["force"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    run:
      "the run to deploy (default: the best run of this project, and of --config's profile, by val)",
    force: "promote even when the gate refuses; needs --reason",
    reason: "why, recorded in models/production/<project>/promotions.jsonl",
  },
};

await runTask("deploy", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "deploy",
      SPEC,
      "Promote a run through the gate (as deno task promote does), then make the service on serve.host:serve.port load it now.",
    ));
    return 0;
  }
  const { loaded, result } = await promoteFromArgs(args, "deployment");
  const verb = result.action === "force" ? "force-promoted" : "promoted";
  console.log(`${verb} ${result.to} (replacing ${result.from ?? "an empty production slot"})`);
  for (const check of result.gate.passed) console.log(`  ok: ${check}`);
  for (const overridden of result.gate.reasons) console.log(`  overridden: ${overridden}`);

  const outcome = await requestReload(loaded.config.serve, {
    project: loaded.config.project.name,
    token: Deno.env.get("DENO_MLOPS_ADMIN_TOKEN") ?? null,
  });
  if (!outcome.listening) {
    console.log(
      `no service listens at ${outcome.url}; it serves ${result.to} when it starts (deno task serve)`,
    );
    return 0;
  }
  if (outcome.runId !== result.to) {
    throw new ServiceReloadError(
      `Cannot deploy ${result.to} to the service at ${outcome.url}: it still serves ${
        outcome.runId ?? "no run"
      } (${
        outcome.error ?? "no load error reported"
      }); production holds ${result.to}, so fix the cause and run deno task deploy again, or roll back with deno task rollback`,
    );
  }
  console.log(
    `service at ${outcome.url} ${outcome.reloaded ? "now serves" : "already served"} ${result.to}`,
  );
  return 0;
});
