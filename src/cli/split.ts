/**
 * `deno task split --run <id> [--out DIR] [--force]`: writes a run's train, validation and test
 * rows (the input rows as loaded, from the run's `split.json`) to
 * `data/processed/splits/<run-id>/{train,val,test}.csv` and prints the counts.
 *
 * @module
 */
import { loadConfig } from "../config/mod.ts";
import { exportRunSplit } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { UsageError } from "../errors.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { formatTable } from "./_tables.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "run", "out"],
  flags: ["force"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    run: "the run id (see deno task runs)",
    out:
      "the folder for train.csv, val.csv and test.csv, under data/processed (where the task may write); default data/processed/splits/<run-id>",
    force: "replace files that already exist",
  },
};

await runTask("split", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(
      formatUsage(
        "split --run <id>",
        SPEC,
        "Write a run's train, val and test rows (input rows as loaded) as CSV files.",
      ),
    );
    return 0;
  }
  const id = args.options["run"];
  if (id === undefined) {
    throw new UsageError(
      "Cannot write a split: give a run id with --run, e.g. deno task split --run 20261127-074512-penguins-1a2b3c4d (list them with deno task runs)",
    );
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const written = await exportRunSplit(id, loaded, {
    out: args.options["out"] ?? null,
    force: args.flags["force"] ?? false,
  });
  const shown = (path: string) =>
    path.startsWith(`${loaded.root}/`) ? path.slice(loaded.root.length + 1) : path;
  console.log(
    formatTable(
      ["split", "rows", "file"],
      (["train", "val", "test"] as const).map((
        name,
      ) => [name, String(written.rows[name]), shown(written.files[name])]),
    ),
  );
  const total = written.rows.train + written.rows.val + written.rows.test;
  console.log(
    `\nrun ${written.id}: ${total} of ${written.inputRows} input rows (the rest were dropped by cleaning), ${
      written.copiedLines
        ? "each the input file's own line"
        : "written from the loaded data as comma-separated CSV"
    }`,
  );
});
