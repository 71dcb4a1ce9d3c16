/**
 * `deno task bench`: the same workloads through (a) deno-mlops's own pipeline, twice: on its
 * default training engine (the WebAssembly kernels) and with `training.engine: tfjs` (tfjs ops,
 * the previous engine), (b) raw nodejs-polars + tfjs-wasm with no project code (bench/raw/, the
 * floor of framework overhead),
 * (c) pandas + scikit-learn and (d) PyTorch CPU (bench/peers/, Debian's /usr/bin/python3), run
 * by run and interleaved, each system a fresh child process whose peak RSS is sampled. Then the
 * flights profile through the real `deno task train` at 300k, 1M and 3M rows. Writes the
 * `bench` section of bench/RESULTS.md and bench/results.json.
 *
 *   deno task data:pull        # data/raw/flights-3m.parquet
 *   deno task bench [--runs 3] [--rows 3000000] [--workloads penguins,flights] [--no-scale]
 *
 * It installs nothing: a peer whose Debian packages are missing is skipped with the packages to
 * install (`apt-get install python3-pandas python3-sklearn python3-torch`).
 *
 * Peer fairness (issue #8): the "tuned" peer rows run OpenBLAS with the fastest kernel for this
 * CPU (`OPENBLAS_CORETYPE`, chosen below from what threadpoolctl reports) and PyTorch with one
 * intra-op thread per core, `OPENBLAS_NUM_THREADS=1` (PyTorch otherwise oversubscribes) and
 * `OMP_WAIT_POLICY=PASSIVE` (spinning OpenMP threads collapse when the other core is busy); the
 * "Debian default" rows run with the environment as Debian leaves it (minus OPENBLAS_CORETYPE
 * and OPENBLAS_L2_SIZE where a machine sets them).
 *
 * @module
 */
import pl from "nodejs-polars";
import {
  describeMachine,
  fastestOf,
  median,
  PREDICT_REPEATS,
  ROOT,
  runMeasured,
  writeResultsSection,
} from "./_results.ts";

const PYTHON = "/usr/bin/python3";
const FLIGHTS = `${ROOT}/data/raw/flights-3m.parquet`;
const PENGUINS = `${ROOT}/data/raw/penguins.csv`;
const WORK = `${ROOT}/data/processed/bench`;
const CHILD_TIMEOUT_MS = 20 * 60 * 1000;
const BLAS_VARIABLES = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];
const FAST_OPENBLAS = ["SkylakeX", "Cooperlake", "SapphireRapids"];
const PENGUIN_NUMERIC = [
  "Beak Length (mm)",
  "Beak Depth (mm)",
  "Flipper Length (mm)",
  "Body Mass (g)",
];

type Workload = "penguins" | "flights";

/** One system as the bench runs it. */
interface System {
  /** Row label. */
  name: string;
  /** project | raw | sklearn | torch */
  kind: string;
  /** tuned | default | "" */
  variant: string;
  command: (w: Workload, inputs: Inputs) => { cmd: string; args: string[] };
  env: Record<string, string>;
  unset: string[];
}

/** What the systems read. */
interface Inputs {
  parquet: string;
  csv: string;
  penguinSplit: string;
}

/** One child's measured result. */
interface Record_ {
  run: number;
  workload: Workload;
  system: string;
  kind: string;
  variant: string;
  ok: boolean;
  error?: string;
  wallSeconds: number;
  peakRssMiB: number;
  stages: Record<string, number>;
  rows: { train: number; val: number; test: number };
  epochs: number;
  dataSeconds: number;
  loadSeconds: number;
  trainSeconds: number;
  trainSamplesPerSecond: number;
  predictRowsPerSecond: number;
  accuracy: number;
  rocAuc: number;
  extra: Record<string, unknown>;
}

if (Deno.args[0] === "--child") {
  await projectChild(Deno.args);
  Deno.exit(0);
} else if (Deno.args[0] === "--render") {
  // Rewrites the RESULTS.md section from a results.json, without measuring anything.
  const saved = JSON.parse(await Deno.readTextFile(Deno.args[1] ?? `${ROOT}/bench/results.json`));
  await writeResultsSection("bench", renderMarkdown(saved));
} else {
  await main();
}

// ---------------------------------------------------------------- the parent

async function main(): Promise<void> {
  const options = parseArgs(Deno.args);
  const started = performance.now();
  const loadBefore = await loadAverage();
  console.log(`bench: ${options.runs} run(s), workloads ${options.workloads.join(", ")}`);

  await Deno.mkdir(WORK, { recursive: true });
  const inputs = await prepareInputs(options);
  const peers = await checkPeers();
  const blas = await chooseOpenBlas(peers.python);
  for (const line of [...peers.notes, blas.note]) console.log(`bench: ${line}`);
  const systems = buildSystems(peers, blas.coretype);

  const records: Record_[] = [];
  for (let run = 1; run <= options.runs; run++) {
    for (const workload of options.workloads) {
      // Each run starts one system later, so that no system is always first (or last) when
      // other work on this shared machine starts or stops.
      const order = systems.map((_, i) => systems[(i + run - 1) % systems.length]!);
      for (const system of order) {
        const record = await measureSystem(system, workload, inputs, run);
        records.push(record);
        console.log(describeRecord(record));
      }
    }
  }

  const { rows: scale, cache } = options.scale
    ? await measureScale(options.scaleSizes)
    : { rows: [], cache: [] };
  const loadAfter = await loadAverage();
  const machine = await describeMachine();
  const summary = summarise(records, scale);
  const results = {
    machine,
    cpu: await cpuModel(),
    commit: await gitCommit(),
    date: new Date().toISOString(),
    options,
    load_average: { before: loadBefore, after: loadAfter },
    openblas: blas,
    peers: peers.notes,
    seconds: (performance.now() - started) / 1000,
    records,
    scale,
    cache,
    summary,
  };
  await Deno.writeTextFile(`${ROOT}/bench/results.json`, JSON.stringify(results, null, 2) + "\n");
  await writeResultsSection("bench", renderMarkdown(results));
  await Deno.remove(WORK, { recursive: true }).catch(() => {});
  console.log(
    `bench: wrote bench/RESULTS.md (bench section) and bench/results.json in ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s`,
  );
}

interface BenchOptions {
  runs: number;
  rows: number;
  workloads: Workload[];
  scale: boolean;
  scaleSizes: number[];
}

