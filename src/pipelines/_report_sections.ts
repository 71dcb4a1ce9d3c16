/**
 * The sections of a run report as HTML fragments: metrics, per-class metrics, training facts,
 * validation and cleaning summaries, feature importance and stage timings.
 *
 * @module
 */
import { classBalance, IMBALANCE_RATIO } from "../data/mod.ts";
import type { ClassBalance, CleaningReport, ValidationReport } from "../data/mod.ts";
import type {
  BaseModel,
  FeatureGroup,
  PermutationImportanceResult,
  TrainingHistory,
  TreeFeatureImportance,
} from "../models/mod.ts";
import type { TrainingStepName } from "../models/mod.ts";
import { METRIC_DIRECTIONS } from "../utils/mod.ts";
import { describeLossCurve, type TrainingObjective } from "../viz/mod.ts";
import { direction, esc, fmt, fmtSeconds, keyValues, num, numCell, table } from "./_html.ts";

/** Metrics by split, as in `metrics.json` (`SplitMetrics` objects or their parsed JSON). */
export type MetricsBySplit = { [split in "train" | "val" | "test"]: object | null };

/** Metrics by split as plain records. */
type MetricValues = Record<"train" | "val" | "test", Record<string, unknown> | null>;

/** Metrics of the model and the baseline by split, as plain records. */
export function metricValues(
  metrics: { primary_metric: string; model: MetricsBySplit; baseline: MetricsBySplit },
): {
  primary_metric: string;
  model: MetricValues;
  baseline: MetricValues;
} {
  const splits = (by: MetricsBySplit): MetricValues => ({
    train: by?.train as Record<string, unknown> | null ?? null,
    val: by?.val as Record<string, unknown> | null ?? null,
    test: by?.test as Record<string, unknown> | null ?? null,
  });
  return {
    primary_metric: metrics.primary_metric,
    model: splits(metrics.model),
    baseline: splits(metrics.baseline),
  };
}

/** The metrics table: every metric by split, model against baseline. */
export function metricTable(metrics: ReturnType<typeof metricValues>, primary: string): string {
  const splits = ["train", "val", "test"] as const;
  const names = Object.keys(METRIC_DIRECTIONS).filter((name) =>
    splits.some((split) =>
      metrics.model[split]?.[name] !== undefined || metrics.baseline[split]?.[name] !== undefined
    )
  );
  if (names.length === 0) return `<p class="note">metrics.json holds no metrics.</p>`;
  const rows = names.map((name) => {
    const model = (split: (typeof splits)[number]) => num(metrics.model[split]?.[name]);
    const base = (split: (typeof splits)[number]) => num(metrics.baseline[split]?.[name]);
    const testValue = model("test");
    const baseTest = base("test");
    let delta = "";
    if (testValue !== null && baseTest !== null) {
      const d = testValue - baseTest;
      const dir = METRIC_DIRECTIONS[name as keyof typeof METRIC_DIRECTIONS];
      const better = dir === "max" ? d > 0 : d < 0;
      const worse = dir === "max" ? d < 0 : d > 0;
      delta = `<span class="${better ? "better" : worse ? "worse" : ""}">${d >= 0 ? "+" : ""}${
        d.toFixed(4)
      }${better ? " ▲" : worse ? " ▼" : ""}</span>`;
    }
    return [
      `${esc(name)}${name === primary ? ' <span class="badge">primary</span>' : ""}`,
      esc(direction(name)),
      fmt(model("train")),
      fmt(model("val")),
      fmt(testValue),
      fmt(base("val")),
      fmt(baseTest),
      delta,
    ];
  });
  return `<p>The baseline is the <code>baseline</code> family (majority class or mean) trained on the same split. Δ is the test value minus the baseline's; ▲ marks the model better.</p>${
    table(
      ["metric", "better", "train", "val", "test", "baseline val", "baseline test", "Δ test"],
      rows,
      "metrics-table",
    )
  }`;
}

/**
 * The balance of the classes the model learned from: the per-class support of the training
 * split (of the test split when train has none), by `classBalance`.
 *
 * @param metrics the model's metrics by split, as plain records
 * @returns the balance, or `null` without per-class scores (regression)
 */
export function trainingClassBalance(
  metrics: Record<"train" | "test", Record<string, unknown> | null>,
): { split: "train" | "test"; balance: ClassBalance } | null {
  for (const split of ["train", "test"] as const) {
    const perClass = metrics[split]?.["per_class"];
    if (typeof perClass !== "object" || perClass === null) continue;
    const counts = Object.fromEntries(
      Object.entries(perClass as Record<string, Record<string, unknown>>).map((
        [name, scores],
      ) => [name, num(scores["support"]) ?? 0]),
    );
    if (Object.keys(counts).length === 0) continue;
    return { split, balance: classBalance(counts) };
  }
  return null;
}

/**
 * Precision, recall and F1 per class on the test split; with imbalanced classes, a note saying
 * why they come before the averages.
 */
