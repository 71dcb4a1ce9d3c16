/**
 * Crash-safety harness: runs `deno task train`, `promote` and `predict` as real child processes
 * with their declared permissions, SIGKILLs them at seeded delays spread over their run time, and
 * after every kill checks what a user could observe:
 *
 * - experiments/ lists only complete runs, and each opens (every sha256), loads and predicts
 *   exactly like the reference run; leftovers of killed runs are never listed;
 * - production is exactly the old or the new run, its copy verifies, loads and predicts like that
 *   run, every run in its history has a verified copy, and the promotion log ends with the change
 *   that put it there;
 * - a killed `predict` leaves no output, or one byte-identical to the reference output (and then
 *   its rejected-rows file is complete too);
 * - the next start of the command removes every leftover.
 *
 * Delays: a third of the kills are stepped across the whole run (0 to 105 % of a measured full
 * run, counted from the spawn); the others are stepped across the window in which the command
 * writes, counted from the moment its first temporary file (or the registry lock) appears, so
 * they land inside the critical section however long start-up takes. Each delay has seeded
 * jitter inside its step. Tests run a few kills per command; `bench/reliability.ts` runs 30 or
 * more.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { DataFrame } from "nodejs-polars";
import { loadConfig } from "../../src/config/mod.ts";
import type { LoadedConfig } from "../../src/config/mod.ts";
import { loadDataset } from "../../src/data/mod.ts";
import {
  isPartialName,
  listRunIds,
  listRuns,
  LOCK_FILE,
  PRODUCTION_RUNS_DIR,
  projectProductionDir,
  promoteRun,
  readProduction,
  readProductionPointer,
  readPromotionLog,
  readRunFolder,
} from "../../src/models/mod.ts";
import { loadRunArtifacts, openRun, runTraining, scoreRows } from "../../src/pipelines/mod.ts";
import type { RunArtifacts } from "../../src/pipelines/mod.ts";
import { STAGE_CACHE_DIR } from "../../src/pipelines/mod.ts";
import {
  CACHE_ENTRY_FILE,
  isCacheKey,
  readCachedFile,
  readCacheEntry,
} from "../../src/pipelines/cache/mod.ts";
import { captureLogs, getProjectLogger, Random } from "../../src/utils/mod.ts";
import { listDir, makeTempProject, REPO_ROOT } from "./project.ts";
import { runTask, taskArgs } from "./tasks.ts";

/** The commands the harness kills. */
export type KilledCommand = "train" | "train cache" | "promote" | "predict";

/** Options of the kill scenarios. */
export interface KillOptions {
  /**
   * Processes to SIGKILL.
   * @default 8
   */
  kills?: number;
  /**
   * Seed of the delays' jitter (and of nothing else).
   * @default 1
   */
  seed?: number;
  /**
   * Called after every kill with its index, delay and outcome (progress for the benchmark).
   * @default none
   */
  onKill?: ((kill: KillRecord) => void) | null;
}

/** Defaults of {@link KillOptions}. */
export const DEFAULT_KILL_OPTIONS: Readonly<Required<KillOptions>> = {
  kills: 8,
  seed: 1,
  onKill: null,
};

/** One kill and what it left. */
export interface KillRecord {
  /** 0-based index. */
  index: number;
  /** Milliseconds between the anchor and the signal. */
  delayMs: number;
  /** What the delay counts from: the spawn, or the first temporary file the command wrote. */
  anchor: "spawn" | "write start";
  /** Whether the process was still running when the signal came (else it had finished). */
  killed: boolean;
  /** What the kill left, e.g. `"nothing written"`, `"leftover"`, `"complete"`. */
  outcome: string;
}