function parseArgs(args: string[]): BenchOptions {
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runs = Number(value("runs") ?? 3);
  const rows = Number(value("rows") ?? 3_000_000);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs ${runs}: expected >= 1`);
  if (!Number.isInteger(rows) || rows < 10_000) {
    throw new RangeError(`--rows ${rows}: expected an integer >= 10000`);
  }
  const workloads = (value("workloads") ?? "penguins,flights").split(",") as Workload[];
  for (const w of workloads) {
    if (w !== "penguins" && w !== "flights") {
      throw new RangeError(`--workloads: unknown workload "${w}" (penguins, flights)`);
    }
  }
  const scaleSizes = (value("scale-sizes") ?? "300000,1000000,3000000").split(",").map(Number);
  return { runs, rows, workloads, scale: !args.includes("--no-scale"), scaleSizes };
}

async function prepareInputs(options: BenchOptions): Promise<Inputs> {
  try {
    await Deno.stat(FLIGHTS);
  } catch {
    if (options.workloads.includes("flights") || options.scale) {
      console.error("bench: data/raw/flights-3m.parquet is missing; run `deno task data:pull`");
      Deno.exit(1);
    }
  }
  const inputs: Inputs = {
    parquet: FLIGHTS,
    csv: `${WORK}/flights.csv`,
    penguinSplit: `${WORK}/penguins-split.json`,
  };
  if (options.workloads.includes("flights")) {
    const all = pl.readParquet(FLIGHTS);
    const part = options.rows < all.height ? all.head(options.rows) : all;
    if (part.height < all.height) {
      inputs.parquet = `${WORK}/flights-${options.rows}.parquet`;
      part.writeParquet(inputs.parquet);
    }
    // Debian's pandas reads no Parquet (no python3-pyarrow): the peers read this CSV copy.
    part.writeCSV(inputs.csv);
  }
  if (options.workloads.includes("penguins")) {
    await Deno.writeTextFile(inputs.penguinSplit, JSON.stringify(await penguinSplitRows()));
  }
  return inputs;
}

/**
 * The raw CSV row numbers of the project's penguins split, so that every system trains and
 * tests on the same rows (the stratified allocation is the project's own algorithm).
 */
async function penguinSplitRows(): Promise<Record<string, number[]>> {
  const { loadConfig } = await import("../src/config/mod.ts");
  const { prepareData } = await import("../src/pipelines/mod.ts");
  const loaded = await loadConfig({ root: ROOT });
  const data = await prepareData(loaded.config);
  const raw = pl.readCSV(PENGUINS, {
    dtypes: Object.fromEntries(PENGUIN_NUMERIC.map((name) => [name, pl.Float64])),
    nullValues: { Sex: "." },
  }).withRowIndex("row");
  const keys = ["Species", "Island", ...PENGUIN_NUMERIC, "Sex"];
  const out: Record<string, number[]> = {};
  for (const name of ["train", "val", "test"] as const) {
    const part = data[name].select(...keys);
    const joined = part.join(raw, { on: keys, how: "inner" });
    if (joined.height !== part.height) {
      throw new Error(
        `Cannot map the penguins ${name} split to raw rows: ${joined.height} of ${part.height} matched`,
      );
    }
    out[name] = Array.from(joined.getColumn("row").toArray() as number[]).sort((a, b) => a - b);
  }
  return out;
}

interface Peers {
  python: boolean;
  sklearn: boolean;
  torch: boolean;
  notes: string[];
}

async function checkPeers(): Promise<Peers> {
  const can = async (code: string) => {
    try {
      const out = await new Deno.Command(PYTHON, {
        args: ["-c", code],
        stdout: "null",
        stderr: "null",
      })
        .output();
      return out.success;
    } catch {
      return false;
    }
  };
  const python = await can("pass");
  const sklearn = python && await can("import numpy, pandas, sklearn");
  const torch = sklearn && await can("import torch");
  const notes: string[] = [];
  if (!python) {
    notes.push(
      `skipping the Python peers: ${PYTHON} not found (apt-get install python3 python3-pandas python3-sklearn python3-torch)`,
    );
  } else {
    if (!sklearn) {
      notes.push(
        "skipping pandas+scikit-learn and PyTorch: install the Debian packages python3-pandas python3-sklearn (apt-get install python3-pandas python3-sklearn)",
      );
    }
    if (sklearn && !torch) {
      notes.push(
        "skipping PyTorch: install the Debian package python3-torch (apt-get install python3-torch)",
      );
    }
  }
  return { python, sklearn, torch, notes };
}

/**
 * Picks OPENBLAS_CORETYPE for the tuned peers: Debian's OpenBLAS falls back to old SSE kernels on
 * CPUs it does not recognise; when it detects none of the AVX-512 kernels on a CPU with AVX-512,
 * the tuned rows force SkylakeX. Otherwise the detected kernel already is the fast one.
 */
async function chooseOpenBlas(
  python: boolean,
): Promise<{ detected: string; coretype: string; note: string }> {
  if (!python) return { detected: "n/a", coretype: "", note: "OpenBLAS: no Python" };
  const out = await new Deno.Command(PYTHON, {
    args: [
      "-c",
      "import numpy, threadpoolctl\nfor i in threadpoolctl.threadpool_info():\n  if i.get('internal_api') == 'openblas': print(i.get('architecture'))",
    ],
    env: withoutBlas(),
    clearEnv: true,
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  const detected = out?.success
    ? new TextDecoder().decode(out.stdout).trim() || "unknown"
    : "unknown";
  const flags =
    (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  const avx512 = / avx512f /.test(`${flags} `);
  const coretype = FAST_OPENBLAS.includes(detected) || !avx512 ? detected : "SkylakeX";
  const note = coretype === detected
    ? `OpenBLAS detects "${detected}" kernels on this CPU by itself; the tuned rows keep it (OPENBLAS_CORETYPE=${detected})`
    : `OpenBLAS detects "${detected}" kernels; the tuned rows force OPENBLAS_CORETYPE=${coretype}`;
  return { detected, coretype, note };
}

function withoutBlas(): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of BLAS_VARIABLES) delete env[name];
  return env;
}

function buildSystems(peers: Peers, coretype: string): System[] {
  const deno = Deno.execPath();
  const cores = navigator.hardwareConcurrency;
  const split = (w: Workload, i: Inputs) => w === "penguins" ? ["--split", i.penguinSplit] : [];
  const peerData = (w: Workload, i: Inputs) => w === "flights" ? i.csv : PENGUINS;
  // The same child twice: the configured training engine (kernels by default) and tfjs ops.
  const project = (name: string, kind: string, engine: string[]): System => ({
    name,
    kind,
    variant: "",
    command: (w, i) => ({
      cmd: deno,
      args: [
        "run",
        "-A",
        `${ROOT}/bench/run.ts`,
        "--child",
        w,
        w === "flights" ? i.parquet : PENGUINS,
        ...engine,
      ],
    }),
    env: {},
    unset: [],
  });
  const systems: System[] = [
    project("deno-mlops", "project", []),
    project("deno-mlops (tfjs engine)", "project-tfjs", ["--engine", "tfjs"]),
    {
      name: "raw polars + tfjs",
      kind: "raw",
      variant: "",
      command: (w, i) => ({
        cmd: deno,
        args: [
          "run",
          "-A",
          `${ROOT}/bench/raw/${w}_raw.ts`,
          "--data",
          w === "flights" ? i.parquet : PENGUINS,
          ...split(w, i),
        ],
      }),
      env: {},
      unset: [],
    },
  ];
  const tunedBlas = coretype ? { OPENBLAS_CORETYPE: coretype } : {};
  if (peers.sklearn) {
    systems.push({
      name: "pandas + scikit-learn",
      kind: "sklearn",
      variant: "tuned",
      command: (w, i) => ({
        cmd: PYTHON,
        args: [
          `${ROOT}/bench/peers/sklearn_peer.py`,
          "--workload",
          w,
          "--data",
          peerData(w, i),
          ...split(w, i),
        ],
      }),
      env: tunedBlas,
      unset: BLAS_VARIABLES,
    });
  }
  // PyTorch tuned: one intra-op thread per core, no BLAS oversubscription; default: as installed.
  const torch = (variant: string, threads: string[], env: Record<string, string>): System => ({
    name: "PyTorch CPU",
    kind: "torch",
    variant,
    command: (w, i) => ({
      cmd: PYTHON,
      args: [
        `${ROOT}/bench/peers/torch_peer.py`,
        "--workload",
        w,
        "--data",
        peerData(w, i),
        ...threads,
        ...split(w, i),
      ],
    }),
    env,
    unset: BLAS_VARIABLES,
  });
  if (peers.torch) {
    systems.push(
      torch("tuned", ["--threads", String(cores)], {
        ...tunedBlas,
        OPENBLAS_NUM_THREADS: "1",
        OMP_WAIT_POLICY: "PASSIVE",
      }),
    );
  }
  if (peers.sklearn) {
    systems.push({ ...systems.find((s) => s.kind === "sklearn")!, variant: "default", env: {} });
  }
  if (peers.torch) systems.push(torch("default", [], {}));
  return systems;
}

async function measureSystem(
  system: System,
  workload: Workload,
  inputs: Inputs,
  run: number,
): Promise<Record_> {
  const { cmd, args } = system.command(workload, inputs);
  const env = Deno.env.toObject();
  for (const name of system.unset) delete env[name];
  Object.assign(env, system.env);
  // The peers leave no __pycache__ in bench/peers.
  if (system.kind === "sklearn" || system.kind === "torch") env["PYTHONDONTWRITEBYTECODE"] = "1";
  const measured = await runMeasured(cmd, args, {
    env,
    cwd: system.kind === "sklearn" || system.kind === "torch" ? `${ROOT}/bench/peers` : ROOT,
    timeoutMs: CHILD_TIMEOUT_MS,
  });
  const base: Record_ = {
    run,
    workload,
    system: system.name,
    kind: system.kind,
    variant: system.variant,
    ok: false,
    wallSeconds: measured.seconds,
    peakRssMiB: measured.peakRssMiB,
    stages: {},
    rows: { train: 0, val: 0, test: 0 },
    epochs: 0,
    dataSeconds: NaN,
    loadSeconds: NaN,
    trainSeconds: NaN,
    trainSamplesPerSecond: NaN,
    predictRowsPerSecond: NaN,
    accuracy: NaN,
    rocAuc: NaN,
    extra: {},
  };
  const line = measured.stdout.trim().split("\n").filter((l) => l.startsWith("{")).pop();
  if (measured.code !== 0 || line === undefined) {
    return {
      ...base,
      error: `exit ${measured.code}: ${measured.stderr.trim().split("\n").slice(-5).join(" | ")}`,
    };
  }
  const out = JSON.parse(line) as {
    stages: Record<string, number>;
    rows: { train: number; val: number; test: number };
    epochs: number;
    quality: { accuracy: number; roc_auc: number };
    [key: string]: unknown;
  };
  const s = out.stages;
  const dataStages = ["load", "validate", "clean", "split", "features"];
  const dataSeconds = dataStages.reduce((sum, name) => sum + (s[name] ?? 0), 0);
  const trainSeconds = s["train"]!;
  const { stages: _s, rows: _r, epochs: _e, quality: _q, ...extra } = out;
  return {
    ...base,
    ok: true,
    stages: s,
    rows: out.rows,
    epochs: out.epochs,
    dataSeconds,
    loadSeconds: s["load"] ?? 0,
    trainSeconds,
    trainSamplesPerSecond: out.rows.train * out.epochs / trainSeconds,
    predictRowsPerSecond: out.rows.test / s["predict"]!,
    accuracy: out.quality.accuracy,
    rocAuc: out.quality.roc_auc,
    extra,
  };
}

function describeRecord(r: Record_): string {
  const label = `run ${r.run} ${r.workload} ${r.system}${r.variant ? ` (${r.variant})` : ""}`;
  if (!r.ok) return `${label}: FAILED ${r.error}`;
  return `${label}: data ${r.dataSeconds.toFixed(2)} s, train ${
    fmtK(r.trainSamplesPerSecond)
  } samples/s, predict ${fmtK(r.predictRowsPerSecond)} rows/s, peak ${
    r.peakRssMiB.toFixed(0)
  } MiB, acc ${r.accuracy.toFixed(4)}, auc ${r.rocAuc.toFixed(4)} (${r.wallSeconds.toFixed(1)} s)`;
}

// ---------------------------------------------------------------- scale: the real task

interface ScaleRow {
  rows: number;
  ok: boolean;
  error?: string;
  wallSeconds: number;
  peakRssMiB: number;
  stages: Record<string, number>;
  trainRows: number;
  testAuc: number;
}

async function measureScale(sizes: number[]): Promise<{ rows: ScaleRow[]; cache: CacheRow[] }> {
  const all = pl.readParquet(FLIGHTS);
  const rows: ScaleRow[] = [];
  const cache: CacheRow[] = [];
  const largest = Math.max(...sizes);
  for (const size of sizes) {
    // A path of its own per size: its cache keys are new, so the first run is cold.
    const relative = `data/processed/bench/flights-scale-${size}-${Date.now()}.parquet`;
    (size < all.height ? all.head(size) : all).writeParquet(`${ROOT}/${relative}`);
    const cold = await trainTask(relative, []);
    rows.push({ ...cold.row, rows: Math.min(size, all.height) });
    console.log(`scale ${size}: ${describeScaleRow(cold.row)}`);
    if (size === largest && cold.row.ok) {
      // The same task again with nothing changed, then with one training hyperparameter changed:
      // the stage cache should serve every data and feature stage both times.
      const warm = await trainTask(relative, []);
      const hyper = await trainTask(relative, ["--set", "training.learning_rate=0.002"]);
      for (
        const [label, run] of [["cold", cold], ["warm", warm], [
          "hyperparameter changed",
          hyper,
        ]] as const
      ) {
        cache.push({
          label,
          rows: Math.min(size, all.height),
          ok: run.row.ok,
          wallSeconds: run.row.wallSeconds,
          peakRssMiB: run.row.peakRssMiB,
          ran: run.lineage.filter((n) => n.status === "ran").map((n) => n.node),
          cached: run.lineage.filter((n) => n.status === "cached").map((n) => n.node),
          testAuc: run.row.testAuc,
        });
        console.log(`cache ${label}: ${describeScaleRow(run.row)}`);
      }
      for (const run of [cold, warm, hyper]) await removeCacheEntries(run.lineage);
    } else {
      await removeCacheEntries(cold.lineage);
    }
    await Deno.remove(`${ROOT}/${relative}`).catch(() => {});
  }
  return { rows, cache };
}

/** One `deno task train --config flights` on a data file, with its own permissions. */
async function trainTask(
  relative: string,
  extra: string[],
): Promise<{ row: ScaleRow; lineage: Array<{ node: string; key: string; status: string }> }> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const taskArgs = String(denoJson.tasks.train.command).split(/\s+/).slice(1);
  const measured = await runMeasured(Deno.execPath(), [
    ...taskArgs,
    "--config",
    "config/profiles/flights.yaml",
    "--set",
    `data.path=${relative}`,
    ...extra,
  ], { timeoutMs: CHILD_TIMEOUT_MS });
  const id = measured.stdout.match(/^run: (\S+)$/m)?.[1];
  const row: ScaleRow = {
    rows: 0,
    ok: false,
    wallSeconds: measured.seconds,
    peakRssMiB: measured.peakRssMiB,
    stages: {},
    trainRows: 0,
    testAuc: NaN,
  };
  if (measured.code !== 0 || !id) {
    row.error = `exit ${measured.code}: ${
      measured.stderr.trim().split("\n").slice(-3).join(" | ")
    }`;
    return { row, lineage: [] };
  }
  const dir = `${ROOT}/models/experiments/${id}`;
  const record = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
  row.ok = true;
  row.stages = record.stages;
  row.trainRows = record.rows.train;
  row.testAuc = record.primary.test;
  // The bench's runs are measurements, not experiments: leave no run folder behind.
  await Deno.remove(dir, { recursive: true });
  return { row, lineage: record.lineage ?? [] };
}

/** Removes the stage-cache entries a bench run wrote (the user's own entries stay). */
async function removeCacheEntries(lineage: Array<{ key: string }>): Promise<void> {
  for (const { key } of lineage) {
    if (/^[0-9a-f]{64}$/.test(key)) {
      await Deno.remove(`${ROOT}/data/processed/cache/${key}`, { recursive: true }).catch(() => {});
    }
  }
}

function describeScaleRow(row: ScaleRow): string {
  return `${row.ok ? "" : "FAILED "}${row.wallSeconds.toFixed(1)} s, peak ${
    row.peakRssMiB.toFixed(0)
  } MiB${row.error ? ` ${row.error}` : ""}`;
}

/** One `deno task train` of the stage-cache measurement. */
interface CacheRow {
  label: "cold" | "warm" | "hyperparameter changed";
  rows: number;
  ok: boolean;
  wallSeconds: number;
  peakRssMiB: number;
  /** Nodes that ran. */
  ran: string[];
  /** Nodes served by the cache. */
  cached: string[];
  testAuc: number;
}

// ---------------------------------------------------------------- summary

interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

function stat(values: number[]): Stat {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

function key(r: { kind: string; variant: string }): string {
  return r.variant ? `${r.kind}:${r.variant}` : r.kind;
}

function summarise(records: Record_[], scale: ScaleRow[]) {
  const ok = records.filter((r) => r.ok);
  const workloads = [...new Set(ok.map((r) => r.workload))];
  const runs = [...new Set(ok.map((r) => r.run))];
  const find = (run: number, w: Workload, k: string) =>
    ok.find((r) => r.run === run && r.workload === w && key(r) === k);
  const fastestTorch = (run: number, w: Workload) => {
    const options = ["torch:tuned", "torch:default"].map((k) => find(run, w, k)).filter((r) =>
      r !== undefined
    );
    return options.length
      ? options.reduce((a, b) => a.trainSamplesPerSecond >= b.trainSamplesPerSecond ? a : b)
      : undefined;
  };
  const fastestTorchPredict = (run: number, w: Workload) => {
    const options = ["torch:tuned", "torch:default"].map((k) => find(run, w, k)).filter((r) =>
      r !== undefined
    );
    return options.length
      ? options.reduce((a, b) => a.predictRowsPerSecond >= b.predictRowsPerSecond ? a : b)
      : undefined;
  };
  const paired = (_w: Workload, f: (run: number) => number | undefined) =>
    stat(runs.map((run) => f(run)).filter((x): x is number => x !== undefined));
  const systems: Record<string, Record<string, unknown>> = {};
  for (const w of workloads) {
    const keys = [...new Set(ok.filter((r) => r.workload === w).map(key))];
    for (const k of keys) {
      const rs = ok.filter((r) => r.workload === w && key(r) === k);
      const stageNames = [...new Set(rs.flatMap((r) => Object.keys(r.stages)))];
      systems[`${w}/${k}`] = {
        workload: w,
        system: rs[0]!.system,
        variant: rs[0]!.variant,
        rows: rs[0]!.rows,
        epochs: stat(rs.map((r) => r.epochs)),
        data_seconds: stat(rs.map((r) => r.dataSeconds)),
        data_seconds_without_load: stat(rs.map((r) => r.dataSeconds - r.loadSeconds)),
        train_samples_per_second: stat(rs.map((r) => r.trainSamplesPerSecond)),
        predict_rows_per_second: stat(rs.map((r) => r.predictRowsPerSecond)),
        peak_rss_mib: stat(rs.map((r) => r.peakRssMiB)),
        accuracy: stat(rs.map((r) => r.accuracy)),
        roc_auc: stat(rs.map((r) => r.rocAuc)),
        stages: Object.fromEntries(
          stageNames.map((s) => [s, stat(rs.map((r) => r.stages[s] ?? NaN))]),
        ),
      };
    }
  }
  const ratios: Record<string, Record<string, Stat>> = {};
  for (const w of workloads) {
    const p = (run: number) => find(run, w, "project");
    const raw = (run: number) => find(run, w, "raw");
    const sk = (run: number) => find(run, w, "sklearn:tuned");
    const tfjsEngine = (run: number) => find(run, w, "project-tfjs");
    const div = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0
        ? undefined
        : a / b;
    const stageRatio = (names: string[]) =>
      paired(w, (run) => {
        const a = p(run);
        const b = raw(run);
        if (!a || !b) return undefined;
        const sum = (r: Record_) => names.reduce((s, n) => s + (r.stages[n] ?? 0), 0);
        return div(sum(a), sum(b));
      });
    ratios[w] = {
      data_speedup_vs_sklearn: paired(w, (run) => div(sk(run)?.dataSeconds, p(run)?.dataSeconds)),
      data_speedup_vs_sklearn_without_load: paired(w, (run) =>
        div(
          sk(run) ? sk(run)!.dataSeconds - sk(run)!.loadSeconds : undefined,
          p(run) ? p(run)!.dataSeconds - p(run)!.loadSeconds : undefined,
        )),
      raw_data_speedup_vs_sklearn: paired(
        w,
        (run) => div(sk(run)?.dataSeconds, raw(run)?.dataSeconds),
      ),
      project_over_raw_load: stageRatio(["load"]),
      project_over_raw_clean: stageRatio(["validate", "clean"]),
      project_over_raw_split: stageRatio(["split"]),
      project_over_raw_features: stageRatio(["features"]),
      project_over_raw_data: stageRatio(["load", "validate", "clean", "split", "features"]),
      project_over_raw_train: stageRatio(["train"]),
      project_over_raw_predict: stageRatio(["predict"]),
      train_vs_torch_fastest: paired(
        w,
        (run) => div(p(run)?.trainSamplesPerSecond, fastestTorch(run, w)?.trainSamplesPerSecond),
      ),
      train_vs_torch_tuned: paired(
        w,
        (run) =>
          div(p(run)?.trainSamplesPerSecond, find(run, w, "torch:tuned")?.trainSamplesPerSecond),
      ),
      train_vs_torch_default: paired(
        w,
        (run) =>
          div(p(run)?.trainSamplesPerSecond, find(run, w, "torch:default")?.trainSamplesPerSecond),
      ),
      raw_train_vs_torch_fastest: paired(
        w,
        (run) => div(raw(run)?.trainSamplesPerSecond, fastestTorch(run, w)?.trainSamplesPerSecond),
      ),
      predict_vs_torch_fastest: paired(
        w,
        (run) =>
          div(p(run)?.predictRowsPerSecond, fastestTorchPredict(run, w)?.predictRowsPerSecond),
      ),
      raw_predict_vs_torch_fastest: paired(
        w,
        (run) =>
          div(raw(run)?.predictRowsPerSecond, fastestTorchPredict(run, w)?.predictRowsPerSecond),
      ),
      train_vs_sklearn_tuned: paired(
        w,
        (run) => div(p(run)?.trainSamplesPerSecond, sk(run)?.trainSamplesPerSecond),
      ),
      predict_vs_sklearn_tuned: paired(
        w,
        (run) => div(p(run)?.predictRowsPerSecond, sk(run)?.predictRowsPerSecond),
      ),
      train_vs_tfjs_engine: paired(
        w,
        (run) => div(p(run)?.trainSamplesPerSecond, tfjsEngine(run)?.trainSamplesPerSecond),
      ),
      memory_vs_tfjs_engine: paired(
        w,
        (run) => div(p(run)?.peakRssMiB, tfjsEngine(run)?.peakRssMiB),
      ),
      memory_vs_torch_tuned: paired(
        w,
        (run) => div(p(run)?.peakRssMiB, find(run, w, "torch:tuned")?.peakRssMiB),
      ),
      auc_minus_sklearn: paired(w, (run) => {
        const a = p(run)?.rocAuc;
        const b = sk(run)?.rocAuc;
        return a === undefined || b === undefined ? undefined : a - b;
      }),
      auc_minus_torch: paired(w, (run) => {
        const a = p(run)?.rocAuc;
        const b = find(run, w, "torch:tuned")?.rocAuc;
        return a === undefined || b === undefined ? undefined : a - b;
      }),
      test_rows_accuracy_minus_sklearn: paired(w, (run) => {
        const a = p(run);
        const b = sk(run);
        return a && b ? Math.round((a.accuracy - b.accuracy) * a.rows.test) : undefined;
      }),
      test_rows_accuracy_minus_torch: paired(w, (run) => {
        const a = p(run);
        const b = find(run, w, "torch:tuned");
        return a && b ? Math.round((a.accuracy - b.accuracy) * a.rows.test) : undefined;
      }),
      test_rows_accuracy_minus_raw: paired(w, (run) => {
        const a = p(run);
        const b = raw(run);
        return a && b ? Math.round((a.accuracy - b.accuracy) * a.rows.test) : undefined;
      }),
    };
  }
  const full = scale.filter((s) => s.ok).sort((a, b) => b.rows - a.rows)[0];
  const torchPeak = systems["flights/torch:tuned"]?.["peak_rss_mib"] as Stat | undefined;
  return {
    systems,
    ratios,
    task_memory_vs_torch: full && torchPeak && torchPeak.n > 0
      ? {
        rows: full.rows,
        task_peak_mib: full.peakRssMiB,
        torch_peak_mib: torchPeak.median,
        ratio: full.peakRssMiB / torchPeak.median,
      }
      : null,
  };
}

// ---------------------------------------------------------------- markdown

function fmtK(v: number): string {
  if (!Number.isFinite(v)) return "–";
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(0)}k`;
  return v.toFixed(0);
}