export function perClassTable(
  test: Record<string, unknown> | null,
  imbalance: { split: "train" | "test"; balance: ClassBalance } | null = null,
): string {
  const perClass = test?.["per_class"];
  if (typeof perClass !== "object" || perClass === null) return "";
  const note = imbalance?.balance.imbalanced
    ? `<p class="note imbalance">The classes are imbalanced: the rarest, ${
      esc(JSON.stringify(imbalance.balance.rarest))
    }, has ${imbalance.balance.rarestCount} ${imbalance.split} rows against ${imbalance.balance.largestCount} of the largest (a ratio of ${
      imbalance.balance.ratio.toFixed(3)
    }, below ${IMBALANCE_RATIO}). Averages and accuracy hide how the rare classes fare, so the per-class scores come first.</p>`
    : "";
  const rows = Object.entries(perClass as Record<string, Record<string, unknown>>).map((
    [name, scores],
  ) => [
    esc(name),
    fmt(num(scores["precision"])),
    fmt(num(scores["recall"])),
    fmt(num(scores["f1"])),
    numCell(num(scores["support"]) ?? 0),
  ]);
  return `<h3>Per class on the test split</h3>${note}${
    table(["class", "precision", "recall", "f1", "support"], rows)
  }`;
}

/**
 * Epochs run, best epoch, how training stopped, and what the learning curves' loss is: with an
 * L2 penalty it is the training objective, not the metrics table's plain log-loss.
 */
export function trainingFacts(
  history: TrainingHistory | null,
  objective: TrainingObjective | null = null,
  step: TrainingStepName = "epoch",
): string {
  if (!history || !Array.isArray(history.epochs)) return "";
  return keyValues([
    ...(objective === null ? [] : [
      ["loss in the curves", esc(describeLossCurve(objective).replace(/^loss: /, ""))] as const,
    ]),
    [`${step}s run`, numCell(history.epochs.length)],
    [`best ${step}`, numCell(history.bestEpoch + 1)],
    ["stopped early", history.stoppedEarly ? "yes" : "no"],
    [
      step === "round" ? "kept rounds up to the best" : "best weights restored",
      history.restoredBest ? "yes" : "no",
    ],
    ["monitored loss", esc(history.monitor ?? "")],
    ["training time", `${fmtSeconds(history.seconds)}`],
  ]);
}

/** What validation found, or a note when no report was recorded. */
export function validationSummary(report: ValidationReport | null): string {
  if (!report) return `<p class="note">No validation report recorded.</p>`;
  const head = `<p>${numCell(report.rows)} rows × ${numCell(report.columns)} columns: ${
    report.ok
      ? '<span class="better">every rule holds</span>'
      : `<span class="worse">${report.issues.length} rule(s) broken</span> (cleaning below fixes them before training)`
  }.</p>`;
  if (report.issues.length === 0) return head;
  return head + table(
    ["column", "rule", "rows", "detail"],
    report.issues.map((issue) => [
      esc(issue.column ?? "(table)"),
      esc(issue.rule),
      numCell(issue.count),
      esc(issue.message),
    ]),
  );
}

/** What cleaning changed, or a note when no report was recorded. */
export function cleaningSummary(report: CleaningReport | null): string {
  if (!report) return `<p class="note">No cleaning report recorded.</p>`;
  const head = `<p>${numCell(report.rowsIn)} rows in, ${numCell(report.rowsOut)} rows out (${
    numCell(report.rowsIn - report.rowsOut)
  } dropped).</p>`;
  if (report.steps.length === 0) return head;
  return head + table(
    ["step", "column", "action", "rows"],
    report.steps.map((step) => [
      esc(step.step),
      esc(step.column ?? "(all)"),
      esc(step.action),
      numCell(step.rows),
    ]),
  );
}

/** Permutation importance per input, with the baseline metric it was measured against. */
export function importanceTable(
  result: PermutationImportanceResult,
  names: readonly string[],
): string {
  const rows = result.rows < result.totalRows
    ? `a seeded sample of ${result.rows.toLocaleString("en-US")} of the ${
      result.totalRows.toLocaleString("en-US")
    } test rows`
    : `the ${result.rows.toLocaleString("en-US")} test rows`;
  return `<p>Baseline ${esc(result.metric)} on ${rows}: ${
    fmt(result.baseline)
  }. Each input (its one-hot columns together) was shuffled ${result.repeats} times; the drop is ${
    result.direction === "max" ? "baseline − shuffled" : "shuffled − baseline"
  }, so larger means the model relies on it more.</p>${
    table(
      ["input", "model columns", "mean drop", "± std"],
      result.importances.map((entry) => [
        esc(entry.feature),
        entry.columns.map((j) => `<code>${esc(names[j] ?? String(j))}</code>`).join(", "),
        fmt(entry.mean),
        fmt(entry.std),
      ]),
      "importance-table",
    )
  }`;
}

/** The split gain and split count of one model input (its one-hot columns together). */
export interface TreeInputImportance {
  /** The input, named as in permutation importance. */
  feature: string;
  /** The model columns of the input, as indices into the feature names. */
  columns: readonly number[];
  /** Sum of the gains of the splits on the input's columns. */
  gain: number;
  /** Number of splits on the input's columns. */
  splits: number;
}

