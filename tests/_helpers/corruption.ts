/**
 * Corruption harness: flips bytes and bits in, truncates, empties and deletes every artifact of
 * a run folder and of the production slot, one case at a time, and checks that loading finds
 * it: an `ArtifactError` naming the file and the check that failed (sha256, self checksum, JSON,
 * UTF-8, missing file), the run reported as corrupt by `listRuns({ verify: true })`, and, for
 * production, nothing served (the service's model holder loads nothing and says why).
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import type { LoadedConfig } from "../../src/config/mod.ts";
import {
  listRuns,
  PRODUCTION_POINTER_FILE,
  PRODUCTION_RUNS_DIR,
  projectProductionDir,
  promoteRun,
} from "../../src/models/mod.ts";
import { openRun, runTraining } from "../../src/pipelines/mod.ts";
import { ModelHolder } from "../../src/serve/mod.ts";
import { captureLogs, Random } from "../../src/utils/mod.ts";
import { makeTempProject } from "./project.ts";

/** The run files corrupted: the five the issue names, then the rest that loading reads. */
export const RUN_ARTIFACTS: readonly string[] = [
  "model/weights.bin",
  "model/model.json",
  "features.json",
  "schema.json",
  "run.json",
  "model/params.json",
  "config.yaml",
  "cleaning.json",
  "profile.json",
];

/** How a file is damaged. */
export type CorruptionMode = "flip byte" | "flip bit" | "truncate" | "empty" | "delete";

/** One corruption case and how it was found. */
export interface CorruptionResult {
  /** `run` (experiments/) or `production`. */
  target: "run" | "production";
  /** The file, relative to the run folder (or `current.json`). */
  file: string;
  /** The damage. */
  mode: CorruptionMode;
  /** The byte changed (flips only). */
  position: number | null;
  /** The check that caught it, from the error message, e.g. `sha256`. */
  check: string;
  /** The error message. */
  message: string;
}

/** Options of {@link runCorruptionSuite}. */
export interface CorruptionOptions {
  /**
   * Byte flips (XOR 0xFF) and bit flips per file, at seeded positions (the first and last byte
   * always among them).
   * @default 2
   */
  flipsPerFile?: number;
  /**
   * Seed of the positions.
   * @default 1
   */
  seed?: number;
}

/** Defaults of {@link CorruptionOptions}. */
export const DEFAULT_CORRUPTION_OPTIONS: Readonly<Required<CorruptionOptions>> = {
  flipsPerFile: 2,
  seed: 1,
};

/** What the suite did: every case was detected, or it throws. */
export interface CorruptionReport {
  /** Every case, detected. */
  results: CorruptionResult[];
  /** Cases by target and file. */
  byFile: Record<string, number>;
  /** Cases by the check that caught them. */
  byCheck: Record<string, number>;
}

/**
 * Trains and promotes a run in a temporary project, then damages each of its artifacts and each
 * of production's, one case at a time (restoring the file after each), and checks that every
 * case is found on load.
 *
 * @param options flips per file and seed
 * @returns every case with the check that caught it
 * @throws {AssertionError} naming the case when one is not detected, or the error does not name
 *   the file
 * @example
 * ```ts
 * const report = await runCorruptionSuite({ flipsPerFile: 4, seed: 7 });
 * ```
 */
export async function runCorruptionSuite(
  options: CorruptionOptions = {},
): Promise<CorruptionReport> {
  const { flipsPerFile, seed } = { ...DEFAULT_CORRUPTION_OPTIONS, ...options };
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const { experiments_dir: experiments } = loaded.config.registry;
  const production = projectProductionDir(
    loaded.config.registry.production_dir,
    loaded.config.project.name,
  );
  let id: string;
  {
    using _logs = captureLogs({ level: "fatal" });
    const result = await runTraining(await loadConfig({ root, overrides: ["training.epochs=3"] }));
    result.model.dispose();
    id = result.id;
    await promoteRun(loaded.config.registry, loaded.config.project.name, { runId: id });
  }
  const random = new Random(seed);
  const results: CorruptionResult[] = [];
  const runDir = `${experiments}/${id}`;
  const copyDir = `${production}/${PRODUCTION_RUNS_DIR}/${id}`;

  for (const file of RUN_ARTIFACTS) {
    for (const damage of await damages(`${runDir}/${file}`, flipsPerFile, random)) {
      results.push(
        await withDamage(`${runDir}/${file}`, damage, async () => {
          const error = await loadFailure(() => openRun(id, loaded));
          const where = `run ${file} ${damage.mode}@${damage.position}`;
          assert.ok(error.message.includes(`${id}/${file}`), `${where}: ${error.message}`);
          const listed = (await listRuns(experiments, { verify: true })).find((r) => r.id === id);
          assert.ok(
            listed === undefined || listed.problem !== null,
            `${where}: listed as sound`,
          );
          return result("run", file, damage, error);
        }),
      );
    }
  }
  const productionFiles = [...RUN_ARTIFACTS.map((f) => `${id}/${f}`), PRODUCTION_POINTER_FILE];
  for (const file of productionFiles) {
    const path = file === PRODUCTION_POINTER_FILE
      ? `${production}/${file}`
      : `${copyDir}/${file.slice(id.length + 1)}`;
    for (const damage of await damages(path, flipsPerFile, random)) {
      results.push(
        await withDamage(path, damage, async () => {
          const where = `production ${file} ${damage.mode}@${damage.position}`;
          const error = await loadFailure(() => openRun("production", loaded));
          assert.ok(error.message.includes(file), `${where}: ${error.message}`);
          await assertNothingServed(loaded, file, where);
          return result("production", file.replace(`${id}/`, "runs/<id>/"), damage, error);
        }),
      );
    }
  }
  const tally = (key: (r: CorruptionResult) => string) => {
    const out: Record<string, number> = {};
    for (const r of results) out[key(r)] = (out[key(r)] ?? 0) + 1;
    return out;
  };
  await Deno.remove(root, { recursive: true }).catch(() => {}); // kept on failure
  return {
    results,
    byFile: tally((r) => `${r.target}: ${r.file}`),
    byCheck: tally((r) => r.check),
  };
}

