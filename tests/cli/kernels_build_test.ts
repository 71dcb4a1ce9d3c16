import assert from "node:assert/strict";
import { compileDenseKernel, DENSE_KERNEL_WASM } from "../../src/cli/kernels_build.ts";

Deno.test("the committed dense.wasm is what kernels:build compiles from the source", async () => {
  const built = await compileDenseKernel(".");
  const committed = await Deno.readFile(DENSE_KERNEL_WASM);
  assert.deepEqual(committed, built, "run deno task kernels:build and commit dense.wasm");
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(committed))
    .map(({ name }) => name).sort();
  assert.deepEqual(exports, [
    "activationBackward",
    "adamStep",
    "apiVersion",
    "applyMask",
    "compactRows",
    "denseLayer",
    "heapBase",
    "lastLoss",
    "lastMetric",
    "lossGradient",
    "lossValue",
    "memory",
    "penaltyGradient",
    "rmspropStep",
    "sgdStep",
    "softmaxRows",
    "squaredSum",
    "transposeKernel",
    "weightGradients",
  ]);
});
