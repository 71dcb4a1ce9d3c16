/**
 * The local file system as a data source: plain paths (relative to the working directory or
 * absolute) and `file://` URLs.
 *
 * @module
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ArtifactError } from "../../errors.ts";
import { fingerprintFile } from "../../utils/mod.ts";
import type { DataSource, DataStat } from "./_registry.ts";

function localPath(location: string): string {
  return /^file:\/\//i.test(location) ? fileURLToPath(location) : resolve(location);
}

function stat(location: string): DataStat | null {
  const path = localPath(location);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return null;
    throw new ArtifactError(`Cannot read "${path}": the file cannot be examined`, { cause });
  }
  return { isFile: info.isFile, bytes: info.size };
}

async function read(location: string): Promise<Uint8Array> {
  const path = localPath(location);
  try {
    return await Deno.readFile(path);
  } catch (cause) {
    throw new ArtifactError(`Cannot read "${path}": the file cannot be read`, { cause });
  }
}

async function fingerprint(location: string) {
  const found = await fingerprintFile(localPath(location));
  return { ...found, path: location };
}

/** The local file source (scheme `file`, and every location without a scheme). */
export const LOCAL_SOURCE: DataSource = { scheme: "file", stat, localPath, read, fingerprint };
