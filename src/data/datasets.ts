/**
 * Copies the datasets the project uses from the pinned `vega-datasets` npm package into
 * `data/raw/`, checking each against the sha256 manifest committed in `data/manifest.json`.
 *
 * @module
 */
import { ArtifactError } from "../errors.ts";
import { sha256Hex, writeFileAtomic } from "../utils/mod.ts";

/** One file of the manifest. */
export interface ManifestEntry {
  /** File name inside the package's `data/` folder and inside `data/raw/`. */
  name: string;
  /** Expected lowercase hex sha256. */
  sha256: string;
  /** Expected size in bytes. */
  bytes: number;
}

/** The committed manifest: the package pinned and the files taken from it. */
export interface DatasetManifest {
  /** npm package name. */
  package: string;
  /** Exact version. */
  version: string;
  /** Files copied by `deno task data:pull`. */
  files: ManifestEntry[];
  /** Files committed in `data/raw/`, checked but never copied. */
  shipped: ManifestEntry[];
}

/** What happened to one file. */
export interface PullResult {
  /** File name. */
  name: string;
  /**
   * `copied` into an empty place, `replaced` over a different file (only with `overwrite`),
   * `present` when the target already held the exact bytes, `verified` for a shipped file.
   */
  status: "copied" | "replaced" | "present" | "verified";
  /** Size in bytes. */
  bytes: number;
}

/** Options for {@link pullDatasets}. */
export interface PullOptions {
  /** The package's `data/` folder to copy from. */
  sourceDir: string;
  /** The folder to copy into, usually `data/raw/`. */
  targetDir: string;
  /** The manifest to check against. */
  manifest: DatasetManifest;
  /**
   * Replace a target that exists with other bytes (an edited or stale copy). Without it such a
   * file is refused, as an edited shipped file is.
   * @default false
   */
  overwrite?: boolean;
}

/**
 * Reads and checks the shape of a manifest file.
 *
 * @param path the manifest, usually `data/manifest.json`
 * @returns the manifest
 * @throws {ArtifactError} when the file is missing or malformed
 * @example
 * ```ts
 * const manifest = await readManifest("data/manifest.json");
 * ```
 */
export async function readManifest(path: string): Promise<DatasetManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await Deno.readTextFile(path));
  } catch (cause) {
    throw new ArtifactError(`Cannot read dataset manifest "${path}": ${errorText(cause)}`, {
      cause,
    });
  }
  const manifest = raw as Partial<DatasetManifest>;
  const entries = [...(manifest.files ?? []), ...(manifest.shipped ?? [])];
  const shapeOk = typeof manifest.package === "string" && typeof manifest.version === "string" &&
    Array.isArray(manifest.files) && Array.isArray(manifest.shipped) &&
    entries.every((e) =>
      typeof e?.name === "string" && /^[0-9a-f]{64}$/.test(e.sha256 ?? "") &&
      Number.isInteger(e.bytes) && !e.name.includes("/") && !e.name.includes("\\")
    );
  if (!shapeOk) {
    throw new ArtifactError(
      `Cannot read dataset manifest "${path}": expected { package, version, files: [{ name, sha256, bytes }], shipped: [...] } with plain file names and hex sha256 values`,
    );
  }
  return manifest as DatasetManifest;
}

/**
 * Copies every manifest file from the package into `targetDir` and checks its sha256, then
 * checks the shipped files already in `targetDir`.
 *
 * A file is first copied to a temporary name and renamed only once its hash matches, so a
 * mismatch or a crash never leaves a wrong file under its real name. A target that already
 * holds the exact bytes is left alone. A target that holds other bytes (an edited copy) is
 * refused, every such file named, before anything is written, unless `overwrite` is set.
 *
 * @param options source, target and manifest
 * @returns one result per file, manifest order, shipped files last
 * @throws {ArtifactError} on a target that differs from the manifest (without `overwrite`), a
 *   missing source, a size or hash mismatch, or a write failure
 * @example
 * ```ts
 * await pullDatasets({ sourceDir, targetDir: "data/raw", manifest });
 * ```
 */
