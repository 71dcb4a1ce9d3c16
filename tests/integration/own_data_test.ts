/**
 * The "your own data" path on seven files of the pinned `vega-datasets` package
 * (tests/_helpers/own_datasets.ts says why each is there): in a fresh project that holds the
 * base config files and nothing else, `init` writes a profile, `train` trains it as written, and
 * the three notebooks run on it with `profile=<name>`; no hand edit in between.
 *
 * The notebooks run with small parameters (3 epochs, 2 folds) to keep the suite short; training
 * runs the profile exactly as init wrote it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { OWN_DATASETS } from "../_helpers/own_datasets.ts";
import { listDir, REPO_ROOT, runCli } from "../_helpers/project.ts";

const VEGA_DATA = `${REPO_ROOT}/node_modules/vega-datasets/data`;

/**
 * A project as a user's clone would hold it before their first command: deno.json, the base
 * config files, the notebooks and the library, and one data file under data/raw/.
 */
async function freshProject(file: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "deno-mlops-own-data-" });
  await Deno.copyFile(`${REPO_ROOT}/deno.json`, `${root}/deno.json`);
  await Deno.copyFile(`${REPO_ROOT}/deno.lock`, `${root}/deno.lock`);
  await Deno.symlink(`${REPO_ROOT}/src`, `${root}/src`);
  await Deno.symlink(`${REPO_ROOT}/node_modules`, `${root}/node_modules`);
  await Deno.mkdir(`${root}/config`);
  for (const name of ["config.yaml", "model_config.yaml", "logging_config.yaml"]) {
    await Deno.copyFile(`${REPO_ROOT}/config/${name}`, `${root}/config/${name}`);
  }
  await Deno.mkdir(`${root}/notebooks`);
  for (const name of listDir(`${REPO_ROOT}/notebooks`).filter((n) => n.endsWith(".ipynb"))) {
    await Deno.copyFile(`${REPO_ROOT}/notebooks/${name}`, `${root}/notebooks/${name}`);
  }
  await Deno.mkdir(`${root}/data/raw`, { recursive: true });
  const source = file === "penguins.csv" ? `${REPO_ROOT}/data/raw/${file}` : `${VEGA_DATA}/${file}`;
  await Deno.copyFile(source, `${root}/data/raw/${file}`);
  return root;
}

function step(name: string, result: { code: number; stdout: string; stderr: string }): string {
  assert.equal(
    result.code,
    0,
    `${name} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
  );
  return result.stdout;
}

await import("vega-datasets"); // makes sure the package is in node_modules

for (const dataset of OWN_DATASETS) {
  Deno.test(`own data, ${dataset.name} (${dataset.why}): init, train and the notebooks pass with no hand edit`, async () => {
    const root = await freshProject(dataset.file);
    try {
      step(
        "init",
        await runCli("init.ts", [
          "--data",
          `data/raw/${dataset.file}`,
          "--target",
          dataset.target,
          "--name",
          dataset.name,
        ], root),
      );
      const profileText = await Deno.readTextFile(`${root}/config/profiles/${dataset.name}.yaml`);
      assert.doesNotMatch(profileText, /!replace/);
      const profile = parseYaml(profileText) as {
        project: { name: string };
        data: { target: string; task: string };
        registry: { primary_metric: string };
      };
      assert.equal(profile.data.target, dataset.target);

      const train = step("train", await runCli("train.ts", ["--config", dataset.name], root));
      const runId = train.match(/^run: (\S+)$/m)?.[1];
      assert.ok(runId, `train printed no run id:\n${train}`);
      const metrics = JSON.parse(
        await Deno.readTextFile(`${root}/models/experiments/${runId}/metrics.json`),
      ) as { primary_metric: string; model: { test: Record<string, unknown> } };
      assert.equal(metrics.primary_metric, profile.registry.primary_metric);
      const score = metrics.model.test[metrics.primary_metric];
      assert.ok(
        typeof score === "number" && Number.isFinite(score),
        `test ${metrics.primary_metric} is ${score}`,
      );

      const out = join(root, "notebooks", "executed");
      step(
        "notebooks",
        await runCli("notebooks.ts", [
          "--param",
          `profile=${dataset.name}`,
          "--param",
          "epochs=3",
          "--param",
          "folds=2",
          "--param",
          "tableRows=2",
          "--out",
          out,
        ], root),
      );
      const executed = listDir(out).filter((name) => name.endsWith(".ipynb"));
      assert.equal(executed.length, 3, `executed notebooks: ${executed.join(", ")}`);
      for (const name of executed) {
        const notebook = JSON.parse(await Deno.readTextFile(join(out, name))) as {
          cells: { outputs?: { output_type: string; ename?: string }[] }[];
        };
        const errors = notebook.cells.flatMap((cell) => cell.outputs ?? [])
          .filter((output) => output.output_type === "error");
        assert.deepEqual(errors, [], `${name} has error outputs`);
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}
