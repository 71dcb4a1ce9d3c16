import assert from "node:assert/strict";
import pl from "nodejs-polars";
import {
  chartBundle,
  defaultSink,
  display,
  type DisplayBundle,
  type DisplaySink,
  type DisplayTarget,
  isJupyterKernel,
  jupyterSink,
  liveTrainingDisplay,
  PNG_MIME,
  RUN_MIME,
  runBundle,
  show,
  showRun,
  showTable,
  SVG_MIME,
  tableBundle,
  TEXT_MIME,
  textSink,
  VEGA_LITE_MIME,
  vegaLiteMime,
} from "../../src/notebook/mod.ts";
import { plotCounts, type TopLevelSpec, trainingObjective } from "../../src/viz/mod.ts";
import type { EpochLogs, TrainingHistory } from "../../src/models/mod.ts";
import { MlpModel } from "../../src/models/mod.ts";
import type { TrainingResult } from "../../src/pipelines/mod.ts";
import { blobs } from "../models/_synthetic.ts";

/** A sink that keeps every bundle it gets, with where it was sent. */
function recorder(): {
  sink: DisplaySink;
  sent: { bundle: DisplayBundle; target: DisplayTarget }[];
} {
  const sent: { bundle: DisplayBundle; target: DisplayTarget }[] = [];
  return { sink: (bundle, target) => void sent.push({ bundle, target }), sent };
}

function rowsOf(spec: TopLevelSpec): Record<string | symbol, unknown>[] {
  return (spec as { data: { values: Record<string | symbol, unknown>[] } }).data.values;
}

const islands = pl.DataFrame({ Island: ["Biscoe", "Dream", "Biscoe", "Torgersen", "Biscoe"] });

function epochLogs(epoch: number, loss: number): EpochLogs {
  return {
    epoch,
    loss,
    val_loss: loss + 0.1,
    metric: 1 - loss,
    val_metric: 0.9 - loss,
    seconds: 0,
  };
}

function historyOf(epochs: EpochLogs[], bestEpoch: number): TrainingHistory {
  return {
    epochs,
    bestEpoch,
    stoppedEarly: false,
    restoredBest: true,
    monitor: "val_loss",
    metric: "accuracy",
    seconds: 0,
  };
}

// -- charts -----------------------------------------------------------------------------------

Deno.test("show() emits one bundle holding the vega-lite spec, its SVG, a PNG of it and a text line", async () => {
  const spec = plotCounts(islands, { column: "Island" });
  const { sink, sent } = recorder();
  assert.equal(await show(spec, { sink }), undefined); // the kernel would print a returned value
  assert.equal(sent.length, 1);
  const bundle = sent[0]!.bundle;
  assert.deepEqual(sent[0]!.target, { displayId: null, update: false });
  assert.deepEqual(
    Object.keys(bundle).sort(),
    [VEGA_LITE_MIME, SVG_MIME, PNG_MIME, TEXT_MIME].sort(),
  );
  // The MIME type names the major version of the spec's $schema (vega-lite/v6.json).
  assert.match(String(spec.$schema), /\/vega-lite\/v6\.json$/);
  assert.equal(VEGA_LITE_MIME, "application/vnd.vegalite.v6+json");
  assert.equal(SVG_MIME, "image/svg+xml");
  assert.equal(bundle[VEGA_LITE_MIME], spec);
  const svg = bundle[SVG_MIME] as string;
  assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, />Biscoe</);
  assert.match(svg, />Torgersen</);
  assert.match(bundle[TEXT_MIME], /^Chart: "Counts of Island" \(\d+×\d+ SVG\)$/);
  // The bundle must survive the JSON encoding of the Jupyter protocol unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(bundle)), bundle);
  assert.deepEqual(Object.getOwnPropertySymbols(rowsOf(spec)[0]!), []); // rendering left it alone
});

