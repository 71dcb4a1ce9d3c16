/**
 * `deno task data:pull`: copies the larger datasets from the pinned `vega-datasets` package into
 * `data/raw/` and checks every file against `data/manifest.json`.
 *
 * A file in `data/raw/` that differs from the manifest (an edited copy) is refused, as an edited
 * shipped `penguins.csv` is; `--force` replaces it with the pinned copy.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { pullDatasets, readManifest } from "../data/mod.ts";
import { formatUsage, parseTaskArgs } from "./_args.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  flags: ["force"],
  descriptions: {
    force: "replace files in data/raw/ that differ from data/manifest.json (edited copies)",
  },
};

await runTask("data:pull", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "data:pull",
      SPEC,
      "Copy the pinned datasets into data/raw/ and check every file against data/manifest.json.",
    ));
    return 0;
  }
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const manifest = await readManifest(`${root}data/manifest.json`);
  // Importing the package makes Deno install it into node_modules when it is not there yet.
  await import("vega-datasets");
  const results = await pullDatasets({
    sourceDir: `${root}node_modules/${manifest.package}/data`,
    targetDir: `${root}data/raw`,
    manifest,
    overwrite: args.flags["force"] ?? false,
  });
  for (const result of results) {
    const size = `${(result.bytes / 1024).toFixed(0)} KiB`.padStart(10);
    console.log(`${result.status.padEnd(9)} ${size}  data/raw/${result.name}`);
  }
  console.log(`${results.length} files match data/manifest.json (sha256)`);
});
