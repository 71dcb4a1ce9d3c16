/**
 * `deno task init --data FILE --target COLUMN [--name NAME] [--family mlp|linear|gbdt] [--force]`: proposes a
 * self-contained profile for a data file (separator, quote and header sniffed; dtypes, dates,
 * validation, cleaning, features, split, metric, model and class weights inferred), checks that
 * it loads, validates, cleans and fits its features exactly as training will, and only then
 * writes `config/profiles/<name>.yaml` with a comment on every choice. Exits 1 when the data
 * cannot be profiled (nothing is written), 2 on a usage mistake.
 *
 * @module
 */
import { basename, extname, isAbsolute, relative, resolve } from "node:path";
import { findProjectRoot, loadConfig } from "../config/mod.ts";
import { proposalToYaml, PROPOSED_FAMILIES, proposeProfileForFile } from "../data/mod.ts";
import type { ProposedFamily } from "../data/mod.ts";
import type { ProfileProposal } from "../data/mod.ts";
import { runPipeline, TRAINING_NODES } from "../pipelines/mod.ts";
import { DataValidationError, didYouMean, UsageError } from "../errors.ts";
import { getProjectLogger } from "../utils/mod.ts";
import { formatUsage, parseTaskArgs } from "./_args.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  options: ["data", "target", "name", "family"],
  flags: ["force"],
  descriptions: {
    data: "the data file (CSV, TSV or another delimited text; JSON, Parquet and Arrow too)",
    target: "the column to predict",
    name: "the profile and project name (default: the file name without its extension)",
    family: "the model family to propose: mlp (default), linear or gbdt (boosted trees)",
    force: "overwrite an existing config/profiles/<name>.yaml",
  },
};

const DESCRIPTION = "Propose a self-contained profile for a data file, check that it trains, and " +
  "write config/profiles/<name>.yaml with a comment on every choice.";

const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;

/** The file stem as a profile name: lower case, runs of other characters as one "_". */
function nameFromFile(file: string): string {
  const stem = basename(file, extname(file)).toLowerCase().replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^[_-]+|[_-]+$/g, "");
  return stem.length > 0 ? stem : "dataset";
}

await runTask("init", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage("init", SPEC, DESCRIPTION));
    return 0;
  }
  const data = args.options["data"];
  const target = args.options["target"];
  if (data === undefined || target === undefined) {
    throw new UsageError(
      `Cannot propose a profile: ${
        data === undefined ? "--data FILE" : "--target COLUMN"
      } is missing; call deno task init --data data/raw/my.csv --target label`,
    );
  }
  const name = args.options["name"] ?? nameFromFile(data);
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(
      `Cannot propose a profile named ${
        JSON.stringify(name)
      }: a name is lower-case letters, digits, "_" and "-", starting with a letter or digit; pass --name`,
    );
  }
  const family = args.options["family"] ?? "mlp";
  if (!(PROPOSED_FAMILIES as readonly string[]).includes(family)) {
    throw new UsageError(
      `Cannot propose model family ${JSON.stringify(family)}${
        didYouMean(family, PROPOSED_FAMILIES)
      }; pass --family mlp, linear or gbdt`,
    );
  }
  const started = performance.now();
  const root = findProjectRoot();
  const absolute = resolve(data);
  const fromRoot = relative(root, absolute);
  const dataPath = fromRoot.startsWith("..") || isAbsolute(fromRoot) ? absolute : fromRoot;
  const profilesDir = `${root}/config/profiles`;
  const destination = `${profilesDir}/${name}.yaml`;
  if (!args.flags["force"] && exists(destination)) {
    throw new UsageError(
      `Cannot write profile "config/profiles/${name}.yaml": it exists; pass --force to replace ` +
        `it or --name to write another`,
    );
  }

  const proposal = proposeProfileForFile(absolute, {
    target,
    name,
    dataPath,
    family: family as ProposedFamily,
  });
  const text = proposalToYaml(proposal, {
    header: [
      `Profile "${name}", proposed by \`deno task init\` from ${dataPath} (target ${target}).`,
      "Every choice below carries the reason it was made; edit freely, then",
      `\`deno task validate --config ${name}\` and \`deno task train --config ${name}\`.`,
    ],
  });
  await Deno.mkdir(profilesDir, { recursive: true });
  // Checked under a temporary name in the same folder, then renamed into place: nothing is
  // written under the profile's name unless the profile loads, validates, cleans and fits.
  const scratch = `${profilesDir}/.${name}.${Deno.pid}.checking.yaml`;
  await Deno.writeTextFile(scratch, text);
  try {
    await checkProfile(root, scratch, proposal);
    await Deno.rename(scratch, destination);
  } finally {
    await Deno.remove(scratch).catch(() => {});
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Wrote config/profiles/${name}.yaml in ${seconds} s`);
  printSummary(proposal);
  console.log("\nNext:");
  console.log(`  deno task validate --config ${name}`);
  console.log(`  deno task train --config ${name}`);
  console.log(`  deno task notebooks --param profile=${name}`);
  return 0;
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Loads the config with the proposed profile and runs the training pipeline up to fitted
 * features: the raw data must pass validation, and cleaning, splitting and feature fitting must
 * succeed, exactly as `deno task train` will run them.
 */
async function checkProfile(root: string, profile: string, proposal: ProfileProposal) {
  const fail = (cause: unknown): never => {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new DataValidationError(
      `Cannot write profile "config/profiles/${proposal.name}.yaml": the proposed profile does ` +
        `not train: ${message}; nothing was written`,
      cause instanceof DataValidationError ? cause.issues : [],
      { cause },
    );
  };
  let loaded;
  try {
    loaded = await loadConfig({ root, profile });
  } catch (cause) {
    return fail(cause);
  }
  try {
    const { values } = await runPipeline(
      TRAINING_NODES,
      { config: loaded.config, logger: getProjectLogger("init") },
      { targets: ["validation", "features"], cacheDir: null },
    );
    if (!values.validation.ok) {
      const issues = values.validation.issues;
      throw new DataValidationError(
        `the data breaks ${issues.length} proposed rule(s): ${
          issues.map((i) => `${i.column ?? "table"} ${i.rule}: ${i.message}`).join("; ")
        }`,
        issues,
      );
    }
  } catch (cause) {
    fail(cause);
  }
}

function printSummary(proposal: ProfileProposal): void {
  const profile = proposal.profile as {
    data: { task: string; id_columns: string[] };
    features: { steps: { name: string; columns: string[] }[]; derived?: unknown[] };
    registry: { primary_metric: string };
    training?: { class_weights?: string };
  };
  console.log(
    `  task ${profile.data.task}, primary metric ${profile.registry.primary_metric}` +
      (profile.training?.class_weights === "balanced" ? ", balanced class weights" : ""),
  );
  for (const step of profile.features.steps) {
    console.log(`  features ${step.name}: ${step.columns.join(", ")}`);
  }
  if (profile.data.id_columns.length > 0) {
    console.log(`  id columns: ${profile.data.id_columns.join(", ")}`);
  }
  for (const dropped of proposal.dropped) {
    console.log(`  not a feature: ${dropped.name} (${dropped.reason})`);
  }
  for (const note of proposal.notes) console.log(`  note: ${note}`);
}
