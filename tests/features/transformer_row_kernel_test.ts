import assert from "node:assert/strict";
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { createTransformer, transformerKinds } from "../../src/features/mod.ts";
import type { Transformer } from "../../src/features/mod.ts";
import type { RowDtype } from "../../src/data/mod.ts";
import {
  assertRowKernelMatchesFrame,
  assertTransformerContract,
} from "../_helpers/transformer_contract.ts";

/**
 * Training and test values per row dtype. The test values hold what serving meets: nulls, NaN,
 * infinities, values far outside the training range, values below a transformer's domain, and
 * categories never seen in training.
 */
const SAMPLES: Record<Exclude<RowDtype, "dt">, { fit: unknown[]; test: unknown[] }> = {
  f64: {
    fit: [1.5, 0, 3, 10, 2.25, 7, null, 4.5],
    test: [0, 1.5, null, NaN, 1e6, -1e6, -0.5, 2.25, Infinity, -Infinity, -0, 10, 3.0000001, 7],
  },
  i64: {
    fit: [1, 2, 3, 5, 8, 2, null, 3],
    test: [0, 3, null, 100, -7, 8, 2, 1],
  },
  str: {
    fit: ["a", "b", "a", "c", "b", "a", null, "a"],
    test: ["a", "c", null, "zz", "b", "", " a", "A"],
  },
};

const POLARS_DTYPES = { f64: pl.Float64, i64: pl.Int64, str: pl.Utf8 } as const;
/** A column every sample frame carries and no transformer is given: it must pass through. */
const PASS_THROUGH = { name: "keep", values: [0.5, 1, 2, 3, 4, 5, 6, 7] };

/** Extra options per kind whose policy they change; every kind also runs with none. */
const VARIANTS: Record<string, Record<string, unknown>[]> = {
  OneHotEncoder: [{ handle_null: "category" }, { handle_unknown: "error" }, { top_n: 1 }],
  OrdinalEncoder: [{ unknown_value: -1 }, { handle_null: "keep", unknown_value: 99 }],
  SimpleImputer: [{ strategy: "median" }, { strategy: "most_frequent" }],
  MinMaxScaler: [{ feature_range: [-1, 1] }],
  QuantileBinner: [{ n_bins: 3 }],
};

function frame(dtype: Exclude<RowDtype, "dt">, values: unknown[]): DataFrame {
  const keep = Array.from(
    { length: values.length },
    (_, i) => PASS_THROUGH.values[i % PASS_THROUGH.values.length]!,
  );
  return pl.DataFrame([
    pl.Series("x", values, POLARS_DTYPES[dtype]),
    pl.Series(PASS_THROUGH.name, keep, pl.Float64),
  ]);
}

/** Fits on the training sample, or on it without its null when the transformer refuses nulls. */
function fitted(make: () => Transformer, dtype: Exclude<RowDtype, "dt">): Transformer | null {
  const withNull = frame(dtype, SAMPLES[dtype].fit);
  try {
    return make().fit(withNull);
  } catch {
    try {
      return make().fit(frame(dtype, SAMPLES[dtype].fit.filter((v) => v !== null)));
    } catch {
      return null;
    }
  }
}

Deno.test("transformerKinds() lists every registered kind, each once", () => {
  const kinds = transformerKinds();
  assert.ok(kinds.length >= 8);
  assert.equal(new Set(kinds).size, kinds.length);
});

for (const kind of transformerKinds()) {
  Deno.test(`${kind}: the row kernel equals the frame path bit for bit for every dtype it takes`, () => {
    for (const params of [{}, ...(VARIANTS[kind] ?? [])]) {
      const make = () => createTransformer({ kind, params: { ...params, columns: ["x"] } }, kind);
      let checked = 0;
      for (const dtype of ["f64", "i64", "str"] as const) {
        const transformer = fitted(make, dtype);
        if (transformer === null) continue;
        const policy = transformer.inputPolicy();
        const label = `${kind} ${JSON.stringify(params)} on ${dtype}`;
        if (!policy.dtypes.includes(dtype)) {
          // Fitted on a dtype it does not declare (an imputer of text fitted on text, say,
          // never gets here): the kernel must refuse to compile rather than guess.
          assert.throws(() => transformer.compileRow([{ name: "x", dtype }]), label);
          continue;
        }
        assertRowKernelMatchesFrame(transformer, frame(dtype, SAMPLES[dtype].test));
        checked++;
      }
      assert.ok(
        checked > 0,
        `${kind} ${JSON.stringify(params)}: no dtype it takes could be fitted`,
      );
    }
  });

  Deno.test(`${kind}: passes the transformer contract on a sample of a dtype it takes`, () => {
    for (const dtype of ["f64", "i64", "str"] as const) {
      const make = () => createTransformer({ kind, params: { columns: ["x"] } }, kind);
      const transformer = fitted(make, dtype);
      if (transformer === null || !transformer.inputPolicy().dtypes.includes(dtype)) continue;
      const sample = frame(dtype, SAMPLES[dtype].fit.filter((v) => v !== null));
      assertTransformerContract(make, sample, { requiredColumn: "x" });
      return;
    }
    assert.fail(`${kind}: no dtype it declares could be fitted`);
  });

  Deno.test(`${kind}: its input policy matches what transform does with nulls and unseen values`, () => {
    for (const params of [{}, ...(VARIANTS[kind] ?? [])]) {
      for (const dtype of ["f64", "i64", "str"] as const) {
        const make = () => createTransformer({ kind, params: { ...params, columns: ["x"] } }, kind);
        const transformer = fitted(make, dtype);
        if (transformer === null) continue;
        const policy = transformer.inputPolicy();
        if (!policy.dtypes.includes(dtype)) continue;
        const label = `${kind} ${JSON.stringify(params)} on ${dtype}`;
        const nulls = frame(dtype, [null]);
        if (policy.nulls === "refuse") assert.throws(() => transformer.transform(nulls), label);
        else {
          const out = transformer.transform(nulls);
          const kept = out.columns.filter((c) => c !== PASS_THROUGH.name)
            .map((c) => out.getColumn(c).get(0));
          if (policy.nulls === "propagate") assert.deepEqual(kept, [null], label);
        }
        if (dtype === "str") {
          const unseen = frame(dtype, ["never seen"]);
          if (policy.unseen === "refuse") assert.throws(() => transformer.transform(unseen), label);
          else transformer.transform(unseen);
        }
        if (policy.minimum !== null) {
          assert.throws(() => transformer.transform(frame(dtype, [policy.minimum! - 1])), label);
        }
      }
    }
  });
}
