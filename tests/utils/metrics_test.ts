import assert from "node:assert/strict";
import {
  accuracy,
  balancedAccuracy,
  classificationReport,
  confusionMatrix,
  isBetter,
  logLoss,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  METRIC_DIRECTIONS,
  precisionRecallF1,
  r2Score,
  regressionReport,
  rocAuc,
  rocCurve,
  rootMeanSquaredError,
} from "../../src/utils/mod.ts";
import { Random } from "../../src/utils/mod.ts";
import { assertClose } from "../_helpers/assert_frame.ts";

// Two fixtures reused below.
// A: sklearn's confusion_matrix docstring example; class 1 is never predicted.
const TRUE_A = [2, 0, 2, 2, 0, 1];
const PRED_A = [0, 0, 2, 2, 0, 2];
// B: sklearn's classification_report docstring example; class 1 is predicted once, wrongly.
const TRUE_B = [0, 1, 2, 2, 2];
const PRED_B = [0, 0, 2, 2, 1];

/** Builds a row-major n × 2 probability matrix [1 − s, s] from positive-class scores. */
function binaryProba(scores: number[]): Float64Array {
  return Float64Array.from(scores.flatMap((s) => [1 - s, s]));
}

// ---------------------------------------------------------------------------------------------
// accuracy, balancedAccuracy, confusionMatrix, precisionRecallF1
// ---------------------------------------------------------------------------------------------

Deno.test("accuracy() is the fraction of matching labels", () => {
  // matches at 0, 2, 3, 4 → 4/5
  assert.equal(accuracy([0, 1, 2, 2, 1], Int32Array.from([0, 2, 2, 2, 1])), 0.8);
  assert.equal(accuracy(TRUE_A, TRUE_A), 1);
  assert.equal(accuracy([0, 0], [1, 1]), 0);
});

Deno.test("balancedAccuracy() averages recall over the classes present in yTrue", () => {
  // A: recall 0 = 2/2, recall 1 = 0/1, recall 2 = 2/3 → (1 + 0 + 2/3) / 3 = 5/9
  assertClose(balancedAccuracy(TRUE_A, PRED_A), 5 / 9, 1e-15);
  // class 1 appears only in yPred, so it is left out: (1/2 + 1/2) / 2 = 0.5, not 1/3
  assert.equal(balancedAccuracy([0, 0, 2, 2], [0, 1, 2, 0]), 0.5);
  // imbalanced: always predicting 0 gets accuracy 3/4 but balanced accuracy (1 + 0) / 2
  assert.equal(balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0]), 0.5);
});

Deno.test("balancedAccuracy() with one class present is that class's recall", () => {
  // only class 1 in yTrue: recall = 2/4
  assert.equal(balancedAccuracy([1, 1, 1, 1], [1, 0, 1, 2]), 0.5);
  assert.equal(balancedAccuracy([1, 1], [1, 1]), 1);
});

