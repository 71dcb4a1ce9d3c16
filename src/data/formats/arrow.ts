/**
 * The `arrow` format: Arrow IPC files and streams (`.arrow`, `.ipc`, `.feather`), scanned lazily.
 *
 * @module
 */
import pl from "nodejs-polars";
import type { LazyDataFrame } from "nodejs-polars";
import { Buffer } from "node:buffer";
import { columnarFormat } from "./_columnar.ts";

/** The `arrow` format. */
export const ARROW_FORMAT = columnarFormat("arrow", [".arrow", ".ipc", ".feather"], {
  scan: (path) => pl.scanIPC(path) as unknown as LazyDataFrame,
  // An IPC stream (not file) cannot be scanned; it is read whole.
  fallback: (path) =>
    isIpcStream(path) ? pl.readIPCStream(Buffer.from(Deno.readFileSync(path))).lazy() : null,
});

/** Arrow IPC streams (as opposed to files) start with the 0xFFFFFFFF continuation marker. */
function isIpcStream(path: string): boolean {
  const handle = Deno.openSync(path);
  try {
    const head = new Uint8Array(4);
    return handle.readSync(head) === 4 && head.every((byte) => byte === 0xff);
  } finally {
    handle.close();
  }
}
