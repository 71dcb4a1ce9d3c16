/**
 * `deno task data:pull`: copies the larger datasets from the pinned `vega-datasets` package into
 * `data/raw/` and checks every file against `data/manifest.json`.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { pullDatasets, readManifest } from "../data/mod.ts";
import { runTask } from "./_task.ts";

await runTask("data:pull", async () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const manifest = await readManifest(`${root}data/manifest.json`);
  // Importing the package makes Deno install it into node_modules when it is not there yet.
  await import("vega-datasets");
  const results = await pullDatasets({
    sourceDir: `${root}node_modules/${manifest.package}/data`,
    targetDir: `${root}data/raw`,
    manifest,
  });
  for (const result of results) {
    const size = `${(result.bytes / 1024).toFixed(0)} KiB`.padStart(10);
    console.log(`${result.status.padEnd(9)} ${size}  data/raw/${result.name}`);
  }
  console.log(`${results.length} files match data/manifest.json (sha256)`);
});