function fmtStat(s: Stat | undefined, f: (v: number) => string): string {
  if (!s || s.n === 0) return "–";
  return s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

function sec(v: number): string {
  return v.toFixed(2);
}

function ratio(v: number): string {
  return `${v.toFixed(2)}×`;
}

type Results = {
  machine: string;
  cpu: string;
  commit: string;
  date: string;
  options: BenchOptions;
  load_average: { before: string; after: string };
  openblas: { detected: string; coretype: string; note: string };
  peers: string[];
  seconds: number;
  records: Record_[];
  scale: ScaleRow[];
  /** Cold, warm and hyperparameter-changed runs at the largest scale (absent in old results). */
  cache?: CacheRow[];
  summary: ReturnType<typeof summarise>;
};

function renderMarkdown(results: Results): string {
  const { summary, options } = results;
  const out: string[] = [];
  out.push(
    `## deno-mlops against raw polars + tfjs, pandas + scikit-learn and PyTorch (\`bench/run.ts\`)`,
  );
  out.push("");
  out.push(
    `Machine: ${results.machine}. CPU: ${results.cpu}. Commit ${results.commit}, ${
      results.date.slice(0, 16)
    } UTC. ` +
      `Load average (1, 5, 15 min) before: ${results.load_average.before}; after: ${results.load_average.after} ` +
      `(a shared 2-core machine: other work running at the same time slows whichever system it overlaps). ` +
      `n = ${options.runs} runs, systems interleaved within each run (each run starts one system later); each cell is the median (min–max), and each ratio ` +
      `is computed within a run and then summarised. Whole bench: ${
        (results.seconds / 60).toFixed(1)
      } min.`,
  );
  out.push("");
  out.push(
    "Every system is a fresh child process; peak RSS is its VmHWM. Stages: data = load + clean (+ validate) + split + features " +
      "(fit on train, every split turned into a float32 matrix); training samples/s = train rows × epochs / training seconds, with " +
      "the validation loss computed after every epoch in all systems; prediction rows/s = test rows / seconds to predict the test " +
      `matrix after a warm-up, the fastest of ${PREDICT_REPEATS} (in every system); quality on the test split.`,
  );
  out.push("");
  for (const w of options.workloads) {
    const rows = Object.entries(summary.systems).filter(([k]) => k.startsWith(`${w}/`));
    if (rows.length === 0) continue;
    const first = rows[0]![1] as { rows: { train: number; val: number; test: number } };
    out.push(
      `### ${
        w === "flights"
          ? `flights (${
            (first.rows.train + first.rows.val + first.rows.test).toLocaleString("en-US")
          } rows, the flights profile)`
          : "penguins (the default config)"
      }`,
    );
    out.push("");
    out.push(`Rows train/val/test: ${first.rows.train}/${first.rows.val}/${first.rows.test}.`);
    out.push("");
    out.push(
      "| system | data s | data s without load | training samples/s | prediction rows/s | peak RSS MiB | test accuracy | test ROC AUC |",
    );
    out.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const [, s] of rows) {
      const v = s as Record<string, Stat> & { system: string; variant: string };
      const label = `${v.system}${
        v.variant === "default" ? " (Debian default)" : v.variant === "tuned" ? " (tuned)" : ""
      }`;
      out.push(
        `| ${label} | ${fmtStat(v.data_seconds, sec)} | ${
          fmtStat(v.data_seconds_without_load, sec)
        } | ${fmtStat(v.train_samples_per_second, fmtK)} | ${
          fmtStat(v.predict_rows_per_second, fmtK)
        } | ${fmtStat(v.peak_rss_mib, (x) => x.toFixed(0))} | ${
          fmtStat(v.accuracy, (x) => x.toFixed(4))
        } | ${fmtStat(v.roc_auc, (x) => x.toFixed(4))} |`,
      );
    }
    out.push("");
    const project = summary.systems[`${w}/project`] as { stages: Record<string, Stat> } | undefined;
    const raw = summary.systems[`${w}/raw`] as { stages: Record<string, Stat> } | undefined;
    const r = summary.ratios[w]!;
    if (project && raw) {
      out.push(
        "Stage by stage, deno-mlops against the raw floor (seconds; ratio = deno-mlops / raw, paired by run; target ≤ 1.10):",
      );
      out.push("");
      out.push("| stage | deno-mlops s | raw s | ratio |");
      out.push("| --- | --- | --- | --- |");
      const stageRows: Array<[string, string[], string]> = [
        ["load", ["load"], "project_over_raw_load"],
        ["clean (+ validate)", ["validate", "clean"], "project_over_raw_clean"],
        ["split", ["split"], "project_over_raw_split"],
        ["features", ["features"], "project_over_raw_features"],
        ["train", ["train"], "project_over_raw_train"],
        ["predict (test split)", ["predict"], "project_over_raw_predict"],
      ];
      const sumStat = (st: Record<string, Stat>, names: string[]) =>
        names.reduce((s, n) => s + (st[n]?.median ?? 0), 0);
      for (const [label, names, k] of stageRows) {
        out.push(
          `| ${label} | ${sumStat(project.stages, names).toFixed(3)} | ${
            sumStat(raw.stages, names).toFixed(3)
          } | ${fmtStat(r[k], ratio)} |`,
        );
      }
      out.push("");
    }
  }
  out.push("### Targets (issue #8)");
  out.push("");
  out.push("| target | measured (median, range over runs) | met |");
  out.push("| --- | --- | --- |");
  const fr = summary.ratios["flights"];
  const pr = summary.ratios["penguins"];
  const verdict = (s: Stat | undefined, ok: (v: number) => boolean) =>
    !s || s.n === 0
      ? "not measured"
      : ok(s.median)
      ? (ok(s.min) && ok(s.max) ? "yes" : "median yes, not every run")
      : "no";
  if (fr) {
    out.push(
      `| flights data stages ≥ 2.5× faster than pandas + scikit-learn (tuned) | ${
        fmtStat(fr["data_speedup_vs_sklearn"], ratio)
      } (without load: ${fmtStat(fr["data_speedup_vs_sklearn_without_load"], ratio)}; raw floor: ${
        fmtStat(fr["raw_data_speedup_vs_sklearn"], ratio)
      }) | ${verdict(fr["data_speedup_vs_sklearn"], (v) => v >= 2.5)} |`,
    );
    for (
      const [label, k] of [["data stages", "project_over_raw_data"], [
        "train",
        "project_over_raw_train",
      ], ["predict", "project_over_raw_predict"]] as const
    ) {
      out.push(
        `| flights ${label}: deno-mlops within 10% of the raw floor | ${
          fmtStat(fr[k], ratio)
        } of raw time | ${verdict(fr[k], (v) => v <= 1.1)} |`,
      );
    }
    out.push(
      `| flights training samples/s ≥ 0.3× PyTorch (fastest of its two rows per run; aim 0.5×) | ${
        fmtStat(fr["train_vs_torch_fastest"], ratio)
      } (tuned: ${fmtStat(fr["train_vs_torch_tuned"], ratio)}, Debian default: ${
        fmtStat(fr["train_vs_torch_default"], ratio)
      }; raw floor ${fmtStat(fr["raw_train_vs_torch_fastest"], ratio)}) | ${
        verdict(fr["train_vs_torch_fastest"], (v) => v >= 0.3)
      } |`,
    );
    out.push(
      `| flights prediction rows/s ≥ 0.3× PyTorch | ${
        fmtStat(fr["predict_vs_torch_fastest"], ratio)
      } (raw floor ${fmtStat(fr["raw_predict_vs_torch_fastest"], ratio)}) | ${
        verdict(fr["predict_vs_torch_fastest"], (v) => v >= 0.3)
      } |`,
    );
    const tm = summary.task_memory_vs_torch;
    out.push(
      `| peak memory of \`deno task train\` on flights ≤ 1.5× PyTorch's end-to-end process | ${
        tm
          ? `${ratio(tm.ratio)} (${tm.task_peak_mib.toFixed(0)} MiB at ${
            tm.rows.toLocaleString("en-US")
          } rows vs ${tm.torch_peak_mib.toFixed(0)} MiB)`
          : "not measured"
      }; bench child (pipeline, record off): ${fmtStat(fr["memory_vs_torch_tuned"], ratio)} | ${
        tm ? (tm.ratio <= 1.5 ? "yes" : "no") : "not measured"
      } |`,
    );
    const auc = (s: Stat | undefined) => fmtStat(s, (v) => (v >= 0 ? "+" : "") + v.toFixed(4));
    out.push(
      `| flights test AUC within ±0.005 of the peers | deno-mlops − scikit-learn ${
        auc(fr["auc_minus_sklearn"])
      }; − PyTorch ${auc(fr["auc_minus_torch"])} | ${
        verdict(fr["auc_minus_torch"], (v) => Math.abs(v) <= 0.005) === "yes" &&
          verdict(fr["auc_minus_sklearn"], (v) => Math.abs(v) <= 0.005) === "yes"
          ? "yes"
          : "no"
      } |`,
    );
  }
  if (pr) {
    const rowsFmt = (s: Stat | undefined) =>
      fmtStat(s, (v) => `${v >= 0 ? "+" : ""}${v.toFixed(0)}`);
    out.push(
      `| penguins test accuracy within one row of the peers | rows: deno-mlops − scikit-learn ${
        rowsFmt(pr["test_rows_accuracy_minus_sklearn"])
      }; − PyTorch ${rowsFmt(pr["test_rows_accuracy_minus_torch"])}; − raw ${
        rowsFmt(pr["test_rows_accuracy_minus_raw"])
      } | ${
        [pr["test_rows_accuracy_minus_sklearn"], pr["test_rows_accuracy_minus_torch"]].every((s) =>
            s && s.n > 0 && Math.abs(s.min) <= 1 && Math.abs(s.max) <= 1
          )
          ? "yes"
          : "no"
      } |`,
    );
  }
  out.push("");
  out.push(...renderKernelTargets(summary.ratios));
  if (results.scale.length > 0) {
    out.push(
      "### Scale: `deno task train --config config/profiles/flights.yaml` on the first N rows",
    );
    out.push("");
    out.push(
      "The real task (its own permissions, progress output, run folder written and then removed by the bench), one run per size.",
    );
    out.push("");
    out.push(
      "| rows | train rows | wall s | data stages s | train s | evaluate s | peak RSS MiB | test AUC |",
    );
    out.push("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const s of results.scale) {
      if (!s.ok) {
        out.push(`| ${s.rows.toLocaleString("en-US")} | failed: ${s.error} | | | | | | |`);
        continue;
      }
      const st = s.stages;
      const data = ["load", "validate", "clean", "split", "features"].reduce(
        (a, n) => a + (st[n] ?? 0),
        0,
      );
      out.push(
        `| ${s.rows.toLocaleString("en-US")} | ${s.trainRows.toLocaleString("en-US")} | ${
          s.wallSeconds.toFixed(1)
        } | ${data.toFixed(1)} | ${(st["train"] ?? 0).toFixed(1)} | ${
          (st["evaluate"] ?? 0).toFixed(1)
        } | ${s.peakRssMiB.toFixed(0)} | ${s.testAuc.toFixed(4)} |`,
      );
    }
    out.push("");
  }
  const cacheRows = results.cache ?? [];
  if (cacheRows.length > 0) {
    const cold = cacheRows.find((r) => r.label === "cold");
    out.push(
      `### Stage cache: \`deno task train --config config/profiles/flights.yaml\` on ${
        (cold?.rows ?? 0).toLocaleString("en-US")
      } rows, cold then warm`,
    );
    out.push("");
    out.push(
      "Three runs of the real task in a row on a data file of their own (so the first finds no cache entry): cold (every stage runs and its outputs are written to `data/processed/cache/`), warm (nothing changed), and with `training.learning_rate` changed.",
    );
    out.push("");
    out.push(
      "| run | wall s | vs cold | peak RSS MiB | stages that ran | stages from the cache | test AUC |",
    );
    out.push("| --- | --- | --- | --- | --- | --- | --- |");
    for (const r of cacheRows) {
      out.push(
        `| ${r.label} | ${r.ok ? r.wallSeconds.toFixed(1) : "failed"} | ${
          cold && r.ok ? ratio(r.wallSeconds / cold.wallSeconds) : ""
        } | ${r.peakRssMiB.toFixed(0)} | ${r.ran.join(", ")} | ${r.cached.join(", ") || "-"} | ${
          r.testAuc.toFixed(4)
        } |`,
      );
    }
    out.push("");
  }
  out.push("### How the systems are set up");
  out.push("");
  out.push(
    `- deno-mlops: \`prepareData\` → \`fitFeatures\` → \`runTraining\` (record off) in a child process (\`bench/run.ts --child\`), then \`model.predict\` on the test matrix. ` +
      "flights trains on 2 threads (the profile's `training.threads: 2`: each batch split between the process and one Web Worker); penguins on 1. " +
      "The deno-mlops row trains on the configured engine, the WebAssembly SIMD kernels (`training.engine: kernels`, the default); " +
      "the deno-mlops (tfjs engine) row is the same child with `training.engine=tfjs` (tfjs ops on the wasm backend, the previous engine), " +
      "so each run compares the two engines side by side. Both predict with `model.predict`, which runs the forward kernels whatever the training engine, on both cores for the flights test split (inputs of 131,072 rows or more are cut into one share per core). " +
      "Raw floor: `bench/raw/*_raw.ts`, npm packages only, same wasm backend and BatchMatMul transpose patch, one thread, a minimal loop without per-batch loss reads or metrics.",
  );
  out.push(
    "- Peers (`bench/peers/`, Debian's /usr/bin/python3): the same data stages in pandas + scikit-learn (`ColumnTransformer` of `StandardScaler` and " +
      "`OneHotEncoder(max_categories=21)`), then `MLPClassifier` (one `partial_fit` epoch at a time, no dropout, one logistic output for two classes) or the " +
      "same network in PyTorch (Glorot weights, softmax cross-entropy, dropout and L2 as configured). Same batch size, Adam, learning rate and epochs; early " +
      "stopping (penguins) on the validation loss with patience 20 and best-weight restore in every system.",
  );
  out.push(
    "- flights: the peers read a CSV copy of the Parquet file, because Debian ships no Parquet reader for pandas (no python3-pyarrow or " +
      'fastparquet); their load stage is therefore a CSV parse, and the "without load" column compares the rest. penguins: every system ' +
      "trains and tests on the rows of the project's stratified split (passed as raw row numbers), so accuracy compares models, not splits.",
  );
  out.push(`- ${results.openblas.note}. ${results.peers.join(" ")}`);
  out.push(
    "- PyTorch rows: tuned = one intra-op thread per core, OPENBLAS_NUM_THREADS=1, OMP_WAIT_POLICY=PASSIVE; Debian default = as installed. " +
      "Ratios against PyTorch use, per run, the faster of its two rows.",
  );
  return out.join("\n");
}

