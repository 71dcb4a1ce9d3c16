/**
 * Atomic file writes: the content goes to a temporary file beside the target, which is then
 * renamed over it, so readers (and a process killed half-way) see the old file or the new one,
 * never a half-written one.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /**
   * Makes the temporary file's name from the target's base name and a random 8-hex token; it
   * is created in the target's folder (a rename across folders may not be atomic).
   * @default (name, token) => `.${name}.${token}.tmp`
   */
  temporaryName?: (name: string, token: string) => string;
  /**
   * Flush the data to disk (`fdatasync`) before the rename, so the new content survives a
   * power loss, not only a killed process.
   * @default false
   */
  sync?: boolean;
}

/** Defaults of {@link AtomicWriteOptions}. */
export const DEFAULT_ATOMIC_WRITE_OPTIONS: Readonly<Required<AtomicWriteOptions>> = {
  temporaryName: (name, token) => `.${name}.${token}.tmp`,
  sync: false,
};

/**
 * Writes `data` to `path` atomically: a new temporary file in the same folder (created with
 * `createNew`, never reusing a file), optionally synced, then renamed over `path`. On failure
 * the temporary file is removed and the error is thrown as it came; `path` is unchanged.
 *
 * @param path the file to write or replace
 * @param data text (written as UTF-8) or bytes
 * @param options the temporary file's name and whether to sync before the rename
 * @returns when the new file is in place
 * @throws the file-system error that stopped the write or the rename
 * @example
 * ```ts
 * await writeFileAtomic("models/production/current.json", text, { sync: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { temporaryName, sync } = { ...DEFAULT_ATOMIC_WRITE_OPTIONS, ...options };
  const token = crypto.randomUUID().slice(0, 8);
  const temporary = join(dirname(path), temporaryName(basename(path), token));
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const file = await Deno.open(temporary, { createNew: true, write: true });
    try {
      for (let n = 0; n < bytes.byteLength;) n += await file.write(bytes.subarray(n));
      if (sync) await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
  } catch (cause) {
    await Deno.remove(temporary).catch(() => {});
    throw cause;
  }
}