export async function pullDatasets(options: PullOptions): Promise<PullResult[]> {
  const { sourceDir, targetDir, manifest } = options;
  const overwrite = options.overwrite ?? false;
  const results: PullResult[] = [];
  await Deno.mkdir(targetDir, { recursive: true });
  const states = new Map<string, TargetState>();
  for (const entry of manifest.files) {
    states.set(entry.name, await targetState(`${targetDir}/${entry.name}`, entry));
  }
  const edited = manifest.files.filter((entry) => states.get(entry.name)?.kind === "different");
  if (edited.length > 0 && !overwrite) {
    const details = edited.map((entry) => {
      const state = states.get(entry.name) as { digest: string; bytes: number };
      return `"${targetDir}/${entry.name}" has sha256 ${state.digest} (${state.bytes} bytes), expected ${entry.sha256} (${entry.bytes} bytes)`;
    });
    throw new ArtifactError(
      `Cannot pull datasets: ${edited.length} file(s) in "${targetDir}" differ from the manifest and may hold your edits: ${
        details.join("; ")
      }; move them away, or run \`deno task data:pull --force\` to replace them with the pinned copies`,
    );
  }
  for (const entry of manifest.files) {
    const target = `${targetDir}/${entry.name}`;
    const state = states.get(entry.name);
    if (state?.kind === "same") {
      results.push({ name: entry.name, status: "present", bytes: entry.bytes });
      continue;
    }
    const source = `${sourceDir}/${entry.name}`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(source);
    } catch (cause) {
      throw new ArtifactError(
        `Cannot pull "${entry.name}": "${source}" cannot be read; run \`deno install\` so ${manifest.package}@${manifest.version} is in node_modules`,
        { cause },
      );
    }
    await checkBytes(bytes, entry, `${manifest.package}@${manifest.version}/data/${entry.name}`);
    try {
      await writeFileAtomic(target, bytes, {
        temporaryName: (name, token) => `${name}.partial-${token}`,
      });
    } catch (cause) {
      throw new ArtifactError(`Cannot write "${target}": ${errorText(cause)}`, { cause });
    }
    results.push({
      name: entry.name,
      status: state?.kind === "different" ? "replaced" : "copied",
      bytes: entry.bytes,
    });
  }
  for (const entry of manifest.shipped) {
    const target = `${targetDir}/${entry.name}`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(target);
    } catch (cause) {
      throw new ArtifactError(
        `Cannot verify "${target}": the file is missing; restore it with \`git checkout -- ${entry.name}\` in data/raw`,
        { cause },
      );
    }
    await checkBytes(bytes, entry, target);
    results.push({ name: entry.name, status: "verified", bytes: entry.bytes });
  }
  return results;
}

type TargetState =
  | { kind: "missing" }
  | { kind: "same" }
  | { kind: "different"; digest: string; bytes: number };

async function targetState(path: string, entry: ManifestEntry): Promise<TargetState> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return { kind: "missing" };
    throw new ArtifactError(`Cannot read "${path}": ${errorText(cause)}`, { cause });
  }
  const digest = await sha256Hex(bytes);
  return bytes.byteLength === entry.bytes && digest === entry.sha256
    ? { kind: "same" }
    : { kind: "different", digest, bytes: bytes.byteLength };
}

async function checkBytes(bytes: Uint8Array, entry: ManifestEntry, where: string): Promise<void> {
  const digest = await sha256Hex(bytes);
  if (bytes.byteLength !== entry.bytes || digest !== entry.sha256) {
    throw new ArtifactError(
      `Cannot accept "${where}": sha256 ${digest} (${bytes.byteLength} bytes) does not match the manifest's ${entry.sha256} (${entry.bytes} bytes); the package or file changed, so restore the pinned version instead of editing data/manifest.json`,
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