Deno.test("confusionMatrix() puts true classes in rows and predictions in columns", () => {
  assert.deepEqual(confusionMatrix(TRUE_A, PRED_A, 3), [
    [2, 0, 0],
    [0, 0, 1],
    [1, 0, 2],
  ]);
  // k larger than the labels seen keeps an all-zero row and column for class 3
  assert.deepEqual(confusionMatrix([0, 1], [1, 1], 4), [
    [0, 1, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
});

Deno.test("precisionRecallF1() gives precision 0 to a class that is never predicted", () => {
  const { perClass, macro, weighted } = precisionRecallF1(TRUE_A, PRED_A, 3);
  // class 0: tp 2, predicted 3, support 2 → P 2/3, R 1, F1 = 2·2 / (2 + 3) = 0.8
  // class 1: tp 0, predicted 0, support 1 → P 0 (zero division), R 0, F1 = 0 / (1 + 0) = 0
  // class 2: tp 2, predicted 3, support 3 → P 2/3, R 2/3, F1 = 4 / 6 = 2/3
  const expected = [
    { precision: 2 / 3, recall: 1, f1: 0.8, support: 2 },
    { precision: 0, recall: 0, f1: 0, support: 1 },
    { precision: 2 / 3, recall: 2 / 3, f1: 2 / 3, support: 3 },
  ];
  perClass.forEach((scores, c) => {
    assertClose(scores.precision, expected[c]!.precision, 1e-15, `precision ${c}`);
    assertClose(scores.recall, expected[c]!.recall, 1e-15, `recall ${c}`);
    assertClose(scores.f1, expected[c]!.f1, 1e-15, `f1 ${c}`);
    assert.equal(scores.support, expected[c]!.support);
  });
  // macro: P (2/3 + 0 + 2/3) / 3 = 4/9, R (1 + 0 + 2/3) / 3 = 5/9, F1 (0.8 + 0 + 2/3) / 3 = 22/45
  assertClose(macro.precision, 4 / 9, 1e-15);
  assertClose(macro.recall, 5 / 9, 1e-15);
  assertClose(macro.f1, 22 / 45, 1e-15);
  assert.equal(macro.support, 6);
  // weighted by supports 2, 1, 3 over 6: P (4/3 + 0 + 2) / 6 = 5/9, R (2 + 0 + 2) / 6 = 2/3,
  // F1 (1.6 + 0 + 2) / 6 = 0.6
  assertClose(weighted.precision, 5 / 9, 1e-15);
  assertClose(weighted.recall, 2 / 3, 1e-15);
  assertClose(weighted.f1, 0.6, 1e-15);
  assert.equal(weighted.support, 6);
});

Deno.test("precisionRecallF1() reproduces sklearn's classification_report example", () => {
  const { perClass, macro, weighted } = precisionRecallF1(TRUE_B, PRED_B, 3);
  // sklearn prints: class 0: 0.50 1.00 0.67 1 | class 1: 0.00 0.00 0.00 1 |
  // class 2: 1.00 0.67 0.80 3 | macro 0.50 0.56 0.49 | weighted 0.70 0.60 0.61
  assert.deepEqual(perClass[1], { precision: 0, recall: 0, f1: 0, support: 1 });
  assertClose(perClass[0]!.f1, 2 / 3, 1e-15); // 2·1 / (1 + 2)
  assertClose(perClass[2]!.recall, 2 / 3, 1e-15);
  assertClose(perClass[2]!.f1, 0.8, 1e-15); // 2·2 / (3 + 2)
  assertClose(macro.precision, 0.5, 1e-15); // (0.5 + 0 + 1) / 3
  assertClose(macro.recall, 5 / 9, 1e-15); // (1 + 0 + 2/3) / 3
  assertClose(macro.f1, 22 / 45, 1e-15); // (2/3 + 0 + 0.8) / 3 = 0.4889
  assertClose(weighted.precision, 0.7, 1e-15); // (0.5 + 0 + 3) / 5
  assertClose(weighted.recall, 0.6, 1e-15); // = accuracy
  assertClose(weighted.f1, 46 / 75, 1e-15); // (2/3 + 0 + 2.4) / 5 = 0.6133
});

Deno.test("precisionRecallF1() counts a class absent from both inputs as zeros in the macro mean", () => {
  // k = 3 but only classes 0 and 1 occur, both perfectly: macro = (1 + 1 + 0) / 3
  const { perClass, macro, weighted } = precisionRecallF1([0, 1, 1], [0, 1, 1], 3);
  assert.deepEqual(perClass[2], { precision: 0, recall: 0, f1: 0, support: 0 });
  assertClose(macro.f1, 2 / 3, 1e-15);
  assert.deepEqual(weighted, { precision: 1, recall: 1, f1: 1, support: 3 });
});

Deno.test("precisionRecallF1() scores perfect predictions as 1 everywhere", () => {
  const result = precisionRecallF1(TRUE_A, TRUE_A, 3);
  for (const scores of [...result.perClass, result.macro, result.weighted]) {
    assert.equal(scores.precision, 1);
    assert.equal(scores.recall, 1);
    assert.equal(scores.f1, 1);
  }
});

// ---------------------------------------------------------------------------------------------
// logLoss
// ---------------------------------------------------------------------------------------------

Deno.test("logLoss() is the mean negative log probability of the true class", () => {
  // sklearn's log_loss docstring example ("ham" = 0, "spam" = 1) gives 0.21616…
  // −(ln 0.9 + ln 0.9 + ln 0.8 + ln 0.65) / 4
  // = (0.1053605 + 0.1053605 + 0.2231436 + 0.4307829) / 4 = 0.2161619
  const proba = new Float64Array([0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65]);
  const loss = logLoss([1, 0, 0, 1], proba, 2);
  assertClose(loss, -(2 * Math.log(0.9) + Math.log(0.8) + Math.log(0.65)) / 4, 1e-15);
  assertClose(loss, 0.21616187468057912, 1e-12);
  // three classes: −(ln 0.7 + ln 0.5) / 2 = (0.3566749 + 0.6931472) / 2
  const three = new Float64Array([0.7, 0.2, 0.1, 0.25, 0.25, 0.5]);
  assertClose(logLoss([0, 2], three, 3), (-Math.log(0.7) - Math.log(0.5)) / 2, 1e-15);
});

Deno.test("logLoss() clips a zero probability on the true class to the float64 epsilon", () => {
  // row 0: p = 1 → clipped to 1 − 2^-52, loss −ln(1 − 2^-52) ≈ 2.22e-16
  // row 1: p = 0 → clipped to 2^-52, loss −ln(2^-52) = 52 · ln 2 = 36.04365338911715
  // mean = (36.04365338911715 + 2.2e-16) / 2 = 18.021826694558577
  const loss = logLoss([0, 0], new Float64Array([1, 0, 0, 1]), 2);
  assert.ok(Number.isFinite(loss));
  assertClose(loss, (52 * Math.LN2 - Math.log1p(-(2 ** -52))) / 2, 1e-12);
  assertClose(loss, 18.021826694558577, 1e-12);
});

Deno.test("logLoss() clips float32 probabilities to the float32 epsilon, as sklearn does", () => {
  // sklearn clips with numpy.finfo(y_pred.dtype).eps: 2^-23 for float32
  // row 1: −ln(2^-23) = 23 · ln 2 = 15.942385152878742; row 0: −ln(1 − 2^-23) ≈ 1.19e-7
  const loss = logLoss([0, 0], new Float32Array([1, 0, 0, 1]), 2);
  assertClose(loss, (23 * Math.LN2 - Math.log1p(-(2 ** -23))) / 2, 1e-12);
  assertClose(loss, 7.971192636, 1e-9);
});

Deno.test("logLoss() of perfect one-hot predictions is the clipping floor, about 2.2e-16", () => {
  const loss = logLoss([0, 1, 2], new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), 3);
  assertClose(loss, -Math.log1p(-(2 ** -52)), 1e-30);
});

// ---------------------------------------------------------------------------------------------
// rocAuc
// ---------------------------------------------------------------------------------------------

Deno.test("rocAuc() of a binary problem counts correctly ordered pairs", () => {
  // y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8]; pairs (pos, neg):
  // (0.35, 0.1) ✓ (0.35, 0.4) ✗ (0.8, 0.1) ✓ (0.8, 0.4) ✓ → 3/4
  assert.equal(rocAuc([0, 0, 1, 1], binaryProba([0.1, 0.4, 0.35, 0.8]), 2), 0.75);
  // perfect ranking and reversed ranking
  assert.equal(rocAuc([0, 1], binaryProba([0.2, 0.9]), 2), 1);
  assert.equal(rocAuc([1, 0], binaryProba([0.2, 0.9]), 2), 0);
});

Deno.test("rocAuc() counts tied scores as half a correctly ordered pair", () => {
  // all scores tied: every one of the 4 pairs counts ½ → 0.5
  assert.equal(rocAuc([0, 1, 0, 1], binaryProba([0.5, 0.5, 0.5, 0.5]), 2), 0.5);
  // y = [0, 0, 1, 1, 1], s = [0.2, 0.5, 0.5, 0.5, 0.9]; positives 0.5, 0.5, 0.9 vs negatives
  // 0.2, 0.5: (1 + ½) + (1 + ½) + (1 + 1) = 5 of 6 pairs
  assertClose(rocAuc([0, 0, 1, 1, 1], binaryProba([0.2, 0.5, 0.5, 0.5, 0.9]), 2), 5 / 6, 1e-15);
});

Deno.test("rocAuc() equals the brute-force Mann–Whitney count on seeded data with ties", () => {
  const rng = new Random(7);
  const n = 400;
  const labels = Array.from({ length: n }, () => rng.int(2));
  // scores on a coarse grid so that many are tied
  const scores = Array.from({ length: n }, (_, i) => (rng.int(20) + 5 * labels[i]!) / 25);
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < n; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i]! > scores[j]!) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  const auc = rocAuc(labels, binaryProba(scores), 2);
  assertClose(auc, wins / pairs, 1e-12);
  // the trapezoidal area under rocCurve() is the same number
  const { fpr, tpr } = rocCurve(labels, scores);
  let area = 0;
  for (let i = 1; i < fpr.length; i++) {
    area += ((fpr[i]! - fpr[i - 1]!) * (tpr[i]! + tpr[i - 1]!)) / 2;
  }
  assertClose(area, auc, 1e-12);
  assert.equal(fpr.length, new Set(scores).size + 1);
});