/** What a kill scenario did. */
export interface CrashReport {
  /** The command. */
  command: KilledCommand;
  /** The seed of the delays. */
  seed: number;
  /** Seconds of one full, unkilled run (the reference). */
  referenceSeconds: number;
  /** The measured write window, in ms after spawning. */
  writeWindowMs: [number, number];
  /** Every kill. */
  records: KillRecord[];
  /** Processes that were still running when killed. */
  killed: number;
  /** Outcomes by name. */
  outcomes: Record<string, number>;
  /** Invariant checks that passed (each kill checks several). */
  checks: number;
  /** Temporary files or folders left by kills before the next start. */
  leftovers: number;
  /** Of those, removed by the next start (must equal `leftovers`). */
  cleaned: number;
  /** Registry locks left by killed holders and released by the next holder (promote only). */
  staleLocks: number;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------

/**
 * Returns `count` delays in `[from, to]` ms: one per equal step, at a seeded place in its step.
 *
 * @param count how many
 * @param from the first step's start
 * @param to the last step's end
 * @param random the jitter source
 * @returns the delays, ascending
 * @example
 * ```ts
 * steppedDelays(4, 0, 1000, new Random(1)); // e.g. [120, 391, 577, 880]
 * ```
 */
export function steppedDelays(count: number, from: number, to: number, random: Random): number[] {
  const width = (to - from) / Math.max(count, 1);
  return Array.from(
    { length: count },
    (_, k) => Math.round(from + width * (k + random.next())),
  );
}

/** When to kill one process. */
interface KillPlan {
  delayMs: number;
  anchor: "spawn" | "write start";
}

/** The kills of a scenario: a third over the whole run, the rest over the write window. */
function killPlans(
  kills: number,
  fullMs: number,
  window: [number, number],
  seed: number,
): KillPlan[] {
  const random = new Random(seed);
  const wide = Math.ceil(kills / 3);
  const length = Math.max(window[1] - window[0], 2);
  const plans: KillPlan[] = [
    ...steppedDelays(wide, 0, fullMs * 1.05, random).map((delayMs) => ({
      delayMs,
      anchor: "spawn" as const,
    })),
    ...steppedDelays(kills - wide, 0, length * 1.1, random).map((delayMs) => ({
      delayMs,
      anchor: "write start" as const,
    })),
  ];
  // Interleave, so leftovers of early and late kills mix before the next check.
  return new Random(seed + 1).shuffle(plans);
}

interface Spawned {
  /** Whether the signal reached a running process. */
  killed: boolean;
  code: number;
  stderr: string;
}

/** Tells whether the killed command has started writing (a new temporary file, a new lock). */
type WriteMarker = () => boolean;

/** A marker for a new temporary entry of `dir` (one not there when the marker is made). */
function newEntryIn(dir: string, isTemporary: (name: string) => boolean): WriteMarker {
  const before = new Set(listDir(dir).filter(isTemporary));
  return () => listDir(dir).some((name) => isTemporary(name) && !before.has(name));
}

/** A marker for a registry lock taken after the marker is made (not a stale one left before). */
function newLockIn(dir: string): WriteMarker {
  const read = () => {
    try {
      return Deno.readTextFileSync(`${dir}/${LOCK_FILE}`);
    } catch {
      return null;
    }
  };
  const stale = read();
  return () => {
    const text = read();
    return text !== null && text !== "" && text !== stale;
  };
}

/**
 * Spawns task `name` with its permissions and SIGKILLs it (if still running) `plan.delayMs`
 * after the spawn, or after `marker` says it started writing.
 */
async function spawnAndKill(
  name: string,
  args: string[],
  root: string,
  plan: KillPlan,
  marker: WriteMarker,
): Promise<Spawned> {
  const child = new Deno.Command(Deno.execPath(), {
    args: taskArgs(name, args, root),
    cwd: root,
    env: { NO_COLOR: "1", CI: "true" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (plan.anchor === "spawn") {
    timer = setTimeout(kill, plan.delayMs);
  } else {
    // Poll for the first temporary file, then wait the planned offset into the write.
    while (!exited && !marker()) await sleep(1);
    if (!exited) timer = setTimeout(kill, plan.delayMs);
  }
  const result = await status;
  clearTimeout(timer);
  return { killed: result.signal === "SIGKILL", code: result.code, stderr: await stderr };
}

/**
 * Runs task `name` to completion while watching `dir` for temporary names, to measure the run
 * time and the window in which the command writes.
 */
async function measure(
  name: string,
  args: string[],
  root: string,
  dir: string,
  isTemporary: (name: string) => boolean,
): Promise<{ ms: number; window: [number, number]; stdout: string }> {
  const started = performance.now();
  let first = -1;
  let last = -1;
  let done = false;
  const watcher = (async () => {
    while (!done) {
      if (listDir(dir).some(isTemporary)) {
        const now = performance.now() - started;
        if (first < 0) first = now;
        last = now;
      }
      await sleep(3);
    }
  })();
  const output = await runTask(name, args, root);
  const ms = performance.now() - started;
  done = true;
  await watcher;
  assert.equal(output.code, 0, `reference ${name} failed:\n${output.stderr}`);
  const window: [number, number] = first < 0 ? [ms * 0.8, ms] : [first, Math.max(last, first)];
  return { ms, window, stdout: output.stdout };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The first rows of the penguins data, as the training config reads them. */
function referenceRows(loaded: LoadedConfig): DataFrame {
  return loadDataset(loaded.config.data.path, loaded.config.data).head(40);
}

/** Predictions of `run` on `rows` as comparable text. */
function predictionText(run: RunArtifacts, rows: DataFrame): string {
  const scored = scoreRows(run, rows);
  assert.ok(scored.predictions !== null, `run ${run.id} scored no rows`);
  return JSON.stringify(scored.predictions.toRecords());
}

function count(records: KillRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.outcome] = (out[r.outcome] ?? 0) + 1;
  return out;
}

/** Trains a run in-process (quietly) and returns its id. */
async function trainInProcess(root: string, epochs: number): Promise<string> {
  using _logs = captureLogs({ level: "fatal" });
  const result = await runTraining(
    await loadConfig({ root, overrides: [`training.epochs=${epochs}`] }),
  );
  result.model.dispose();
  return result.id;
}

// ---------------------------------------------------------------------------------------------
// train
// ---------------------------------------------------------------------------------------------

/**
 * Kills `deno task train` at many points; after each kill every listed run must verify, load
 * and predict like the reference run, and production must be untouched. The next `train`
 * removes every `.partial-*` folder the kills left, and `deno task runs` never shows them.
 *
 * @param options kills, seed and progress callback
 * @returns the report
 * @throws {AssertionError} naming the kill when an invariant fails
 * @example
 * ```ts
 * const report = await killTrain({ kills: 6, seed: 7 });
 * ```
 */
export async function killTrain(options: KillOptions = {}): Promise<CrashReport> {
  const { kills, seed, onKill } = { ...DEFAULT_KILL_OPTIONS, ...options };
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const experiments = loaded.config.registry.experiments_dir;
  const production = projectProductionDir(
    loaded.config.registry.production_dir,
    loaded.config.project.name,
  );
  const args = ["--set", "training.epochs=8"];
  // Production holds a run throughout: train must never touch it.
  const seeded = await trainInProcess(root, 8);
  {
    using _logs = captureLogs({ level: "fatal" });
    await promoteRun(loaded.config.registry, loaded.config.project.name, { runId: seeded });
  }
  const productionBefore = snapshotTree(production);

  const reference = await measure("train", args, root, experiments, isPartialName);
  const rows = referenceRows(loaded);
  const referenceId = reference.stdout.match(/^run: (\S+)$/m)?.[1];
  assert.ok(referenceId, reference.stdout);
  const expected = await withRun(
    () => openRun(referenceId, loaded),
    (run) => predictionText(run, rows),
  );

  const verified = new Set<string>(await listRunIds(experiments));
  const records: KillRecord[] = [];
  let checks = 0;
  const plans = killPlans(kills, reference.ms, reference.window, seed);
  for (const [index, plan] of plans.entries()) {
    const before = new Set(listDir(experiments));
    const marker = newEntryIn(experiments, isPartialName);
    const spawned = await spawnAndKill("train", args, root, plan, marker);
    const where = `train kill ${index} ${plan.delayMs} ms after ${plan.anchor} (seed ${seed})`;
    if (!spawned.killed) assert.equal(spawned.code, 0, `${where}: ${spawned.stderr}`);
    const after = listDir(experiments).filter((name) => !before.has(name));
    const ids = await listRunIds(experiments);
    for (const id of ids) {
      await readRunFolder(experiments, id); // every sha256, the seal of run.json included
      checks++;
      if (verified.has(id)) continue;
      const text = await withRun(
        () => openRun(id, loaded),
        (run) => predictionText(run, rows),
      );
      assert.equal(text, expected, `${where}: run ${id} predicts differently`);
      verified.add(id);
      checks++;
    }
    const listed = await listRuns(experiments, { verify: true });
    assert.deepEqual(listed.map((r) => r.id).sort(), [...ids].sort(), where);
    assert.ok(listed.every((r) => r.problem === null && !isPartialName(r.id)), where);
    assert.equal(snapshotTree(production), productionBefore, `${where}: production changed`);
    checks += 3;
    const outcome = !spawned.killed
      ? "finished before the kill"
      : after.some((name) => !isPartialName(name))
      ? "complete run (killed after the rename)"
      : after.some(isPartialName)
      ? "partial folder left"
      : "nothing written";
    const record = { index, ...plan, killed: spawned.killed, outcome };
    records.push(record);
    onKill?.(record);
  }

  // The next start: leftovers of dead writers go (after the grace period a fresh one gets).
  const leftovers = listDir(experiments).filter(isPartialName).length;
  await sleep(2_100);
  const next = await runTask("train", args, root);
  assert.equal(next.code, 0, next.stderr);
  const remaining = listDir(experiments).filter(isPartialName);
  assert.deepEqual(remaining, [], "the next train removes every leftover");
  const runs = await runTask("runs", [], root);
  assert.equal(runs.code, 0, runs.stderr);
  assert.doesNotMatch(runs.stdout, /\.partial-/);
  checks += 3;
  await Deno.remove(root, { recursive: true }).catch(() => {}); // kept on failure
  return report("train", seed, reference, records, checks, leftovers, leftovers, 0);
}

// ---------------------------------------------------------------------------------------------
// train: the stage cache
// ---------------------------------------------------------------------------------------------

/**
 * Kills `deno task train` while it writes stage-cache entries (each kill starts from a cache
 * without complete entries, so every run writes all of them). After each kill every complete
 * entry holds exactly the files of the reference run's entry of the same key, each verifying
 * against its recorded sha256; partial entries are never complete-looking. The next `train`
 * removes the partial folders, and the one after takes every data and feature stage from the
 * cache.
 *
 * @param options kills, seed and progress callback
 * @returns the report
 * @throws {AssertionError} naming the kill when an invariant fails
 * @example
 * ```ts
 * const report = await killTrainCache({ kills: 6, seed: 7 });
 * ```
 */
export async function killTrainCache(options: KillOptions = {}): Promise<CrashReport> {
  const { kills, seed, onKill } = { ...DEFAULT_KILL_OPTIONS, ...options };
  const root = await makeTempProject();
  const cache = `${root}/${STAGE_CACHE_DIR}`;
  const args = ["--set", "training.epochs=2"];
  const isPartial = (name: string) => name.startsWith(".partial-");
  const reference = await measure("train", args, root, cache, isPartial);
  const expected = new Map<string, unknown>();
  for (const key of listDir(cache).filter(isCacheKey)) {
    expected.set(
      key,
      JSON.parse(Deno.readTextFileSync(`${cache}/${key}/${CACHE_ENTRY_FILE}`)).files,
    );
  }
  assert.ok(expected.size >= 8, `the reference run cached ${expected.size} entries`);
  const records: KillRecord[] = [];
  let checks = 0;
  for (const [index, plan] of killPlans(kills, reference.ms, reference.window, seed).entries()) {
    for (const key of listDir(cache).filter(isCacheKey)) {
      await Deno.remove(`${cache}/${key}`, { recursive: true });
    }
    const marker = newEntryIn(cache, isPartial);
    const spawned = await spawnAndKill("train", args, root, plan, marker);
    const where =
      `train (cache) kill ${index} ${plan.delayMs} ms after ${plan.anchor} (seed ${seed})`;
    if (!spawned.killed) assert.equal(spawned.code, 0, `${where}: ${spawned.stderr}`);
    const complete = listDir(cache).filter(isCacheKey);
    for (const key of complete) {
      const manifest = await readCacheEntry(cache, key, getProjectLogger("pipeline"));
      assert.ok(manifest, `${where}: entry ${key} has no readable manifest`);
      assert.deepEqual(manifest.files, expected.get(key), `${where}: entry ${key} differs`);
      for (const file of Object.keys(manifest.files)) await readCachedFile(cache, manifest, file);
      checks += 2;
    }
    const outcome = !spawned.killed
      ? "finished before the kill"
      : complete.length === expected.size
      ? "every entry complete"
      : listDir(cache).some(isPartial)
      ? `${complete.length} complete entries and a partial one`
      : `${complete.length} complete entries`;
    const record = { index, ...plan, killed: spawned.killed, outcome };
    records.push(record);
    onKill?.(record);
  }
  const leftovers = listDir(cache).filter(isPartial).length;
  await sleep(2_100);
  const next = await runTask("train", args, root);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(listDir(cache).filter(isPartial), [], "the next train removes every leftover");
  const warm = await runTask("train", args, root);
  assert.equal(warm.code, 0, warm.stderr);
  for (const node of ["load", "split", "clean_splits", "derive", "fit_features"]) {
    assert.match(warm.stdout, new RegExp(`^${node} +cached`, "m"), warm.stdout);
  }
  checks += 3;
  await Deno.remove(root, { recursive: true }).catch(() => {});
  return report("train cache", seed, reference, records, checks, leftovers, leftovers, 0);
}

// ---------------------------------------------------------------------------------------------
// promote
// ---------------------------------------------------------------------------------------------

/**
 * Kills `deno task promote` at many points while it swaps production between two different
 * runs; after each kill production is exactly the old or the new run (verified copy, same
 * predictions as that run), every run in its history has a verified copy, the promotion log
 * ends with the change that put it there, and a lock left by a killed holder is released by the
 * next promotion. The next promotion removes every leftover.
 *
 * @param options kills, seed and progress callback
 * @returns the report
 * @throws {AssertionError} naming the kill when an invariant fails
 * @example
 * ```ts
 * const report = await killPromote({ kills: 6, seed: 7 });
 * ```
 */
export async function killPromote(options: KillOptions = {}): Promise<CrashReport> {
  const { kills, seed, onKill } = { ...DEFAULT_KILL_OPTIONS, ...options };
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const production = projectProductionDir(
    loaded.config.registry.production_dir,
    loaded.config.project.name,
  );
  // Two runs that differ in every weight, so a mix of their files could not pass unnoticed.
  const runA = await trainInProcess(root, 4);
  const runB = await trainInProcess(root, 12);
  const rows = referenceRows(loaded);
  const expected = new Map<string, string>();
  for (const id of [runA, runB]) {
    expected.set(
      id,
      await withRun(
        () => openRun(id, loaded),
        (run) => predictionText(run, rows),
      ),
    );
  }
  {
    using _logs = captureLogs({ level: "fatal" });
    await promoteRun(loaded.config.registry, loaded.config.project.name, { runId: runA });
  }
  const promote = (to: string, why: string) => ["--run", to, "--force", "--reason", why];
  const reference = await measure(
    "promote",
    promote(runB, "reference"),
    root,
    production,
    (name) => name === LOCK_FILE || isPartialName(name),
  );

  const records: KillRecord[] = [];
  let checks = 0;
  let leftovers = 0;
  let staleLocks = 0;
  let lastVerified = "";
  const plans = killPlans(kills, reference.ms, reference.window, seed);
  for (const [index, plan] of plans.entries()) {
    const old = (await readProductionPointer(production))!.run_id;
    const target = old === runA ? runB : runA;
    // A lock left by the previous kill: this promotion must find it stale and go on.
    if (listDir(production).includes(LOCK_FILE)) staleLocks++;
    const spawned = await spawnAndKill(
      "promote",
      promote(target, `kill ${index}`),
      root,
      plan,
      newLockIn(production),
    );
    const where = `promote kill ${index} ${plan.delayMs} ms after ${plan.anchor} (seed ${seed})`;
    if (!spawned.killed) assert.equal(spawned.code, 0, `${where}: ${spawned.stderr}`);

    const current = await readProduction(production);
    assert.ok(current !== null, `${where}: production is empty`);
    assert.ok([old, target].includes(current.runId), `${where}: production is ${current.runId}`);
    const pointer = current.pointer;
    for (const id of pointer.history) {
      await readRunFolder(`${production}/${PRODUCTION_RUNS_DIR}`, id);
    }
    const log = await readPromotionLog(production);
    const last = log.at(-1);
    assert.equal(last?.to, pointer.run_id, `${where}: the log ends elsewhere`);
    assert.equal(last?.time, pointer.promoted_at, `${where}: the log's last change differs`);
    checks += 4 + pointer.history.length;
    const key = `${current.runId}@${pointer.promoted_at}`;
    if (key !== lastVerified) {
      const text = await withRun(
        () => loadRunArtifacts(current.dir, current.record, root),
        (run) => predictionText(run, rows),
      );
      assert.equal(text, expected.get(current.runId), `${where}: production predicts a mix`);
      lastVerified = key;
      checks++;
    }
    const left = listDir(production).filter((name) =>
      isPartialName(name) || name.startsWith(".current.json.")
    );
    leftovers += left.length;
    const outcome = !spawned.killed
      ? "finished before the kill"
      : current.runId === target
      ? "new run (killed after the swap)"
      : left.length > 0
      ? "old run, partial copy left"
      : listDir(production).includes(LOCK_FILE)
      ? "old run, lock left"
      : "old run, nothing written";
    const record = { index, ...plan, killed: spawned.killed, outcome };
    records.push(record);
    onKill?.(record);
  }

  // The next start: a stale lock is released, leftovers and a missing log line are completed.
  if (listDir(production).includes(LOCK_FILE)) staleLocks++;
  const pending =
    listDir(production).filter((name) => isPartialName(name) || name.startsWith(".current.json."))
      .length;
  const old = (await readProductionPointer(production))!.run_id;
  const next = await runTask("promote", promote(old === runA ? runB : runA, "next start"), root);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(
    listDir(production).filter((name) => name.startsWith(".")),
    [],
    "the next promotion leaves no lock, partial copy or pointer temporary",
  );
  const fileLog = (await Deno.readTextFile(`${production}/promotions.jsonl`)).trim().split("\n");
  const pointer = (await readProductionPointer(production))!;
  assert.equal(JSON.parse(fileLog.at(-1)!).to, pointer.run_id, "the log file is complete");
  checks += 3;
  await Deno.remove(root, { recursive: true }).catch(() => {}); // kept on failure
  return report(
    "promote",
    seed,
    reference,
    records,
    checks,
    Math.max(leftovers, pending),
    Math.max(leftovers, pending),
    staleLocks,
  );
}

/**
 * Starts two `deno task promote` processes at the same moment, each forcing a different run;
 * the lock must serialise them: both succeed, the log holds both changes chained (the second's
 * `from` is the first's `to`), and production is the second's run.
 *
 * @returns the two log entries' `from -> to`
 * @throws {AssertionError} when the promotions overlap or one fails
 * @example
 * ```ts
 * await concurrentPromotions();
 * ```
 */
export async function concurrentPromotions(): Promise<string[]> {
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const production = projectProductionDir(
    loaded.config.registry.production_dir,
    loaded.config.project.name,
  );
  const runA = await trainInProcess(root, 4);
  const runB = await trainInProcess(root, 12);
  const [first, second] = await Promise.all(
    [runA, runB].map((id) =>
      runTask("promote", ["--run", id, "--force", "--reason", "same moment"], root)
    ),
  );
  assert.equal(first!.code, 0, first!.stderr);
  assert.equal(second!.code, 0, second!.stderr);
  const log = await readPromotionLog(production);
  assert.equal(log.length, 2);
  assert.equal(log[0]!.from, null);
  assert.equal(log[1]!.from, log[0]!.to, "the second promotion saw the first one's result");
  assert.notEqual(log[0]!.to, log[1]!.to);
  const current = await readProduction(production);
  assert.equal(current?.runId, log[1]!.to);
  assert.deepEqual(listDir(production).filter((name) => name.startsWith(".")), []);
  await Deno.remove(root, { recursive: true }).catch(() => {});
  return log.map((e) => `${e.from ?? "(empty)"} -> ${e.to}`);
}

/**
 * Lets a process with promote's permissions take the registry lock, SIGKILLs it while it holds
 * the lock, then runs `deno task promote`: it must find the lock stale (its holder is gone),
 * remove it with a warning and promote, well within the lock timeout.
 *
 * @returns the seconds the promotion took and the warning it logged
 * @throws {AssertionError} when the stale lock is not released
 * @example
 * ```ts
 * const { seconds } = await staleLockRecovery();
 * ```
 */
export async function staleLockRecovery(): Promise<{ seconds: number; warning: string }> {
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const production = projectProductionDir(
    loaded.config.registry.production_dir,
    loaded.config.project.name,
  );
  const run = await trainInProcess(root, 4);
  const probe = `${root}/hold_lock.ts`;
  await Deno.writeTextFile(
    probe,
    `import { withRegistryLock } from "${REPO_ROOT}/src/models/mod.ts";\n` +
      `await withRegistryLock("${production}", async () => {\n` +
      `  console.log("locked");\n` +
      `  await new Promise(() => setInterval(() => {}, 1000));\n` +
      `});\n`,
  );
  const args = taskArgs("promote", [], root);
  const entry = args.findIndex((part) => part.endsWith("src/cli/promote.ts"));
  args[entry] = probe;
  const holder = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`the lock holder exited: ${await new Response(holder.stderr).text()}`);
    }
    text += value;
  }
  holder.kill("SIGKILL");
  await holder.status;
  await reader.cancel().catch(() => {});
  await holder.stderr.cancel().catch(() => {});
  assert.ok(listDir(production).includes(LOCK_FILE), "the killed holder left its lock");

  const started = performance.now();
  const next = await runTask("promote", ["--run", run], root);
  const seconds = (performance.now() - started) / 1000;
  assert.equal(next.code, 0, next.stderr);
  const output = `${next.stdout}\n${next.stderr}`;
  assert.match(output, /Removed a stale registry lock/);
  // The log line may be JSON (quotes escaped): keep only the reason.
  const warning = output.replaceAll('\\"', '"').match(
    /its process \d+ on "[^"]*" (no longer holds it \(the process is gone\)|is no longer running)/,
  )?.[0] ?? "";
  assert.notEqual(warning, "", output);
  assert.ok(seconds < 10, `the stale lock took ${seconds} s to release`);
  assert.equal((await readProductionPointer(production))?.run_id, run);
  assert.ok(!listDir(production).includes(LOCK_FILE));
  await Deno.remove(root, { recursive: true }).catch(() => {});
  return { seconds, warning: warning.trim() };
}

