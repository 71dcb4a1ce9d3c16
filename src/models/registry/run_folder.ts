/**
 * Run folders wherever the experiments live: a local folder (`local_runs.ts`) or an `s3://`
 * prefix (`remote_runs.ts`), chosen by the location. Run ids, the sealed record and the other
 * local helpers are re-exported from `local_runs.ts`.
 *
 * @module
 */
import { isS3Url, joinS3Url } from "../../storage/mod.ts";
import {
  assertRunId,
  listLocalRunIds,
  readLocalRunFolder,
  type RunRecord,
  writeLocalRunFolder,
} from "./local_runs.ts";
import {
  fetchRunFolder,
  listPublishedRunIds,
  publishRunFolder,
  registryMirrorDir,
  registryStore,
} from "./remote_runs.ts";

export {
  assertRunId,
  createRunId,
  isPartialName,
  PARTIAL_PREFIX,
  readRecord,
  RUN_FORMAT_VERSION,
  RUN_ID_PATTERN,
  writeRunRecord,
} from "./local_runs.ts";
export type { RunRecord } from "./local_runs.ts";

/**
 * Writes a run folder atomically: `write` fills a hidden temporary folder, the sha256 of every
 * listed artifact (every file but `run.json` and the derived report) goes into `run.json`, and the folder is renamed into place only
 * when all of it is written.
 *
 * A crash before the rename leaves only a hidden `.partial-*` folder, which is never listed.
 *
 * Under an `s3://` prefix the folder is written so in the local mirror (see
 * `registryMirrorDir`), then every file is uploaded under `<prefix>/<id>/` with the sealed
 * `run.json` last: a failed upload leaves no `run.json`, so nothing is published.
 *
 * @param experimentsDir the experiments folder (created when missing)
 * @param record the run record without `id` and `artifacts`, which this function fills in
 * @param write writes the artifacts into the folder it is given
 * @returns the final run folder and the record as written
 * @throws {ArtifactError} when writing fails; the temporary folder is removed
 * @example
 * ```ts
 * await writeRunFolder("models/experiments", record, async (dir) => { await Deno.writeTextFile(`${dir}/metrics.json`, "{}"); });
 * ```
 */
export async function writeRunFolder(
  experimentsDir: string,
  record: Omit<RunRecord, "artifacts">,
  write: (dir: string) => Promise<void>,
): Promise<{ dir: string; record: RunRecord }> {
  if (!isS3Url(experimentsDir)) return await writeLocalRunFolder(experimentsDir, record, write);
  // Written locally in the mirror, then published with run.json last.
  const store = registryStore();
  const written = await writeLocalRunFolder(registryMirrorDir(experimentsDir), record, write);
  try {
    await publishRunFolder(store, written.dir, joinS3Url(experimentsDir, written.record.id));
  } catch (error) {
    await Deno.remove(written.dir, { recursive: true }).catch(() => {});
    throw error;
  }
  return written;
}

/**
 * Lists the ids of complete runs, newest first (ids start with their UTC time); under an
 * `s3://` prefix, the runs whose `run.json` is published.
 *
 * @param experimentsDir the experiments folder
 * @returns run ids; empty when the folder does not exist
 * @example
 * ```ts
 * const [latest] = await listRunIds("models/experiments");
 * ```
 */
export async function listRunIds(experimentsDir: string): Promise<string[]> {
  if (isS3Url(experimentsDir)) return await listPublishedRunIds(registryStore(), experimentsDir);
  return await listLocalRunIds(experimentsDir);
}

/**
 * Reads a run's `run.json` and checks the sha256 of every artifact it lists. A run under an
 * `s3://` prefix is fetched into the local mirror first, and the mirror's folder is returned.
 *
 * @param experimentsDir the experiments folder
 * @param id the run id
 * @returns the run folder and its record
 * @throws {ArtifactError} when the id is unknown (with the closest id), `run.json` is unreadable,
 *   or an artifact is missing or does not match its recorded sha256
 * @example
 * ```ts
 * const { dir, record } = await readRunFolder("models/experiments", "20261127-074512-penguins-1a2b3c4d");
 * ```
 */
export async function readRunFolder(
  experimentsDir: string,
  id: string,
): Promise<{ dir: string; record: RunRecord }> {
  assertRunId(id);
  if (isS3Url(experimentsDir)) return await fetchRunFolder(registryStore(), experimentsDir, id);
  return await readLocalRunFolder(experimentsDir, id);
}
