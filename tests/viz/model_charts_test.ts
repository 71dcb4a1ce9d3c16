import assert from "node:assert/strict";
import type { TrainingHistory } from "../../src/models/mod.ts";
import { trainingStepName } from "../../src/models/mod.ts";
import { rocCurve } from "../../src/utils/mod.ts";
import type { RocCurve } from "../../src/utils/mod.ts";
import {
  countInlineRows,
  MAX_INLINE_ROWS,
  plotConfusionMatrix,
  plotFeatureScores,
  plotLearningCurves,
  plotPredictedVsActual,
  plotResiduals,
  plotRocCurves,
  plotRunComparison,
  type TopLevelSpec,
  trainingObjective,
} from "../../src/viz/mod.ts";

type Row = Record<string, unknown>;

function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function rowsOf(spec: TopLevelSpec, ...path: (string | number)[]): Row[] {
  return at(spec, ...path, "data", "values") as Row[];
}

function subtitle(spec: TopLevelSpec): string {
  return (at(spec, "title", "subtitle") as string[]).join("\n");
}

const history: TrainingHistory = {
  epochs: [
    { epoch: 0, loss: 1.0, val_loss: 1.1, metric: 0.5, val_metric: 0.45, seconds: 0.1 },
    { epoch: 1, loss: 0.6, val_loss: 0.7, metric: 0.7, val_metric: 0.65, seconds: 0.1 },
    { epoch: 2, loss: 0.4, val_loss: 0.75, metric: 0.8, val_metric: 0.7, seconds: 0.1 },
  ],
  bestEpoch: 1,
  stoppedEarly: false,
  restoredBest: true,
  monitor: "val_loss",
  metric: "accuracy",
  seconds: 0.3,
};

// -- learning curves ------------------------------------------------------------------------

Deno.test("plotLearningCurves() puts loss and metric per epoch, train and validation, in panels", () => {
  const spec = plotLearningCurves(history);
  const rows = rowsOf(spec);
  assert.equal(rows.length, 12);
  assert.deepEqual(rows.slice(0, 4), [
    { epoch: 1, panel: "loss", split: "train", value: 1.0 },
    { epoch: 1, panel: "loss", split: "validation", value: 1.1 },
    { epoch: 1, panel: "accuracy", split: "train", value: 0.5 },
    { epoch: 1, panel: "accuracy", split: "validation", value: 0.45 },
  ]);
  assert.deepEqual(at(spec, "facet", "column", "field"), "panel");
  assert.deepEqual(at(spec, "facet", "column", "sort"), ["loss", "accuracy"]);
  assert.deepEqual(at(spec, "resolve"), { scale: { y: "independent" } });
  const [line, best] = at(spec, "spec", "layer") as Row[];
  assert.equal(at(line, "mark", "type"), "line");
  assert.equal(at(line, "encoding", "x", "field"), "epoch");
  assert.equal(at(line, "encoding", "y", "field"), "value");
  assert.equal(at(line, "encoding", "color", "field"), "split");
  assert.equal(at(best, "mark", "type"), "rule");
  assert.equal(at(best, "encoding", "x", "datum"), 2, "best epoch index 1 is the second epoch");
  assert.match(subtitle(spec), /3 epochs\ndashed line: best epoch 2/);
});

Deno.test("plotLearningCurves() labels the loss as the training objective, naming the L2 penalty only when l2 > 0", () => {
  const cases = [
    {
      objective: trainingObjective("classification", { l2: 0.0001 }),
      panel: "loss: log-loss + L2 penalty",
      line:
        "loss: the training objective, log-loss + L2 penalty (l2 = 0.0001); log_loss in the metrics is the plain log-loss",
    },
    {
      objective: trainingObjective("classification", { l2: 0 }),
      panel: "loss: log-loss",
      line: "loss: the plain log-loss, with no penalty",
    },
    {
      objective: trainingObjective("regression", { hidden_units: [8], l2: 0.01 }),
      panel: "loss: MSE + L2 penalty",
      line:
        "loss: the training objective, MSE + L2 penalty (l2 = 0.01); rmse in the metrics is the square root of the plain MSE",
    },
    {
      objective: trainingObjective("regression", {}),
      panel: "loss: MSE",
      line: "loss: the plain MSE, with no penalty",
    },
  ];
  for (const { objective, panel, line } of cases) {
    const spec = plotLearningCurves(history, { objective });
    assert.deepEqual(at(spec, "facet", "column", "sort"), [panel, "accuracy"]);
    assert.deepEqual(
      [...new Set(rowsOf(spec).map((row) => row["panel"]))],
      [panel, "accuracy"],
    );
    assert.deepEqual(at(spec, "title", "subtitle"), [
      "3 epochs",
      "dashed line: best epoch 2",
      line,
    ]);
  }
  // Without an objective the panel is plain "loss" and the subtitle says nothing about it.
  assert.doesNotMatch(subtitle(plotLearningCurves(history)), /penalty|objective/);
});

