import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import type { RegistryConfig } from "../../src/config/mod.ts";
import {
  PRODUCTION_RUNS_DIR,
  projectProductionDir,
  promoteRun,
  readProductionPointer,
  rollbackProduction,
} from "../../src/models/mod.ts";
import { runTraining } from "../../src/pipelines/mod.ts";
import type { RunArtifacts } from "../../src/pipelines/mod.ts";
import { ModelHolder } from "../../src/serve/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

/** A temporary project with two trained (not promoted) penguins runs. */
async function twoRuns(): Promise<
  { root: string; registry: RegistryConfig; ids: [string, string] }
> {
  using _logs = captureLogs({ level: "error" });
  const root = await makeTempProject();
  const ids: string[] = [];
  for (const epochs of [8, 9]) {
    const loaded = await loadConfig({ root, overrides: [`training.epochs=${epochs}`] });
    const result = await runTraining(loaded);
    result.model.dispose();
    ids.push(result.id);
  }
  const { registry } = (await loadConfig({ root })).config;
  return { root, registry, ids: ids as [string, string] };
}

/** Records when a run's model is disposed. */
function watchDispose(run: RunArtifacts): { disposed: boolean } {
  const state = { disposed: false };
  const dispose = run.model.dispose.bind(run.model);
  run.model.dispose = () => {
    state.disposed = true;
    dispose();
  };
  return state;
}

/** Puts `runId` in production (by force, so the gate does not matter) unless it is there. */
async function ensureProduction(registry: RegistryConfig, runId: string): Promise<void> {
  const pointer = await readProductionPointer(
    projectProductionDir(registry.production_dir, "penguins"),
  );
  if (pointer?.run_id === runId) return;
  await promoteRun(registry, "penguins", { runId, force: true, reason: "test" });
}

const project = await twoRuns();
const [FIRST, SECOND] = project.ids;
const quiet = { level: "fatal" } as const;

Deno.test("ModelHolder has no model while production is empty and says how to fix it", async () => {
  using _logs = captureLogs(quiet);
  const root = await makeTempProject();
  const { registry } = (await loadConfig({ root })).config;
  const holder = new ModelHolder({ ...registry, project: "penguins" }, root);
  assert.equal(await holder.refresh(), false);
  assert.equal(holder.current, null);
  assert.equal(holder.acquire(), null);
  assert.match(
    holder.lastError ?? "",
    /holds no promoted run; promote one with `deno task promote`/,
  );
  await holder.close();
});

Deno.test("ModelHolder swaps runs on promotion and disposes the old one after its last lease", async () => {
  using _logs = captureLogs(quiet);
  const { root, registry } = project;
  await ensureProduction(registry, FIRST);
  const holder = new ModelHolder({ ...registry, project: "penguins" }, root);
  try {
    assert.equal(await holder.refresh(), true);
    assert.equal(holder.current?.runId, FIRST);
    assert.ok(["promote", "force"].includes(holder.current?.action ?? ""));
    assert.equal(await holder.refresh(), false, "nothing changed");

    const lease = holder.acquire()!;
    const old = watchDispose(lease.run);
    assert.equal(lease.run.id, FIRST);

    await ensureProduction(registry, SECOND);
    assert.equal(await holder.refresh(), true);
    assert.equal(holder.current?.runId, SECOND);
    assert.equal(holder.reloads, 2);
    // The request that started on FIRST still has it, intact.
    assert.equal(lease.run.id, FIRST);
    assert.equal(old.disposed, false);
    lease.release();
    assert.equal(old.disposed, true);
    lease.release(); // a second release does nothing

    const next = holder.acquire()!;
    assert.equal(next.run.id, SECOND);
    next.release();

    await rollbackProduction(registry, "penguins", { reason: "test" });
    assert.equal(await holder.refresh(), true);
    assert.equal(holder.current?.runId, FIRST);
    assert.equal(holder.current?.action, "rollback");
  } finally {
    await holder.close();
  }
});

Deno.test("ModelHolder keeps serving the old run when the new production run is corrupt", async () => {
  const logs = captureLogs({ level: "error" });
  const { root, registry } = project;
  await ensureProduction(registry, FIRST);
  const holder = new ModelHolder({ ...registry, project: "penguins" }, root);
  try {
    await holder.refresh();
    assert.equal(holder.current?.runId, FIRST);
    await ensureProduction(registry, SECOND);
    const copy = `${
      projectProductionDir(registry.production_dir, "penguins")
    }/${PRODUCTION_RUNS_DIR}/${SECOND}/metrics.json`;
    await Deno.writeTextFile(copy, "{}");
    assert.equal(await holder.refresh(), false);
    assert.equal(await holder.refresh(), false, "the same broken run is not loaded again");
    assert.equal(holder.current?.runId, FIRST);
    assert.equal(holder.failures, 1);
    assert.match(
      holder.lastError ?? "",
      /^Cannot load the production model of project "penguins": .*metrics\.json.*sha256/,
    );
    const errors = logs.messages().filter((m) => m.includes("Cannot load the production model"));
    assert.equal(errors.length, 1);
    const lease = holder.acquire()!;
    assert.equal(lease.run.id, FIRST);
    lease.release();

    // Repairing production (a forced re-promotion rewrites the copy) is picked up.
    await promoteRun(registry, "penguins", {
      runId: SECOND,
      force: true,
      reason: "repair a corrupt copy",
    });
    assert.equal(await holder.refresh(), true);
    assert.equal(holder.current?.runId, SECOND);
    assert.equal(holder.lastError, null);
  } finally {
    logs.stop();
    await holder.close();
  }
});

Deno.test("ModelHolder.start() picks up a promotion by polling and close() stops it", async () => {
  using _logs = captureLogs(quiet);
  const { root, registry } = project;
  await ensureProduction(registry, FIRST);
  const holder = new ModelHolder({ ...registry, project: "penguins" }, root, {
    pollIntervalMs: 20,
  });
  try {
    await holder.refresh();
    holder.start();
    await ensureProduction(registry, SECOND);
    const deadline = Date.now() + 10_000;
    while (holder.current?.runId !== SECOND && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(holder.current?.runId, SECOND);
  } finally {
    await holder.close();
  }
  assert.equal(holder.acquire(), null, "a closed holder leases nothing");
});

Deno.test("ModelHolder refuses a poll interval that is not positive", () => {
  assert.throws(
    () =>
      new ModelHolder({ ...project.registry, project: "penguins" }, project.root, {
        pollIntervalMs: 0,
      }),
    {
      name: "RangeError",
      message: /pollIntervalMs must be a positive number, got 0/,
    },
  );
});

Deno.test("ModelHolder compiles each run it loads into a row engine, unless turned off", async () => {
  using _logs = captureLogs(quiet);
  const { root, registry } = project;
  await ensureProduction(registry, FIRST);
  const holder = new ModelHolder({ ...registry, project: "penguins" }, root);
  const plain = new ModelHolder({ ...registry, project: "penguins" }, root, { rowEngine: false });
  try {
    await holder.refresh();
    await plain.refresh();
    assert.equal(holder.current?.engine, "rows");
    assert.equal(holder.current?.engineReason, null);
    const lease = holder.acquire()!;
    assert.equal(lease.scorer?.runId, FIRST);
    lease.release();
    assert.equal(plain.current?.engine, "polars");
    assert.equal(plain.current?.engineReason, "the row engine is turned off");
    const plainLease = plain.acquire()!;
    assert.equal(plainLease.scorer, null);
    plainLease.release();
  } finally {
    await holder.close();
    await plain.close();
  }
});