/**
 * The targets of issue #20 (the WebAssembly training kernels), each measured within a run and
 * summarised over runs; met = the median meets it.
 */
function renderKernelTargets(ratios: Record<string, Record<string, Stat>>): string[] {
  const fr = ratios["flights"];
  const pr = ratios["penguins"];
  // A measured miss is a miss even when another part of the target was not measured.
  const met = (stats: Array<Stat | undefined>, ok: (v: number) => boolean) => {
    const measured = stats.filter((s): s is Stat => s !== undefined && s.n > 0);
    if (measured.length === 0) return "not measured";
    if (!measured.every((s) => ok(s.median))) return "**miss**";
    return measured.length < stats.length ? "yes where measured" : "yes";
  };
  const atLeastOne = (v: number) => v >= 1;
  const auc = (s: Stat | undefined) => fmtStat(s, (v) => (v >= 0 ? "+" : "") + v.toFixed(4));
  const out = [
    "### Targets (issue #20: WebAssembly kernels)",
    "",
    "deno-mlops on its default engine (the kernels) against the peers and against the same child with `training.engine: tfjs`; each ratio is computed within a run, then summarised as median (min–max); met = the median meets the target.",
    "",
    "| target | measured (median, range over runs) | met |",
    "| --- | --- | --- |",
  ];
  const row = (label: string, measured: string, verdict: string) =>
    out.push(`| ${label} | ${measured} | ${verdict} |`);
  row(
    "flights training samples/s ≥ 1× PyTorch CPU (tuned)",
    fmtStat(fr?.["train_vs_torch_tuned"], ratio),
    met([fr?.["train_vs_torch_tuned"]], atLeastOne),
  );
  row(
    "flights training samples/s ≥ 1× scikit-learn MLP (tuned)",
    fmtStat(fr?.["train_vs_sklearn_tuned"], ratio),
    met([fr?.["train_vs_sklearn_tuned"]], atLeastOne),
  );
  row(
    "flights prediction rows/s ≥ 1× scikit-learn (tuned)",
    fmtStat(fr?.["predict_vs_sklearn_tuned"], ratio),
    met([fr?.["predict_vs_sklearn_tuned"]], atLeastOne),
  );
  row(
    "penguins training samples/s ≥ 1× PyTorch CPU (tuned)",
    fmtStat(pr?.["train_vs_torch_tuned"], ratio),
    met([pr?.["train_vs_torch_tuned"]], atLeastOne),
  );
  row(
    "flights test ROC AUC within ±0.005 of PyTorch and of scikit-learn",
    `deno-mlops − PyTorch ${auc(fr?.["auc_minus_torch"])}; − scikit-learn ${
      auc(fr?.["auc_minus_sklearn"])
    }`,
    met([fr?.["auc_minus_torch"], fr?.["auc_minus_sklearn"]], (v) => Math.abs(v) <= 0.005),
  );
  row(
    "peak RSS of the flights deno-mlops child ≤ the tfjs-engine child's (same run)",
    fr?.["memory_vs_tfjs_engine"]?.n
      ? `${fmtStat(fr["memory_vs_tfjs_engine"], ratio)} of the tfjs engine's`
      : "–",
    met([fr?.["memory_vs_tfjs_engine"]], (v) => v <= 1),
  );
  row(
    "(information) training samples/s, kernels engine ÷ tfjs engine",
    `flights ${fmtStat(fr?.["train_vs_tfjs_engine"], ratio)}; penguins ${
      fmtStat(pr?.["train_vs_tfjs_engine"], ratio)
    }`,
    "–",
  );
  out.push("");
  return out;
}

