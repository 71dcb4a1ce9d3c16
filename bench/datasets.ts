/**
 * `deno task bench:datasets` (also run by `deno task bench`): the "your own data" path on every
 * dataset of tests/_helpers/own_datasets.ts, against scikit-learn on the same rows.
 *
 * For each dataset, in a fresh temporary project holding this checkout's config/ and the file:
 *   1. `deno task init --data data/raw/FILE --target COLUMN --name NAME` (timed),
 *   2. `deno task train --config NAME` with the profile exactly as init wrote it (timed), then
 *      the same profile and split with each tree family (`--set model.family=gbdt`, …),
 *   3. `deno task split --run ID`, which writes the run's recorded train, val and test rows,
 *   4. bench/peers/datasets_peer.py: LogisticRegression (Ridge for regression), RandomForest and
 *      HistGradientBoosting fitted on the same train rows and scored on the same test rows with
 *      the run's primary metric (Debian's python3-sklearn; skipped with a reason when absent).
 * Writes the `datasets` section of bench/RESULTS.md.
 *
 *   deno task data:pull && deno task bench:datasets [--only NAME,NAME]
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { OWN_DATASETS } from "../tests/_helpers/own_datasets.ts";
import { describeMachine, ROOT, runMeasured, writeResultsSection } from "./_results.ts";

const PYTHON = "/usr/bin/python3";
const PEER = `${ROOT}/bench/peers/datasets_peer.py`;
const CHILD_TIMEOUT_MS = 20 * 60 * 1000;
/** Metrics where lower is better. */
const LOWER_IS_BETTER = new Set(["rmse", "mae", "mse", "log_loss"]);
/** Families also trained on each init profile and its split, with `--set model.family=NAME`. */
const OTHER_FAMILIES = ["gbdt", "random_forest"];

/** One dataset's measured row. */
interface Row {
  name: string;
  file: string;
  target: string;
  task: string;
  metric: string;
  rows: { train: number; test: number };
  initSeconds: number;
  trainSeconds: number;
  family: string;
  project: number;
  /** The same profile and split trained with another family (`--set model.family=NAME`). */
  others: Record<string, number>;
  peers: Record<string, number> | null;
  peerNote: string;
  error?: string;
}

/** Runs a task entry of src/cli/ in `cwd` with this checkout's deno.json. */
async function task(file: string, args: string[], cwd: string) {
  const run = await runMeasured(Deno.execPath(), [
    "run",
    "-A",
    `--config=${ROOT}/deno.json`,
    `${ROOT}/src/cli/${file}`,
    ...args,
  ], { cwd, timeoutMs: CHILD_TIMEOUT_MS, env: { ...Deno.env.toObject(), NO_COLOR: "1" } });
  if (run.code !== 0) {
    throw new Error(`${file} ${args.join(" ")} exited ${run.code}:\n${run.stderr}${run.stdout}`);
  }
  return run;
}

/** A temporary project: this checkout's config files and one data file. */
async function tempProject(file: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "deno-mlops-own-data-" });
  await Deno.writeTextFile(`${root}/deno.json`, "{}\n");
  await Deno.mkdir(`${root}/config`, { recursive: true });
  await Deno.mkdir(`${root}/data/raw`, { recursive: true });
  for (const name of ["config.yaml", "model_config.yaml", "logging_config.yaml"]) {
    await Deno.copyFile(`${ROOT}/config/${name}`, `${root}/config/${name}`);
  }
  await Deno.copyFile(`${ROOT}/data/raw/${file}`, `${root}/data/raw/${file}`);
  return root;
}

async function pythonReady(): Promise<string | null> {
  try {
    const probe = await new Deno.Command(PYTHON, {
      args: ["-c", "import sklearn, pandas"],
      stderr: "null",
      stdout: "null",
    }).output();
    return probe.success ? null : "apt-get install -y python3-pandas python3-sklearn";
  } catch {
    return "python3 is missing: apt-get install -y python3 python3-pandas python3-sklearn";
  }
}

