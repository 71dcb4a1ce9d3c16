/**
 * `deno task bench:trees` (also run by `deno task bench`): the `gbdt` family against
 * scikit-learn's HistGradientBoostingClassifier and XGBoost on flights-3m, on the same rows.
 *
 * Each repetition runs every system in a fresh child process, one after the other:
 *   1. `deno task train --config flights --no-cache --set model.family=gbdt` with 200 rounds,
 *      31 leaves, learning rate 0.1 and early stopping off (the task's own command line and
 *      permissions, from deno.json). The fit time is the run's `train` node (run.json); the
 *      whole task is timed too; peak memory is the train process's.
 *   2. After the first repetition's run: `deno task split --run ID`, which writes the run's
 *      recorded train/val/test rows as CSV for the peers (Debian has no Parquet reader for
 *      pandas). Later runs must record the same split, byte for byte.
 *   3. This file with `--predict-child`: opens the run and scores its test rows (taken from the
 *      Parquet input by the run's split.json, loaded before the clock starts) with `scoreRows`,
 *      the per-batch code of `deno task predict`, in batches of 100,000 rows; and, on its own,
 *      `model.predict` on the transformed matrix.
 *   4. bench/peers/trees_peer.py for scikit-learn, XGBoost with the airports as integer codes,
 *      and XGBoost with `enable_categorical` (Debian's /usr/bin/python3).
 * Medians over the repetitions. Writes the `trees` section of bench/RESULTS.md and
 * bench/out/trees.json.
 *
 *   deno task data:pull && deno task bench:trees [--reps 3] [--rows N] [--set key=value ...]
 *
 * `--rows N` trains on a seeded sample of the input sized so the train split holds about N rows
 * (val and test shrink alike): a quick check, NOT the target workload; it does not write
 * bench/RESULTS.md. `--set` passes extra config overrides to the deno-mlops run (e.g. another
 * airport encoding), after the bench's own.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import { describeMachine, median, ROOT, runMeasured, writeResultsSection } from "./_results.ts";

const PYTHON = "/usr/bin/python3";
const PEER = `${ROOT}/bench/peers/trees_peer.py`;
const WORK = `${ROOT}/data/processed/bench-trees`;
const FLIGHTS = "data/raw/flights-3m.parquet";
const CHILD_TIMEOUT_MS = 60 * 60 * 1000;
/** Rows per `scoreRows` call: `deno task predict`'s default batch. */
const PREDICT_BATCH_ROWS = 100_000;
/** Times the test rows are scored per child; the fastest counts (as bench/_results.ts). */
const PREDICT_REPEATS = 3;
/** Peer threads: the machine's two cores (XGBoost `nthread`, scikit-learn's OpenMP). */
const PEER_THREADS = 2;

/** The model settings every system gets. */
export const TREE_SETTINGS = {
  rounds: 200,
  leaves: 31,
  learningRate: 0.1,
  l2: 1,
  maxBins: 255,
  minSamplesLeaf: 20,
} as const;

/** The config overrides of the deno-mlops run, before the user's `--set`s. */
export const GBDT_OVERRIDES = [
  "model.family=gbdt",
  `model.params.rounds=${TREE_SETTINGS.rounds}`,
  `model.params.max_leaves=${TREE_SETTINGS.leaves}`,
  `model.params.learning_rate=${TREE_SETTINGS.learningRate}`,
  `model.params.l2=${TREE_SETTINGS.l2}`,
  `model.params.max_bins=${TREE_SETTINGS.maxBins}`,
  `model.params.min_samples_leaf=${TREE_SETTINGS.minSamplesLeaf}`,
  "model.params.early_stopping_rounds=0",
  `training.threads=${PEER_THREADS}`,
];

/** The systems, in table order; `peer` is trees_peer.py's `--model`. */
export const SYSTEMS = [
  { key: "gbdt", label: "deno-mlops gbdt", peer: null },
  { key: "sklearn", label: "scikit-learn HistGradientBoosting", peer: "sklearn" },
  { key: "xgboost", label: "XGBoost hist, airports as integer codes", peer: "xgboost" },
  {
    key: "xgboost-categorical",
    label: "XGBoost hist, enable_categorical",
    peer: "xgboost-categorical",
  },
] as const;

/** A system key. */
export type SystemKey = (typeof SYSTEMS)[number]["key"];

/** One repetition of one system. */
export interface Measurement {
  auc: number;
  /** The model fit alone (our `train` node; the peers' `fit` call). */
  fitSeconds: number;
  /** Test rows per second through the prediction path (ours: `scoreRows`; peers: predict_proba). */
  predictRowsPerSecond: number;
  /** Peak RSS of the training process (the peers: the whole peer process), MiB. */
  peakMiB: number;
  /** Ours: the whole `deno task train` process, seconds. */
  taskSeconds?: number;
  /** Ours: `model.predict` alone on the transformed test matrix, rows per second. */
  modelRowsPerSecond?: number;
  /** Ours: peak RSS of the prediction child, MiB. */
  predictPeakMiB?: number;
}

