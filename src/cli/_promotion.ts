/**
 * What `deno task promote` and `deno task deploy` share: reading the promotion flags, loading the
 * config and promoting through the gate.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import type { LoadedConfig } from "../config/mod.ts";
import { promoteRun } from "../models/mod.ts";
import type { PromotionResult } from "../models/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { configOptionsFromArgs } from "./_args.ts";
import type { ParsedArgs } from "./_args.ts";
import { UsageError } from "../errors.ts";

/**
 * Promotes the run named by `--run` (or the best run of the config's project, of the `--config`
 * profile when one is given) through
 * the gate into the production of the config's project (`project.name`), honouring
 * `--force --reason` and `--dry-run`.
 *
 * @param args the parsed task arguments
 * @param noun what the task calls a forced promotion in its usage error ("promotion", "deployment")
 * @returns the loaded config and the promotion's result
 * @throws {UsageError} when `--force` comes without a `--reason`
 * @throws {PromotionRefusedError} when the gate refuses and `--force` is not given
 * @example
 * ```ts
 * const { loaded, result } = await promoteFromArgs(parseTaskArgs(Deno.args, SPEC), "promotion");
 * ```
 */
export async function promoteFromArgs(
  args: ParsedArgs,
  noun: string,
): Promise<{ loaded: LoadedConfig; result: PromotionResult }> {
  const reason = args.options["reason"] ?? null;
  if (args.flags["force"] && (reason === null || reason.trim() === "")) {
    throw new UsageError(
      `Cannot force a ${noun} without a reason: add --reason "why the gate may be skipped"`,
    );
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const result = await promoteRun(loaded.config.registry, loaded.config.project.name, {
    runId: args.options["run"] ?? null,
    // Runs of other projects never compete; --config also limits the choice to its profile.
    match: args.options["config"] === undefined ? null : { profile: args.options["config"] },
    force: args.flags["force"] ?? false,
    reason,
    dryRun: args.flags["dry-run"] ?? false,
    user: Deno.env.get("USER") ?? null,
  });
  return { loaded, result };
}