Deno.test("rocAuc() of a multiclass problem is the macro mean of one-vs-rest AUCs", () => {
  // rows (y: p0 p1 p2)
  // 0: .7 .2 .1 | 0: .3 .4 .3 | 1: .2 .6 .2 | 1: .5 .3 .2 | 2: .1 .1 .8 | 2: .2 .5 .3
  const proba = new Float64Array([
    0.7,
    0.2,
    0.1,
    0.3,
    0.4,
    0.3,
    0.2,
    0.6,
    0.2,
    0.5,
    0.3,
    0.2,
    0.1,
    0.1,
    0.8,
    0.2,
    0.5,
    0.3,
  ]);
  // class 0: positives .7 .3 vs negatives .2 .5 .1 .2 → 4 + 3 = 7 of 8
  // class 1: positives .6 .3 vs negatives .2 .4 .1 .5 → 4 + 2 = 6 of 8
  // class 2: positives .8 .3 vs negatives .1 .3 .2 .2 → 4 + 3.5 = 7.5 of 8 (one tie)
  // macro = (0.875 + 0.75 + 0.9375) / 3 = 0.8541666…
  assertClose(rocAuc([0, 0, 1, 1, 2, 2], proba, 3), (0.875 + 0.75 + 0.9375) / 3, 1e-15);
});