/** What `formatTreesSection` writes. */
export interface TreesReport {
  machine: string;
  reps: number;
  /** Set for a `--rows` quick check: the train rows asked for. */
  sampleRows: number | null;
  rows: { train: number; val: number; test: number; input: number };
  /** The deno-mlops run's feature steps, as its config recorded them. */
  ourFeatures: string;
  /** The user's `--set`s for the deno-mlops run, after the bench's own. */
  overrides: string[];
  /** The number of model inputs of the deno-mlops run. */
  ourInputs: number;
  /** trees_peer.py's airport note of the first repetition, per column. */
  airports: Record<string, AirportNote> | null;
  versions: Record<string, string>;
  /** Per system, one entry per repetition; a skipped system has a reason instead. */
  results: Partial<Record<SystemKey, Measurement[]>>;
  skipped: Partial<Record<SystemKey, string>>;
  wallSeconds: number;
  /** /proc/loadavg's 1-minute load at the start and the end (other work on the machine). */
  load: { start: number; end: number };
  /** The first repetition's run reproduced, promoted and served. */
  lifecycle?: Lifecycle;
}

/** trees_peer.py's count of the airports it kept and folded into "other". */
export interface AirportNote {
  train_airports: number;
  kept: number;
  other_airports: number;
  train_rows_other: number;
  test_rows_other: number;
}

interface PeerResult {
  rows: { train: number; test: number };
  auc: number;
  fit_seconds: number;
  predict_rows_per_second: number;
  rounds: number;
  airports: Record<string, AirportNote>;
  versions: Record<string, string>;
  peak_rss_mib: number;
}

interface PredictChildResult {
  rows: number;
  /** The model's input columns. */
  inputs: number;
  auc: number;
  rowsPerSecond: number;
  modelRowsPerSecond: number;
}

/** Parsed command line of the bench. */
export interface TreesOptions {
  reps: number;
  rows: number | null;
  sets: string[];
}

/**
 * Reads `--reps N`, `--rows N` and repeated `--set key=value`.
 *
 * @param args the command line
 * @returns the options
 * @throws {RangeError} on an unknown argument or a value that is not a positive integer
 * @example
 * ```ts
 * parseTreesArgs(["--reps", "1"]); // { reps: 1, rows: null, sets: [] }
 * ```
 */
export function parseTreesArgs(args: readonly string[]): TreesOptions {
  const options: TreesOptions = { reps: 3, rows: null, sets: [] };
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!;
    const value = args[i + 1];
    if (name !== "--reps" && name !== "--rows" && name !== "--set") {
      throw new RangeError(
        `Cannot read the arguments: unknown argument "${name}" (expected --reps N, --rows N or --set key=value)`,
      );
    }
    if (value === undefined) {
      throw new RangeError(`Cannot read the arguments: ${name} needs a value`);
    }
    i++;
    if (name === "--set") {
      options.sets.push(value);
      continue;
    }
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) {
      throw new RangeError(
        `Cannot read the arguments: ${name} expects a positive integer, found "${value}"`,
      );
    }
    if (name === "--reps") options.reps = number;
    else options.rows = number;
  }
  return options;
}

/** The train task's command line (deno.json's `tasks.train`), without `deno`. */
async function trainTaskArgs(): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  return String(denoJson.tasks.train.command).split(/\s+/).slice(1);
}

async function splitTaskArgs(): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  return String(denoJson.tasks.split.command).split(/\s+/).slice(1);
}

function fail(what: string, run: { code: number; stderr: string; stdout: string }): never {
  const tail = `${run.stderr}\n${run.stdout}`.trim().split("\n").slice(-15).join("\n");
  throw new Error(`${what} exited ${run.code}:\n${tail}`);
}

interface OurRun {
  id: string;
  dir: string;
  measurement: Measurement;
  rows: { train: number; val: number; test: number; input: number };
  splitText: string;
  features: string;
}

async function trainOurs(configArgs: string[]): Promise<OurRun> {
  const run = await runMeasured(Deno.execPath(), [
    ...await trainTaskArgs(),
    ...configArgs,
  ], { timeoutMs: CHILD_TIMEOUT_MS, env: { ...Deno.env.toObject(), NO_COLOR: "1" } });
  if (run.code !== 0) fail("deno task train", run);
  const id = run.stdout.match(/^run: (\S+)$/m)?.[1];
  if (id === undefined) throw new Error(`deno task train printed no run id:\n${run.stdout}`);
  const dir = `${ROOT}/models/experiments/${id}`;
  const record = JSON.parse(await Deno.readTextFile(`${dir}/run.json`)) as {
    stages: Record<string, number>;
    rows: { raw: number; train: number; val: number; test: number };
    primary: { metric: string; test: number };
  };
  if (record.primary.metric !== "roc_auc") {
    throw new Error(`run ${id} is scored by ${record.primary.metric}, expected roc_auc`);
  }
  const config = await Deno.readTextFile(`${dir}/config.yaml`);
  return {
    id,
    dir,
    measurement: {
      auc: record.primary.test,
      fitSeconds: record.stages["train"] ?? NaN,
      taskSeconds: run.seconds,
      peakMiB: run.peakRssMiB,
      predictRowsPerSecond: NaN,
    },
    rows: {
      train: record.rows.train,
      val: record.rows.val,
      test: record.rows.test,
      input: record.rows.raw,
    },
    splitText: await Deno.readTextFile(`${dir}/split.json`),
    features: featureSteps(config),
  };
}

