/**
 * `deno task pipeline [--config F] [--set k=v ...] [--svg FILE] [--json]`: shows the training
 * pipeline's nodes with their inputs and outputs and, for the current config, which are cached
 * and which a `deno task train` would run (as `dvc status` does). `--svg` draws the graph.
 *
 * @module
 */
import { resolve } from "node:path";
import { loadConfig } from "../config/mod.ts";
import { pipelineStatus } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { pipelineChart, toSVG } from "../viz/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { formatTable } from "./_tables.ts";
import { runTask } from "./_task.ts";
import { UsageError } from "../errors.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  flags: ["json"],
  options: [...CONFIG_ARG_SPEC.options, "svg"],
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    svg: "also draw the graph into this SVG file, under models/ (e.g. models/pipeline.svg)",
    json: "print JSON instead of a table",
  },
};

await runTask("pipeline", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "pipeline",
      SPEC,
      "Show the pipeline's nodes and which a training run of this config would run or take from the cache.",
    ));
    return 0;
  }
  const svg = args.options["svg"];
  if (svg !== undefined && !svg.endsWith(".svg")) {
    throw new UsageError(`Cannot write the graph to "${svg}": give a file name ending in .svg`);
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const graph = await pipelineStatus(loaded);
  if (args.flags["json"]) {
    console.log(JSON.stringify(graph, null, 2));
  } else {
    console.log(formatTable(
      ["node", "reads", "writes", "status", "key"],
      graph.nodes.map((n) => [
        n.name,
        n.inputs.join(", ") || "(input file)",
        n.outputs.join(", "),
        n.status,
        n.key.slice(0, 12),
      ]),
    ));
    const running = graph.nodes.filter((n) => n.status === "would run").map((n) => n.name);
    console.log("");
    console.log(
      running.length === 0
        ? "Every data and feature stage is cached: deno task train runs only train, evaluate and record."
        : `deno task train would run ${running.join(", ")}, then train, evaluate and record.`,
    );
  }
  if (svg !== undefined) {
    const path = resolve(svg);
    await Deno.writeTextFile(path, await toSVG(pipelineChart(graph)));
    console.log(`graph: ${path}`);
  }
});