// ---------------------------------------------------------------- machine facts

async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(" ") || "unknown";
}

async function cpuModel(): Promise<string> {
  const info = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const model = info.match(/model name\s*:\s*(.+)/)?.[1]?.trim() ?? "unknown";
  const family = info.match(/cpu family\s*:\s*(\d+)/)?.[1];
  const modelNo = info.match(/^model\s*:\s*(\d+)/m)?.[1];
  const flags = info.match(/^flags\s*:(.*)$/m)?.[1] ?? "";
  const simd = ["avx2", "avx512f", "avx512_bf16"].filter((f) => flags.includes(` ${f}`)).join(", ");
  return `${model} (family ${family}, model ${modelNo}; ${simd})`;
}

async function gitCommit(): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["rev-parse", "--short", "HEAD"],
    cwd: ROOT,
    stdout: "piped",
  })
    .output().catch(() => null);
  const commit = out?.success ? new TextDecoder().decode(out.stdout).trim() : "unknown";
  const dirty = await new Deno.Command("git", {
    args: ["status", "--porcelain", "--untracked-files=no"],
    cwd: ROOT,
    stdout: "piped",
  }).output().catch(() => null);
  return dirty?.success && new TextDecoder().decode(dirty.stdout).trim()
    ? `${commit} (with uncommitted changes)`
    : commit;
}

