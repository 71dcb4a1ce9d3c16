import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  findWasmDirectory,
  initBackend,
  installBatchMatMulPatch,
  isBatchMatMulPatched,
  removeBatchMatMulPatch,
} from "../../src/models/mod.ts";
import { Random } from "../../src/utils/mod.ts";
import { withCapturedLogs } from "../_helpers/logs.ts";

// This test must stay first in the file: wasm can start only once per process, and the
// fallback is checked before it has.
Deno.test("initBackend() falls back to cpu with one warning when the wasm files are missing", async () => {
  const empty = await Deno.makeTempDir();
  try {
    let backend = "";
    const logs = await withCapturedLogs(async () => {
      backend = await initBackend("wasm", { wasmDirectory: empty });
    });
    assert.equal(backend, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.level, "warning");
    assert.equal(logs[0]!.category, "deno-mlops.models");
    assert.match(
      logs[0]!.message,
      /WebAssembly backend unavailable .*tfjs-backend-wasm-simd\.wasm.* does not exist/,
    );

    const again = await withCapturedLogs(async () => {
      backend = await initBackend("wasm", { wasmDirectory: empty });
    });
    assert.equal(backend, "cpu");
    assert.equal(again.length, 0, "a second call for the same folder logs nothing");
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("initBackend() starts wasm with SIMD and the BatchMatMul patch, and is idempotent", async () => {
  const logs = await withCapturedLogs(async () => {
    assert.equal(await initBackend("wasm"), "wasm");
    assert.equal(await initBackend("wasm"), "wasm");
  });
  assert.deepEqual(logs, []);
  assert.equal(tf.getBackend(), "wasm");
  assert.equal(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"), true);
  assert.equal(isBatchMatMulPatched(), true);
  assert.deepEqual(Array.from(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), 1).dataSync())), [2, 3]);
});

Deno.test("initBackend() switches between cpu and wasm on request", async () => {
  assert.equal(await initBackend("cpu"), "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.equal(await initBackend("wasm"), "wasm");
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("initBackend() rejects an unknown backend name and names the config key", async () => {
  await assert.rejects(
    () => initBackend("webgl" as "wasm"),
    { name: "RangeError", message: /Cannot start tfjs backend "webgl".*training\.backend/ },
  );
});

Deno.test("findWasmDirectory() finds the wasm binaries in the project's node_modules", async () => {
  const directory = findWasmDirectory();
  assert.ok(directory !== null);
  assert.match(directory, /^file:\/\/.*\/node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/$/);
  const stat = await Deno.stat(new URL("tfjs-backend-wasm-simd.wasm", directory));
  assert.ok(stat.size > 100_000);
});

Deno.test("initBackend() falls back to cpu with one warning when the wasm binary is corrupt", async () => {
  // A failed wasm start poisons tfjs-backend-wasm for the rest of the process: use a child.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/tfjs-backend-wasm-simd.wasm`, "not wasm");
    const backendModule = new URL("../../src/models/backend.ts", import.meta.url).href;
    const loggerModule = new URL("../../src/utils/logger.ts", import.meta.url).href;
    const script = `
      import { initBackend } from "${backendModule}";
      import { captureLogs } from "${loggerModule}";
      import * as tf from "@tensorflow/tfjs";
      const capture = captureLogs({ level: "trace" });
      const backend = await initBackend("wasm", { wasmDirectory: ${JSON.stringify(dir)} });
      const sum = tf.add(tf.tensor1d([1, 2]), 1).dataSync();
      capture.stop();
      console.log(JSON.stringify({ backend, active: tf.getBackend(), sum: Array.from(sum),
        logs: capture.records.map((r) => ({ level: r.level, properties: r.properties })) }));
    `;
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--config", config, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(output.stdout).trim();
    const stderr = new TextDecoder().decode(output.stderr).trim();
    assert.equal(output.code, 0, stderr);
    for (const noise of ["CompileError", "Initialization of backend wasm failed", "tfjs-node"]) {
      assert.ok(
        !stderr.includes(noise),
        `tfjs and emscripten print nothing of their own: ${stderr}`,
      );
    }
    const lines = stdout.split("\n");
    assert.equal(lines.length, 1, `only the script's own line on stdout, got: ${stdout}`);
    const result = JSON.parse(lines[0]!);
    assert.equal(result.backend, "cpu");
    assert.equal(result.active, "cpu");
    assert.deepEqual(result.sum, [2, 3]);
    assert.equal(result.logs.length, 1);
    assert.equal(result.logs[0].level, "warning");
    assert.match(
      result.logs[0].properties.reason,
      /instantiating ".*tfjs-backend-wasm-simd\.wasm" failed/,
    );
    assert.match(result.logs[0].properties.details, /CompileError/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

function randomTensor(rng: Random, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return tf.transpose(x, perm);
}

const PRODUCT_CASES: Array<{ a: number[]; b: number[]; transposeA: boolean; transposeB: boolean }> =
  [
    { a: [1024, 64], b: [1024, 32], transposeA: true, transposeB: false }, // Xᵀ·dY
    { a: [1024, 32], b: [64, 32], transposeA: false, transposeB: true }, // dY·Wᵀ
    { a: [37, 5], b: [37, 3], transposeA: true, transposeB: false },
    { a: [3, 100], b: [4, 100], transposeA: false, transposeB: true },
    { a: [7, 3], b: [4, 7], transposeA: true, transposeB: true },
    { a: [1, 6], b: [1, 2], transposeA: true, transposeB: false }, // size-1 dims: transpose is a copy
    { a: [2, 7, 5], b: [2, 3, 5], transposeA: false, transposeB: true }, // batched: left alone
  ];

Deno.test("the BatchMatMul patch gives products bit-identical to the fast path on an explicit transpose", async () => {
  await initBackend("wasm");
  assert.equal(isBatchMatMulPatched(), true);
  const rng = new Random(3);
  for (const c of PRODUCT_CASES) {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const a = randomTensor(rng, c.a);
      const b = randomTensor(rng, c.b);
      const patched = tf.matMul(a, b, c.transposeA, c.transposeB).dataSync();
      const explicit = tf.matMul(
        c.transposeA ? swapLast(a) : a,
        c.transposeB ? swapLast(b) : b,
      ).dataSync();
      assert.deepEqual(patched, explicit, `case ${JSON.stringify(c)}`);
    });
    assert.equal(tf.memory().numTensors, before);
  }
});

Deno.test("the BatchMatMul patch equals the unpatched kernel exactly up to 48 inner terms, else to float32 rounding", async () => {
  await initBackend("wasm");
  const rng = new Random(5);
  for (const c of PRODUCT_CASES) {
    tf.tidy(() => {
      const a = randomTensor(rng, c.a);
      const b = randomTensor(rng, c.b);
      const patched = tf.matMul(a, b, c.transposeA, c.transposeB).dataSync().slice();
      removeBatchMatMulPatch();
      let unpatched: Float32Array;
      try {
        unpatched = tf.matMul(a, b, c.transposeA, c.transposeB).dataSync().slice() as Float32Array;
      } finally {
        installBatchMatMulPatch();
      }
      const inner = c.transposeA ? c.a[c.a.length - 2]! : c.a[c.a.length - 1]!;
      if (inner <= 48) {
        assert.deepEqual(patched, unpatched, `case ${JSON.stringify(c)}`);
      } else {
        // The unpatched loop sums in blocks of 48 terms, XNNPACK in one pass: last-bit differences.
        const scale = Math.sqrt(inner);
        for (let i = 0; i < patched.length; i++) {
          assert.ok(
            Math.abs(patched[i]! - unpatched[i]!) <= 1e-5 * scale,
            `case ${JSON.stringify(c)} element ${i}: ${patched[i]} vs ${unpatched[i]}`,
          );
        }
      }
    });
  }
  assert.equal(isBatchMatMulPatched(), true);
});

Deno.test("installBatchMatMulPatch() and removeBatchMatMulPatch() are idempotent", async () => {
  await initBackend("wasm");
  assert.equal(installBatchMatMulPatch(), false, "already installed by initBackend");
  assert.equal(removeBatchMatMulPatch(), true);
  assert.equal(removeBatchMatMulPatch(), false);
  assert.equal(isBatchMatMulPatched(), false);
  assert.equal(installBatchMatMulPatch(), true);
  assert.equal(isBatchMatMulPatched(), true);
});

Deno.test("the patched BatchMatMul frees its transposed copies inside the wasm heap", async () => {
  await initBackend("wasm");
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const rng = new Random(9);
  const a = randomTensor(rng, [256, 16]);
  const b = randomTensor(rng, [256, 8]);
  const before = backend.numDataIds();
  for (let i = 0; i < 5; i++) tf.tidy(() => tf.matMul(a, b, true, false).dataSync());
  assert.equal(backend.numDataIds(), before);
  tf.dispose([a, b]);
});
