/**
 * Re-importing `src/` in a running notebook kernel, which has no autoreload.
 *
 * An ES module is loaded once per URL, so after `src/features/engineer.ts` is edited the kernel
 * keeps running the old code until it restarts. {@link reloadSrc} copies `src/` into a fresh
 * temporary folder and imports `mod.ts` from there: every file of the copy has a new URL, so the
 * whole library is evaluated again from the edited sources. npm packages (tfjs, polars, vega)
 * are shared with the earlier copy, so the tfjs backend and its tensors survive the reload.
 *
 * Notebooks bind their names from it in their setup cell; re-running that cell after an edit
 * re-binds every name to the new code:
 *
 * ```ts
 * import { reloadSrc } from "../src/mod.ts";
 * const { loadConfig, prepareData, show } = await reloadSrc();
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sha256Hex } from "../utils/mod.ts";

/** The namespace of `src/mod.ts`: what {@link reloadSrc} returns. */
export type SrcModule = typeof import("../mod.ts");

/** Options of {@link reloadSrc}. */
export interface ReloadOptions {
  /**
   * Re-import even when no file under `src/` changed since the last load.
   * @default false
   */
  force?: boolean;
}

/**
 * Defaults of {@link ReloadOptions}.
 *
 * @example
 * ```ts
 * await reloadSrc({ ...DEFAULT_RELOAD_OPTIONS, force: true });
 * ```
 */
export const DEFAULT_RELOAD_OPTIONS: Readonly<Required<ReloadOptions>> = { force: false };

/** What {@link reloadInfo} reports about the library a notebook is running. */
export interface ReloadInfo {
  /** The `src/` folder that is watched and copied. */
  srcDir: string;
  /** How many times `src/` was imported from a fresh copy (0: the original files are in use). */
  generation: number;
  /**
   * The folder the library in use was imported from (ending in `/src`; the copy is deleted as soon
   * as it is imported), or `null` for the original files.
   */
  copyDir: string | null;
  /** sha256 over the paths and contents of the files last loaded, or `null` before any load. */
  fingerprint: string | null;
}

/** State shared by every copy of this module, so that a reloaded copy knows the original. */
interface ReloadState {
  srcDir: string;
  generation: number;
  copyRoot: string | null;
  fingerprint: string | null;
  module: SrcModule | null;
}

const STATE_KEY = Symbol.for("deno-mlops.notebook.reload");

/**
 * Returns the library (`src/mod.ts`), re-imported from a fresh copy of `src/` when any file in it
 * changed since the last call.
 *
 * The first call returns the original module without copying. Later calls hash every file under
 * `src/`; when nothing changed they return the module already loaded (so objects made earlier
 * stay `instanceof` its classes), otherwise they copy `src/` into a new temporary folder, import
 * `mod.ts` from it and delete the copy (the loaded modules live in memory; nothing in the library
 * imports lazily). Objects created before a reload keep their old classes: re-run the cells that
 * make them.
 *
 * @param options `force` re-imports even when nothing changed
 * @returns the namespace of `src/mod.ts`, typed like a static import
 * @throws {TypeError} when an edited file does not parse or one of its imports cannot be
 *   resolved; the message is the module loader's, with the file and line in `src/`. The module
 *   loaded before stays in use: fix the file and call it again
 * @example
 * ```ts
 * // edit src/viz/distribution_charts.ts, then re-run the notebook's setup cell:
 * const { plotHistogram, show } = await reloadSrc();
 * ```
 */
export async function reloadSrc(options: ReloadOptions = {}): Promise<SrcModule> {
  const settings = { ...DEFAULT_RELOAD_OPTIONS, ...options };
  const state = reloadState();
  const files = await readTree(state.srcDir);
  const fingerprint = await fingerprintTree(files);
  if (state.module === null) {
    state.module = await import("../mod.ts");
    state.fingerprint = fingerprint;
    return state.module;
  }
  if (!settings.force && fingerprint === state.fingerprint) return state.module;

  const copyRoot = await Deno.makeTempDir({ prefix: "deno-mlops-src-" });
  try {
    for (const [relative, bytes] of files) {
      const target = join(copyRoot, "src", ...relative.split("/"));
      await Deno.mkdir(join(target, ".."), { recursive: true });
      await Deno.writeFile(target, bytes);
    }
    const module = await import(pathToFileURL(join(copyRoot, "src", "mod.ts")).href) as SrcModule;
    state.module = module;
    state.fingerprint = fingerprint;
    state.copyRoot = copyRoot;
    state.generation++;
    return module;
  } catch (error) {
    // Point the loader's message at the edited file, not at its temporary copy.
    const copySrc = join(copyRoot, "src");
    const message = (error instanceof Error ? error.message : String(error))
      .replaceAll(pathToFileURL(copySrc).href, pathToFileURL(state.srcDir).href)
      .replaceAll(copySrc, state.srcDir);
    throw new TypeError(
      `Cannot reload "${state.srcDir}": ${message}\n(fix the file and call reloadSrc() again; the library loaded before is still in use)`,
      { cause: error },
    );
  } finally {
    await removeQuietly(copyRoot);
  }
}

/**
 * Tells which copy of `src/` the notebook is running.
 *
 * @returns the watched folder, the reload count, the copy in use and its fingerprint
 * @example
 * ```ts
 * reloadInfo().generation; // 0 until src/ was reloaded
 * ```
 */
export function reloadInfo(): ReloadInfo {
  const state = reloadState();
  return {
    srcDir: state.srcDir,
    generation: state.generation,
    copyDir: state.copyRoot === null ? null : join(state.copyRoot, "src"),
    fingerprint: state.fingerprint,
  };
}

// ---------------------------------------------------------------- helpers

function reloadState(): ReloadState {
  const holder = globalThis as unknown as Record<symbol, ReloadState | undefined>;
  let state = holder[STATE_KEY];
  if (state === undefined) {
    // Only the original module gets here: a copy is imported after the state exists.
    state = {
      srcDir: fileURLToPath(new URL(".", new URL("../", import.meta.url))).replace(/[\\/]$/, ""),
      generation: 0,
      copyRoot: null,
      fingerprint: null,
      module: null,
    };
    holder[STATE_KEY] = state;
  }
  return state;
}

/** Reads every file under `dir`, keyed by its path relative to `dir`, in sorted order. */
async function readTree(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  async function visit(relative: string): Promise<void> {
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(join(dir, ...relative.split("/")))) {
      entries.push(entry);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory) await visit(path);
      else if (entry.isFile) files.set(path, await Deno.readFile(join(dir, ...path.split("/"))));
    }
  }
  await visit("");
  return files;
}

async function fingerprintTree(files: Map<string, Uint8Array>): Promise<string> {
  const parts: string[] = [];
  for (const [path, bytes] of files) parts.push(`${path}\n${await sha256Hex(bytes)}\n`);
  return await sha256Hex(parts.join(""));
}

async function removeQuietly(dir: string): Promise<void> {
  try {
    await Deno.remove(dir, { recursive: true });
  } catch {
    // Locked on a platform that locks open files: the copy is never read again, and the system
    // cleans its temporary folder.
  }
}