Deno.test("chartBundle() adds a PNG of the SVG, the SVG's size, with its text drawn; png: false leaves it out", async () => {
  const spec = plotCounts(islands, { column: "Island" });
  const bundle = await chartBundle(spec);
  assert.equal(PNG_MIME, "image/png");
  const png = Uint8Array.from(atob(bundle[PNG_MIME] as string), (c) => c.charCodeAt(0));
  // The PNG signature, then the IHDR chunk's width and height.
  assert.deepEqual([...png.slice(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(png.buffer);
  const size = /^<svg[^>]*width="(\d+(?:\.\d+)?)"[^>]*height="(\d+(?:\.\d+)?)"/.exec(
    bundle[SVG_MIME] as string,
  )!;
  assert.equal(view.getUint32(16), Math.ceil(Number(size[1])));
  assert.equal(view.getUint32(20), Math.ceil(Number(size[2])));
  // Text needs a font: a chart drawn without one is far smaller than with its labels.
  assert.ok(png.length > 5000, `a ${png.length}-byte PNG has no text drawn`);
  const without = await chartBundle(spec, { png: false });
  assert.deepEqual(Object.keys(without).sort(), [VEGA_LITE_MIME, SVG_MIME, TEXT_MIME].sort());
});

Deno.test("vegaLiteMime() names the major version of the spec's $schema", () => {
  const schema = (version: string) => `https://vega.github.io/schema/vega-lite/${version}.json`;
  assert.equal(vegaLiteMime({ $schema: schema("v6") }), "application/vnd.vegalite.v6+json");
  assert.equal(vegaLiteMime({ $schema: schema("v5.20.1") }), "application/vnd.vegalite.v5+json");
  assert.equal(vegaLiteMime({}), VEGA_LITE_MIME);
});

Deno.test("show() sends a display id and update flag to the sink", async () => {
  const spec = plotCounts(islands, { column: "Island", title: "Islands" });
  const { sink, sent } = recorder();
  await show(spec, { sink, displayId: "islands" });
  await show(spec, { sink, displayId: "islands", update: true });
  assert.deepEqual(sent.map((s) => s.target), [
    { displayId: "islands", update: false },
    { displayId: "islands", update: true },
  ]);
  assert.equal(sent[1]!.bundle[TEXT_MIME].startsWith(`Chart: "Islands"`), true);
});

Deno.test("show() throws TypeError naming the chart when it cannot be compiled", async () => {
  const broken = {
    title: "Broken",
    data: { values: [{ a: 1 }] },
    mark: "no-such-mark",
    encoding: {},
  } as unknown as TopLevelSpec;
  await assert.rejects(() => show(broken, { sink: recorder().sink }), {
    name: "TypeError",
    message: /Cannot compile chart "Broken"/,
  });
});

Deno.test("chartBundle() names an untitled chart as untitled", async () => {
  const spec = {
    data: { values: [{ a: 1 }, { a: 2 }] },
    mark: "point",
    encoding: { x: { field: "a", type: "quantitative" } },
  } as TopLevelSpec;
  const bundle = await chartBundle(spec);
  assert.match(bundle[TEXT_MIME], /^Chart: \(untitled\)/);
});

// -- sinks ------------------------------------------------------------------------------------

Deno.test("isJupyterKernel() is false under deno test, and jupyterSink() without a broadcast throws", () => {
  assert.equal(isJupyterKernel(), false);
  assert.throws(() => jupyterSink(), {
    name: "TypeError",
    message: /Cannot display in Jupyter: .*Deno Jupyter kernel/,
  });
});

Deno.test("jupyterSink() broadcasts display_data, then update_display_data with the display id", async () => {
  const messages: [string, Record<string, unknown>][] = [];
  const sink = jupyterSink((type, content) => {
    messages.push([type, content]);
    return Promise.resolve();
  });
  await display({ [TEXT_MIME]: "first" }, { sink });
  await display({ [TEXT_MIME]: "one" }, { sink, displayId: "d1" });
  await display({ [TEXT_MIME]: "two", "text/html": "<b>two</b>" }, {
    sink,
    displayId: "d1",
    update: true,
  });
  assert.deepEqual(messages, [
    ["display_data", { data: { [TEXT_MIME]: "first" }, metadata: {}, transient: {} }],
    ["display_data", {
      data: { [TEXT_MIME]: "one" },
      metadata: {},
      transient: { display_id: "d1" },
    }],
    ["update_display_data", {
      data: { [TEXT_MIME]: "two", "text/html": "<b>two</b>" },
      metadata: {},
      transient: { display_id: "d1" },
    }],
  ]);
});

Deno.test("textSink() writes the text/plain part of each bundle on its own line", async () => {
  const written: string[] = [];
  const sink = textSink((text) => written.push(text));
  await display({ [TEXT_MIME]: "hello", "text/html": "<p>ignored</p>" }, { sink });
  assert.deepEqual(written, ["hello\n"]);
});

Deno.test("defaultSink() shows nothing when standard output is not a terminal", () => {
  assert.equal(defaultSink() === null, !Deno.stdout.isTerminal());
});

Deno.test("display() refuses a bundle without text/plain and an update without a display id", async () => {
  const { sink, sent } = recorder();
  await assert.rejects(
    () => display({ "text/html": "<p>x</p>" } as unknown as DisplayBundle, { sink }),
    {
      name: "TypeError",
      message: /Cannot display bundle: expected an object with a "text\/plain"/,
    },
  );
  await assert.rejects(() => display({ [TEXT_MIME]: "x" }, { sink, update: true }), {
    name: "TypeError",
    message: /Cannot update a display: no displayId was given/,
  });
  assert.equal(sent.length, 0);
});

// -- tables -----------------------------------------------------------------------------------

Deno.test("tableBundle() prints shape, dtypes and every row of a small frame, nulls included", () => {
  const df = pl.DataFrame([
    pl.Series("name", ["Adelie", null, "<Gentoo>"]),
    pl.Series("mass", [3750.0, 3800.5, null], pl.Float64),
    pl.Series("count", [1, 2, 3], pl.Int64),
  ]);
  const bundle = tableBundle(df);
  assert.equal(
    bundle[TEXT_MIME],
    [
      "shape: (3, 3)",
      "   name      mass     count",
      "   String    Float64  Int64",
      "0  Adelie     3750.0      1",
      "1  null       3800.5      2",
      "2  <Gentoo>     null      3",
    ].join("\n"),
  );
  const html = bundle["text/html"] as string;
  assert.match(html, /shape: \(3, 3\)/);
  assert.match(html, /&lt;Gentoo&gt;/);
  assert.doesNotMatch(html, /<Gentoo>/);
  assert.match(html, />Float64</);
  assert.equal(html.match(/<tr>/g)?.length, 5); // two header rows and three data rows
});

Deno.test("tableBundle() shows head and tail around a gap row, and the first and last columns of a wide frame", () => {
  const wide = pl.DataFrame(
    Array.from(
      { length: 6 },
      (_, c) => pl.Series(`c${c}`, Array.from({ length: 10 }, (_, r) => r * 10 + c), pl.Int64),
    ),
  );
  const bundle = tableBundle(wide, { head: 2, tail: 1, maxColumns: 4, title: "Grid" });
  assert.equal(
    bundle[TEXT_MIME],
    [
      "Grid, shape: (10, 6)",
      "   c0     c1     …  c4     c5",
      "   Int64  Int64     Int64  Int64",
      "0      0      1  …      4      5",
      "1     10     11  …     14     15",
      "…      …      …  …      …      …",
      "9     90     91  …     94     95",
    ].join("\n"),
  );
  const html = bundle["text/html"] as string;
  assert.match(html, /<b>Grid<\/b> · shape: \(10, 6\)/);
  assert.doesNotMatch(html, />c2</);
});

Deno.test("tableBundle() cuts long cells and shows each row once when head and tail overlap", () => {
  const df = pl.DataFrame({ text: ["x".repeat(30), "short"] });
  const text = tableBundle(df, { head: 5, tail: 5, maxCellChars: 10 })[TEXT_MIME];
  assert.equal(
    text,
    ["shape: (2, 1)", "   text", "   String", "0  xxxxxxxxx…", "1  short"].join("\n"),
  );
});

Deno.test("tableBundle() rejects what is not a frame and options out of range", () => {
  assert.throws(() => tableBundle([{ a: 1 }] as unknown as pl.DataFrame), {
    name: "TypeError",
    message: /Cannot show table: expected a polars DataFrame, got \[object Array\]/,
  });
  assert.throws(() => tableBundle(islands, { head: -1 }), {
    name: "RangeError",
    message: /option "head" must be an integer >= 0, got -1/,
  });
  assert.throws(() => tableBundle(islands, { maxColumns: 1 }), {
    name: "RangeError",
    message: /option "maxColumns" must be an integer >= 2, got 1/,
  });
});

Deno.test("showTable() sends the table bundle to the sink and resolves to nothing", async () => {
  const { sink, sent } = recorder();
  assert.equal(await showTable(islands, { sink, head: 1, tail: 1 }), undefined);
  assert.deepEqual(sent[0]!.bundle, tableBundle(islands, { head: 1, tail: 1 }));
  assert.match(sent[0]!.bundle[TEXT_MIME], /^shape: \(5, 1\)\n/);
});

// -- runs -------------------------------------------------------------------------------------

function fakeRun(dir: string | null): Pick<TrainingResult, "id" | "dir" | "record"> {
  return {
    id: "20261127-080008-penguins-c8f4d419",
    dir,
    record: {
      family: "mlp",
      primary: { metric: "f1_macro", val: 0.98765, test: null },
    } as TrainingResult["record"],
  };
}

Deno.test("showRun() emits the run id under the run MIME type for the notebook runner", async () => {
  const { sink, sent } = recorder();
  await showRun(fakeRun("/tmp/models/experiments/x"), { sink });
  assert.equal(sent.length, 1);
  const bundle = sent[0]!.bundle;
  assert.deepEqual(bundle, runBundle(fakeRun("/tmp/models/experiments/x")));
  assert.equal(RUN_MIME, "application/vnd.deno-mlops.run+json");
  assert.deepEqual(bundle[RUN_MIME], {
    run_id: "20261127-080008-penguins-c8f4d419",
    dir: "/tmp/models/experiments/x",
  });
  assert.equal(
    bundle[TEXT_MIME],
    [
      "run: 20261127-080008-penguins-c8f4d419",
      "folder: /tmp/models/experiments/x",
      "mlp f1_macro: val 0.9877, test n/a",
    ].join("\n"),
  );
});

Deno.test("showRun() refuses a run that was not recorded", async () => {
  await assert.rejects(() => showRun(fakeRun(null), { sink: recorder().sink }), {
    name: "TypeError",
    message: /Cannot show run "20261127-080008-penguins-c8f4d419": it was not recorded/,
  });
});

// -- live training display --------------------------------------------------------------------

Deno.test("liveTrainingDisplay() counts rounds for a tree family", async () => {
  const { sink, sent } = recorder();
  const live = liveTrainingDisplay({ sink, displayId: "trees", step: "round", minIntervalMs: 0 });
  await live.onTrainBegin!({
    epochs: 3,
    batchesPerEpoch: 1,
    samples: 40,
    metric: "accuracy",
    hasValidation: true,
  });
  const logs = [epochLogs(0, 0.9), epochLogs(1, 0.5), epochLogs(2, 0.3)];
  for (const [i, entry] of logs.entries()) await live.onEpochEnd!(i, entry);
  await live.onTrainEnd!(historyOf(logs, 2));
  assert.equal(
    sent[0]!.bundle[TEXT_MIME],
    "Training progress: training for up to 3 rounds on 40 rows…",
  );
  assert.match(sent[1]!.bundle[TEXT_MIME] as string, /^Training progress: round 1 of 3 /);
  const spec = sent.at(-1)!.bundle[VEGA_LITE_MIME] as { title: { text: string } };
  assert.equal(spec.title.text, "Training progress: finished after 3 rounds, best round 3");
});

Deno.test("liveTrainingDisplay() creates one display and updates it in place as epochs end", async () => {
  const { sink, sent } = recorder();
  let clock = 0;
  const live = liveTrainingDisplay({
    sink,
    displayId: "fit",
    minIntervalMs: 100,
    now: () => clock,
    objective: { task: "classification", l2: 0.0001 },
  });
  await live.onTrainBegin!({
    epochs: 4,
    batchesPerEpoch: 2,
    samples: 40,
    metric: "accuracy",
    hasValidation: true,
  });
  const logs = [epochLogs(0, 0.9), epochLogs(1, 0.5), epochLogs(2, 0.3), epochLogs(3, 0.35)];
  for (const [i, entry] of logs.entries()) {
    clock = [0, 50, 150, 160][i]!; // epoch 1 and 3 come too soon after a redraw
    await live.onEpochEnd!(i, entry);
  }
  await live.onTrainEnd!(historyOf(logs, 2));

  assert.equal(live.displayId, "fit");
  assert.deepEqual(sent.map((s) => s.target), [
    { displayId: "fit", update: false },
    { displayId: "fit", update: true }, // epoch 0
    { displayId: "fit", update: true }, // epoch 2
    { displayId: "fit", update: true }, // the end
  ]);
  assert.equal(live.updates, 4);
  assert.equal(
    sent[0]!.bundle[TEXT_MIME],
    "Training progress: training for up to 4 epochs on 40 rows…",
  );
  assert.equal(
    sent[2]!.bundle[TEXT_MIME],
    "Training progress: epoch 3 of 4 (loss 0.3000, val_loss 0.4000, accuracy 0.7000, val_accuracy 0.6000)",
  );
  const last = sent[3]!.bundle;
  assert.match(last[SVG_MIME] as string, /^<svg/);
  // Only the final picture, the one an executed notebook keeps, carries the PNG.
  assert.equal(PNG_MIME in sent[1]!.bundle, false);
  assert.equal(PNG_MIME in last, true);
  const spec = last[VEGA_LITE_MIME] as { title: { text: string; subtitle: string[] } };
  // historyOf(logs, 2): the third epoch, numbered from 1 wherever a person reads it.
  assert.equal(spec.title.text, "Training progress: finished after 4 epochs, best epoch 3");
  assert.deepEqual(spec.title.subtitle, [
    "4 epochs",
    "dashed line: best epoch 3",
    "loss: the training objective, log-loss + L2 penalty (l2 = 0.0001); log_loss in the metrics is the plain log-loss",
  ]);
  assert.deepEqual(live.epochs.map((e) => e.epoch), [0, 1, 2, 3]);
});

Deno.test("liveTrainingDisplay() redraws every N epochs when asked", async () => {
  const { sink, sent } = recorder();
  const live = liveTrainingDisplay({ sink, everyEpochs: 2, minIntervalMs: 0 });
  for (let epoch = 0; epoch < 5; epoch++) {
    await live.onEpochEnd!(epoch, epochLogs(epoch, 1 / (epoch + 1)));
  }
  // No onTrainBegin: the display is created by the first epoch; redraws after epochs 1 and 3.
  assert.equal(sent.length, 3);
  assert.equal(sent[0]!.target.update, false);
  assert.equal(sent[0]!.bundle[TEXT_MIME], "Training progress: training…");
  assert.match(sent[2]!.bundle[TEXT_MIME], /^Training progress: epoch 4 \(/);
  assert.match(live.displayId, /^deno-mlops-training-[0-9a-f-]{36}$/);
});

Deno.test("liveTrainingDisplay() reused for a second fit keeps updating the same display", async () => {
  const { sink, sent } = recorder();
  const live = liveTrainingDisplay({ sink, displayId: "again", minIntervalMs: 0 });
  const info = {
    epochs: 1,
    batchesPerEpoch: 1,
    samples: 8,
    metric: "accuracy" as const,
    hasValidation: false,
  };
  for (let fit = 0; fit < 2; fit++) {
    await live.onTrainBegin!(info);
    await live.onEpochEnd!(0, { epoch: 0, loss: 0.5, metric: 0.5, seconds: 0 });
    await live.onTrainEnd!(historyOf([{ epoch: 0, loss: 0.5, metric: 0.5, seconds: 0 }], 0));
  }
  assert.deepEqual(sent.map((s) => s.target.update), [false, true, true, true, true, true]);
  assert.equal(
    sent[3]!.bundle[TEXT_MIME],
    "Training progress: training for up to 1 epoch on 8 rows…",
  );
  assert.match(
    sent[5]!.bundle[TEXT_MIME],
    /finished after 1 epoch, best epoch 1 \(loss 0\.5000, accuracy 0\.5000\)$/,
  );
  assert.deepEqual(live.epochs.map((e) => e.epoch), [0]);
});

Deno.test("liveTrainingDisplay() names the L2 penalty in the loss label when l2 > 0, and not when l2 = 0", async () => {
  const logs = [epochLogs(0, 0.9), epochLogs(1, 0.5)];
  const labels: { panels: string[]; subtitle: string[] }[] = [];
  for (const l2 of [0.001, 0]) {
    const { sink, sent } = recorder();
    const live = liveTrainingDisplay({
      sink,
      minIntervalMs: 0,
      objective: trainingObjective("classification", { hidden_units: [8], l2 }),
    });
    for (const [i, entry] of logs.entries()) await live.onEpochEnd!(i, entry);
    await live.onTrainEnd!(historyOf(logs, 1));
    const spec = sent.at(-1)!.bundle[VEGA_LITE_MIME] as {
      title: { subtitle: string[] };
      data: { values: { panel: string }[] };
    };
    labels.push({
      panels: [...new Set(spec.data.values.map((row) => row.panel))],
      subtitle: spec.title.subtitle,
    });
  }
  assert.deepEqual(labels, [
    {
      panels: ["loss: log-loss + L2 penalty", "metric"],
      subtitle: [
        "2 epochs",
        "dashed line: best epoch 2",
        "loss: the training objective, log-loss + L2 penalty (l2 = 0.001); log_loss in the metrics is the plain log-loss",
      ],
    },
    {
      panels: ["loss: log-loss", "metric"],
      subtitle: [
        "2 epochs",
        "dashed line: best epoch 2",
        "loss: the plain log-loss, with no penalty",
      ],
    },
  ]);
  assert.doesNotMatch(labels[1]!.panels.join() + labels[1]!.subtitle.join(), /L2|penalty \(/);
});

Deno.test("liveTrainingDisplay() rejects options out of range", () => {
  assert.throws(() => liveTrainingDisplay({ everyEpochs: 0 }), {
    name: "RangeError",
    message: /Cannot create live training display: option "everyEpochs" must be an integer >= 1/,
  });
  assert.throws(() => liveTrainingDisplay({ minIntervalMs: -5 }), {
    name: "RangeError",
    message: /option "minIntervalMs" must be a finite number >= 0, got -5/,
  });
});

Deno.test("liveTrainingDisplay() follows a real model fit to its final learning curves", async () => {
  const { x, y } = blobs({ rows: 60, cols: 4, classes: 3, seed: 3 });
  const model = new MlpModel({
    task: "classification",
    inputDim: 4,
    classes: y.classes,
    hiddenUnits: [4],
    seed: 1,
  });
  const { sink, sent } = recorder();
  const live = liveTrainingDisplay({ sink, minIntervalMs: 0 });
  try {
    const history = await model.fit(x, y, { epochs: 3, batchSize: 16, callbacks: live });
    assert.equal(history.epochs.length, 3);
  } finally {
    model.dispose();
  }
  assert.equal(sent.length, 5); // the first display, three epochs, the end
  assert.ok(sent.slice(1).every((s) => s.target.update && s.target.displayId === live.displayId));
  assert.match(sent[4]!.bundle[TEXT_MIME], /finished after 3 epochs, best epoch \d/);
});

// -- tables: every polars dtype ---------------------------------------------------------------

/** The body rows of a one-column table's text, without the shape line and the two header rows. */
function cellsOf(df: pl.DataFrame): { dtype: string; cells: string[] } {
  const lines = tableBundle(df)[TEXT_MIME].split("\n");
  return { dtype: lines[2]!.trim(), cells: lines.slice(3).map((line) => line.slice(3).trim()) };
}

const MOMENT = new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6));

Deno.test("tableBundle() shows Date, Datetime in every unit and time zone, and Time as polars writes them", () => {
  const dates = pl.DataFrame({ d: ["2020-01-02", null] })
    .select(pl.col("d").str.strptime(pl.Date, "%Y-%m-%d"));
  assert.deepEqual(cellsOf(dates), { dtype: "Date", cells: ["2020-01-02", "null"] });
  const moments = pl.DataFrame({ d: [MOMENT, null] });
  assert.deepEqual(cellsOf(moments), {
    dtype: "Datetime(ms)",
    cells: ["2020-01-02 03:04:05.006", "null"],
  });
  assert.deepEqual(cellsOf(moments.select(pl.col("d").cast(pl.Datetime("us")))), {
    dtype: "Datetime(us)",
    cells: ["2020-01-02 03:04:05.006000", "null"],
  });
  assert.deepEqual(cellsOf(moments.select(pl.col("d").cast(pl.Datetime("ns")))), {
    dtype: "Datetime(ns)",
    cells: ["2020-01-02 03:04:05.006000000", "null"],
  });
  // A zoned datetime shows the local time and its offset, not UTC.
  assert.deepEqual(cellsOf(moments.select(pl.col("d").cast(pl.Datetime("ms", "Europe/Paris")))), {
    dtype: "Datetime(ms, Europe/Paris)",
    cells: ["2020-01-02 04:04:05.006+01:00", "null"],
  });
  assert.deepEqual(cellsOf(moments.select(pl.col("d").cast(pl.Time))), {
    dtype: "Time",
    cells: ["03:04:05", "null"],
  });
});

Deno.test("tableBundle() shows Duration in days, hours, minutes, seconds and the sub-second unit", () => {
  const ends = pl.DataFrame({
    end: [new Date(Date.UTC(2020, 0, 2)), MOMENT, null, MOMENT],
    start: [new Date(Date.UTC(2020, 0, 1)), new Date(Date.UTC(2020, 0, 1)), MOMENT, MOMENT],
  });
  const ms = ends.select(pl.col("end").minus(pl.col("start")).alias("took"));
  assert.deepEqual(cellsOf(ms), {
    dtype: "Duration(ms)",
    cells: ["1d", "1d 3h 4m 5s 6ms", "null", "0s"],
  });
  const ns = ends.select(
    pl.col("start").cast(pl.Datetime("ns")).minus(pl.col("end").cast(pl.Datetime("ns")))
      .alias("took"),
  );
  assert.deepEqual(cellsOf(ns), {
    dtype: "Duration(ns)",
    cells: ["-1d", "-1d -3h -4m -5s -6ms", "null", "0s"],
  });
});

Deno.test("tableBundle() shows Boolean, Categorical, Null and Decimal columns", () => {
  assert.deepEqual(cellsOf(pl.DataFrame({ b: [true, false, null] })), {
    dtype: "Bool",
    cells: ["true", "false", "null"],
  });
  const categories = pl.DataFrame({ c: ["a", "b", null] }).select(pl.col("c").cast(pl.Categorical));
  assert.deepEqual(cellsOf(categories), { dtype: "Categorical", cells: ["a", "b", "null"] });
  const nulls = pl.DataFrame({ x: [1, 2] }).select(pl.lit(null).alias("n"));
  assert.deepEqual(cellsOf(nulls), { dtype: "Null", cells: ["null"] });
  const decimals = pl.DataFrame({ x: [1.25, null, -3] }).select(
    pl.col("x").cast(pl.Decimal(10, 2)),
  );
  assert.deepEqual(cellsOf(decimals), {
    dtype: "Decimal(10,2)",
    cells: ["1.25", "null", "-3.00"],
  });
});

Deno.test("tableBundle() shows 64-bit integers beyond 2^53 exactly", () => {
  const big = pl.DataFrame({ x: ["9007199254740993", "-9223372036854775808", null] })
    .select(pl.col("x").cast(pl.Int64));
  assert.deepEqual(cellsOf(big), {
    dtype: "Int64",
    cells: ["9007199254740993", "-9223372036854775808", "null"],
  });
  const unsigned = pl.DataFrame({ x: ["18446744073709551615"] }).select(
    pl.col("x").cast(pl.UInt64),
  );
  assert.deepEqual(cellsOf(unsigned), { dtype: "UInt64", cells: ["18446744073709551615"] });
});

Deno.test("tableBundle() shows List, Array and Struct cells as JSON with the field names", () => {
  assert.deepEqual(cellsOf(pl.DataFrame({ l: [[1.5, 2], [3], null] })), {
    dtype: "List(Float64)",
    cells: ["[1.5,2]", "[3]", "null"],
  });
  assert.deepEqual(cellsOf(pl.DataFrame({ l: [["a"], ["b", "c"]] })), {
    dtype: "List(String)",
    cells: ['["a"]', '["b","c"]'],
  });
  const arrays = pl.DataFrame({ l: [[1, 2], [3, 4]] })
    .select(pl.col("l").cast(pl.FixedSizeList(pl.Float64, 2)));
  assert.deepEqual(cellsOf(arrays).cells, ["[1,2]", "[3,4]"]);
  assert.deepEqual(cellsOf(pl.DataFrame({ s: [{ a: 1, b: "x" }, { a: 2, b: null }] })), {
    dtype: "Struct(a: Float64, b: String)",
    cells: ['{"a":1,"b":"x"}', '{"a":2,"b":null}'],
  });
});

Deno.test("tableBundle() shows the head and tail rows of a Date column in order", () => {
  const days = pl.DataFrame({ d: Array.from({ length: 10 }, (_, i) => `2021-03-${10 + i}`) })
    .select(pl.col("d").str.strptime(pl.Date, "%Y-%m-%d"));
  const text = tableBundle(days, { head: 2, tail: 2 })[TEXT_MIME];
  assert.equal(
    text,
    [
      "shape: (10, 1)",
      "   d",
      "   Date",
      "0  2021-03-10",
      "1  2021-03-11",
      "…  …",
      "8  2021-03-18",
      "9  2021-03-19",
    ].join("\n"),
  );
});