interface Damage {
  mode: CorruptionMode;
  position: number | null;
  apply(bytes: Uint8Array): Uint8Array | null;
}

/** The cases for one file: flips at the first, last and seeded bytes; truncations; deletion. */
async function damages(path: string, flips: number, random: Random): Promise<Damage[]> {
  const size = (await Deno.stat(path)).size;
  assert.ok(size > 1, `${path} is too small to damage`);
  const positions = [
    0,
    size - 1,
    ...Array.from({ length: Math.max(0, flips - 2) }, () => random.int(size)),
  ].slice(0, Math.max(flips, 1));
  const out: Damage[] = [];
  for (const position of positions) {
    out.push({
      mode: "flip byte",
      position,
      apply: (bytes) => {
        const copy = bytes.slice();
        copy[position] = copy[position]! ^ 0xff;
        return copy;
      },
    });
    const bit = random.int(8);
    out.push({
      mode: "flip bit",
      position,
      apply: (bytes) => {
        const copy = bytes.slice();
        copy[position] = copy[position]! ^ (1 << bit);
        return copy;
      },
    });
  }
  out.push({ mode: "truncate", position: null, apply: (b) => b.slice(0, Math.floor(size / 2)) });
  out.push({ mode: "empty", position: null, apply: () => new Uint8Array(0) });
  out.push({ mode: "delete", position: null, apply: () => null });
  return out;
}

/** Damages `path`, runs `check`, and restores the file whatever happens. */
async function withDamage<T>(path: string, damage: Damage, check: () => Promise<T>): Promise<T> {
  const original = await Deno.readFile(path);
  const damaged = damage.apply(original);
  if (damaged === null) await Deno.remove(path);
  else await Deno.writeFile(path, damaged);
  try {
    using _logs = captureLogs({ level: "fatal" });
    return await check();
  } finally {
    await Deno.writeFile(path, original);
  }
}

/** Runs a load that must fail with an ArtifactError, and returns the error. */
async function loadFailure(load: () => Promise<{ model: { dispose(): void } }>): Promise<Error> {
  let loaded: { model: { dispose(): void } } | null = null;
  try {
    loaded = await load();
  } catch (error) {
    assert.ok(error instanceof Error);
    assert.equal(error.name, "ArtifactError", error.stack ?? error.message);
    return error;
  }
  loaded.model.dispose();
  throw new assert.AssertionError({ message: "the damaged run loaded" });
}

/** The service's model holder must load nothing from damaged production, and say why. */
async function assertNothingServed(loaded: LoadedConfig, file: string, where: string) {
  const holder = new ModelHolder(
    { ...loaded.config.registry, project: loaded.config.project.name },
    loaded.root,
  );
  try {
    await holder.refresh();
    assert.equal(holder.current, null, `${where}: the service loaded it`);
    assert.equal(holder.acquire(), null, `${where}: a request could be scored`);
    assert.ok(holder.lastError?.includes(file), `${where}: ${holder.lastError}`);
  } finally {
    await holder.close();
  }
}

function result(
  target: "run" | "production",
  file: string,
  damage: Damage,
  error: Error,
): CorruptionResult {
  const message = error.message;
  const check = /self checksum/.test(message)
    ? "self checksum"
    : /sha256/.test(message)
    ? "sha256"
    : /not valid UTF-8/.test(message)
    ? "UTF-8"
    : /not valid JSON|expected a JSON object/.test(message)
    ? "JSON"
    : /missing/.test(message)
    ? "missing file"
    : "other";
  assert.notEqual(check, "other", `${target} ${file} ${damage.mode}: ${message}`);
  return { target, file, mode: damage.mode, position: damage.position, check, message };
}
