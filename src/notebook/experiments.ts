/**
 * The charts of a recorded run on its test split, chosen by the task: confusion matrix and
 * one-vs-rest ROC curves for classification, predicted against actual and residuals for
 * regression.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import type { TrainingResult } from "../pipelines/mod.ts";
import { type RocCurve, rocCurve } from "../utils/mod.ts";
import {
  plotConfusionMatrix,
  plotPredictedVsActual,
  plotResiduals,
  plotRocCurves,
} from "../viz/mod.ts";

/** Options of {@link plotTestResults}. */
export interface TestResultsOptions {
  /**
   * The model's name in the chart titles, e.g. `"mlp [32,16] 0.001"`.
   * @default "the model"
   */
  name?: string;
  /**
   * The target's name, for regression axis titles.
   * @default "target"
   */
  target?: string;
}

/** Defaults of {@link TestResultsOptions}. */
export const DEFAULT_TEST_RESULTS_OPTIONS: Readonly<Required<TestResultsOptions>> = {
  name: "the model",
  target: "target",
};

/**
 * Builds the charts of a run's model on its test split, by the task: for classification the
 * confusion matrix (counts) and the one-vs-rest ROC curve of every class, for regression
 * predicted against actual values and the residuals against the prediction.
 *
 * The model is asked for its test predictions once; the caller still owns (and disposes) it.
 *
 * @param result a training result whose model is not disposed yet
 * @param options the model's name and the target's name for the titles
 * @returns two vega-lite specs, to show in order
 * @throws {TypeError} when the run holds no test rows' metrics
 * @example
 * ```ts
 * for (const spec of plotTestResults(result, { name: "mlp", target })) await show(spec);
 * result.model.dispose();
 * ```
 */
export function plotTestResults(
  result: Pick<TrainingResult, "model" | "features" | "metrics">,
  options: TestResultsOptions = {},
): TopLevelSpec[] {
  const { name, target } = { ...DEFAULT_TEST_RESULTS_OPTIONS, ...options };
  const x = result.features.x.test;
  const y = result.features.y.test;
  const metrics = result.metrics.test;
  if (y.kind === "regression") {
    const predicted = result.model.predict(x);
    return [
      plotPredictedVsActual(y.values, predicted, {
        target,
        title: `Predicted against actual ${target}, ${name} (test, ${x.rows} rows)`,
      }),
      plotResiduals(y.values, predicted, {
        target,
        title: `Residuals of ${name} (test, ${x.rows} rows)`,
      }),
    ];
  }
  if (!("confusion_matrix" in metrics)) {
    throw new TypeError(
      `Cannot plot the test results of ${name}: the run has no classification metrics on its test split`,
    );
  }
  const probabilities = result.model.predict(x);
  const classes = y.classes;
  const curves: Record<string, RocCurve> = {};
  classes.forEach((label, c) => {
    const isClass = Array.from(y.labels, (l) => (l === c ? 1 : 0));
    const score = Array.from({ length: x.rows }, (_, i) => probabilities[i * classes.length + c]!);
    curves[label] = rocCurve(isClass, score);
  });
  return [
    plotConfusionMatrix({ labels: metrics.labels, matrix: metrics.confusion_matrix }, {
      title: `Confusion matrix of ${name} (test, ${metrics.n} rows)`,
      normalize: false,
    }),
    plotRocCurves(curves, { title: `One-vs-rest ROC curves of ${name} (test)` }),
  ];
}
