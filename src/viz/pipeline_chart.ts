/**
 * The pipeline's graph as a chart: one box per node in layers from the first node to the last,
 * coloured by what a run would do there, with arrows from each producer to its consumers.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { FONT, PALETTE } from "./theme.ts";

/** What a run of the current config would do at a node. */
export type PipelineNodeStatus = "cached" | "would run" | "not needed" | "always runs";

/** One node of a pipeline graph. */
export interface PipelineGraphNode {
  name: string;
  description: string;
  /** Datasets it reads. */
  inputs: string[];
  /** Datasets it produces. */
  outputs: string[];
  /** Config key paths it reads. */
  config: string[];
  /** Its cache key for the current config (empty when it has none). */
  key: string;
  status: PipelineNodeStatus;
}

/** A pipeline graph: its nodes in run order. */
export interface PipelineGraph {
  nodes: PipelineGraphNode[];
}

const STATUS_COLOURS: Readonly<Record<PipelineNodeStatus, string>> = {
  cached: PALETTE[2] ?? "#009E73",
  "would run": PALETTE[1] ?? "#E69F00",
  "not needed": "#BBBBBB",
  "always runs": PALETTE[4] ?? "#56B4E9",
};

const BOX_WIDTH = 190;
const BOX_HEIGHT = 42;
const COLUMN_GAP = 30;
const ROW_GAP = 34;

/**
 * Lays a pipeline graph out top to bottom and draws it.
 *
 * Each node sits one layer below the deepest producer of its inputs; nodes of one layer sit
 * side by side, centred. Each box shows the node's name and the datasets it produces.
 *
 * @param graph the nodes, in run order
 * @returns a vega-lite spec (render with `renderSvg`, show with `show`)
 * @throws {RangeError} when the graph has no nodes
 * @example
 * ```ts
 * const spec = pipelineChart({ nodes: [{ name: "load", ..., status: "cached" }] });
 * ```
 */
export function pipelineChart(graph: PipelineGraph): TopLevelSpec {
  if (graph.nodes.length === 0) {
    throw new RangeError(`Cannot draw the pipeline: it has no nodes`);
  }
  const producer = new Map<string, string>();
  for (const node of graph.nodes) {
    for (const output of node.outputs) producer.set(output, node.name);
  }
  const layer = new Map<string, number>();
  for (const node of graph.nodes) {
    const depths = node.inputs.map((input) => layer.get(producer.get(input) ?? "") ?? -1);
    layer.set(node.name, Math.max(-1, ...depths) + 1);
  }
  const layers = Math.max(...layer.values()) + 1;
  const rows: string[][] = Array.from({ length: layers }, () => []);
  for (const node of graph.nodes) rows[layer.get(node.name) ?? 0]?.push(node.name);
  const widest = Math.max(...rows.map((r) => r.length));
  const width = widest * BOX_WIDTH + (widest - 1) * COLUMN_GAP + 20;
  const height = layers * BOX_HEIGHT + (layers - 1) * ROW_GAP + 20;
  const centre = new Map<string, { x: number; y: number }>();
  rows.forEach((names, row) => {
    const span = names.length * BOX_WIDTH + (names.length - 1) * COLUMN_GAP;
    names.forEach((name, i) => {
      centre.set(name, {
        x: (width - span) / 2 + i * (BOX_WIDTH + COLUMN_GAP) + BOX_WIDTH / 2,
        y: 10 + row * (BOX_HEIGHT + ROW_GAP) + BOX_HEIGHT / 2,
      });
    });
  });
  const boxes = graph.nodes.map((node) => {
    const { x, y } = centre.get(node.name) ?? { x: 0, y: 0 };
    const outputs = node.outputs.join(", ");
    return {
      name: node.name,
      status: node.status,
      outputs: outputs.length > 30 ? `${outputs.slice(0, 29)}…` : outputs,
      description: node.description,
      inputs: node.inputs.join(", ") || "(the input file)",
      key: node.key.slice(0, 12),
      x,
      y,
      x1: x - BOX_WIDTH / 2,
      x2: x + BOX_WIDTH / 2,
      y1: y - BOX_HEIGHT / 2,
      y2: y + BOX_HEIGHT / 2,
    };
  });
  const edges = graph.nodes.flatMap((node) => {
    const to = centre.get(node.name) ?? { x: 0, y: 0 };
    const from = [...new Set(node.inputs.map((input) => producer.get(input)))]
      .filter((name): name is string => name !== undefined);
    return from.map((name) => {
      const start = centre.get(name) ?? { x: 0, y: 0 };
      return {
        x: start.x,
        y: start.y + BOX_HEIGHT / 2,
        x2: to.x,
        y2: to.y - BOX_HEIGHT / 2 - 5,
        angle: (Math.atan2(to.x - start.x, to.y - start.y) * -180) / Math.PI + 180,
      };
    });
  });
  const x = { type: "quantitative" as const, scale: { domain: [0, width] }, axis: null };
  const y = { type: "quantitative" as const, scale: { domain: [height, 0] }, axis: null };
  const statuses = Object.keys(STATUS_COLOURS) as PipelineNodeStatus[];
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Training pipeline", subtitle: "what `deno task train` would do now" },
    width,
    height,
    config: { view: { stroke: null }, font: FONT },
    layer: [
      {
        data: { values: edges },
        mark: { type: "rule", color: "#666666", strokeWidth: 1.2 },
        encoding: {
          x: { field: "x", ...x },
          y: { field: "y", ...y },
          x2: { field: "x2" },
          y2: { field: "y2" },
        },
      },
      {
        data: { values: edges },
        mark: { type: "point", shape: "triangle-down", filled: true, size: 60, color: "#666666" },
        encoding: {
          x: { field: "x2", ...x },
          y: { field: "y2", ...y },
          angle: { field: "angle", type: "quantitative", scale: null },
        },
      },
      {
        data: { values: boxes },
        mark: { type: "rect", cornerRadius: 6, stroke: "#333333", strokeWidth: 0.8 },
        encoding: {
          x: { field: "x1", ...x },
          x2: { field: "x2" },
          y: { field: "y1", ...y },
          y2: { field: "y2" },
          color: {
            field: "status",
            type: "nominal",
            title: "status",
            scale: { domain: statuses, range: statuses.map((s) => STATUS_COLOURS[s]) },
            legend: { orient: "right" },
          },
          tooltip: [
            { field: "name", title: "node" },
            { field: "description", title: "does" },
            { field: "inputs", title: "reads" },
            { field: "outputs", title: "writes" },
            { field: "status", title: "status" },
            { field: "key", title: "cache key" },
          ],
        },
      },
      {
        data: { values: boxes },
        mark: { type: "text", fontWeight: "bold", fontSize: 12, dy: -7, color: "#111111" },
        encoding: { x: { field: "x", ...x }, y: { field: "y", ...y }, text: { field: "name" } },
      },
      {
        data: { values: boxes },
        mark: { type: "text", fontSize: 10, dy: 9, color: "#222222" },
        encoding: {
          x: { field: "x", ...x },
          y: { field: "y", ...y },
          text: { field: "outputs" },
        },
      },
    ],
  };
}
