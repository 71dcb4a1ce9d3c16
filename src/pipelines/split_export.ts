/**
 * Writes a recorded run's train, validation and test rows as CSV files: the input rows as
 * loaded (before cleaning), taken from the row numbers the run recorded in `split.json`, so
 * another tool can fit and score on exactly the run's rows.
 *
 * @module
 */
import { isAbsolute } from "node:path";
import pl from "nodejs-polars";
import { loadConfig } from "../config/mod.ts";
import { decodeRowRanges, detectFormat, fingerprintData, loadDataset } from "../data/mod.ts";
import { readRunFolder, RUN_ARTIFACTS, runArtifactPath } from "../models/mod.ts";
import { ArtifactError } from "../errors.ts";
import type { RunLocations } from "./run_artifacts.ts";

/** The folder `exportRunSplit` writes into by default, relative to the project root. */
export const SPLITS_DIR = "data/processed/splits";

/** Options of `exportRunSplit`. */
export interface ExportRunSplitOptions {
  /**
   * The folder for `train.csv`, `val.csv` and `test.csv` (relative to the root, or absolute).
   * @default `data/processed/splits/<run-id>`
   */
  out?: string | null;
  /**
   * Whether existing files may be replaced.
   * @default false
   */
  force?: boolean;
}

/** Defaults of `ExportRunSplitOptions`. */
export const DEFAULT_EXPORT_RUN_SPLIT_OPTIONS: Required<ExportRunSplitOptions> = {
  out: null,
  force: false,
};

/** What `exportRunSplit` wrote. */
export interface RunSplitExport {
  /** The run id. */
  id: string;
  /** The folder the files are in. */
  dir: string;
  /** The path of each file. */
  files: { train: string; val: string; test: string };
  /** Rows written to each file. */
  rows: { train: number; val: number; test: number };
  /** Rows of the input file as loaded. */
  inputRows: number;
  /**
   * `true` when each row is its line of the CSV input, byte for byte (separator, quoting,
   * encoding and date formats as in the input, so the run's profile reads the files as it read
   * the input); `false` when the rows were written from the loaded frame as comma-separated CSV
   * (inputs in another format, or a CSV whose lines are not one row each).
   */
  copiedLines: boolean;
}

const SPLIT_NAMES = ["train", "val", "test"] as const;

/**
 * Writes `train.csv`, `val.csv` and `test.csv` of a recorded run: each the input rows, as the
 * loader reads them with the run's config, that the run put in that split, in the run's order.
 *
 * @param id the run id (a folder of `registry.experiments_dir`)
 * @param where the project root and registry folders; a `LoadedConfig` will do
 * @param options `out` (the folder) and `force` (replace existing files)
 * @returns the folder, the files and the rows written to each
 * @throws {ArtifactError} when the run is missing or altered, has no `split.json` (trained
 *   before runs recorded their split), its input file changed since, or a file exists and
 *   `force` is off
 * @example
 * ```ts
 * const written = await exportRunSplit(id, await loadConfig());
 * written.rows; // { train: 239, val: 51, test: 52 }
 * ```
 */
