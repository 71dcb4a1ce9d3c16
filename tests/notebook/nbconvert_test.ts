/**
 * The notebooks must also run unchanged under Jupyter's own `nbconvert --execute`. This needs
 * Python with nbconvert (Debian: jupyter-notebook, python3-nbconvert), which `.ci/run` installs;
 * without it the test says why it is skipped.
 */
import assert from "node:assert/strict";
import { REPO_ROOT } from "../_helpers/project.ts";

const PYTHON = "/usr/bin/python3";

async function nbconvertVersion(): Promise<string | null> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-m", "nbconvert", "--version"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

const version = await nbconvertVersion();
if (version === null) {
  console.log(
    `skipping the nbconvert check: ${PYTHON} -m nbconvert is not available (install the Debian packages jupyter-notebook and python3-nbconvert; .ci/run does)`,
  );
}

Deno.test({
  name: "every notebook executes unchanged under jupyter nbconvert --execute",
  ignore: version === null,
  async fn() {
    const work = await Deno.makeTempDir({ prefix: "nbconvert-" });
    // A kernelspec of our own in a temporary Jupyter path, so the user's Jupyter setup is not touched.
    const kernelDir = `${work}/jupyter/kernels/deno`;
    await Deno.mkdir(kernelDir, { recursive: true });
    await Deno.writeTextFile(
      `${kernelDir}/kernel.json`,
      JSON.stringify({
        argv: [Deno.execPath(), "jupyter", "--kernel", "--conn", "{connection_file}"],
        display_name: "Deno",
        language: "typescript",
      }),
    );
    const notebooks = [...Deno.readDirSync(`${REPO_ROOT}/notebooks`)]
      .filter((e) => e.isFile && e.name.endsWith(".ipynb")).map((e) => e.name).sort();
    assert.equal(notebooks.length, 3);
    for (const name of notebooks) {
      const out = await new Deno.Command(PYTHON, {
        args: [
          "-m",
          "nbconvert",
          "--to",
          "notebook",
          "--execute",
          "--ExecutePreprocessor.timeout=300",
          "--output-dir",
          `${work}/out`,
          `${REPO_ROOT}/notebooks/${name}`,
        ],
        env: {
          JUPYTER_PATH: `${work}/jupyter`,
          JUPYTER_DATA_DIR: `${work}/jupyter-data`,
          JUPYTER_RUNTIME_DIR: `${work}/jupyter-runtime`,
          // Runs recorded by the notebooks go to the temporary folder, never to models/.
          DENO_MLOPS__REGISTRY__EXPERIMENTS_DIR: `${work}/experiments`,
          DENO_MLOPS__REGISTRY__PRODUCTION_DIR: `${work}/production`,
          NO_COLOR: "1",
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(
        out.code,
        0,
        `${name} failed under nbconvert ${version}:\n${stderr.slice(-4000)}`,
      );
      const executed = JSON.parse(await Deno.readTextFile(`${work}/out/${name}`));
      const outputs = executed.cells.flatMap((
        c: { outputs?: { output_type: string; data?: Record<string, unknown> }[] },
      ) => c.outputs ?? []);
      assert.equal(
        outputs.filter((o: { output_type: string }) => o.output_type === "error").length,
        0,
        name,
      );
      assert.ok(
        outputs.some((o: { data?: Record<string, unknown> }) =>
          o.data && "image/svg+xml" in o.data
        ),
        `${name}: no SVG chart in the executed copy`,
      );
    }
    await Deno.remove(work, { recursive: true });
  },
});