// ---------------------------------------------------------------------------------------------
// predict
// ---------------------------------------------------------------------------------------------

/**
 * Kills `deno task predict --on-error skip` (production model, a 1,376-row input with rejected
 * rows, small batches) at many points; after each kill its output file is absent or
 * byte-identical to the reference output, and when it exists its rejected-rows file is complete.
 * The next `predict` removes every temporary file the kills left.
 *
 * @param options kills, seed and progress callback
 * @returns the report
 * @throws {AssertionError} naming the kill when an invariant fails
 * @example
 * ```ts
 * const report = await killPredict({ kills: 6, seed: 7 });
 * ```
 */
export async function killPredict(options: KillOptions = {}): Promise<CrashReport> {
  const { kills, seed, onKill } = { ...DEFAULT_KILL_OPTIONS, ...options };
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const run = await trainInProcess(root, 4);
  {
    using _logs = captureLogs({ level: "fatal" });
    await promoteRun(loaded.config.registry, loaded.config.project.name, { runId: run });
  }
  const raw = (await Deno.readTextFile(`${root}/data/raw/penguins.csv`)).trimEnd().split("\n");
  const body = raw.slice(1);
  const big = [raw[0], ...Array.from({ length: 4 }, () => body).flat()].join("\n") + "\n";
  await Deno.writeTextFile(`${root}/data/raw/big.csv`, big);
  const processed = `${root}/data/processed`;
  await Deno.mkdir(processed, { recursive: true });
  const args = (name: string) => [
    "--input",
    "data/raw/big.csv",
    "--output",
    `data/processed/${name}.csv`,
    "--on-error",
    "skip",
    "--batch-rows",
    "100",
  ];
  const isTemporary = (name: string) => /^\..+\.partial-[0-9a-f]{8}$/.test(name);
  const reference = await measure("predict", args("reference"), root, processed, isTemporary);
  const expectedOutput = await Deno.readTextFile(`${processed}/reference.csv`);
  const expectedRejected = await Deno.readTextFile(`${processed}/reference.rejected.csv`);
  assert.ok(expectedRejected.split("\n").length > 10, "the input has rejected rows");

  const records: KillRecord[] = [];
  let checks = 0;
  const plans = killPlans(kills, reference.ms, reference.window, seed);
  for (const [index, plan] of plans.entries()) {
    const name = `kill-${index}`;
    const marker = newEntryIn(processed, (n) => isTemporary(n) && n.includes(name));
    const spawned = await spawnAndKill("predict", args(name), root, plan, marker);
    const where = `predict kill ${index} ${plan.delayMs} ms after ${plan.anchor} (seed ${seed})`;
    if (!spawned.killed) assert.equal(spawned.code, 0, `${where}: ${spawned.stderr}`);
    const output = await Deno.readTextFile(`${processed}/${name}.csv`).catch(() => null);
    const rejected = await Deno.readTextFile(`${processed}/${name}.rejected.csv`).catch(() => null);
    if (output !== null) {
      assert.equal(output, expectedOutput, `${where}: the output is not complete`);
      assert.equal(rejected, expectedRejected, `${where}: output without its rejected rows`);
    } else if (rejected !== null) {
      assert.equal(rejected, expectedRejected, `${where}: a half-written rejected file`);
    }
    checks += 2;
    const left = listDir(processed).filter((n) => isTemporary(n) && n.includes(name)).length;
    const outcome = !spawned.killed
      ? "finished before the kill"
      : output !== null
      ? "complete output (killed after the rename)"
      : left > 0
      ? "no output, temporary file left"
      : "no output, nothing written";
    const record = { index, ...plan, killed: spawned.killed, outcome };
    records.push(record);
    onKill?.(record);
  }

  const leftovers = listDir(processed).filter(isTemporary).length;
  await sleep(2_100);
  const next = await runTask("predict", args("next"), root);
  assert.equal(next.code, 0, next.stderr);
  assert.deepEqual(listDir(processed).filter(isTemporary), [], "the next predict cleans up");
  assert.equal(await Deno.readTextFile(`${processed}/next.csv`), expectedOutput);
  checks += 2;
  await Deno.remove(root, { recursive: true }).catch(() => {}); // kept on failure
  return report("predict", seed, reference, records, checks, leftovers, leftovers, 0);
}