// ---------------------------------------------------------------- the project child

/**
 * `bench/run.ts --child <workload> <data> [--engine kernels|tfjs]`: the project's own pipeline,
 * as `deno task train` runs it but without recording the run (`--engine` sets
 * `training.engine`), then batch prediction of the test matrix. Prints one JSON line.
 */
async function projectChild(args: string[]): Promise<void> {
  const workload = args[1] as Workload;
  const path = args[2]!;
  const engineAt = args.indexOf("--engine");
  const engine = engineAt >= 0 ? args[engineAt + 1] : undefined;
  const { loadConfig } = await import("../src/config/mod.ts");
  const { runTraining } = await import("../src/pipelines/mod.ts");
  const loaded = await loadConfig({
    root: ROOT,
    ...(workload === "flights" ? { profile: "config/profiles/flights.yaml" } : {}),
    overrides: [`data.path=${path}`, ...(engine ? [`training.engine=${engine}`] : [])],
  });
  // Cold stages, as the peers run them: the stage cache is measured on its own (measureScale).
  const result = await runTraining(loaded, { record: false, cache: false });
  const { features, model, metrics, history } = result;
  const x = features.x.test;
  const warm = Math.min(8192, x.rows);
  model.predict({ data: x.data.subarray(0, warm * x.cols), rows: warm, cols: x.cols });
  const predictSeconds = fastestOf(() => model.predict(x)).seconds;
  console.log(JSON.stringify({
    system: "project",
    engine: loaded.config.training.engine,
    rows: { train: features.x.train.rows, val: features.x.val.rows, test: x.rows },
    features: features.names.length,
    stages: { ...result.record.stages, predict: predictSeconds },
    epochs: history.epochs.length,
    quality: {
      accuracy: (metrics.test as { accuracy: number }).accuracy,
      roc_auc: (metrics.test as { roc_auc: number }).roc_auc,
    },
  }));
  model.dispose();
}
