/**
 * The task of a profile proposal, from the target column: text, booleans and integers with few
 * values are classes (classification, stratified split, macro-F1 or ROC AUC for two classes,
 * balanced class weights when the classes are imbalanced); other numbers are regression (random
 * split, RMSE).
 *
 * @module
 */
import { DataValidationError } from "../../errors.ts";
import { classBalance } from "../statistics/mod.ts";
import type { ClassBalance } from "../statistics/mod.ts";
import type { ColumnFacts } from "./column_facts.ts";
import type { ProposalComment } from "./_comments.ts";

/** An integer target with at most this many distinct values is read as classes. */
export const MAX_INTEGER_CLASSES = 20;
/** Fewest rows a class needs: one for training and one to evaluate on. */
export const MIN_CLASS_ROWS = 2;

/** What {@link proposeTask} decides. */
export interface TaskProposal {
  task: "classification" | "regression";
  split: "stratified" | "random";
  metric: "f1_macro" | "roc_auc" | "rmse";
  /** `"balanced"` when the classes are imbalanced, else `"none"`. */
  classWeights: "balanced" | "none";
  /** The class balance of a classification target, else `null`. */
  balance: ClassBalance | null;
  comments: ProposalComment[];
}

/**
 * Whether a target column is read as classes.
 *
 * @param target the target's facts
 * @returns true for text, booleans and integers with at most {@link MAX_INTEGER_CLASSES} values
 */
export function isClassTarget(target: ColumnFacts): boolean {
  return target.kind === "string" || target.kind === "bool" ||
    (target.kind === "int" && target.distinct <= MAX_INTEGER_CLASSES);
}

/**
 * Proposes the task, split, primary metric and class weights for a target.
 *
 * @param target the target's facts
 * @param classCounts rows per class (non-null values) when {@link isClassTarget}, else `null`
 * @returns the choices with their comments
 * @throws {DataValidationError} when the target is all null, has one class, or a class has
 *   fewer than {@link MIN_CLASS_ROWS} rows
 * @example
 * ```ts
 * proposeTask(facts, { sun: 640, rain: 641, fog: 101, drizzle: 53, snow: 26 }).classWeights; // "balanced"
 * ```
 */
export function proposeTask(
  target: ColumnFacts,
  classCounts: Readonly<Record<string, number>> | null,
): TaskProposal {
  const fail = (message: string): never => {
    throw new DataValidationError(message, [
      { column: target.name, rule: "target", message, count: 1, examples: [], rows: [] },
    ]);
  };
  if (target.rows - target.nulls === 0) {
    fail(
      `Cannot propose a profile: the target column "${target.name}" is null in every row; ` +
        `pick another column with --target`,
    );
  }
  if (classCounts === null) {
    return {
      task: "regression",
      split: "random",
      metric: "rmse",
      classWeights: "none",
      balance: null,
      comments: [
        {
          path: ["data", "task"],
          text: `"${target.name}" holds ${target.distinct} distinct numbers: predict a number`,
        },
        { path: ["split", "method"], text: "random rows: a number has no classes to stratify by" },
        {
          path: ["registry", "primary_metric"],
          text: "root mean squared error, in the target's unit; lower is better",
        },
      ],
    };
  }
  const labels = Object.keys(classCounts);
  if (labels.length < 2) {
    fail(
      `Cannot propose a profile: the target column "${target.name}" has one class (${
        JSON.stringify(labels[0] ?? null)
      }), nothing to tell apart; pick another column with --target or add rows of other classes`,
    );
  }
  const rare = labels.filter((label) => classCounts[label]! < MIN_CLASS_ROWS);
  if (rare.length > 0) {
    fail(
      `Cannot propose a profile: the target column "${target.name}" has ${
        rare.length === 1 ? "a class" : "classes"
      } with ${MIN_CLASS_ROWS - 1} row (${
        rare.slice(0, 5).map((label) => JSON.stringify(label)).join(", ")
      }), which cannot be both trained on and tested; add rows of ${
        rare.length === 1 ? "that class" : "those classes"
      }, merge ${rare.length === 1 ? "it" : "them"} into another class, or remove ${
        rare.length === 1 ? "its row" : "their rows"
      } from the file`,
    );
  }
  const balance = classBalance(classCounts);
  const binary = labels.length === 2;
  const comments: ProposalComment[] = [
    {
      path: ["data", "task"],
      text: `"${target.name}" holds ${labels.length} classes: predict a class`,
    },
    {
      path: ["split", "method"],
      text: "stratified: every split keeps the class proportions",
    },
    {
      path: ["registry", "primary_metric"],
      text: binary
        ? "two classes: ROC AUC ranks the positive class above the negative, whatever the threshold"
        : "macro-averaged F1: every class counts the same, however rare",
    },
  ];
  if (balance.imbalanced) {
    comments.push({
      path: ["training", "class_weights"],
      text:
        `"${balance.rarest}" has ${balance.rarestCount} rows against ${balance.largestCount}: ` +
        `weigh classes inversely to their size`,
    });
  }
  return {
    task: "classification",
    split: "stratified",
    metric: binary ? "roc_auc" : "f1_macro",
    classWeights: balance.imbalanced ? "balanced" : "none",
    balance,
    comments,
  };
}