/** The run's `features.steps`, one short phrase per step. */
export function featureSteps(configYaml: string): string {
  const config = parseYaml(configYaml) as {
    features?: {
      steps?: Array<{
        name?: string;
        columns?: string[];
        transformers?: Array<{ kind?: string; params?: Record<string, unknown> }>;
      }>;
    };
  };
  const steps = config.features?.steps ?? [];
  if (steps.length === 0) return "no feature steps";
  return steps.map((step) => {
    const transformers = (step.transformers ?? []).map((t) => {
      const params = Object.entries(t.params ?? {});
      return params.length === 0
        ? String(t.kind)
        : `${t.kind}(${params.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ")})`;
    });
    return `${step.name} [${(step.columns ?? []).join(", ")}] → ${transformers.join(" → ")}`;
  }).join("; ");
}

/** A deno.json task's command line, without `deno`. */
async function taskArgs(name: string): Promise<string[]> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  return String(denoJson.tasks[name].command).split(/\s+/).slice(1);
}

/** Where the lifecycle check promotes to (under models/: the promote task may write there only). */
const LIFECYCLE_PRODUCTION = "models/bench-trees-production";
/** Single-row requests the lifecycle check times, one after another. */
const LIFECYCLE_REQUESTS = 2000;
/** Requests sent first and not timed: the service's code is compiled by then. */
const LIFECYCLE_WARMUP = 200;

/** What the issue's "done when" asks of a flights gbdt run, as measured. */
export interface Lifecycle {
  /** The run checked. */
  run: string;
  /** `deno task reproduce`'s verdict line, e.g. `reproduced: identical`. */
  reproduced: string;
  /** Whether `deno task promote` accepted the run through the gate. */
  promoted: boolean;
  /** Single-row requests sent to `deno task serve`, one at a time. */
  requests: number;
  /** Requests that did not answer 200 with one prediction. */
  errors: number;
  /** Latency percentiles in milliseconds, measured by the client. */
  p50: number;
  p99: number;
}

/**
 * Reproduces the run, promotes it (to a production folder of the bench's own) and serves it,
 * timing single-row requests built from the test split's raw rows.
 */
