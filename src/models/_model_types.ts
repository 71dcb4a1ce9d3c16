/**
 * What a model is for: its task, its family name, and the shape of its training targets. These
 * sit apart from `base_model.ts` so the training loop and the model files can name them without
 * importing the model classes.
 *
 * @module
 */
import type { ModelConfig } from "../config/schema.ts";

/** What a model predicts: a class among `classes`, or a number. */
export type ModelTask = "classification" | "regression";

/** The model families, as named by `model.family` in `model_config.yaml`. */
export type ModelFamily = ModelConfig["family"];

/** The tasks a model can learn. */
export const MODEL_TASKS: readonly ModelTask[] = ["classification", "regression"];

/**
 * The training targets: class indexes into `classes`, or numeric values.
 *
 * Labels are indexes, not names, so big targets stay one `Int32Array`.
 */
export type Targets =
  | {
    /** A classification target. */
    kind: "classification";
    /** One class index per row, each in `[0, classes.length)`. */
    labels: Int32Array;
    /** The class names, index by index. */
    classes: string[];
  }
  | {
    /** A regression target. */
    kind: "regression";
    /** One finite value per row. */
    values: Float32Array;
  };
