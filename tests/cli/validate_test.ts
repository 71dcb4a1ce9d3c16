import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { ValidationConfigSchema } from "../../src/config/schema.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = join(REPO, "src/cli/validate.ts");

const CONFIG = `data:
  path: data/raw/birds.csv
  target: species
validation:
  strict: true
  min_rows: 3
  columns:
    species:
      dtype: string
      nullable: false
      allowed: [owl, crow]
    "wing span (cm)":
      dtype: float
      nullable: false
      min: 10
      max: 200
cleaning:
  na_values:
    species: ["?"]
  nulls:
    species: { strategy: drop }
`;

const GOOD = `species,wing span (cm)\nowl,95.5\ncrow,50\nowl,101\ncrow,48\n`;
const BAD = `species,wing span (cm)\nowl,95.5\n?,50\nowl,250\ncrow,48\n`;

/** A throwaway project: deno.json (marks the root), config/config.yaml and one data file. */
async function makeProject(data: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "validate-cli-" });
  await Deno.writeTextFile(join(root, "deno.json"), "{}\n");
  await Deno.mkdir(join(root, "config"));
  await Deno.writeTextFile(join(root, "config/config.yaml"), CONFIG);
  await Deno.mkdir(join(root, "data/raw"), { recursive: true });
  await Deno.writeTextFile(join(root, "data/raw/birds.csv"), data);
  return root;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the task in `root`, resolving imports through this repository's deno.json. */
async function runValidate(root: string, ...args: string[]): Promise<Run> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", join(REPO, "deno.json"), ENTRY, ...args],
    cwd: root,
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("deno task validate exits 0 and prints the summary when the data passes", async () => {
  const root = await makeProject(GOOD);
  const run = await runValidate(root);
  assert.equal(run.stderr, "");
  assert.equal(run.code, 0);
  assert.equal(
    run.stdout,
    "Validating data/raw/birds.csv\nValidation passed: 4 rows × 2 columns, no rule broken\n",
  );
});

Deno.test("deno task validate exits 1 with the table and the strict error when rules fail", async () => {
  const root = await makeProject(BAD);
  const run = await runValidate(root);
  assert.equal(run.code, 1);
  assert.equal(
    run.stdout,
    [
      "Validating data/raw/birds.csv",
      "Validation failed: 2 rules broken in 4 rows × 2 columns",
      "column          rule     count  examples",
      'species         allowed      1  "?"',
      "wing span (cm)  max          1  250",
      "",
    ].join("\n"),
  );
  assert.equal(
    run.stderr,
    "validate: Cannot accept data: 2 validation rules failed (species allowed: 1 row, " +
      "wing span (cm) max: 1 row); fix the data or validation.columns in the profile\n",
  );

  const lenient = await runValidate(root, "--json", "--set", "validation.strict=false");
  assert.equal(lenient.code, 0, lenient.stderr);
  const report = JSON.parse(lenient.stdout);
  assert.equal(report.ok, false);
  assert.equal(report.strict, false);
  assert.deepEqual(
    report.issues.map((
      i: { column: string; rule: string; rows: number[] },
    ) => [i.column, i.rule, i.rows]),
    [
      ["species", "allowed", [2]],
      ["wing span (cm)", "max", [3]],
    ],
  );
});

Deno.test("deno task validate --after-clean validates the cleaned frame", async () => {
  const root = await makeProject(BAD);
  const run = await runValidate(
    root,
    "--after-clean",
    "--set",
    'validation.columns."wing span (cm)".max=300',
  );
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Cleaning:\n/);
  assert.match(
    run.stdout,
    /Validating data\/raw\/birds\.csv after cleaning\nValidation passed: 3 rows × 2 columns/,
  );
});

Deno.test("deno task validate --infer prints the validation block init proposes, ready to paste", async () => {
  const root = await makeProject(GOOD);
  const run = await runValidate(root, "--infer");
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout,
    /^# Proposed from data\/raw\/birds\.csv \(as deno task init would\); review before use\.\n+validation:\n/,
  );
  assert.ok(
    run.stdout.includes(
      '\n    "wing span (cm)": { dtype: float, nullable: false, min: 42, max: 107 } # no nulls; seen 48–101, widened by 10%\n',
    ),
    run.stdout,
  );
  const schema = ValidationConfigSchema.parse(parse(run.stdout).validation);
  assert.deepEqual(schema.columns["species"], {
    dtype: "string",
    nullable: false,
    allowed: ["crow", "owl"],
    unique: false,
  });
});

Deno.test("deno task validate prints known errors without a stack trace and exits 1, or 2 for usage", async () => {
  const root = await makeProject(GOOD);
  await Deno.remove(join(root, "data/raw/birds.csv"));
  const missing = await runValidate(root);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, "");
  assert.ok(
    missing.stderr.includes(`"${join(await Deno.realPath(root), "data/raw/birds.csv")}"`),
    missing.stderr,
  );
  assert.match(
    missing.stderr,
    /^validate: Cannot load dataset .*does not exist; check the path.*`deno task data:pull`/,
  );
  assert.doesNotMatch(missing.stderr, /\n\s+at /);

  const badKey = await runValidate(root, "--set", "validation.min_rowz=3");
  assert.equal(badKey.code, 1);
  assert.match(
    badKey.stderr,
    /^validate: Cannot load config.*\n.*"min_rowz": did you mean "min_rows"/,
  );

  const usage = await runValidate(root, "--jsn");
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown option "--jsn": did you mean "--json"/);
});