Deno.test("rocAuc() returns NaN when yTrue holds a single class", () => {
  assert.ok(Number.isNaN(rocAuc([1, 1, 1], binaryProba([0.2, 0.6, 0.9]), 2)));
  // multiclass with class 2 absent from yTrue: its one-vs-rest AUC is undefined
  const proba = new Float64Array([0.6, 0.3, 0.1, 0.2, 0.7, 0.1]);
  assert.ok(Number.isNaN(rocAuc([0, 1], proba, 3)));
});

// ---------------------------------------------------------------------------------------------
// rocCurve
// ---------------------------------------------------------------------------------------------

Deno.test("rocCurve() gives one point per distinct threshold, starting at (0, 0)", () => {
  // sklearn's roc_curve docstring example
  assert.deepEqual(rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), {
    fpr: [0, 0, 0.5, 0.5, 1],
    tpr: [0, 0.5, 0.5, 1, 1],
    thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1],
  });
  // tied scores collapse into one point
  assert.deepEqual(rocCurve([0, 1, 0, 1], new Float64Array([0.5, 0.5, 0.5, 0.5])), {
    fpr: [0, 1],
    tpr: [0, 1],
    thresholds: [Infinity, 0.5],
  });
});

Deno.test("rocCurve() fills tpr with NaN when there are no positives", () => {
  const curve = rocCurve([0, 0], [0.3, 0.7]);
  assert.deepEqual(curve.fpr, [0, 0.5, 1]);
  assert.ok(curve.tpr.every(Number.isNaN));
  assert.deepEqual(curve.thresholds, [Infinity, 0.7, 0.3]);
});

// ---------------------------------------------------------------------------------------------
// classificationReport
// ---------------------------------------------------------------------------------------------

