/**
 * `deno task bench:out-of-core`: the flights task in memory and out of core, in one run.
 *
 * Runs the real `deno task train --config config/profiles/flights.yaml --no-cache` (its own
 * permissions; the run folder is removed after reading it) on:
 * 1. flights-3m in memory (`data.out_of_core=false`), the reference;
 * 2. flights-3m out of core (`data.out_of_core=true`): same split rows, metrics within tolerance;
 * 3. flights-30m out of core, when `data/raw/flights-30m.parquet` exists (`deno task
 *    data:flights-10x`) and `--skip-30m` is not given.
 *
 * For each: wall seconds, input rows per wall second, peak RSS (VmHWM sampled every 25 ms), the
 * run's stage seconds and test AUC, and the load average before the run. The targets of issue
 * #19: the 30M out-of-core peak RSS at most 1.5× the 3M in-memory run's, and its rows/s within
 * 10% of the 3M in-memory run's. Writes the `out-of-core` section of bench/RESULTS.md.
 *
 * @module
 */
import { describeMachine, ROOT, runMeasured, writeResultsSection } from "./_results.ts";

const CHILD_TIMEOUT_MS = 30 * 60 * 1000;

interface Row {
  label: string;
  path: string;
  outOfCore: boolean;
  ok: boolean;
  error?: string;
  inputRows: number;
  trainRows: number;
  wallSeconds: number;
  peakRssMiB: number;
  stages: Record<string, number>;
  testAuc: number;
  load: string;
}

async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ").slice(0, 3).join(" ");
}

async function trainFlights(label: string, path: string, outOfCore: boolean): Promise<Row> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const taskArgs = String(denoJson.tasks.train.command).split(/\s+/).slice(1);
  const load = await loadAverage();
  const measured = await runMeasured(Deno.execPath(), [
    ...taskArgs,
    "--config",
    "config/profiles/flights.yaml",
    "--no-cache",
    "--set",
    `data.path=${path}`,
    "--set",
    `data.out_of_core=${outOfCore}`,
  ], { timeoutMs: CHILD_TIMEOUT_MS });
  const row: Row = {
    label,
    path,
    outOfCore,
    ok: false,
    inputRows: 0,
    trainRows: 0,
    wallSeconds: measured.seconds,
    peakRssMiB: measured.peakRssMiB,
    stages: {},
    testAuc: NaN,
    load,
  };
  const id = measured.stdout.match(/^run: (\S+)$/m)?.[1];
  if (measured.code !== 0 || !id) {
    row.error = `exit ${measured.code}: ${
      (measured.stderr + measured.stdout).trim().split("\n").slice(-3).join(" | ")
    }`;
    return row;
  }
  const dir = `${ROOT}/models/experiments/${id}`;
  const record = JSON.parse(await Deno.readTextFile(`${dir}/run.json`));
  row.ok = true;
  row.inputRows = record.rows.raw;
  row.trainRows = record.rows.train;
  row.stages = record.stages;
  row.testAuc = record.primary.test;
  await Deno.remove(dir, { recursive: true });
  return row;
}

function describe(row: Row): string {
  return row.ok
    ? `${row.wallSeconds.toFixed(1)} s, ${rowsPerSecond(row).toFixed(0)} rows/s, peak ${
      row.peakRssMiB.toFixed(0)
    } MiB, test AUC ${row.testAuc.toFixed(4)}`
    : `FAILED ${row.error}`;
}

function rowsPerSecond(row: Row): number {
  return row.inputRows / row.wallSeconds;
}

const skip30m = Deno.args.includes("--skip-30m");
const big = "data/raw/flights-30m.parquet";
const hasBig = await Deno.stat(`${ROOT}/${big}`).then(() => true).catch(() => false);
const rows: Row[] = [];
for (
  const [label, path, outOfCore] of [
    ["3M in memory", "data/raw/flights-3m.parquet", false],
    ["3M out of core", "data/raw/flights-3m.parquet", true],
    ...(hasBig && !skip30m ? [["30M out of core", big, true]] as const : []),
  ] as const
) {
  const row = await trainFlights(label, path, outOfCore);
  rows.push(row);
  console.log(`${label}: ${describe(row)} (load ${row.load})`);
}

const reference = rows[0]!;
const lines = [
  "## Scale out of core (`bench/out_of_core.ts`)",
  "",
  `Machine: ${await describeMachine()}. The machine is shared: the load average (1, 5, 15 min) before each run is listed.`,
  "",
  "`deno task train --config config/profiles/flights.yaml --no-cache --set data.path=… --set data.out_of_core=…`, one run each, in one bench run. rows/s: input rows per wall second of the whole process. Out of core: batches of `data.batch_rows` = 262,144 rows, training windows of 4 batches.",
  "",
  "| run | input rows | train rows | wall s | rows/s | vs 3M in memory | peak RSS MiB | vs 3M in memory | test AUC | stages s (run.json) | load |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((row) =>
    row.ok
      ? `| ${row.label} | ${row.inputRows.toLocaleString("en-US")} | ${
        row.trainRows.toLocaleString("en-US")
      } | ${row.wallSeconds.toFixed(1)} | ${rowsPerSecond(row).toFixed(0)} | ${
        (rowsPerSecond(row) / rowsPerSecond(reference)).toFixed(2)
      }× | ${row.peakRssMiB.toFixed(0)} | ${
        (row.peakRssMiB / reference.peakRssMiB).toFixed(2)
      }× | ${row.testAuc.toFixed(4)} | ${
        Object.entries(row.stages).map(([name, seconds]) => `${name} ${seconds.toFixed(1)}`)
          .join(", ")
      } | ${row.load} |`
      : `| ${row.label} | failed: ${row.error} | | | | | | | | | ${row.load} |`
  ),
  "",
  `Targets (issue #19): 30M out of core at most 1.5× the peak RSS of 3M in memory, and rows/s within 10% of 3M in memory (≥ 0.90×).${
    hasBig && !skip30m
      ? ""
      : " The 30M row was not run (no data/raw/flights-30m.parquet: `deno task data:flights-10x`)."
  }`,
];
await writeResultsSection("out-of-core", lines.join("\n"));
console.log("wrote the out-of-core section of bench/RESULTS.md");