Deno.test("tree families: the loss has no L2 penalty and the curves count rounds", () => {
  assert.deepEqual(trainingObjective("classification", { l2: 1 }, { family: "gbdt" }), {
    task: "classification",
    l2: 0,
  });
  assert.deepEqual(trainingObjective("regression", { l2: 1 }, { family: "random_forest" }), {
    task: "regression",
    l2: 0,
  });
  assert.deepEqual(trainingObjective("regression", { l2: 0.5 }, { family: "mlp" }), {
    task: "regression",
    l2: 0.5,
  });
  assert.deepEqual(
    trainingObjective("regression", { l2: 1, loss: "huber" }, { family: "gbdt" }),
    { task: "regression", l2: 0, loss: "huber" },
  );
  assert.deepEqual(
    trainingObjective("classification", { loss: "squared_error" }, { family: "gbdt" }),
    { task: "classification", l2: 0 },
  );
  for (
    const [loss, name] of [["absolute_error", "absolute error"], ["huber", "Huber loss"]] as const
  ) {
    const regression = plotLearningCurves(history, {
      objective: trainingObjective("regression", { loss }, { family: "gbdt" }),
      step: "round",
    });
    assert.deepEqual(at(regression, "facet", "column", "sort"), [`loss: ${name}`, "accuracy"]);
    assert.equal(
      at(regression, "title", "subtitle", 2),
      `loss: the plain ${name}, with no penalty`,
    );
  }
  assert.equal(trainingStepName("gbdt"), "round");
  assert.equal(trainingStepName("linear"), "epoch");
  const spec = plotLearningCurves(history, {
    objective: trainingObjective("classification", { l2: 1 }, { family: "gbdt" }),
    step: "round",
  });
  assert.equal(at(spec, "spec", "layer", 0, "encoding", "x", "title"), "round");
  assert.deepEqual(at(spec, "title", "subtitle"), [
    "3 rounds",
    "dashed line: best round 2",
    "loss: the plain log-loss, with no penalty",
  ]);
  assert.throws(
    () => plotLearningCurves(history, { step: "tree" as "round" }),
    /"step" is "tree", expected "epoch" or "round"/,
  );
});

Deno.test("plotLearningCurves() numbers epochs from 1 on an axis of whole numbers", () => {
  const spec = plotLearningCurves(history);
  const x = at(spec, "spec", "layer", 0, "encoding", "x");
  assert.deepEqual(at(x, "axis"), { tickMinStep: 1, format: "d" }, "no 0.4, 0.8, 1.2 ticks");
  assert.equal(at(x, "scale"), undefined);
  assert.deepEqual([...new Set(rowsOf(spec).map((row) => row.epoch))], [1, 2, 3]);
});

Deno.test("plotLearningCurves() centres a single epoch instead of a zero-width axis", () => {
  const spec = plotLearningCurves({
    epochs: [{ epoch: 0, loss: 1.05, metric: 0.44 }],
    bestEpoch: 0,
  });
  const x = at(spec, "spec", "layer", 0, "encoding", "x");
  assert.deepEqual(at(x, "scale"), { domain: [0.5, 1.5] });
  const y = at(spec, "spec", "layer", 0, "encoding", "y");
  assert.deepEqual(at(y, "scale"), { zero: true }, "a constant value gets a readable y axis");
  assert.deepEqual(at(x, "axis"), { tickMinStep: 1, format: "d" });
  assert.match(subtitle(spec), /1 epoch\ndashed line: best epoch 1/);
});