Deno.test("classificationReport() computes every metric from argmax predictions", () => {
  // argmax of each row gives PRED_B = [0, 0, 2, 2, 1]; row 1 ties 0.4/0.4 → lowest index 0
  const proba = new Float64Array([
    0.8,
    0.1,
    0.1, // y 0 → 0
    0.4,
    0.4,
    0.2, // y 1 → 0 (tie)
    0.1,
    0.2,
    0.7, // y 2 → 2
    0.25,
    0.25,
    0.5, // y 2 → 2
    0.2,
    0.5,
    0.3, // y 2 → 1
  ]);
  const report = classificationReport(TRUE_B, proba, ["Adelie", "Chinstrap", "Gentoo"]);
  assert.equal(report.n, 5);
  assert.deepEqual(report.labels, ["Adelie", "Chinstrap", "Gentoo"]);
  assert.deepEqual(report.confusion_matrix, [
    [1, 0, 0],
    [1, 0, 0],
    [0, 1, 2],
  ]);
  assertClose(report.accuracy, 0.6, 1e-15); // 3 of 5
  assertClose(report.balanced_accuracy, 5 / 9, 1e-15); // (1 + 0 + 2/3) / 3
  assertClose(report.precision_macro, 0.5, 1e-15);
  assertClose(report.recall_macro, 5 / 9, 1e-15);
  assertClose(report.f1_macro, 22 / 45, 1e-15);
  assertClose(report.precision_weighted, 0.7, 1e-15);
  assertClose(report.recall_weighted, 0.6, 1e-15);
  assertClose(report.f1_weighted, 46 / 75, 1e-15);
  assert.deepEqual(report.per_class.Chinstrap, { precision: 0, recall: 0, f1: 0, support: 1 });
  assert.equal(report.per_class.Adelie!.recall, 1);
  // one-vs-rest: Adelie .8 beats .4 .1 .25 .2 → 1; Chinstrap .4 beats .1 .2 .25, loses to .5 →
  // 3/4; Gentoo .7 .5 .3 beat .1 .2 → 1; macro (1 + 0.75 + 1) / 3
  assertClose(report.roc_auc, 2.75 / 3, 1e-15);
  // −(ln .8 + ln .4 + ln .7 + ln .5 + ln .3) / 5 = 3.3932 / 5 = 0.67865
  const expectedLoss = -[0.8, 0.4, 0.7, 0.5, 0.3].reduce((sum, p) => sum + Math.log(p), 0) / 5;
  assertClose(report.log_loss, expectedLoss, 1e-15);
});

Deno.test("classificationReport() of a binary problem uses the class-1 column for roc_auc", () => {
  const report = classificationReport(
    [0, 0, 1, 1],
    binaryProba([0.1, 0.4, 0.35, 0.8]),
    ["no", "yes"],
  );
  assert.equal(report.roc_auc, 0.75);
  // predictions (p ≥ 0.5 wins; none tie) = [0, 0, 0, 1] → accuracy 3/4
  assert.equal(report.accuracy, 0.75);
  assert.deepEqual(report.confusion_matrix, [[2, 0], [1, 1]]);
  assert.deepEqual(report.per_class.yes, { precision: 1, recall: 0.5, f1: 2 / 3, support: 2 });
});

Deno.test("classificationReport() reports roc_auc as NaN, written as null, with one class present", () => {
  const report = classificationReport([1, 1], binaryProba([0.3, 0.9]), ["no", "yes"]);
  assert.ok(Number.isNaN(report.roc_auc));
  assert.equal(JSON.parse(JSON.stringify(report)).roc_auc, null);
  assert.equal(report.balanced_accuracy, 0.5); // only class 1 present: recall 1/2
});

Deno.test("classificationReport() rejects too few or repeated class names", () => {
  const proba = binaryProba([0.3, 0.9]);
  assert.throws(() => classificationReport([0, 1], proba, ["only"]), {
    name: "RangeError",
    message: /classes has 1 name\(s\), expected at least 2/,
  });
  assert.throws(() => classificationReport([0, 1], proba, ["a", "a"]), {
    name: "RangeError",
    message: /class name "a" appears more than once/,
  });
  assert.throws(
    () => classificationReport([0, 1], proba, [1, 2] as unknown as string[]),
    { name: "TypeError", message: /classes must be an array of class names/ },
  );
});

// ---------------------------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------------------------

// sklearn's regression docstring example
const Y_TRUE = [3, -0.5, 2, 7];
const Y_PRED = [2.5, 0, 2, 8];

Deno.test("meanAbsoluteError() and rootMeanSquaredError() match the hand computation", () => {
  // |errors| = 0.5, 0.5, 0, 1 → MAE 2 / 4 = 0.5; squares 0.25 + 0.25 + 0 + 1 = 1.5 → √0.375
  assert.equal(meanAbsoluteError(Y_TRUE, Y_PRED), 0.5);
  assertClose(rootMeanSquaredError(Y_TRUE, Y_PRED), Math.sqrt(0.375), 1e-15);
  assertClose(rootMeanSquaredError(Y_TRUE, Y_PRED), 0.6123724356957945, 1e-15);
  assert.equal(meanAbsoluteError(new Float32Array([1, 2]), new Float64Array([1, 2])), 0);
});

