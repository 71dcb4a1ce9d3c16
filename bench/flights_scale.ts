/**
 * `deno task data:flights-10x`: builds a larger flights file from `data/raw/flights-3m.parquet`
 * for the out-of-core benchmark (`bench/out_of_core.ts`), without holding it in memory.
 *
 * Copy `k` (0 … factor − 1) of the 3,000,000 flights is a seeded bootstrap resample of each
 * batch of 250,000 source rows (rows drawn with replacement within the batch, so the copy keeps
 * the source's time order and its mix of routes and hours), with every date moved `k × 364` days
 * later (52 weeks: weekdays and hours are kept, so the features mean the same). Copies follow
 * each other in time, so a time split trains on the oldest. Each resampled batch is written as
 * a Parquet part under `data/processed/flights-scale-parts/`; the parts are then streamed into
 * one Parquet file by polars' `sinkParquet` and removed. Peak memory is a few batches.
 *
 *   deno task data:flights-10x                       # data/raw/flights-30m.parquet, seed 7
 *   deno task data:flights-10x --factor 3 --seed 1 --out data/raw/flights-9m.parquet
 *
 * The output is derived data (not in data/manifest.json) and the same bytes for the same
 * factor and seed.
 *
 * @module
 */
import pl from "nodejs-polars";
import { Random } from "../src/utils/mod.ts";

/** Options of {@link scaleFlights}. */
export interface ScaleFlightsOptions {
  /** The source file. @default "data/raw/flights-3m.parquet" */
  source?: string;
  /** The output file. @default "data/raw/flights-30m.parquet" */
  out?: string;
  /** Copies of the source. @default 10 */
  factor?: number;
  /** Seed of the resampling. @default 7 */
  seed?: number;
  /** Source rows per batch. @default 250000 */
  batchRows?: number;
}

/** Defaults of {@link ScaleFlightsOptions}. */
export const DEFAULT_SCALE_FLIGHTS_OPTIONS: Required<ScaleFlightsOptions> = {
  source: "data/raw/flights-3m.parquet",
  out: "data/raw/flights-30m.parquet",
  factor: 10,
  seed: 7,
  batchRows: 250_000,
};

const DAY_US = 86_400_000_000;

/**
 * Writes `factor` seeded, date-shifted bootstrap copies of the flights file as one Parquet file.
 *
 * @param options source, output, factor, seed and batch size
 * @returns the rows written
 * @throws {Error} when the source is missing or has no `date` column
 * @example
 * ```ts
 * await scaleFlights({ factor: 10 }); // 30,000,000
 * ```
 */
export async function scaleFlights(options: ScaleFlightsOptions = {}): Promise<number> {
  const { source, out, factor, seed, batchRows } = { ...DEFAULT_SCALE_FLIGHTS_OPTIONS, ...options };
  const parts = "data/processed/flights-scale-parts";
  await Deno.remove(parts, { recursive: true }).catch(() => {});
  await Deno.mkdir(parts, { recursive: true });
  const lazy = pl.scanParquet(source);
  const sourceRows = Number(lazy.select(pl.len().alias("n")).collectSync().row(0)[0]);
  const seeds = new Random(seed);
  let written = 0;
  let part = 0;
  try {
    for (let copy = 0; copy < factor; copy++) {
      const rng = new Random(seeds.derive(`copy ${copy}`));
      for (let offset = 0; offset < sourceRows; offset += batchRows) {
        const batch = lazy.slice(offset, batchRows).collectSync();
        const picks = Uint32Array.from(
          { length: batch.height },
          () => Math.floor(rng.next() * batch.height),
        );
        picks.sort();
        const resampled = batch.select(
          ...batch.columns.map((name) =>
            name === "date"
              ? pl.col("date").gather([...picks]).cast(pl.Int64)
                .add(pl.lit(copy * 364 * DAY_US)).cast(pl.Datetime("us")).alias("date")
              : pl.col(name).gather([...picks])
          ),
        );
        resampled.writeParquet(`${parts}/part-${String(part++).padStart(5, "0")}.parquet`);
        written += resampled.height;
        // Polars frames free their native memory from finalizers, which run between tasks.
        (globalThis as { gc?: () => void }).gc?.();
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      console.log(`copy ${copy + 1}/${factor}: ${written.toLocaleString("en-US")} rows`);
    }
    const temporary = `${out}.partial`;
    pl.scanParquet(`${parts}/*.parquet`).sinkParquet(temporary).collectSync();
    await Deno.rename(temporary, out);
  } finally {
    await Deno.remove(parts, { recursive: true }).catch(() => {});
  }
  return written;
}

if (import.meta.main) {
  const args = Deno.args;
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const factor = Number(value("factor") ?? DEFAULT_SCALE_FLIGHTS_OPTIONS.factor);
  const started = performance.now();
  const rows = await scaleFlights({
    factor,
    seed: Number(value("seed") ?? DEFAULT_SCALE_FLIGHTS_OPTIONS.seed),
    out: value("out") ??
      (factor === 10
        ? DEFAULT_SCALE_FLIGHTS_OPTIONS.out
        : `data/raw/flights-${3 * factor}m.parquet`),
  });
  console.log(
    `wrote ${rows.toLocaleString("en-US")} rows in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
}