async function measure(dataset: (typeof OWN_DATASETS)[number], missing: string | null) {
  const root = await tempProject(dataset.file);
  try {
    const init = await task("init.ts", [
      "--data",
      `data/raw/${dataset.file}`,
      "--target",
      dataset.target,
      "--name",
      dataset.name,
    ], root);
    const profile = parseYaml(
      await Deno.readTextFile(`${root}/config/profiles/${dataset.name}.yaml`),
    ) as {
      data: { task: string; id_columns?: string[]; dtypes?: Record<string, string> };
      registry: { primary_metric: string };
      model?: { family?: string };
    };
    const train = await task("train.ts", ["--config", dataset.name], root);
    const runId = train.stdout.match(/^run: (\S+)$/m)?.[1];
    if (runId === undefined) throw new Error(`train printed no run id:\n${train.stdout}`);
    await task("split.ts", ["--run", runId, "--config", dataset.name], root);
    const metric = profile.registry.primary_metric;
    const metrics = JSON.parse(
      await Deno.readTextFile(`${root}/models/experiments/${runId}/metrics.json`),
    ) as { model: { test: Record<string, number> } };
    const splitDir = `${root}/data/processed/splits/${runId}`;
    const others: Record<string, number> = {};
    for (const family of OTHER_FAMILIES) {
      const run = await task(
        "train.ts",
        ["--config", dataset.name, "--set", `model.family=${family}`],
        root,
      );
      const id = run.stdout.match(/^run: (\S+)$/m)?.[1];
      const scored = JSON.parse(
        await Deno.readTextFile(`${root}/models/experiments/${id}/metrics.json`),
      ) as { model: { test: Record<string, number> } };
      others[family] = scored.model.test[metric]!;
    }
    const row: Row = {
      name: dataset.name,
      file: dataset.file,
      target: dataset.target,
      task: profile.data.task,
      metric,
      rows: { train: 0, test: 0 },
      initSeconds: init.seconds,
      trainSeconds: train.seconds,
      family: profile.model?.family ?? "mlp",
      project: metrics.model.test[metric]!,
      others,
      peers: null,
      peerNote: missing ?? "",
    };
    if (missing === null) {
      const dates = Object.entries(profile.data.dtypes ?? {})
        .filter(([, dtype]) => dtype === "date" || dtype === "datetime").map(([name]) => name);
      const spec = {
        train: `${splitDir}/train.csv`,
        test: `${splitDir}/test.csv`,
        target: dataset.target,
        task: profile.data.task,
        metric,
        ignore: profile.data.id_columns ?? [],
        dates,
      };
      const peer = await runMeasured(PYTHON, [PEER, JSON.stringify(spec)], {
        timeoutMs: CHILD_TIMEOUT_MS,
        env: { ...Deno.env.toObject(), OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" },
      });
      if (peer.code !== 0) {
        throw new Error(
          `datasets_peer.py exited ${peer.code}: ${peer.stderr.trim().split("\n").at(-1)}`,
        );
      }
      const result = JSON.parse(peer.stdout) as {
        rows: { train: number; test: number };
        models: Record<string, { value: number }>;
      };
      row.rows = result.rows;
      row.peers = Object.fromEntries(
        Object.entries(result.models).map(([name, { value }]) => [name, value]),
      );
    }
    return row;
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

function format(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : String(value);
}

function table(rows: Row[]): string {
  const lines = [
    `| dataset | target | task | metric | train / test rows | init s | train s | deno-mlops | ${
      OTHER_FAMILIES.map((f) => `deno-mlops ${f}`).join(" | ")
    } | sklearn linear | sklearn random forest | sklearn hist. gradient boosting | profile's run behind the best by |`,
    `| --- | --- | --- | --- | --- | ---: | ---: | ---: | ${
      OTHER_FAMILIES.map(() => "---:").join(" | ")
    } | ---: | ---: | ---: | ---: |`,
  ];
  for (const row of rows) {
    if (row.error !== undefined) {
      lines.push(
        `| ${row.name} | ${row.target} | | | | | | failed: ${row.error.split("\n")[0]} | ${
          OTHER_FAMILIES.map(() => "").join(" | ")
        } | | | | |`,
      );
      continue;
    }
    const peers = row.peers === null ? [] : Object.values(row.peers);
    const lower = LOWER_IS_BETTER.has(row.metric);
    const best = peers.length === 0 ? NaN : lower ? Math.min(...peers) : Math.max(...peers);
    const gap = peers.length === 0 ? "" : format(lower ? row.project - best : best - row.project);
    const cells = row.peers === null
      ? [`skipped: ${row.peerNote}`, "", ""]
      : Object.values(row.peers).map(format);
    lines.push(
      `| ${row.name} | ${row.target} | ${row.task} | ${row.metric} | ${row.rows.train} / ${row.rows.test} | ${
        row.initSeconds.toFixed(1)
      } | ${row.trainSeconds.toFixed(1)} | ${format(row.project)} (${row.family}) | ${
        OTHER_FAMILIES.map((f) => format(row.others[f] ?? NaN)).join(" | ")
      } | ${cells.join(" | ")} | ${gap} |`,
    );
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const only = Deno.args.includes("--only")
    ? Deno.args[Deno.args.indexOf("--only") + 1]?.split(",") ?? []
    : null;
  const missingPeer = await pythonReady();
  if (missingPeer !== null) console.log(`scikit-learn peer skipped: ${missingPeer}`);
  const rows: Row[] = [];
  for (const dataset of OWN_DATASETS) {
    if (only !== null && !only.includes(dataset.name)) continue;
    try {
      await Deno.stat(`${ROOT}/data/raw/${dataset.file}`);
    } catch {
      throw new Error(`data/raw/${dataset.file} is missing: run \`deno task data:pull\` first`);
    }
    console.log(`== ${dataset.name}: ${dataset.why}`);
    try {
      const row = await measure(dataset, missingPeer);
      console.log(JSON.stringify(row));
      rows.push(row);
    } catch (error) {
      console.log(`${dataset.name} failed: ${(error as Error).message}`);
      rows.push({
        name: dataset.name,
        file: dataset.file,
        target: dataset.target,
        task: "",
        metric: "",
        rows: { train: 0, test: 0 },
        initSeconds: 0,
        trainSeconds: 0,
        family: "",
        project: NaN,
        others: {},
        peers: null,
        peerNote: "",
        error: (error as Error).message,
      });
    }
  }
  const machine = await describeMachine();
  const why = OWN_DATASETS.filter((d) => only === null || only.includes(d.name))
    .map((d) => `- **${d.name}** (\`${d.file}\`, target \`${d.target}\`): ${d.why}.`).join("\n");
  await writeResultsSection(
    "datasets",
    `## Your own data: init's profile against scikit-learn on the same rows\n\n` +
      `Machine: ${machine}. Each row: \`deno task init\` then \`deno task train\` with the profile as ` +
      `written (no hand edit), test-split score of the run's primary metric; the scikit-learn models ` +
      `are fitted on the run's recorded train rows and scored on its recorded test rows ` +
      `(\`deno task split --run ID\`), with median imputation, one-hot encoding (20 categories at ` +
      `most) and date parts, default hyperparameters (200 trees for the forest). The last column is ` +
      `how far the run is from the best scikit-learn model (positive: behind).\n\n` +
      `${why}\n\n${table(rows)}\n`,
  );
  console.log(table(rows));
}
