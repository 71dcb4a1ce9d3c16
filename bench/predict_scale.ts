/**
 * Batch scoring at scale: `deno task predict` on 300k, 1M and 3M flights rows (Parquet and
 * CSV), measuring wall time, rows/s and the peak resident memory of the predict process, to show
 * that memory does not grow with the input size.
 *
 *   deno task data:pull
 *   deno run -A bench/predict_scale.ts [--run <flights run id>] [--repeat 3]
 *
 * Without --run it trains the flights profile first (about a minute).
 *
 * @module
 */
import pl from "nodejs-polars";
import { describeMachine, median, ROOT, runMeasured, writeResultsSection } from "./_results.ts";

const args = Deno.args;
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const repeat = Number(flag("repeat") ?? 3);
const source = `${ROOT}/data/raw/flights-3m.parquet`;
try {
  await Deno.stat(source);
} catch {
  console.error("bench: data/raw/flights-3m.parquet is missing; run `deno task data:pull` first");
  Deno.exit(1);
}

let runId = flag("run");
if (!runId) {
  console.log("training the flights profile (no --run given)…");
  const train = await runMeasured(Deno.execPath(), [
    "run",
    "-A",
    "src/cli/train.ts",
    "--config",
    "config/profiles/flights.yaml",
  ]);
  runId = train.stdout.match(/^run: (\S+)$/m)?.[1];
  if (train.code !== 0 || !runId) {
    console.error(train.stderr);
    Deno.exit(1);
  }
}

const work = await Deno.makeTempDir({ prefix: "bench-predict-" });
const all = pl.readParquet(source);
const sizes = [300_000, 1_000_000, 3_000_000];
const inputs: Array<{ rows: number; format: string; path: string }> = [];
for (const rows of sizes) {
  const part = rows >= all.height ? all : all.head(rows);
  const parquet = `${work}/flights-${rows}.parquet`;
  part.writeParquet(parquet);
  inputs.push({ rows, format: "parquet", path: parquet });
  if (rows !== 1_000_000) {
    const csv = `${work}/flights-${rows}.csv`;
    part.writeCSV(csv);
    inputs.push({ rows, format: "csv", path: csv });
  }
}

interface Row {
  rows: number;
  format: string;
  seconds: number[];
  peak: number[];
}
const results: Row[] = inputs.map((i) => ({
  rows: i.rows,
  format: i.format,
  seconds: [],
  peak: [],
}));
for (let r = 0; r < repeat; r++) {
  for (const [k, input] of inputs.entries()) {
    const out = `${work}/out-${k}.csv`;
    const run = await runMeasured(Deno.execPath(), [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      "src/cli/predict.ts",
      "--run",
      runId,
      "--input",
      input.path,
      "--output",
      out,
      "--json",
    ]);
    if (run.code !== 0) {
      console.error(run.stderr);
      Deno.exit(1);
    }
    const summary = JSON.parse(run.stdout);
    if (summary.rows_scored !== input.rows) {
      throw new Error(`scored ${summary.rows_scored} of ${input.rows}`);
    }
    results[k]!.seconds.push(run.seconds);
    results[k]!.peak.push(run.peakRssMiB);
    console.log(
      `${input.format} ${input.rows} rows: ${run.seconds.toFixed(1)} s, ${
        (input.rows / run.seconds / 1000).toFixed(0)
      }k rows/s, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
    );
    await Deno.remove(out);
  }
}
await Deno.remove(work, { recursive: true });

const table = results.map((r) => {
  const s = median(r.seconds);
  return `| ${r.format} | ${r.rows.toLocaleString("en-US")} | ${s.toFixed(1)} (${
    Math.min(...r.seconds).toFixed(1)
  }–${Math.max(...r.seconds).toFixed(1)}) | ${(r.rows / s / 1000).toFixed(0)}k | ${
    median(r.peak).toFixed(0)
  } (${Math.min(...r.peak).toFixed(0)}–${Math.max(...r.peak).toFixed(0)}) |`;
});
const peakOf = (format: string, rows: number) =>
  median(results.find((r) => r.format === format && r.rows === rows)!.peak);
const growth = ["parquet", "csv"].map((format) => {
  const small = peakOf(format, 300_000);
  const large = peakOf(format, 3_000_000);
  return `${format}: 10× the rows (300,000 → 3,000,000) took ${
    (large / small).toFixed(2)
  }× the peak memory (${small.toFixed(0)} → ${large.toFixed(0)} MiB).`;
}).join("\n");
await writeResultsSection(
  "predict",
  `## Batch prediction at scale (\`bench/predict_scale.ts\`)

Machine: ${await describeMachine()}.
Model: flights profile run \`${runId}\` (MLP 64-64, 45 inputs). Each input scored by a fresh
\`deno task predict\` process (batches of 100,000 rows, CSV output); wall time includes Deno
start-up and model loading; peak RSS is the predict process's VmHWM. n = ${repeat}, median (range).

| input | rows | seconds | rows/s | peak RSS MiB |
| --- | --- | --- | --- | --- |
${table.join("\n")}

${growth}`,
);
console.log("wrote bench/RESULTS.md (predict section)");
