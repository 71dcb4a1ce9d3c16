import assert from "node:assert/strict";
import { formatMetricDelta } from "../../src/cli/_tables.ts";
import { isBetter } from "../../src/utils/metrics/mod.ts";

function delta(metric: string, a: number, b: number): string {
  return formatMetricDelta(b - a, isBetter(metric, b, a));
}

Deno.test("formatMetricDelta() calls a higher log_loss worse although the change is positive", () => {
  assert.equal(delta("log_loss", 0.0100, 0.0164), "+0.0064 worse");
  assert.equal(delta("log_loss", 0.0164, 0.0100), "-0.0064 better");
  assert.equal(delta("rmse", 2.5, 2.0), "-0.5000 better");
});

Deno.test("formatMetricDelta() calls a higher score better and an equal value the same", () => {
  assert.equal(delta("f1_macro", 0.95, 0.98), "+0.0300 better");
  assert.equal(delta("accuracy", 0.98, 0.95), "-0.0300 worse");
  assert.equal(delta("accuracy", 0.98, 0.98), "+0.0000 same");
});

Deno.test("formatMetricDelta() prints n/a when either run lacks the metric", () => {
  assert.equal(formatMetricDelta(null, null), "n/a");
  assert.equal(formatMetricDelta(Number.NaN, false), "n/a");
});
