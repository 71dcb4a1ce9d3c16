/**
 * `deno task validate [--config F] [--set k=v ...] [--json] [--infer] [--after-clean]`: loads
 * `data.path` with the `data` options and checks it against `validation`, printing a table of
 * every broken rule (or JSON). Exits 1 when strict validation fails, 0 otherwise, 2 on a usage
 * mistake. `--infer` prints a proposed `validation:` block instead; `--after-clean` cleans the
 * data with `cleaning` first, as training does.
 *
 * @module
 */
import { relative } from "node:path";
import { loadConfig } from "../config/mod.ts";
import {
  checkConfigColumns,
  cleanFrame,
  datasetColumns,
  formatCleaningReport,
  formatValidationReport,
  loadDataset,
  LOCAL_SCHEME,
  locationScheme,
  proposalToYaml,
  proposeProfile,
  validate,
} from "../data/mod.ts";
import type { CleaningReport } from "../data/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  flags: ["json", "infer", "after-clean"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    json: "print the report (or the proposed schema) as JSON",
    infer:
      "print the validation block `deno task init` would propose for the data, ready to paste into the profile",
    "after-clean": "clean the data with the cleaning config before validating",
  },
};

const DESCRIPTION = "Check data.path against the validation schema of the profile. " +
  "Exits 1 when strict validation fails.";

await runTask("validate", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage("validate", SPEC, DESCRIPTION));
    return 0;
  }
  const json = args.flags["json"] === true;
  const afterClean = args.flags["after-clean"] === true;

  const { config, root } = await loadConfig({
    ...configOptionsFromArgs(args),
    env: Deno.env.toObject(),
  });
  const path = locationScheme(config.data.path) === LOCAL_SCHEME
    ? relative(root, config.data.path)
    : config.data.path;
  if (args.flags["infer"] !== true) {
    checkConfigColumns(config, datasetColumns(config.data.path, config.data), { source: path });
  }
  let frame = loadDataset(config.data.path, config.data);
  let cleaning: CleaningReport | null = null;
  if (afterClean) {
    const cleaned = cleanFrame(frame, config.cleaning);
    frame = cleaned.frame;
    cleaning = cleaned.report;
  }

  if (args.flags["infer"]) {
    // The same proposal `deno task init` writes, reduced to its validation block.
    const proposal = proposeProfile(frame, {
      target: config.data.target,
      name: config.project.name,
      path,
    });
    const validation = {
      ...(proposal.profile["validation"] as Record<string, unknown>),
      strict: config.validation.strict,
    };
    const block = {
      ...proposal,
      profile: { validation },
      comments: proposal.comments.filter((c) => c.path[0] === "validation"),
    };
    console.log(
      json ? JSON.stringify({ path, afterClean, validation }, null, 2) : proposalToYaml(block, {
        header: [
          `Proposed from ${path}${
            afterClean ? " after cleaning" : ""
          } (as deno task init would); ` +
          "review before use.",
        ],
      }).trimEnd(),
    );
    return 0;
  }

  const target = config.data.target;
  const strict = config.validation.strict;
  const report = validate(frame, config.validation, { target, strict: false });
  if (json) {
    console.log(JSON.stringify({ path, afterClean, strict, ...report }, jsonValue, 2));
  } else {
    if (cleaning !== null) console.log(`Cleaning:\n${formatCleaningReport(cleaning)}\n`);
    console.log(`Validating ${path}${afterClean ? " after cleaning" : ""}`);
    console.log(formatValidationReport(report));
  }
  if (!report.ok && strict) {
    // Throws the DataValidationError, whose message runTask prints before exiting with 1.
    validate(frame, config.validation, { target, strict: true });
  }
  return 0;
});

/** Keeps NaN and infinities visible in JSON (plain JSON would write them as null). */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return Number(value);
  return value;
}