Deno.test("plotLearningCurves() draws training only when there is no validation set", () => {
  const spec = plotLearningCurves({
    epochs: [{ epoch: 0, loss: 2, metric: 3 }, { epoch: 1, loss: NaN, metric: 2 }],
  }, { metricName: "mae" });
  assert.deepEqual(rowsOf(spec), [
    { epoch: 1, panel: "loss", split: "train", value: 2 },
    { epoch: 1, panel: "mae", split: "train", value: 3 },
    { epoch: 2, panel: "mae", split: "train", value: 2 },
  ]);
  assert.equal((at(spec, "spec", "layer") as Row[]).length, 1, "no best-epoch rule");
  assert.match(subtitle(spec), /1 non-finite value left out/);
});

Deno.test("plotLearningCurves() thins a long history and keeps the first, last and best epochs", () => {
  const epochs = Array.from(
    { length: 3000 },
    (_, epoch) => ({ epoch, loss: 1 / (epoch + 1), metric: 0 }),
  );
  const spec = plotLearningCurves({ epochs, bestEpoch: 1234 }, { maxEpochs: 100 });
  const drawn = [...new Set(rowsOf(spec).map((row) => row.epoch as number))];
  assert.ok(drawn.length <= 100, `${drawn.length} epochs drawn`);
  for (const epoch of [1, 1235, 3000]) assert.ok(drawn.includes(epoch), `epoch ${epoch} kept`);
  assert.match(subtitle(spec), /100 of 3,000 epochs drawn/);
});

Deno.test("plotLearningCurves() rejects a history without epochs", () => {
  assert.throws(() => plotLearningCurves({ epochs: [] }), {
    name: "RangeError",
    message: /Cannot plot learning curves: the history has no epochs/,
  });
  assert.throws(
    () => plotLearningCurves({} as unknown as TrainingHistory),
    { name: "TypeError", message: /expected a history with an "epochs" array/ },
  );
});

// -- confusion matrix -----------------------------------------------------------------------

Deno.test("plotConfusionMatrix() gives one cell per class pair with count and row share", () => {
  const spec = plotConfusionMatrix({ labels: ["a", "b"], matrix: [[3, 1], [0, 4]] });
  assert.deepEqual(rowsOf(spec), [
    { actual: "a", predicted: "a", count: 3, share: 0.75 },
    { actual: "a", predicted: "b", count: 1, share: 0.25 },
    { actual: "b", predicted: "a", count: 0, share: 0 },
    { actual: "b", predicted: "b", count: 4, share: 1 },
  ]);
  const [rect, text] = at(spec, "layer") as Row[];
  assert.equal(at(rect, "mark", "type"), "rect");
  assert.equal(at(rect, "encoding", "color", "field"), "share");
  assert.equal(at(text, "encoding", "text", "field"), "count");
  assert.equal(at(spec, "encoding", "x", "field"), "predicted");
  assert.equal(at(spec, "encoding", "y", "field"), "actual");
  assert.match(subtitle(spec), /8 samples, 7 on the diagonal \(accuracy 0.875\)/);
  const counts = plotConfusionMatrix({ labels: ["a", "b"], matrix: [[3, 1], [0, 4]] }, {
    normalize: false,
  });
  assert.equal(at(counts, "layer", 0, "encoding", "color", "field"), "count");
});

Deno.test("plotConfusionMatrix() rejects a matrix that does not match its labels", () => {
  assert.throws(
    () => plotConfusionMatrix({ labels: ["a", "b"], matrix: [[1, 2, 3], [4, 5, 6]] }),
    { name: "TypeError", message: /matrix\[0\] must hold 2 counts, got 3/ },
  );
  assert.throws(
    () => plotConfusionMatrix({ labels: ["a", "b"], matrix: [[1, 2]] }),
    { name: "TypeError", message: /one row per label \(2 rows\), got 1 rows/ },
  );
  assert.throws(
    () => plotConfusionMatrix({ labels: ["a"], matrix: [[-1]] }),
    { name: "RangeError", message: /matrix\[0\]\[0\] is negative/ },
  );
});