/**
 * Reads the split-based importance of a tree model: models that expose `featureImportance()`
 * (the tree families) give one entry per column; other models give `null`.
 */
export function modelTreeImportance(model: BaseModel): TreeFeatureImportance[] | null {
  const read = (model as { featureImportance?: unknown }).featureImportance;
  if (typeof read !== "function") return null;
  return (read as () => TreeFeatureImportance[]).call(model);
}

/**
 * Sums per-column tree importance over the inputs of the permutation importance (one-hot
 * columns together), sorted by gain, largest first.
 */
export function groupTreeImportance(
  columns: readonly TreeFeatureImportance[],
  groups: readonly FeatureGroup[],
): TreeInputImportance[] {
  return groups.map((group) => {
    let gain = 0;
    let splits = 0;
    for (const j of group.columns) {
      gain += columns[j]?.gain ?? 0;
      splits += columns[j]?.splits ?? 0;
    }
    return { feature: group.name, columns: group.columns, gain, splits };
  }).sort((a, b) => b.gain - a.gain || b.splits - a.splits || a.feature.localeCompare(b.feature));
}

/** A categorical input of a tree model, as `GbdtModel.categoricalFeatures()` describes it. */
export interface CategoricalInput {
  /** The model column. */
  feature: number;
  /** Distinct categories in the training rows. */
  categories: number;
  /** Categories with a bin of their own. */
  kept: number;
  /** Whether the rarer categories share one "other" bin. */
  other: boolean;
  /** One sentence. */
  description: string;
}

/**
 * Reads the categorical inputs of a model that splits by sets of categories (it exposes
 * `categoricalFeatures()`); other models give an empty list.
 */
export function modelCategoricalInputs(model: BaseModel): CategoricalInput[] {
  const read = (model as { categoricalFeatures?: unknown }).categoricalFeatures;
  if (typeof read !== "function") return [];
  return (read as () => CategoricalInput[]).call(model);
}

/** The table of the categorical inputs a tree model splits by sets of categories. */
export function categoricalInputsTable(
  inputs: readonly CategoricalInput[],
  names: readonly string[],
): string {
  const merged = inputs.filter((input) => input.other);
  return `<p>These inputs reach the trees as category codes, and each split sends a set of categories left, as LightGBM and scikit-learn do: no one-hot columns. A category unseen in training goes where the split sends missing values.${
    merged.length === 0
      ? ""
      : ` <strong>${merged.length} ${
        merged.length === 1 ? "input has" : "inputs have"
      } more categories than the 255 bins:</strong> the most frequent keep a bin of their own and the rarer ones share one "other" bin, so the trees cannot tell those apart.`
  }</p>${
    table(
      ["input", "categories", "split on their own", 'share "other"'],
      inputs.map((input) => [
        `<code>${esc(names[input.feature] ?? String(input.feature))}</code>`,
        `<span class="num">${input.categories}</span>`,
        `<span class="num">${input.kept}</span>`,
        `<span class="num">${input.categories - input.kept}</span>`,
      ]),
      "categorical-inputs-table",
    )
  }`;
}

/** The table of split gain and split count per input, with each input's share of the total gain. */
export function treeImportanceTable(
  entries: readonly TreeInputImportance[],
  names: readonly string[],
): string {
  const total = entries.reduce((sum, entry) => sum + entry.gain, 0);
  const splits = entries.reduce((sum, entry) => sum + entry.splits, 0);
  return `<p>From the model's trees: the gain of a split is how much it lowered the training loss; the ${
    splits.toLocaleString("en-US")
  } splits of all trees are summed per input (its one-hot columns together). Both are measured on the training rows, unlike permutation importance on the test split; an input used often with small gains ranks high by count and low by gain.</p>${
    table(
      ["input", "model columns", "gain", "share of gain", "splits"],
      entries.map((entry) => [
        esc(entry.feature),
        entry.columns.map((j) => `<code>${esc(names[j] ?? String(j))}</code>`).join(", "),
        fmt(entry.gain),
        `<span class="num">${total > 0 ? ((100 * entry.gain) / total).toFixed(1) : "0.0"}%</span>`,
        `<span class="num">${entry.splits}</span>`,
      ]),
      "tree-importance-table",
    )
  }`;
}

/** Seconds per pipeline stage and its share of the total. */
export function timingTable(stages: Record<string, number>): string {
  const entries = Object.entries(stages ?? {}).filter(([, s]) => typeof s === "number");
  if (entries.length === 0) return `<p class="note">No stage timings recorded.</p>`;
  const total = entries.reduce((sum, [, s]) => sum + s, 0);
  return table(
    ["stage", "seconds", "share"],
    [
      ...entries.map(([name, s]) => [
        esc(name),
        `<span class="num">${s.toFixed(3)}</span>`,
        `<span class="num">${total > 0 ? ((100 * s) / total).toFixed(1) : "0.0"}%</span>`,
      ]),
      [
        "<strong>total</strong>",
        `<span class="num"><strong>${total.toFixed(3)}</strong></span>`,
        "",
      ],
    ],
  );
}