Deno.test("r2Score() is 1 − SS_res / SS_tot", () => {
  // mean 2.875; SS_tot = 0.125² + 3.375² + 0.875² + 4.125² = 29.1875; SS_res = 1.5
  assertClose(r2Score(Y_TRUE, Y_PRED), 1 - 1.5 / 29.1875, 1e-15);
  assertClose(r2Score(Y_TRUE, Y_PRED), 0.9486081370449679, 1e-15);
  // predicting the mean gives 0; perfect predictions give 1
  assertClose(r2Score([1, 2, 3], [2, 2, 2]), 0, 1e-15);
  assert.equal(r2Score(Y_TRUE, Y_TRUE), 1);
});

Deno.test("r2Score() of a constant target is 1 when perfect and 0 otherwise", () => {
  assert.equal(r2Score([3, 3, 3], [3, 3, 3]), 1);
  assert.equal(r2Score([3, 3, 3], [2, 3, 4]), 0);
  // 0.1 · 3 / 3 is not exactly 0.1 in float64, yet the target is still constant
  assert.equal(r2Score([0.1, 0.1, 0.1], [0.1, 0.1, 0.2]), 0);
});

Deno.test("r2Score() is NaN with a single sample", () => {
  assert.ok(Number.isNaN(r2Score([4], [4])));
});

Deno.test("meanAbsolutePercentageError() is a fraction with an epsilon floor for zero targets", () => {
  // 0.5/3 + 0.5/0.5 + 0/2 + 1/7 = 1.3095238 → / 4 = 0.3273810
  assertClose(meanAbsolutePercentageError(Y_TRUE, Y_PRED), (1 / 6 + 1 + 0 + 1 / 7) / 4, 1e-15);
  // zero target: |3·2^-52 − 0| / max(0, 2^-52) = 3; |1 − 2| / 2 = 0.5 → (3 + 0.5) / 2 = 1.75
  assert.equal(meanAbsolutePercentageError([0, 2], [3 * 2 ** -52, 1]), 1.75);
  // a unit error on a zero target costs 1 / 2^-52 = 2^52, large but finite
  assert.equal(meanAbsolutePercentageError([0], [1]), 2 ** 52);
});

Deno.test("regressionReport() gathers every regression metric", () => {
  const report = regressionReport(Y_TRUE, new Float64Array(Y_PRED));
  assert.equal(report.n, 4);
  assert.equal(report.mae, 0.5);
  assertClose(report.rmse, 0.6123724356957945, 1e-15);
  assertClose(report.r2, 0.9486081370449679, 1e-15);
  assertClose(report.mape, 0.32738095238095238, 1e-15);
});

// ---------------------------------------------------------------------------------------------
// METRIC_DIRECTIONS and isBetter
// ---------------------------------------------------------------------------------------------

Deno.test("METRIC_DIRECTIONS covers every scalar key of both reports", () => {
  const classification = classificationReport([0, 1], binaryProba([0.3, 0.9]), ["a", "b"]);
  const regression = regressionReport([1, 2], [1, 3]);
  const scalarKeys = [...Object.keys(classification), ...Object.keys(regression)]
    .filter((key) => !["per_class", "confusion_matrix", "labels", "n"].includes(key))
    .sort();
  assert.deepEqual(Object.keys(METRIC_DIRECTIONS).sort(), scalarKeys);
  assert.equal(METRIC_DIRECTIONS.accuracy, "max");
  assert.equal(METRIC_DIRECTIONS.roc_auc, "max");
  assert.equal(METRIC_DIRECTIONS.r2, "max");
  assert.equal(METRIC_DIRECTIONS.log_loss, "min");
  assert.equal(METRIC_DIRECTIONS.rmse, "min");
  assert.equal(METRIC_DIRECTIONS.mape, "min");
  assert.ok(Object.isFrozen(METRIC_DIRECTIONS));
});