export async function exportRunSplit(
  id: string,
  where: RunLocations,
  options: ExportRunSplitOptions = {},
): Promise<RunSplitExport> {
  const { out, force } = { ...DEFAULT_EXPORT_RUN_SPLIT_OPTIONS, ...options };
  const action = `Cannot write the split of run "${id}"`;
  const { dir, record } = await readRunFolder(where.config.registry.experiments_dir, id);
  if (!Object.hasOwn(record.artifacts ?? {}, RUN_ARTIFACTS.split.file)) {
    throw new ArtifactError(
      `${action}: "${dir}" has no ${RUN_ARTIFACTS.split.file}, so its rows are not on record (the run was trained before runs recorded their split); retrain it with \`deno task train\` to get one`,
    );
  }
  const split = await RUN_ARTIFACTS.split.read(dir);
  const loaded = await loadConfig({ root: where.root, snapshot: runArtifactPath(dir, "config") });
  const path = loaded.config.data.path;
  const now = await fingerprintData(path).catch((cause) => {
    throw new ArtifactError(`${action}: its input file "${path}" cannot be read`, { cause });
  });
  if (now.sha256 !== split.data.sha256) {
    throw new ArtifactError(
      `${action}: its input file "${path}" changed since the run was trained (sha256 ${
        now.sha256.slice(0, 12)
      }…, recorded ${
        split.data.sha256.slice(0, 12)
      }…); restore the file the run was trained on (deno task data:pull for shipped data)`,
    );
  }
  const raw = loadDataset(path, loaded.config.data);
  if (raw.height !== split.data.rows) {
    throw new ArtifactError(
      `${action}: "${path}" loads as ${raw.height} rows, the run recorded ${split.data.rows}; load it with the version of deno-mlops that trained the run`,
    );
  }
  const folder = out ?? `${SPLITS_DIR}/${id}`;
  const target = isAbsolute(folder) ? folder : `${where.root}/${folder}`;
  const files = {
    train: `${target}/train.csv`,
    val: `${target}/val.csv`,
    test: `${target}/test.csv`,
  };
  if (!force) {
    const existing = [];
    for (const name of SPLIT_NAMES) {
      if (await exists(files[name])) existing.push(`${name}.csv`);
    }
    if (existing.length > 0) {
      throw new ArtifactError(
        `${action}: "${target}" already holds ${
          existing.join(", ")
        }; pass --force to replace them, or --out another folder`,
      );
    }
  }
  const format = loaded.config.data.format === "auto"
    ? detectFormat(path)
    : loaded.config.data.format;
  const lines = format === "csv" && !path.includes("://")
    ? csvRowLines(await Deno.readFile(path), raw.height)
    : null;
  await Deno.mkdir(target, { recursive: true });
  const rows = { train: 0, val: 0, test: 0 };
  for (const name of SPLIT_NAMES) {
    const positions = decodeRowRanges(split[name]);
    const beyond = positions.find((row) => row >= raw.height);
    if (beyond !== undefined) {
      throw new ArtifactError(
        `${action}: split.json lists row ${beyond} in ${name}, beyond the ${raw.height} rows of "${path}"; retrain the run`,
      );
    }
    if (lines !== null) {
      await Deno.writeFile(
        files[name],
        joinLines(
          [lines.header, ...positions].map((row) =>
            typeof row === "number" ? lines.rows[row]! : row
          ),
        ),
      );
    } else {
      const frame = raw.select(pl.all().gather(Array.from(positions)));
      await Deno.writeTextFile(files[name], frame.writeCSV().toString());
    }
    rows[name] = positions.length;
  }
  return { id, dir: target, files, rows, inputRows: raw.height, copiedLines: lines !== null };
}

/**
 * Splits a CSV file's bytes into its header line and one line per row, each without its `\n`
 * (a `\r` stays), when the file has exactly one line per row; otherwise (a quoted field holding
 * a line break) `null`. Working on bytes keeps the file's encoding as it is.
 *
 * @param bytes the file
 * @param rows the rows the loader read from it
 * @returns the header and row lines, or `null`
 * @example
 * ```ts
 * csvRowLines(new TextEncoder().encode("a,b\n1,2\n3,4\n"), 2); // { header: "a,b", rows: ["1,2", "3,4"] } as bytes
 * ```
 */
export function csvRowLines(
  bytes: Uint8Array,
  rows: number,
): { header: Uint8Array; rows: Uint8Array[] } | null {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    lines.push(bytes.subarray(start, i));
    start = i + 1;
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  const header = lines.shift();
  if (header === undefined || lines.length !== rows) return null;
  return { header, rows: lines };
}

function joinLines(lines: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(lines.reduce((sum, line) => sum + line.length + 1, 0));
  let at = 0;
  for (const line of lines) {
    out.set(line, at);
    at += line.length;
    out[at++] = 0x0a;
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