// -- ROC curves -----------------------------------------------------------------------------

Deno.test("plotRocCurves() draws each class's curve in its own panel headed with its AUC", () => {
  const curve = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
  const spec = plotRocCurves({ pos: curve });
  const label = "pos (AUC 0.750)";
  assert.deepEqual(rowsOf(spec), [
    { class: "pos", label, fpr: 0, tpr: 0 },
    { class: "pos", label, fpr: 0, tpr: 0.5 },
    { class: "pos", label, fpr: 0.5, tpr: 0.5 },
    { class: "pos", label, fpr: 0.5, tpr: 1 },
    { class: "pos", label, fpr: 1, tpr: 1 },
  ]);
  const chance = at(spec, "spec", "layer", 0) as Row;
  assert.equal(at(chance, "mark", "type"), "rule");
  assert.deepEqual(at(chance, "encoding", "x2"), { datum: 1 });
  const curves = at(spec, "spec", "layer", 1) as Row;
  assert.equal(at(curves, "mark", "type"), "line");
  assert.equal(at(curves, "encoding", "x", "field"), "fpr");
  assert.equal(at(curves, "encoding", "y", "field"), "tpr");
  assert.deepEqual(at(curves, "encoding", "color", "scale", "domain"), [label]);
});

Deno.test("plotRocCurves() gives overlapping curves a panel each with uncut headers", () => {
  const perfect = rocCurve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]);
  const spec = plotRocCurves({ Adelie: perfect, Chinstrap: perfect, Gentoo: perfect });
  const labels = ["Adelie (AUC 1.000)", "Chinstrap (AUC 1.000)", "Gentoo (AUC 1.000)"];
  assert.deepEqual(at(spec, "facet", "field"), "label");
  assert.deepEqual(at(spec, "facet", "sort"), labels);
  assert.equal(at(spec, "facet", "header", "labelLimit"), 0, "headers are never truncated");
  assert.equal(at(spec, "columns"), 3);
  assert.equal(at(spec, "spec", "layer", 1, "encoding", "color", "legend"), null);
});

Deno.test("plotRocCurves() thins a curve to 500 points and keeps both ends", () => {
  const n = 10_001;
  const curve: RocCurve = {
    fpr: Array.from({ length: n }, (_, i) => i / (n - 1)),
    tpr: Array.from({ length: n }, (_, i) => Math.sqrt(i / (n - 1))),
    thresholds: Array.from({ length: n }, (_, i) => (i === 0 ? Infinity : 1 - i / n)),
  };
  const spec = plotRocCurves({ c: curve });
  const rows = rowsOf(spec);
  assert.equal(rows.length, 500);
  assert.deepEqual([rows[0]!.fpr, rows[0]!.tpr], [0, 0]);
  assert.deepEqual([rows.at(-1)!.fpr, rows.at(-1)!.tpr], [1, 1]);
  assert.match(subtitle(spec), /thinned to at most 500 evenly spaced points, ends kept/);
  assert.match(String(rows[0]!.label), /AUC 0.667/, "AUC comes from the full curve");
});

Deno.test("plotRocCurves() shares the row cap between many classes and skips undefined curves", () => {
  const long: RocCurve = {
    fpr: Array.from({ length: 1000 }, (_, i) => i / 999),
    tpr: Array.from({ length: 1000 }, (_, i) => i / 999),
    thresholds: Array.from({ length: 1000 }, () => 0),
  };
  const curves: Record<string, RocCurve> = Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [`c${i}`, long]),
  );
  curves.empty = { fpr: [0, NaN], tpr: [0, 1], thresholds: [Infinity, 0.5] };
  const spec = plotRocCurves(curves);
  assert.equal(rowsOf(spec).length, 20 * 238);
  assert.ok(countInlineRows(spec) <= MAX_INLINE_ROWS);
  assert.match(
    subtitle(spec),
    /left out \(a class with no positives or no negatives\): \["empty"\]/,
  );
});

// -- predicted against actual, residuals ----------------------------------------------------

