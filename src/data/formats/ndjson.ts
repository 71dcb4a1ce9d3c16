/**
 * The `ndjson` format: one JSON object per line (`.ndjson`, `.jsonl`), read lazily by polars or
 * streamed line by line in batches with every value as text.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { DataFrame, LazyDataFrame } from "nodejs-polars";
import { ArtifactError } from "../../errors.ts";
import type { DataFile, DataFormatEntry, RowBatch } from "./_registry.ts";
import { wrapPolars } from "./_checks.ts";

/** The `ndjson` format: newline-delimited JSON records. */
export const NDJSON_FORMAT: DataFormatEntry = {
  name: "ndjson",
  extensions: [".ndjson", ".jsonl"],
  read: (file) => readJsonLines(file),
  scan: (file, options) => readJsonLineBatches(file.path, options.batchRows),
  lazy: (file) => scanJsonLines(file),
};

function scanJsonLines(file: DataFile): LazyDataFrame {
  try {
    return pl.scanJson(file.path, { inferSchemaLength: null });
  } catch (cause) {
    throw explainJsonLines(file, cause);
  }
}

function readJsonLines(file: DataFile): DataFrame {
  const lazy = scanJsonLines(file);
  try {
    return lazy.collectSync();
  } catch (cause) {
    throw explainJsonLines(file, cause);
  }
}

function explainJsonLines(file: DataFile, cause: unknown): ArtifactError {
  const lines = Deno.readTextFileSync(file.path).split("\n");
  let records = 0;
  for (const [index, text] of lines.entries()) {
    if (text.trim() === "") continue;
    records++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return new ArtifactError(
        `Cannot load dataset "${file.path}": line ${index + 1} is not valid JSON ` +
          `(${(error as Error).message}); fix the line`,
        { cause },
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      const kind = Array.isArray(value)
        ? "an array"
        : value === null
        ? "null"
        : `a ${typeof value}`;
      return new ArtifactError(
        `Cannot load dataset "${file.path}": line ${index + 1} holds ${kind}, expected a JSON ` +
          `object (one record per line)`,
        { cause },
      );
    }
  }
  if (records === 0) {
    return new ArtifactError(
      `Cannot load dataset "${file.path}": the file holds only blank lines (${file.bytes} bytes); ` +
        `restore or regenerate it`,
      { cause },
    );
  }
  return wrapPolars(file, cause);
}

async function* readJsonLineBatches(path: string, batchRows: number): AsyncGenerator<RowBatch> {
  const file = await Deno.open(path);
  const reader = file.readable.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  let line = 0;
  let firstRow = 1;
  let records: Record<string, string | null>[] = [];
  const columns = new Set<string>();
  const flush = (): DataFrame => {
    const names = [...columns];
    const frame = pl.DataFrame(
      Object.fromEntries(
        names.map((name) => [name, pl.Series(name, records.map((r) => r[name] ?? null), pl.Utf8)]),
      ),
    );
    records = [];
    return frame;
  };
  const take = (text: string): void => {
    line++;
    if (text.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new ArtifactError(`Cannot read "${path}" line ${line}: it is not valid JSON`, {
        cause,
      });
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ArtifactError(
        `Cannot read "${path}" line ${line}: expected a JSON object per line`,
      );
    }
    const row: Record<string, string | null> = Object.create(null);
    for (const [key, v] of Object.entries(value)) {
      columns.add(key);
      row[key] = v === null || v === undefined
        ? null
        : typeof v === "object"
        ? JSON.stringify(v)
        : String(v);
    }
    records.push(row);
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += value;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        take(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf("\n");
        if (records.length === batchRows) {
          const count = records.length;
          yield { frame: flush(), firstRow };
          firstRow += count;
        }
      }
    }
    if (pending.length > 0) take(pending);
    if (records.length > 0) yield { frame: flush(), firstRow };
    else if (firstRow === 1) throw emptyInput(path);
  } finally {
    reader.releaseLock();
    try {
      file.close();
    } catch {
      // Already closed by the stream.
    }
  }
}

function emptyInput(path: string): ArtifactError {
  return new ArtifactError(`Cannot read "${path}": the file holds no data rows`);
}