async function lifecycle(id: string, rows: Record<string, unknown>[]): Promise<Lifecycle> {
  const env = { ...Deno.env.toObject(), NO_COLOR: "1" };
  const reproduce = await runMeasured(Deno.execPath(), [
    ...await taskArgs("reproduce"),
    id,
  ], { timeoutMs: CHILD_TIMEOUT_MS, env });
  const reproduced = reproduce.stdout.match(/^reproduced: .*$/m)?.[0] ?? `exit ${reproduce.code}`;
  const production = ["--set", `registry.production_dir=${LIFECYCLE_PRODUCTION}`];
  const promote = await runMeasured(Deno.execPath(), [
    ...await taskArgs("promote"),
    "--config",
    "flights",
    "--run",
    id,
    ...production,
  ], { timeoutMs: CHILD_TIMEOUT_MS, env });
  const result: Lifecycle = {
    run: id,
    reproduced,
    promoted: promote.code === 0,
    requests: 0,
    errors: 0,
    p50: NaN,
    p99: NaN,
  };
  if (!result.promoted) return result;
  const server = new Deno.Command(Deno.execPath(), {
    args: [
      ...await taskArgs("serve"),
      "--config",
      "flights",
      "--port",
      "0",
      "--no-access-log",
      ...production,
    ],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    const deadline = Date.now() + 120_000;
    while (!/listening on (\S+)/.test(text)) {
      if (Date.now() > deadline) throw new Error("deno task serve did not listen within 120 s");
      const { value, done } = await reader.read();
      if (done) throw new Error(`deno task serve exited before listening: ${text}`);
      text += value;
    }
    (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })();
    const url = text.match(/listening on (\S+)/)![1]!;
    const latencies: number[] = [];
    for (let i = -LIFECYCLE_WARMUP; i < LIFECYCLE_REQUESTS; i++) {
      const body = JSON.stringify({ rows: [rows[(i + LIFECYCLE_WARMUP) % rows.length]] });
      const t0 = performance.now();
      const response = await fetch(`${url}/v1/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const answer = await response.json();
      const ok = response.status === 200 && answer.predictions?.length === 1;
      if (!ok) result.errors++;
      if (i >= 0) latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    result.requests = latencies.length;
    result.p50 = latencies[Math.floor(0.5 * (latencies.length - 1))]!;
    result.p99 = latencies[Math.floor(0.99 * (latencies.length - 1))]!;
    return result;
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await Deno.remove(`${ROOT}/${LIFECYCLE_PRODUCTION}`, { recursive: true }).catch(() => {});
  }
}

/** Raw test rows (the inputs a client sends) of the exported split, as JSON objects. */
async function requestRows(split: string, count: number): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(`${split}/test.csv`);
  const lines = text.split("\n").filter((line) => line.length > 0);
  const header = lines[0]!.split(",");
  return lines.slice(1, count + 1).map((line) => {
    const values = line.split(",");
    return Object.fromEntries(
      header.flatMap((name, i) => {
        if (name === "delay") return []; // the answer, not an input
        const value = values[i]!;
        return [[name, /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value]];
      }),
    );
  });
}

async function predictOurs(id: string, configArgs: string[]) {
  const run = await runMeasured(Deno.execPath(), [
    "run",
    "-A",
    "--v8-flags=--expose-gc",
    `${ROOT}/bench/trees.ts`,
    "--predict-child",
    JSON.stringify({ id, configArgs }),
  ], { timeoutMs: CHILD_TIMEOUT_MS });
  if (run.code !== 0) fail("the prediction child", run);
  const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as PredictChildResult;
  return { ...result, peakMiB: run.peakRssMiB };
}

async function exportSplit(id: string, configArgs: string[]): Promise<string> {
  const out = `${WORK}/split`;
  const run = await runMeasured(Deno.execPath(), [
    ...await splitTaskArgs(),
    "--run",
    id,
    ...configArgs.filter((arg, i) => arg === "--config" || configArgs[i - 1] === "--config"),
    "--out",
    out.slice(ROOT.length + 1),
    "--force",
  ], { timeoutMs: CHILD_TIMEOUT_MS, env: { ...Deno.env.toObject(), NO_COLOR: "1" } });
  if (run.code !== 0) fail("deno task split", run);
  return out;
}

async function runPeer(model: string, split: string): Promise<PeerResult> {
  const run = await runMeasured(PYTHON, [
    PEER,
    "--model",
    model,
    "--train",
    `${split}/train.csv`,
    "--test",
    `${split}/test.csv`,
    "--rounds",
    String(TREE_SETTINGS.rounds),
    "--leaves",
    String(TREE_SETTINGS.leaves),
    "--learning-rate",
    String(TREE_SETTINGS.learningRate),
    "--l2",
    String(TREE_SETTINGS.l2),
    "--max-bins",
    String(TREE_SETTINGS.maxBins),
    "--min-samples-leaf",
    String(TREE_SETTINGS.minSamplesLeaf),
    "--threads",
    String(PEER_THREADS),
    "--repeats",
    String(PREDICT_REPEATS),
  ], {
    timeoutMs: CHILD_TIMEOUT_MS,
    env: {
      ...Deno.env.toObject(),
      OMP_NUM_THREADS: String(PEER_THREADS),
      // As bench/run.ts's tuned peers: spinning OpenMP threads collapse when the other core is busy.
      OMP_WAIT_POLICY: "PASSIVE",
    },
  });
  if (run.code !== 0) fail(`trees_peer.py --model ${model}`, run);
  const result = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as PeerResult;
  // The sampled VmHWM and the peer's own reading at exit agree; keep the larger.
  result.peak_rss_mib = Math.max(result.peak_rss_mib, run.peakRssMiB);
  return result;
}

/** Which Python peers can run: null when ready, else the reason. */
async function peerReadiness(): Promise<{ sklearn: string | null; xgboost: string | null }> {
  const probe = async (modules: string) => {
    try {
      const out = await new Deno.Command(PYTHON, {
        args: ["-c", `import ${modules}`],
        stdout: "null",
        stderr: "null",
      }).output();
      return out.success;
    } catch {
      return false;
    }
  };
  const sklearn = await probe("numpy, pandas, sklearn")
    ? null
    : "apt-get install -y python3-pandas python3-sklearn";
  const xgboost = sklearn !== null
    ? sklearn
    : await probe("xgboost")
    ? null
    : "apt-get install -y python3-xgboost";
  return { sklearn, xgboost };
}

async function loadAverage(): Promise<number> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return Number(text.split(" ")[0] ?? NaN);
}

/** A seeded sample of the input whose time split gives about `trainRows` train rows. */
async function sampleInput(trainRows: number, trainShare: number): Promise<string> {
  const { default: pl } = await import("nodejs-polars");
  const all = pl.readParquet(`${ROOT}/${FLIGHTS}`);
  const n = Math.min(all.height, Math.ceil(trainRows / trainShare));
  const relative = `data/processed/bench-trees/flights-sample-${n}.parquet`;
  await Deno.mkdir(WORK, { recursive: true });
  all.sample({ n, withReplacement: false, seed: 42 }).writeParquet(`${ROOT}/${relative}`);
  return relative;
}

function range(values: number[], digits: number): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length < 2) return "";
  const [low, high] = [Math.min(...finite).toFixed(digits), Math.max(...finite).toFixed(digits)];
  // The same value every time (the seeded AUCs) needs no range.
  return low === high ? "" : ` (${low}–${high})`;
}

function thousands(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "n/a";
}

function ratio(value: number, reference: number): string {
  return Number.isFinite(value) && Number.isFinite(reference) && reference !== 0
    ? `${(value / reference).toFixed(2)}×`
    : "n/a";
}

function mark(pass: boolean | null): string {
  return pass === null ? "n/a" : pass ? "**pass**" : "**miss**";
}

/** Medians of one system's repetitions. */
function medians(list: Measurement[]): Required<Measurement> {
  const of = (pick: (m: Measurement) => number | undefined) =>
    median(list.map((m) => pick(m) ?? NaN));
  return {
    auc: of((m) => m.auc),
    fitSeconds: of((m) => m.fitSeconds),
    predictRowsPerSecond: of((m) => m.predictRowsPerSecond),
    peakMiB: of((m) => m.peakMiB),
    taskSeconds: of((m) => m.taskSeconds),
    modelRowsPerSecond: of((m) => m.modelRowsPerSecond),
    predictPeakMiB: of((m) => m.predictPeakMiB),
  };
}

/**
 * The `trees` section of bench/RESULTS.md: the workload, the medians of every system with ratios
 * against scikit-learn, and each target of issue #16 with pass or miss.
 *
 * @param report what the bench measured
 * @returns the section's markdown
 * @example
 * ```ts
 * await writeResultsSection("trees", formatTreesSection(report));
 * ```
 */
export function formatTreesSection(report: TreesReport): string {
  const m = Object.fromEntries(
    SYSTEMS.filter((s) => (report.results[s.key]?.length ?? 0) > 0)
      .map((s) => [s.key, medians(report.results[s.key]!)]),
  ) as Partial<Record<SystemKey, Required<Measurement>>>;
  const sk = m.sklearn;
  const lines: string[] = [];
  const quick = report.sampleRows !== null;
  lines.push(
    `## Gradient-boosted trees on flights-3m against scikit-learn and XGBoost (\`bench/trees.ts\`)`,
    "",
  );
  if (quick) {
    lines.push(
      `**QUICK CHECK, NOT THE TARGET WORKLOAD: \`--rows ${report.sampleRows}\` trained on a sample of the input, not on flights-3m's full train split.**`,
      "",
    );
  }
  lines.push(
    `Machine: ${report.machine}. n = ${report.reps} repetition(s), each system a fresh process per repetition; ` +
      `median${report.reps > 1 ? " (range)" : ""}. Whole bench: ${
        (report.wallSeconds / 60).toFixed(1)
      } min; 1-minute load average ${report.load.start.toFixed(1)} at the start, ${
        report.load.end.toFixed(1)
      } at the end (the machine is shared: a load above its core count slows every system).`,
    "",
    "| system | test ROC AUC | Δ AUC vs sklearn | train s (fit) | × sklearn | predict rows/s | × sklearn | peak MiB | × sklearn |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const system of SYSTEMS) {
    const list = report.results[system.key];
    const s = m[system.key];
    if (list === undefined || s === undefined) {
      const why = report.skipped[system.key];
      if (why !== undefined) lines.push(`| ${system.label} | skipped: ${why} | | | | | | | |`);
      continue;
    }
    const auc = list.map((x) => x.auc);
    const fit = list.map((x) => x.fitSeconds);
    const rps = list.map((x) => x.predictRowsPerSecond);
    const peak = list.map((x) => x.peakMiB);
    const delta = sk === undefined ? "n/a" : (s.auc - sk.auc >= 0 ? "+" : "−") +
      Math.abs(s.auc - sk.auc).toFixed(4);
    lines.push(
      `| ${system.label} | ${s.auc.toFixed(4)}${range(auc, 4)} | ${delta} | ${
        s.fitSeconds.toFixed(1)
      }${range(fit, 1)} | ${ratio(s.fitSeconds, sk?.fitSeconds ?? NaN)} | ${
        thousands(s.predictRowsPerSecond)
      }${
        rps.length > 1 ? ` (${thousands(Math.min(...rps))}–${thousands(Math.max(...rps))})` : ""
      } | ${ratio(s.predictRowsPerSecond, sk?.predictRowsPerSecond ?? NaN)} | ${
        s.peakMiB.toFixed(0)
      }${range(peak, 0)} | ${ratio(s.peakMiB, sk?.peakMiB ?? NaN)} |`,
    );
  }
  const ours = m.gbdt;
  const xgbFits = [m.xgboost?.fitSeconds, m["xgboost-categorical"]?.fitSeconds]
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  const fastestXgb = xgbFits.length > 0 ? Math.min(...xgbFits) : NaN;
  const both = ours !== undefined && sk !== undefined;
  lines.push(
    "",
    "| target (issue #16) | deno-mlops gbdt | scikit-learn | result |",
    "| --- | ---: | ---: | --- |",
    `| test ROC AUC within 0.005 of scikit-learn's | ${ours?.auc.toFixed(4) ?? "n/a"} | ${
      sk?.auc.toFixed(4) ?? "n/a"
    } | ${mark(both ? Math.abs(ours.auc - sk.auc) <= 0.005 : null)} |`,
    `| training time at most scikit-learn's | ${ours?.fitSeconds.toFixed(1) ?? "n/a"} s | ${
      sk?.fitSeconds.toFixed(1) ?? "n/a"
    } s | ${mark(both ? ours.fitSeconds <= sk.fitSeconds : null)} |`,
    `| (aim) training time at most XGBoost's | ${
      ours?.fitSeconds.toFixed(1) ?? "n/a"
    } s | XGBoost ${Number.isFinite(fastestXgb) ? fastestXgb.toFixed(1) : "n/a"} s | ${
      mark(ours !== undefined && Number.isFinite(fastestXgb) ? ours.fitSeconds <= fastestXgb : null)
    } |`,
    `| prediction rows/s at least scikit-learn's | ${
      thousands(ours?.predictRowsPerSecond ?? NaN)
    } | ${thousands(sk?.predictRowsPerSecond ?? NaN)} | ${
      mark(both ? ours.predictRowsPerSecond >= sk.predictRowsPerSecond : null)
    } |`,
    `| peak memory at most 1.5× scikit-learn's process | ${
      ours?.peakMiB.toFixed(0) ?? "n/a"
    } MiB | ${sk?.peakMiB.toFixed(0) ?? "n/a"} MiB (limit ${
      sk === undefined ? "n/a" : (1.5 * sk.peakMiB).toFixed(0)
    }) | ${mark(both ? ours.peakMiB <= 1.5 * sk.peakMiB : null)} |`,
  );
  const life = report.lifecycle;
  if (life !== undefined) {
    lines.push(
      "",
      `The first repetition's run (\`deno task train --config flights --set model.family=gbdt\` with the settings below), taken through the rest of its life:`,
      "",
      "| step | measured | result |",
      "| --- | --- | --- |",
      `| \`deno task reproduce\` | ${life.reproduced} | ${
        mark(life.reproduced === "reproduced: identical")
      } |`,
      `| \`deno task promote\` (gate: beats its baseline) | ${
        life.promoted ? "accepted" : "refused"
      } | ${mark(life.promoted)} |`,
      `| \`deno task serve\`, ${life.requests} single-row requests one at a time, timed after ${LIFECYCLE_WARMUP} untimed ones | p50 ${
        life.p50.toFixed(2)
      } ms, p99 ${life.p99.toFixed(2)} ms, ${life.errors} errors | ${
        mark(life.requests > 0 && life.errors === 0 && life.p99 < 10)
      } (p99 under 10 ms) |`,
    );
  }
  const r = report.rows;
  const airports = report.airports === null ? "" : Object.entries(report.airports).map((
    [column, a],
  ) =>
    `${column}: ${a.train_airports} airports in the train rows, ${a.kept} kept${
      a.other_airports > 0
        ? `, ${a.other_airports} rare ones folded into "other" (${a.train_rows_other} train rows)`
        : ", none folded"
    }, ${a.test_rows_other} test rows "other" (airports unseen in training, or rare)`
  ).join("; ");
  lines.push(
    "",
    "How it was measured:",
    "",
    `- **Rows.** ${
      quick
        ? `A seeded sample of ${r.input.toLocaleString("en-US")} input rows (\`--rows\`)`
        : `All ${r.input.toLocaleString("en-US")} rows of \`${FLIGHTS}\``
    }, split by the flights profile's time split (oldest 70% train, next 15% val, newest 15% test): ${
      r.train.toLocaleString("en-US")
    } train, ${
      r.val.toLocaleString("en-US")
    } val (no system stops early on them; deno-mlops still logs their loss each round, inside its train time), ${
      r.test.toLocaleString("en-US")
    } test rows. The peers read exactly the run's train and test rows (\`deno task split --run ID\`, as CSV); every repetition's run recorded the same split.json.`,
    `- **Target and features.** delayed = delay > 15 minutes. Features: distance, hour, weekday, origin, destination. ` +
      `deno-mlops: the run's feature steps (${report.ourInputs} model inputs): ${report.ourFeatures}${
        report.overrides.length === 0
          ? ", the flights profile's"
          : `, with \`${report.overrides.map((o) => `--set ${o}`).join(" ")}\``
      }. ` +
      `scikit-learn: the airports as \`categorical_features\`. Its HistGradientBoosting takes at most max_bins = 255 categories per feature, so each airport column keeps its 254 most frequent train airports and maps every other airport (and any airport unseen in training) to one "other" code, for the peers alike${
        airports === "" ? "" : ` (${airports})`
      }. ` +
      `XGBoost twice: the same codes as plain integers (ordered numbers), and with \`enable_categorical=True\` on pandas category columns (partition splits; supported by Debian's XGBoost ${
        report.versions["xgboost"] ?? "(not installed)"
      }).`,
    `- **Settings.** ${TREE_SETTINGS.rounds} rounds, ${TREE_SETTINGS.leaves} leaves (grown best-first; XGBoost \`grow_policy="lossguide"\`, \`max_depth=0\`), learning rate ${TREE_SETTINGS.learningRate}, L2 ${TREE_SETTINGS.l2} on leaf values, ${TREE_SETTINGS.maxBins} bins, ` +
      `${TREE_SETTINGS.minSamplesLeaf} rows per leaf at least (XGBoost has no row minimum: \`min_child_weight\` 1, its default). ` +
      `**No early stopping for any system**: every model grows exactly ${TREE_SETTINGS.rounds} rounds on the train rows. ` +
      `Threads, fitting and predicting: XGBoost \`n_jobs=${PEER_THREADS}\`, scikit-learn ${PEER_THREADS} OpenMP threads (both with \`OMP_WAIT_POLICY=PASSIVE\`); deno-mlops gbdt \`training.threads=${PEER_THREADS}\` (large nodes' histograms and partitions shared by Web Workers).`,
    `- **train s (fit).** deno-mlops: the run's \`train\` node (run.json \`stages.train\`: binning, the ${TREE_SETTINGS.rounds} rounds and the per-round validation loss it logs), median ${
      ours?.taskSeconds === undefined ? "n/a" : ours.taskSeconds.toFixed(1)
    } s for the whole \`deno task train --no-cache\` process (load, validate, split, features, train, evaluate, record). Peers: the \`fit\` call on prepared arrays.`,
    `- **predict rows/s.** Test rows per second, fastest of ${PREDICT_REPEATS}, data already in memory. deno-mlops: \`scoreRows\` (the per-batch code of \`deno task predict\`: parse, check, clean, features, model, output frame) in batches of ${
      PREDICT_BATCH_ROWS.toLocaleString("en-US")
    } rows on the saved run; \`model.predict\` alone on the transformed matrix: ${
      thousands(ours?.modelRowsPerSecond ?? NaN)
    } rows/s. Peers: \`predict_proba\` on the prepared test matrix.`,
    `- **peak MiB.** Peak RSS (VmHWM, sampled every 25 ms, and the peer's own reading at exit). deno-mlops: the \`deno task train\` process; its prediction child peaked at ${
      ours?.predictPeakMiB === undefined ? "n/a" : ours.predictPeakMiB.toFixed(0)
    } MiB. Peers: the whole process (reading the CSV files in chunks, fitting, predicting).`,
    `- **Versions.** ${
      Object.entries(report.versions).map(([name, version]) => `${name} ${version}`).join(", ")
    }.`,
  );
  return lines.join("\n");
}