Deno.test("plotPredictedVsActual() pairs values and spans the identity line over both", () => {
  const spec = plotPredictedVsActual([1, 2, 3, NaN], new Float32Array([1.5, 2, 4, 1]), {
    target: "mass",
  });
  assert.deepEqual(rowsOf(spec, "layer", 0), [
    { actual: 1, predicted: 1.5 },
    { actual: 2, predicted: 2 },
    { actual: 3, predicted: 4 },
  ]);
  assert.deepEqual(rowsOf(spec, "layer", 1), [
    { actual: 1, predicted: 1 },
    { actual: 4, predicted: 4 },
  ]);
  assert.equal(at(spec, "layer", 0, "encoding", "x", "title"), "actual mass");
  assert.equal(at(spec, "layer", 0, "encoding", "y", "title"), "predicted mass");
  assert.match(subtitle(spec), /all 3 rows\n1 row with a non-finite value left out/);
});

Deno.test("plotPredictedVsActual() samples a million pairs reproducibly", () => {
  const n = 1_000_000;
  const actual = new Float32Array(n).map((_, i) => i);
  const predicted = new Float32Array(n).map((_, i) => i + 1);
  const first = plotPredictedVsActual(actual, predicted, { seed: 3 });
  const again = plotPredictedVsActual(actual, predicted, { seed: 3 });
  assert.equal(countInlineRows(first), 2002, "2,000 points and the 2-point line");
  assert.deepEqual(rowsOf(first, "layer", 0), rowsOf(again, "layer", 0));
  assert.match(subtitle(first), /seeded sample of 2,000 of 1,000,000 rows \(seed 3\)/);
});

Deno.test("plotPredictedVsActual() rejects arrays of different lengths", () => {
  assert.throws(() => plotPredictedVsActual([1, 2], [1]), {
    name: "TypeError",
    message: /"actual" has 2 values but "predicted" has 1/,
  });
});

Deno.test("plotResiduals() plots actual − predicted against the prediction", () => {
  const spec = plotResiduals([1, 2, 3], [1.5, 2, 4]);
  assert.deepEqual(rowsOf(spec, "layer", 0), [
    { predicted: 1.5, residual: -0.5 },
    { predicted: 2, residual: 0 },
    { predicted: 4, residual: -1 },
  ]);
  assert.equal(at(spec, "layer", 1, "mark", "type"), "rule");
  assert.equal(at(spec, "layer", 1, "encoding", "y", "datum"), 0);
});

// -- feature scores -------------------------------------------------------------------------

Deno.test("plotFeatureScores() orders features by score and keeps the top N", () => {
  const spec = plotFeatureScores([
    { feature: "a", score: 1, kept: false },
    { feature: "b", score: 5, kept: true },
    { feature: "c", score: 3, kept: true },
    { feature: "d", score: Infinity, kept: true },
  ], { topN: 2, scoreName: "anova_f" });
  assert.deepEqual(rowsOf(spec), [
    { feature: "b", score: 5, status: "kept" },
    { feature: "c", score: 3, status: "kept" },
  ]);
  assert.deepEqual(at(spec, "encoding", "y", "sort"), ["b", "c"]);
  assert.equal(at(spec, "encoding", "x", "title"), "anova_f");
  assert.equal(at(spec, "encoding", "color", "field"), "status");
  assert.match(subtitle(spec), /top 2 of 3 features\nleft out \(non-finite score\): \["d"\]/);
});

Deno.test("plotFeatureScores() rejects a feature listed twice", () => {
  assert.throws(
    () => plotFeatureScores([{ feature: "a", score: 1 }, { feature: "a", score: 2 }]),
    { name: "TypeError", message: /feature "a" appears twice/ },
  );
});

// -- run comparison -------------------------------------------------------------------------

