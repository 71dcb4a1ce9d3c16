import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import { promoteRun } from "../../src/models/mod.ts";
import { openRun, runTraining } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

Deno.test('openRun() opens a run by id, as "production" and by its folder, the same run each way', async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=2"] });
  const trained = await runTraining(loaded);
  trained.model.dispose();
  await assert.rejects(() => openRun("production", loaded), {
    name: "ArtifactError",
    message: /holds no promoted run; promote one with `deno task promote`/,
  });
  await promoteRun(loaded.config.registry, loaded.config.project.name, { runId: trained.id });
  const byId = await openRun(trained.id, loaded);
  const production = await openRun("production", loaded);
  const byFolder = await openRun(`models/experiments/${trained.id}`, loaded);
  const byCopy = await openRun(`models/production/penguins/runs/${trained.id}`, loaded);
  for (const run of [byId, production, byFolder, byCopy]) {
    assert.equal(run.id, trained.id);
    assert.deepEqual(run.names, trained.features.names);
    run.model.dispose();
  }
  assert.match(production.dir, /models\/production\/penguins\/runs\//);
  // "production" is the production of the config's project: another project has its own.
  const other = await loadConfig({ root, overrides: ["project.name=other"] });
  await assert.rejects(() => openRun("production", other), {
    name: "ArtifactError",
    message:
      /^Cannot use the production model of project "other": ".*models\/production\/other" holds no promoted run/,
  });
  // A production copy is opened by path only from a project's runs/ folder.
  await Deno.mkdir(`${root}/models/production/runs`, { recursive: true });
  await assert.rejects(() => openRun(`models/production/runs/${trained.id}`, loaded), {
    name: "ArtifactError",
    message: /a run folder must lie directly under ".*models\/experiments" or ".*<project>\/runs"/,
  });
  await Deno.remove(root, { recursive: true });
});

Deno.test("openRun() refuses a folder outside the registry and names the closest run id", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root, overrides: ["training.epochs=1"] });
  const trained = await runTraining(loaded);
  trained.model.dispose();
  await assert.rejects(() => openRun("/etc", loaded), {
    name: "ArtifactError",
    message:
      /Cannot open run "\/etc": .*a run folder must lie directly under ".*models\/experiments"/,
  });
  await assert.rejects(() => openRun(`${trained.id}x`, loaded), {
    name: "ArtifactError",
    message: new RegExp(`did you mean "${trained.id}"`),
  });
  await Deno.remove(root, { recursive: true });
});