/** `--predict-child`: scores the run's test rows and prints one JSON line. */
async function predictChild(spec: { id: string; configArgs: string[] }): Promise<void> {
  const { default: pl } = await import("nodejs-polars");
  const { loadConfig } = await import("../src/config/mod.ts");
  const { decodeRowRanges, loadDataset } = await import("../src/data/mod.ts");
  const { addDerivedFeatures } = await import("../src/features/mod.ts");
  const { RUN_ARTIFACTS } = await import("../src/models/mod.ts");
  const { featureMatrixForRun, openRun, scoreRows } = await import("../src/pipelines/mod.ts");
  const { rocAuc } = await import("../src/utils/mod.ts");
  const profile = spec.configArgs[spec.configArgs.indexOf("--config") + 1] ?? null;
  const loaded = await loadConfig({ root: ROOT, profile });
  const run = await openRun(spec.id, loaded);
  const { data } = run.loaded.config;
  const split = await RUN_ARTIFACTS.split.read(run.dir);
  const raw = loadDataset(data.path, data);
  const test = raw.select(pl.all().gather(Array.from(decodeRowRanges(split.test))));
  const classes = [...run.model.classes];
  let predictions: Array<ReturnType<typeof scoreRows>["predictions"]> = [];
  let seconds = Infinity;
  for (let r = 0; r < PREDICT_REPEATS; r++) {
    predictions = [];
    const started = performance.now();
    for (let offset = 0; offset < test.height; offset += PREDICT_BATCH_ROWS) {
      predictions.push(scoreRows(run, test.slice(offset, PREDICT_BATCH_ROWS)).predictions);
    }
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  const scored = pl.concat(predictions.filter((p) => p !== null));
  if (scored.height !== test.height) {
    throw new Error(`scored ${scored.height} of ${test.height} test rows`);
  }
  // The AUC of what scoreRows returned, as a check that it scores what the run evaluated.
  const derive = data.derive_target;
  if (derive === null) throw new Error("the flights profile derives its target from delay");
  const source = test.getColumn(derive.source).toArray() as number[];
  const labels = source.map((v) =>
    classes.indexOf(v > derive.greater_than ? derive.labels[1] : derive.labels[0])
  );
  const proba = new Float64Array(scored.height * classes.length);
  classes.forEach((c, j) => {
    const column = scored.getColumn(`proba_${c}`).toArray() as number[];
    for (let i = 0; i < column.length; i++) proba[i * classes.length + j] = column[i]!;
  });
  const auc = rocAuc(labels, proba, classes.length);
  const x = featureMatrixForRun(run, addDerivedFeatures(test, run.loaded.config.features.derived));
  let modelSeconds = Infinity;
  for (let r = 0; r < PREDICT_REPEATS; r++) {
    const started = performance.now();
    run.model.predict(x);
    modelSeconds = Math.min(modelSeconds, (performance.now() - started) / 1000);
  }
  const result: PredictChildResult = {
    rows: test.height,
    inputs: run.names.length,
    auc,
    rowsPerSecond: test.height / seconds,
    modelRowsPerSecond: test.height / modelSeconds,
  };
  console.log(JSON.stringify(result));
}

async function main(options: TreesOptions): Promise<void> {
  const started = performance.now();
  try {
    await Deno.stat(`${ROOT}/${FLIGHTS}`);
  } catch {
    throw new Error(`${FLIGHTS} is missing: run \`deno task data:pull\` first`);
  }
  const ready = await peerReadiness();
  const configArgs = ["--config", "flights", "--no-cache"];
  for (const set of GBDT_OVERRIDES) configArgs.push("--set", set);
  let sample: string | null = null;
  if (options.rows !== null) {
    sample = await sampleInput(options.rows, 0.7);
    configArgs.push("--set", `data.path=${sample}`);
    console.log(
      `QUICK CHECK (--rows ${options.rows}): a sample of the input, NOT the target workload; bench/RESULTS.md is left as it is`,
    );
  }
  for (const set of options.sets) configArgs.push("--set", set);
  const report: TreesReport = {
    machine: await describeMachine(),
    reps: options.reps,
    sampleRows: options.rows,
    rows: { train: 0, val: 0, test: 0, input: 0 },
    ourFeatures: "",
    overrides: options.sets,
    ourInputs: 0,
    airports: null,
    versions: { deno: Deno.version.deno },
    results: {},
    skipped: {},
    wallSeconds: 0,
    load: { start: await loadAverage(), end: NaN },
  };
  for (const system of SYSTEMS) {
    const why = system.peer === null
      ? null
      : system.peer === "sklearn"
      ? ready.sklearn
      : ready.xgboost;
    if (why !== null) {
      report.skipped[system.key] = why;
      console.log(`${system.label}: skipped (${why})`);
    } else {
      report.results[system.key] = [];
    }
  }
  let split: string | null = null;
  let firstSplit: string | null = null;
  try {
    for (let rep = 1; rep <= options.reps; rep++) {
      console.log(`== repetition ${rep}/${options.reps}`);
      const ours = await trainOurs(configArgs);
      try {
        if (firstSplit === null) {
          firstSplit = ours.splitText;
          report.rows = ours.rows;
          report.ourFeatures = ours.features;
          split = await exportSplit(ours.id, configArgs);
        } else if (ours.splitText !== firstSplit) {
          throw new Error(`run ${ours.id} recorded another split than the first repetition's`);
        }
        const predicted = await predictOurs(ours.id, configArgs);
        if (Math.abs(predicted.auc - ours.measurement.auc) > 1e-9) {
          throw new Error(
            `scoreRows gave test AUC ${predicted.auc}, the run recorded ${ours.measurement.auc}`,
          );
        }
        ours.measurement.predictRowsPerSecond = predicted.rowsPerSecond;
        ours.measurement.modelRowsPerSecond = predicted.modelRowsPerSecond;
        ours.measurement.predictPeakMiB = predicted.peakMiB;
        report.ourInputs = predicted.inputs;
        if (rep === 1) {
          report.lifecycle = await lifecycle(ours.id, await requestRows(split!, 500));
          console.log(`lifecycle: ${JSON.stringify(report.lifecycle)}`);
        }
        report.results.gbdt!.push(ours.measurement);
        console.log(`deno-mlops gbdt: ${JSON.stringify(ours.measurement)}`);
      } finally {
        // The bench's runs are measurements, not experiments: leave no run folder behind.
        await Deno.remove(ours.dir, { recursive: true }).catch(() => {});
      }
      for (const system of SYSTEMS) {
        if (system.peer === null || report.results[system.key] === undefined) continue;
        let peer: PeerResult;
        try {
          peer = await runPeer(system.peer, split!);
        } catch (error) {
          // One peer failing leaves the others' figures standing.
          const message = (error as Error).message;
          console.log(`${system.label} failed: ${message}`);
          report.skipped[system.key] = `failed: ${message.split("\n")[0]}`;
          delete report.results[system.key];
          continue;
        }
        if (peer.rows.train !== report.rows.train || peer.rows.test !== report.rows.test) {
          throw new Error(
            `${system.peer} read ${peer.rows.train}/${peer.rows.test} train/test rows, the run has ${report.rows.train}/${report.rows.test}`,
          );
        }
        if (peer.rounds !== TREE_SETTINGS.rounds) {
          throw new Error(`${system.peer} grew ${peer.rounds} rounds, not ${TREE_SETTINGS.rounds}`);
        }
        report.airports ??= peer.airports;
        Object.assign(report.versions, peer.versions);
        const measurement: Measurement = {
          auc: peer.auc,
          fitSeconds: peer.fit_seconds,
          predictRowsPerSecond: peer.predict_rows_per_second,
          peakMiB: peer.peak_rss_mib,
        };
        report.results[system.key]!.push(measurement);
        console.log(`${system.label}: ${JSON.stringify(measurement)}`);
      }
    }
  } finally {
    await Deno.remove(WORK, { recursive: true }).catch(() => {});
  }
  report.wallSeconds = (performance.now() - started) / 1000;
  report.load.end = await loadAverage();
  const section = formatTreesSection(report);
  await Deno.mkdir(`${ROOT}/bench/out`, { recursive: true });
  await Deno.writeTextFile(`${ROOT}/bench/out/trees.json`, JSON.stringify(report, null, 2) + "\n");
  if (sample === null) {
    await writeResultsSection("trees", section);
    console.log("wrote bench/RESULTS.md (trees section) and bench/out/trees.json");
  } else {
    console.log("QUICK CHECK: bench/RESULTS.md not written; bench/out/trees.json written");
  }
  console.log(section);
}

if (import.meta.main) {
  if (Deno.args[0] === "--predict-child") {
    await predictChild(JSON.parse(Deno.args[1]!));
  } else {
    await main(parseTreesArgs(Deno.args));
  }
}
