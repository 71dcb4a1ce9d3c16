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
import type { DataSource, DataStat, StagedWrite } from "./_registry.ts";

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

function prepare(location: string): Promise<string> {
  return Promise.resolve(localPath(location));
}

function stageWrite(location: string): Promise<StagedWrite> {
  const path = localPath(location);
  return Promise.resolve({
    path,
    publish: () => Promise.resolve(),
    discard: () => Promise.resolve(),
  });
}

/** The local file source (scheme `file`, and every location without a scheme). */
export const LOCAL_SOURCE: DataSource = {
  scheme: "file",
  prepare,
  stat,
  localPath,
  stageWrite,
  read,
  fingerprint,
};