Deno.test("isBetter() follows each metric's direction and requires a strict improvement", () => {
  assert.equal(isBetter("accuracy", 0.91, 0.9), true);
  assert.equal(isBetter("accuracy", 0.9, 0.91), false);
  assert.equal(isBetter("accuracy", 0.9, 0.9), false);
  assert.equal(isBetter("log_loss", 0.2, 0.3), true);
  assert.equal(isBetter("rmse", 2.1, 2.0), false);
  // margins: 0.84 − 0.8 = 0.04 is not more than 0.05; 0.86 − 0.8 = 0.06 is
  assert.equal(isBetter("f1_macro", 0.84, 0.8, 0.05), false);
  assert.equal(isBetter("f1_macro", 0.86, 0.8, 0.05), true);
  assert.equal(isBetter("mae", 1.0, 1.5, 0.25), true);
});

Deno.test("isBetter() is false when either value is NaN", () => {
  assert.equal(isBetter("roc_auc", NaN, 0.8), false);
  assert.equal(isBetter("roc_auc", 0.8, NaN), false);
});

Deno.test("isBetter() rejects an unknown metric with the closest name and a negative margin", () => {
  assert.throws(() => isBetter("acuracy", 1, 0), {
    name: "RangeError",
    message: /unknown metric "acuracy": did you mean "accuracy"/,
  });
  assert.throws(() => isBetter("toString", 1, 0), {
    name: "RangeError",
    message: /unknown metric "toString"/,
  });
  assert.throws(() => isBetter("accuracy", 1, 0, -0.1), {
    name: "RangeError",
    message: /minImprovement is -0.1, expected a finite number >= 0/,
  });
});

// ---------------------------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------------------------

Deno.test("label metrics throw RangeError naming both lengths when they differ", () => {
  for (
    const call of [
      () => accuracy([0, 1, 1], [0, 1]),
      () => balancedAccuracy([0, 1, 1], [0, 1]),
      () => confusionMatrix([0, 1, 1], [0, 1], 2),
      () => precisionRecallF1([0, 1, 1], [0, 1], 2),
    ]
  ) {
    assert.throws(call, { name: "RangeError", message: /yTrue has 3 values but yPred has 2/ });
  }
  assert.throws(() => rocCurve([0, 1], [0.5]), {
    name: "RangeError",
    message: /"roc_curve": yTrue01 has 2 values but scores has 1/,
  });
  assert.throws(() => meanAbsoluteError([1, 2], [1, 2, 3]), {
    name: "RangeError",
    message: /"mae": yTrue has 2 values but yPred has 3/,
  });
});

Deno.test("every metric throws RangeError on empty input", () => {
  const empty = /is empty; pass at least one sample/;
  assert.throws(() => accuracy([], []), { name: "RangeError", message: empty });
  assert.throws(() => balancedAccuracy([], []), { name: "RangeError", message: empty });
  assert.throws(() => confusionMatrix([], [], 2), { name: "RangeError", message: empty });
  assert.throws(() => precisionRecallF1([], [], 2), { name: "RangeError", message: empty });
  assert.throws(() => logLoss([], new Float64Array(0), 2), { name: "RangeError", message: empty });
  assert.throws(() => rocAuc([], new Float64Array(0), 2), { name: "RangeError", message: empty });
  assert.throws(() => rocCurve([], []), { name: "RangeError", message: empty });
  assert.throws(() => classificationReport([], new Float64Array(0), ["a", "b"]), {
    name: "RangeError",
    message: empty,
  });
  for (const metric of [meanAbsoluteError, rootMeanSquaredError, r2Score, regressionReport]) {
    assert.throws(() => metric([], []), { name: "RangeError", message: empty });
  }
  assert.throws(() => meanAbsolutePercentageError([], new Float32Array(0)), {
    name: "RangeError",
    message: empty,
  });
});

Deno.test("labels outside [0, k) or not integers throw RangeError naming the index", () => {
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), {
    name: "RangeError",
    message: /"confusion_matrix": yTrue\[1\] is 3, expected an integer class index in \[0, 3\)/,
  });
  assert.throws(() => precisionRecallF1([0, 1], Int32Array.from([0, -1]), 2), {
    name: "RangeError",
    message: /yPred\[1\] is -1/,
  });
  assert.throws(() => accuracy([0, 1.5], [0, 1]), {
    name: "RangeError",
    message: /yTrue\[1\] is 1.5, expected an integer class index in \[0, ∞\)/,
  });
  assert.throws(() => accuracy([0, 1], [NaN, 1]), {
    name: "RangeError",
    message: /yPred\[0\] is NaN/,
  });
  assert.throws(() => logLoss([0, 2], binaryProba([0.3, 0.9]), 2), {
    name: "RangeError",
    message: /"log_loss": yTrue\[1\] is 2/,
  });
  assert.throws(() => rocCurve([0, 2], [0.1, 0.2]), {
    name: "RangeError",
    message: /yTrue01\[1\] is 2, expected an integer class index in \[0, 2\)/,
  });
});

