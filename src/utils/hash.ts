/**
 * sha256 fingerprints of bytes, files, JSON values and data frames.
 *
 * @module
 */
import type { DataFrame } from "nodejs-polars";
import { ArtifactError } from "../errors.ts";

/** A file's fingerprint as recorded in a run. */
export interface FileFingerprint {
  /** The path as given. */
  path: string;
  /** Lowercase hex sha256 of the file's bytes. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
}

/**
 * Returns the lowercase hex sha256 of `data`.
 *
 * @param data bytes or a string (hashed as UTF-8)
 * @returns 64 hex characters
 * @example
 * ```ts
 * await sha256Hex("abc"); // "ba7816bf..."
 * ```
 */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Returns the sha256 and size of a file.
 *
 * @param path the file to read
 * @returns the fingerprint
 * @throws {ArtifactError} when the file cannot be read
 * @example
 * ```ts
 * const { sha256, bytes } = await fingerprintFile("data/raw/penguins.csv");
 * ```
 */
export async function fingerprintFile(path: string): Promise<FileFingerprint> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (cause) {
    throw new ArtifactError(`Cannot fingerprint "${path}": the file cannot be read`, { cause });
  }
  return { path, sha256: await sha256Hex(bytes), bytes: bytes.byteLength };
}

/**
 * Returns a JSON string with object keys sorted, so equal values give equal strings.
 *
 * @param value any JSON-compatible value
 * @returns the canonical JSON text
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: 2 }); // '{"a":2,"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]));
    }
    return v;
  });
}

/**
 * Returns the sha256 of a JSON value's canonical form.
 *
 * @param value any JSON-compatible value
 * @returns 64 hex characters, stable under key order
 * @example
 * ```ts
 * (await hashJson({ a: 1, b: 2 })) === (await hashJson({ b: 2, a: 1 })); // true
 * ```
 */
export function hashJson(value: unknown): Promise<string> {
  return sha256Hex(canonicalJson(value));
}

/**
 * Returns the sha256 of a frame's schema and values, independent of how it was loaded.
 *
 * Columns are hashed in order with their names and dtypes; values are serialised through IPC
 * so nulls and NaN are distinguished.
 *
 * @param df the frame
 * @returns 64 hex characters
 * @example
 * ```ts
 * await fingerprintFrame(pl.DataFrame({ a: [1, 2] }));
 * ```
 */
export function fingerprintFrame(df: DataFrame): Promise<string> {
  const header = df.columns.map((name) => `${name}:${String(df.getColumn(name).dtype)}`).join("\n");
  const body = df.writeIPC();
  const head = new TextEncoder().encode(header + "\n");
  const all = new Uint8Array(head.byteLength + body.byteLength);
  all.set(head, 0);
  all.set(body, head.byteLength);
  return sha256Hex(all);
}
