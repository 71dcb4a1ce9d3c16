/**
 * The contract every transformer passes (STYLE.md §6).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { DataFrame } from "nodejs-polars";
import { transformerFromJson } from "../../src/features/mod.ts";
import type { Transformer, TransformerState } from "../../src/features/mod.ts";
import { assertFrameEqual } from "./assert_frame.ts";

/** Options of `assertTransformerContract`. */
export interface TransformerContractOptions {
  /**
   * A second training frame for the refit rule (`fit(other).fit(sample)` equals `fit(sample)`);
   * it must differ from `sample` so the rule can fail.
   *
   * @default `sample` without its last row
   */
  other?: DataFrame;
  /**
   * A column the transformer needs; the missing-column rule drops it.
   *
   * @default the first column of `sample`
   */
  requiredColumn?: string;
}

/**
 * Asserts the six rules of the transformer contract:
 * - `transform` before `fit` throws `NotFittedError`
 * - `fit` returns `this`
 * - refitting is idempotent: `fit(other).fit(sample)` equals `fit(sample)`
 * - the input frame is unchanged by `fit` and `transform`
 * - `fromJSON(toJSON())`, through `JSON.stringify`/`JSON.parse`, transforms identically (both
 *   through the class's static `fromJSON` and through the registry)
 * - a missing column throws `SchemaMismatchError`
 *
 * @param make builds a fresh, unfitted transformer
 * @param sample a training frame the transformer accepts
 * @param options a second training frame and the column to drop
 * @example
 * ```ts
 * assertTransformerContract(() => new StandardScaler(), pl.DataFrame({ a: [1, 2, 3] }));
 * ```
 */
export function assertTransformerContract(
  make: () => Transformer,
  sample: DataFrame,
  options: TransformerContractOptions = {},
): void {
  const other = options.other ?? sample.head(sample.height - 1);
  const requiredColumn = options.requiredColumn ?? sample.columns[0]!;
  const before = sample.clone();

  const unfitted = make();
  assert.equal(unfitted.isFitted, false, "a new transformer is not fitted");
  assert.throws(() => unfitted.transform(sample), {
    name: "NotFittedError",
    message: /not fitted/,
  });
  assert.throws(() => unfitted.toJSON(), { name: "NotFittedError", message: /not fitted/ });
  assert.throws(() => unfitted.featureNamesOut(), { name: "NotFittedError" });

  const transformer = make();
  assert.equal(transformer.fit(sample), transformer, "fit() returns this");
  assert.equal(transformer.isFitted, true, "fit() sets isFitted");
  const expected = transformer.transform(sample);
  assertFrameEqual(sample, before, "the input frame is unchanged:");
  assert.deepEqual(
    expected.columns,
    transformer.featureNamesOut(),
    "featureNamesOut() names the output",
  );

  const refitted = make().fit(other).fit(sample);
  assert.deepEqual(refitted.toJSON(), transformer.toJSON(), "refit state equals a single fit");
  assertFrameEqual(refitted.transform(sample), expected, "refit output equals a single fit:");
  assertFrameEqual(
    make().fitTransform(sample),
    expected,
    "fitTransform() equals fit().transform():",
  );

  const json = JSON.parse(JSON.stringify(transformer.toJSON())) as TransformerState;
  assert.equal(json.kind, transformer.kind);
  const fromJson = (transformer.constructor as unknown as {
    fromJSON(state: TransformerState): Transformer;
  }).fromJSON;
  assert.equal(typeof fromJson, "function", "the class has a static fromJSON()");
  const restored = fromJson(json);
  assert.equal(restored.isFitted, true);
  assertFrameEqual(
    restored.transform(sample),
    expected,
    "fromJSON(toJSON()) transforms identically:",
  );
  assert.deepEqual(restored.toJSON(), transformer.toJSON(), "fromJSON(toJSON()) keeps the state");
  assertFrameEqual(
    transformerFromJson(json).transform(sample),
    expected,
    "the registry rebuilds it identically:",
  );
  assertFrameEqual(sample, before, "the input frame is unchanged:");

  assert.throws(() => transformer.transform(sample.drop(requiredColumn)), {
    name: "SchemaMismatchError",
    message: new RegExp(`missing column "${escapeRegExp(requiredColumn)}"`),
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
