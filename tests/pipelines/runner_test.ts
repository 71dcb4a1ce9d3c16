import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/mod.ts";
import {
  configSlice,
  defineNode,
  orderNodes,
  runPipeline,
  TRAINING_NODES,
} from "../../src/pipelines/mod.ts";
import type { PipelineNode } from "../../src/pipelines/mod.ts";
import { captureLogs, getProjectLogger } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

function node(name: string, inputs: string[], outputs: string[]): PipelineNode {
  return defineNode({
    name,
    description: name,
    stage: name,
    inputs: inputs as never[],
    outputs: outputs as never[],
    code: [],
    cached: false,
    config: () => ({}),
    run: () => ({}) as never,
  });
}

Deno.test("orderNodes() names a node whose declared input no node produces", () => {
  assert.throws(
    () => orderNodes([node("a", [], ["raw"]), node("b", ["rows"], ["validation"])]),
    {
      name: "TypeError",
      message:
        /node "b" declares the input "rows", which no node produces and the caller did not give/,
    },
  );
  // Given by the caller, the same input is fine.
  assert.deepEqual(
    orderNodes([node("b", ["rows"], ["validation"])], ["rows"]).map((n) => n.name),
    ["b"],
  );
});

Deno.test("orderNodes() refuses two producers of one dataset, twin names and cycles", () => {
  assert.throws(() => orderNodes([node("a", [], ["raw"]), node("b", [], ["raw"])]), {
    message: /nodes "a" and "b" both produce "raw"/,
  });
  assert.throws(() => orderNodes([node("a", [], ["raw"]), node("a", [], ["rows"])]), {
    message: /two nodes are named "a"/,
  });
  assert.throws(
    () => orderNodes([node("a", ["rows"], ["raw"]), node("b", ["raw"], ["rows"])]),
    { message: /form a cycle \(a → b → a\)/ },
  );
});

Deno.test("orderNodes() puts the training nodes in an order where producers come first", () => {
  const order = orderNodes([...TRAINING_NODES].reverse()).map((n) => n.name);
  const position = (name: string) => order.indexOf(name);
  for (const consumer of TRAINING_NODES) {
    for (const input of consumer.inputs) {
      const producer = TRAINING_NODES.find((n) => n.outputs.includes(input));
      assert.ok(producer && position(producer.name) < position(consumer.name), input);
    }
  }
});

Deno.test("runPipeline() stops with a clear error when a node does not return a declared output", async () => {
  using _logs = captureLogs({ level: "fatal" });
  const root = await makeTempProject();
  const loaded = await loadConfig({ root });
  const broken = defineNode({
    name: "broken",
    description: "forgets an output",
    stage: "clean",
    inputs: ["raw"],
    outputs: ["rows", "row_cleaning"],
    code: [],
    cached: true,
    config: (config) => configSlice(config, ["cleaning"]),
    run: ({ raw }) => ({ rows: raw }) as never,
  });
  const load = TRAINING_NODES.find((n) => n.name === "load");
  assert.ok(load);
  await assert.rejects(
    () =>
      runPipeline([load, broken], { config: loaded.config, logger: getProjectLogger("pipeline") }, {
        targets: ["rows"],
        cacheDir: `${root}/data/processed/cache`,
      }),
    { name: "TypeError", message: /node "broken": it returned no "row_cleaning"/ },
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("configSlice() reads dotted paths and gives null for absent ones", async () => {
  const root = await makeTempProject();
  const { config } = await loadConfig({ root });
  assert.deepEqual(configSlice(config, ["split.seed", "data.target", "split.nope"]), {
    "split.seed": 42,
    "data.target": "Species",
    "split.nope": null,
  });
  await Deno.remove(root, { recursive: true });
});
