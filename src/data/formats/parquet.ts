/**
 * The `parquet` format (`.parquet`): scanned lazily, only the columns kept are read.
 *
 * @module
 */
import pl from "nodejs-polars";
import { columnarFormat } from "./_columnar.ts";

/** The `parquet` format. */
export const PARQUET_FORMAT = columnarFormat("parquet", [".parquet"], {
  scan: (path) => pl.scanParquet(path),
  fallback: () => null,
});