// ---------------------------------------------------------------------------------------------

/** Opens a run, uses it and disposes its model. */
async function withRun<T>(
  open: () => Promise<RunArtifacts>,
  use: (run: RunArtifacts) => T,
): Promise<T> {
  const run = await open();
  try {
    return use(run);
  } finally {
    run.model.dispose();
  }
}

/** Every file under `dir` with its size and mtime, as text: equal text, untouched tree. */
function snapshotTree(dir: string, prefix = ""): string {
  const lines: string[] = [];
  for (const name of listDir(`${dir}/${prefix}`)) {
    const path = prefix ? `${prefix}/${name}` : name;
    const info = Deno.statSync(`${dir}/${path}`);
    if (info.isDirectory) lines.push(snapshotTree(dir, path));
    else lines.push(`${path} ${info.size} ${info.mtime?.getTime()}`);
  }
  return lines.join("\n");
}

function report(
  command: KilledCommand,
  seed: number,
  reference: { ms: number; window: [number, number] },
  records: KillRecord[],
  checks: number,
  leftovers: number,
  cleaned: number,
  staleLocks: number,
): CrashReport {
  return {
    command,
    seed,
    referenceSeconds: reference.ms / 1000,
    writeWindowMs: [Math.round(reference.window[0]), Math.round(reference.window[1])],
    records,
    killed: records.filter((r) => r.killed).length,
    outcomes: count(records),
    checks,
    leftovers,
    cleaned,
    staleLocks,
  };
}