Deno.test("NaN or infinite predictions throw RangeError naming the index", () => {
  assert.throws(() => logLoss([0, 1], new Float64Array([0.5, 0.5, NaN, 0.5]), 2), {
    name: "RangeError",
    message: /"log_loss": proba\[2\] \(row 1, class 0\) is NaN, expected a probability in \[0, 1\]/,
  });
  assert.throws(() => rocAuc([0, 1], new Float32Array([0.5, 0.5, 0.5, NaN]), 2), {
    name: "RangeError",
    message: /"roc_auc": proba\[3\] \(row 1, class 1\) is NaN/,
  });
  assert.throws(() => rocCurve([0, 1], [0.5, NaN]), {
    name: "RangeError",
    message: /"roc_curve": scores\[1\] is NaN, expected a finite number/,
  });
  assert.throws(() => r2Score([1, 2, 3], new Float64Array([1, NaN, 3])), {
    name: "RangeError",
    message: /"r2": yPred\[1\] is NaN, expected a finite number/,
  });
  assert.throws(() => meanAbsoluteError([1, Infinity], [1, 2]), {
    name: "RangeError",
    message: /"mae": yTrue\[1\] is Infinity/,
  });
});

Deno.test("probabilities must be an n × k matrix of values in [0, 1] with rows summing to 1", () => {
  assert.throws(() => logLoss([0, 1], new Float64Array([0.5, 0.5, 1]), 2), {
    name: "RangeError",
    message:
      /proba has 3 values but yTrue has 2 values and k is 2; pass a row-major n × k matrix of 4 values/,
  });
  assert.throws(() => rocAuc([0, 1], new Float64Array([0.5, 0.5, 2, -1]), 2), {
    name: "RangeError",
    message: /proba\[2\] \(row 1, class 0\) is 2, expected a probability in \[0, 1\]/,
  });
  assert.throws(() => logLoss([0, 1], new Float64Array([0.5, 0.5, 0.2, 0.3]), 2), {
    name: "RangeError",
    message: /proba row 1 sums to 0.5, expected 1 \(within 1e-5\); pass probabilities/,
  });
  assert.throws(() => logLoss([0, 1], [0.5, 0.5, 0.5, 0.5] as unknown as Float64Array, 2), {
    name: "TypeError",
    message: /proba must be a Float32Array or Float64Array/,
  });
});

Deno.test("class counts must be integers large enough for the metric", () => {
  assert.throws(() => confusionMatrix([0], [0], 0), {
    name: "RangeError",
    message: /"confusion_matrix": k is 0, expected an integer number of classes >= 1/,
  });
  assert.throws(() => logLoss([0], new Float64Array([1]), 1), {
    name: "RangeError",
    message: /"log_loss": k is 1, expected an integer number of classes >= 2/,
  });
  assert.throws(() => rocAuc([0], new Float64Array([0.5, 0.5]), 2.5), {
    name: "RangeError",
    message: /k is 2.5/,
  });
});

Deno.test("label containers other than Int32Array or arrays throw TypeError", () => {
  assert.throws(() => accuracy(new Float32Array([0, 1]) as unknown as Int32Array, [0, 1]), {
    name: "TypeError",
    message:
      /"accuracy": yTrue must be an Int32Array or an array of class indexes, found Float32Array/,
  });
  assert.throws(() => r2Score("12" as unknown as number[], [1, 2]), {
    name: "TypeError",
    message: /"r2": yTrue must be a Float64Array, Float32Array or number array, found "12"/,
  });
});

Deno.test("metrics do not modify their inputs", () => {
  const yTrue = Int32Array.from([0, 1, 1, 0]);
  const scores = [0.6, 0.2, 0.9, 0.1];
  const proba = binaryProba(scores);
  const before = Float64Array.from(proba);
  classificationReport(yTrue, proba, ["a", "b"]);
  rocCurve(yTrue, scores);
  assert.deepEqual(proba, before);
  assert.deepEqual(scores, [0.6, 0.2, 0.9, 0.1]);
  assert.deepEqual(yTrue, Int32Array.from([0, 1, 1, 0]));
});