Deno.test("plotRunComparison() groups points by run and split in one zoomed panel per metric", () => {
  const spec = plotRunComparison([
    { run_id: "r1", metric: "accuracy", value: 0.9, split: "val" },
    { run_id: "r1", metric: "accuracy", value: 0.8, split: "test" },
    { run_id: "r2", metric: "accuracy", value: 0.95, split: "val" },
    { run_id: "r2", metric: "roc_auc", value: NaN, split: "val" },
    { run_id: "r1", metric: "rmse", value: 2, split: "val" },
  ], { metrics: ["accuracy", "roc_auc"] });
  assert.deepEqual(rowsOf(spec), [
    { run_id: "r1", metric: "accuracy", split: "val", value: 0.9 },
    { run_id: "r1", metric: "accuracy", split: "test", value: 0.8 },
    { run_id: "r2", metric: "accuracy", split: "val", value: 0.95 },
  ]);
  assert.deepEqual(at(spec, "facet"), {
    field: "metric",
    type: "nominal",
    sort: ["accuracy", "roc_auc"],
    title: null,
  });
  assert.equal(at(spec, "spec", "mark", "type"), "point");
  assert.equal(at(spec, "spec", "encoding", "x", "field"), "run_id");
  assert.equal(at(spec, "spec", "encoding", "xOffset", "field"), "split");
  // 0.968 against 0.989 must not be flattened by an axis from 0 to 1.
  assert.deepEqual(at(spec, "spec", "encoding", "y", "scale"), { zero: false, padding: 12 });
  assert.match(
    subtitle(spec),
    /2 runs\ny axes zoomed to the values, not from 0\n1 non-finite value left out/,
  );
});

Deno.test("plotRunComparison() keeps the first maxRuns runs in input order", () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ run_id: `r${i}`, metric: "mae", value: i }));
  const spec = plotRunComparison(rows, { maxRuns: 5 });
  assert.deepEqual(rowsOf(spec).map((row) => row.run_id), ["r0", "r1", "r2", "r3", "r4"]);
  assert.equal(at(spec, "spec", "encoding", "xOffset"), undefined, "no split, no grouping");
  assert.match(subtitle(spec), /first 5 of 30 runs/);
});

Deno.test("plotRunComparison() rejects duplicate values and unknown metrics", () => {
  const row = { run_id: "r1", metric: "mae", value: 1 };
  assert.throws(() => plotRunComparison([row, row]), {
    name: "RangeError",
    message: /run "r1" has metric "mae" on split "all" twice/,
  });
  assert.throws(() => plotRunComparison([row], { metrics: ["rmse"] }), {
    name: "RangeError",
    message: /no rows for metric \["rmse"\] \(found \["mae"\]\)/,
  });
});

Deno.test("plotRocCurves() wraps five classes into rows of 3 and 2, each panel with its own axes", () => {
  const curve = rocCurve([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]);
  const spec = plotRocCurves({ a: curve, b: curve, c: curve, d: curve, e: curve });
  assert.equal(at(spec, "columns"), 3);
  assert.deepEqual(at(spec, "resolve"), { axis: { x: "independent", y: "independent" } });
  const four = plotRocCurves({ a: curve, b: curve, c: curve, d: curve });
  assert.equal(at(four, "columns"), 4);
  const nine = plotRocCurves(Object.fromEntries("abcdefghi".split("").map((k) => [k, curve])));
  assert.equal(at(nine, "columns"), 3);
});

Deno.test("plotFeatureScores() names the two statuses with statusLabels, and refuses a pair that is not two strings", () => {
  const spec = plotFeatureScores([
    { feature: "a", score: 2, kept: true },
    { feature: "b", score: 1, kept: false },
  ], { statusLabels: ["drawn below", "not drawn"] });
  assert.deepEqual(rowsOf(spec).map((r) => r["status"]), ["drawn below", "not drawn"]);
  assert.deepEqual(at(spec, "encoding", "color", "scale", "domain"), ["drawn below", "not drawn"]);
  assert.throws(
    () => plotFeatureScores([], { statusLabels: ["same", "same"] }),
    { name: "TypeError", message: /option "statusLabels" must be two different strings/ },
  );
});

Deno.test("plotFeatureScores() gives each of many bars a 16-pixel step instead of squeezing them", () => {
  const many = Array.from({ length: 30 }, (_, i) => ({ feature: `f${i}`, score: i }));
  assert.deepEqual(at(plotFeatureScores(many), "height"), { step: 16 });
  assert.equal(at(plotFeatureScores(many.slice(0, 5)), "height"), 300);
});
