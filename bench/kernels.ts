/**
 * `deno task bench:kernels`: where the time of the WebAssembly dense kernels goes, on the flights
 * network (45 → 64 → 64 → 2, relu hidden layers, softmax cross-entropy), one thread:
 *
 * 1. the SIMD peak per core: `denseLayer` of a raw `dense.wasm` instance on an L1-resident
 *    problem (64 rows × 64 inputs × 64 units), called many times per timing: the "tight matmul
 *    loop" every other figure is compared with, sampled once in every repetition of the
 *    measurements below, each compared with the peak sampled during its own timings;
 * 2. one training step on a 1,024-row batch, stage by stage: `DenseTrainKernel` with its
 *    `onCall` hook timing every call into the module (blocks of `KERNEL_BLOCK_ROWS` rows); then the whole step (`DenseTrainKernel.shareGradients` + `optimizerStep`)
 *    against the tfjs-ops engine (`shardGradients` + the flat Adam + writing the variables back)
 *    on the same batch and weights, the two engines' timings alternating;
 * 3. prediction of 1,000,000 rows: `MlpModel.predict` (the forward kernels) against tfjs ops
 *    (`networkForward` + softmax per 65,536-row chunk, in `tf.tidy`), and the largest difference
 *    between their probabilities.
 *
 * Every figure is the median of `--repeats` timings (default 7, at least 5). FLOPs count the
 * multiply-adds of the unpadded layers (2 · rows · inputs · units per matmul); the kernels pad
 * each layer's width to a multiple of 8, so the 64 → 2 output layer computes 4× what it counts.
 * Importing what `src/models/mod.ts` does not export (`_train_shard.ts`, `_optimizers.ts`,
 * `_network_types.ts`, `instantiateDenseKernels`, `buildDenseLayers`, `denseTrainableNetwork`)
 * is deliberate: this bench measures those internals. Writes the `kernels`
 * section of bench/RESULTS.md (`--no-write` prints it instead).
 *
 *   deno task bench:kernels [--repeats 7] [--rows 1000000] [--no-write]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type DenseNetworkSpec,
  DenseTrainKernel,
  type DenseTrainShape,
  initBackend,
  KERNEL_BLOCK_ROWS,
  MlpModel,
} from "../src/models/mod.ts";
import type { TrainableNetwork } from "../src/models/_network_types.ts";
import { createFlatOptimizer } from "../src/models/_optimizers.ts";
import {
  type BatchBuffers,
  networkForward,
  readVariables,
  shardGradients,
  writeVariables,
} from "../src/models/_train_shard.ts";
import {
  DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS,
  type DenseKernelExports,
  instantiateDenseKernels,
} from "../src/models/kernels/dense_forward.ts";
import { buildDenseLayers, denseTrainableNetwork } from "../src/models/mlp.ts";
import { Random } from "../src/utils/mod.ts";
import { describeMachine, median, writeResultsSection } from "./_results.ts";

const SPEC: DenseNetworkSpec = {
  task: "classification",
  inputDim: 45,
  classes: ["on_time", "delayed"],
  seed: 20,
  hiddenUnits: [64, 64],
  activation: "relu",
  dropout: 0,
  l2: 0,
};
const TRAIN_SHAPE: DenseTrainShape = {
  inputDim: SPEC.inputDim,
  hiddenUnits: SPEC.hiddenUnits,
  activation: "relu",
  outputUnits: SPEC.classes.length,
  classification: true,
  dropout: false,
  l2: 0,
};
const BATCH_ROWS = 1_024;
const LEARNING_RATE = 0.001;
const PREDICT_CHUNK_ROWS = 65_536;
/** Steps per timing of the training step; the first timing of each side is a warm-up. */
const STEPS_PER_TIMING = 40;
/** 64 × 64 × 64 `denseLayer` calls per timing of the peak: about 1 GFLOP. */
const PEAK_SIZE = 64;
const PEAK_CALLS = 2_000;
/** Activation codes of `assembly/dense.ts` (relu as the training kernels run it). */
const LINEAR = 0;
const FLOAT_BYTES = 4;
const PAGE_BYTES = 65_536;

interface BenchOptions {
  repeats: number;
  predictRows: number;
  write: boolean;
}

/** One timed quantity: a median of seconds and the FLOPs it did (0 when it has none). */
interface Timing {
  label: string;
  seconds: number;
  flops: number;
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const started = performance.now();
  await initBackend("wasm");
  const machine = await describeMachine();
  const rng = new Random(SPEC.seed);
  const { model, network } = await fittedModel(rng);
  const weights = new Float32Array(network.variables.reduce((sum, v) => sum + v.size, 0));
  readVariables(network.variables, weights);
  const batch = seededBatch(rng, BATCH_ROWS);

  const probe = await PeakProbe.create();
  console.log("bench:kernels: training step by stage");
  const stages = await measureStages(weights, batch, options.repeats, probe);
  console.log("bench:kernels: training step, kernels against tfjs");
  const steps = await measureSteps(weights, batch, options.repeats, probe);
  console.log("bench:kernels: prediction");
  const prediction = measurePrediction(model, rng, options, probe);
  model.dispose();
  const markdown = renderSection({
    machine,
    options,
    probe,
    stages,
    steps,
    prediction,
    seconds: (performance.now() - started) / 1000,
  });
  if (options.write) {
    await writeResultsSection("kernels", markdown);
    console.log("bench:kernels: wrote the kernels section of bench/RESULTS.md");
  } else {
    console.log(markdown);
  }
}

function parseOptions(args: string[]): BenchOptions {
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const repeats = Number(value("repeats") ?? 7);
  const predictRows = Number(value("rows") ?? 1_000_000);
  if (!Number.isInteger(repeats) || repeats < 5) {
    throw new RangeError(`Cannot run bench:kernels: --repeats is ${repeats}, expected >= 5`);
  }
  if (!Number.isInteger(predictRows) || predictRows < PREDICT_CHUNK_ROWS) {
    throw new RangeError(
      `Cannot run bench:kernels: --rows is ${predictRows}, expected >= ${PREDICT_CHUNK_ROWS}`,
    );
  }
  return { repeats, predictRows, write: !args.includes("--no-write") };
}

// ---------------------------------------------------------------- data and weights

function normals(rng: Random, n: number): Float32Array {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal();
  return data;
}

/** A flights-shaped model fitted for one epoch on 2,048 seeded rows: non-trivial weights. */
async function fittedModel(rng: Random): Promise<{ model: MlpModel; network: TrainableNetwork }> {
  const model = new MlpModel({ ...SPEC, hiddenUnits: [...SPEC.hiddenUnits] });
  const rows = 2_048;
  const labels = new Int32Array(rows).map((_, i) => i % 2);
  await model.fit({ data: normals(rng, rows * SPEC.inputDim), rows, cols: SPEC.inputDim }, {
    kind: "classification",
    labels,
    classes: [...SPEC.classes],
  }, { epochs: 1, batchSize: 256 });
  const dense = model.layersModel().layers.filter((layer) => layer.getClassName() === "Dense");
  return { model, network: denseTrainableNetwork(SPEC, dense) };
}

/** A gathered batch as the training loop builds it: one-hot targets of weight 1. */
function seededBatch(rng: Random, rows: number): BatchBuffers {
  const classes = SPEC.classes.length;
  const labels = new Int32Array(rows).map(() => rng.normal() > 0 ? 1 : 0);
  const targets = new Float32Array(rows * classes);
  labels.forEach((label, row) => targets[row * classes + label] = 1);
  return { x: normals(rng, rows * SPEC.inputDim), targets, labels };
}

// ---------------------------------------------------------------- raw instance memory

/** Hands out 64-byte-aligned regions of a raw instance's memory, growing it as needed. */
class Arena {
  readonly wasm: DenseKernelExports;
  #at: number;

  constructor(wasm: DenseKernelExports) {
    this.wasm = wasm;
    this.#at = align(wasm.heapBase());
  }

  /** Reserves `floats` float32 values (plus 16 spare bytes, as DenseTrainKernel does). */
  floats(floats: number): number {
    const start = this.#at;
    this.#at = align(this.#at + floats * FLOAT_BYTES + 16);
    const memory = this.wasm.memory;
    if (this.#at > memory.buffer.byteLength) {
      memory.grow(Math.ceil((this.#at - memory.buffer.byteLength) / PAGE_BYTES));
    }
    return start;
  }

  /** A view of `length` float32 values at byte offset `at` (taken fresh: growing detaches). */
  view(at: number, length: number): Float32Array {
    return new Float32Array(this.wasm.memory.buffer, at, length);
  }
}

function rawKernels(): Promise<DenseKernelExports> {
  return instantiateDenseKernels(DEFAULT_DENSE_FORWARD_KERNEL_OPTIONS.wasmFile);
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}

// ---------------------------------------------------------------- 1. peak

/** The measurements the peak is sampled within. */
type Phase = "stages" | "steps" | "prediction";

/**
 * `denseLayer` on 64 × 64 × 64, everything in L1: the best a matmul call reaches. It is sampled
 * once in every repetition of every other measurement: the machine is shared and its speed
 * drifts (here by up to a third within a minute), so each table's "% of peak" is against the
 * peak sampled during that table's own timings.
 */
class PeakProbe {
  readonly #call: () => void;
  readonly #seconds = new Map<Phase, number[]>();

  /** Use `PeakProbe.create()`. */
  constructor(call: () => void) {
    this.#call = call;
  }

  static async create(): Promise<PeakProbe> {
    const wasm = await rawKernels();
    const arena = new Arena(wasm);
    const n = PEAK_SIZE;
    const x = arena.floats(n * n);
    const w = arena.floats(n * n);
    const bias = arena.floats(n);
    const out = arena.floats(n * n);
    const rng = new Random(1);
    arena.view(x, n * n).set(normals(rng, n * n));
    arena.view(w, n * n).set(normals(rng, n * n));
    const probe = new PeakProbe(() => wasm.denseLayer(x, n, n, n, w, bias, n, LINEAR, out));
    probe.#time(); // warm-up
    return probe;
  }

  /** Takes one timing of `PEAK_CALLS` calls during `phase`. */
  sample(phase: Phase): void {
    const samples = this.#seconds.get(phase) ?? [];
    samples.push(this.#time());
    this.#seconds.set(phase, samples);
  }

  /** The median of the samples of `phase`, or of all samples. */
  result(phase?: Phase): Timing & { samples: number } {
    const seconds = phase === undefined
      ? [...this.#seconds.values()].flat()
      : this.#seconds.get(phase) ?? [];
    return {
      label: phase ?? "all",
      seconds: median(seconds),
      flops: 2 * PEAK_SIZE ** 3 * PEAK_CALLS,
      samples: seconds.length,
    };
  }

  #time(): number {
    const started = performance.now();
    for (let i = 0; i < PEAK_CALLS; i++) this.#call();
    return (performance.now() - started) / 1000;
  }
}

// ---------------------------------------------------------------- 2a. the step by stage

/** The network's layers as the stage names show them. */
const LAYERS = [...SPEC.hiddenUnits, SPEC.classes.length].map((units, i, widths) => ({
  inputs: i === 0 ? SPEC.inputDim : widths[i - 1]!,
  units,
}));

/** The stages of a step, in the order they run, with their FLOPs per row. */
function stageNames(): { name: string; flopsPerRow: number }[] {
  const shape = (l: (typeof LAYERS)[number]) => `${l.inputs}→${l.units}`;
  const matmul = (l: (typeof LAYERS)[number]) => 2 * l.inputs * l.units;
  return [
    ...LAYERS.map((l, i) => ({
      name: `forward ${shape(l)} (${i < LAYERS.length - 1 ? "relu" : "linear"})`,
      flopsPerRow: matmul(l),
    })),
    { name: "loss head (softmax cross-entropy gradient)", flopsPerRow: 0 },
    ...LAYERS.toReversed().map((l) => ({
      name: `weight gradients ${shape(l)}`,
      flopsPerRow: matmul(l),
    })),
    { name: "transpose kernels (first block of a share)", flopsPerRow: 0 },
    ...LAYERS.slice(1).toReversed().map((l) => ({
      name: `input gradient ${shape(l)}`,
      flopsPerRow: matmul(l),
    })),
    { name: "activation backward (relu, both hidden layers)", flopsPerRow: 0 },
    { name: "optimiser (adam)", flopsPerRow: 0 },
  ];
}

/**
 * Charges each call `DenseTrainKernel` makes into `dense.wasm` to its stage (its `onCall`
 * hook). Calls run per block in a fixed order (forward layer by layer, the loss head, then per
 * layer downwards its weight gradients and, above the first layer, the input gradient and the
 * activation backward), so a call's place in that order names its layer.
 */
class StageClock {
  readonly seconds = new Map<string, number>();
  readonly names = stageNames().map((stage) => stage.name);
  #forward = 0;
  #weights = 0;
  #inputs = 0;
  #backward = false;

  record(name: string, ms: number): void {
    const last = LAYERS.length - 1;
    const layer = (i: number) => `${LAYERS[i]!.inputs}→${LAYERS[i]!.units}`;
    let stage: string;
    if (name === "denseLayer" && !this.#backward) {
      stage = this.names[this.#forward++]!;
    } else if (name === "denseLayer") {
      stage = `input gradient ${layer(last - this.#inputs++)}`;
    } else if (name === "lossGradient") {
      stage = this.names[LAYERS.length]!;
      this.#backward = true;
      this.#weights = 0;
      this.#inputs = 0;
    } else if (name === "weightGradients") {
      stage = `weight gradients ${layer(last - this.#weights++)}`;
      if (this.#weights === LAYERS.length) {
        this.#backward = false;
        this.#forward = 0;
      }
    } else if (name === "transposeKernel") {
      stage = "transpose kernels (first block of a share)";
    } else if (name === "activationBackward") {
      stage = "activation backward (relu, both hidden layers)";
    } else if (name === "lastLoss" || name === "lastMetric") {
      stage = this.names[LAYERS.length]!;
    } else if (name === "adamStep") {
      stage = "optimiser (adam)";
    } else {
      stage = name;
    }
    this.seconds.set(stage, (this.seconds.get(stage) ?? 0) + ms / 1000);
  }
}

/** What `measureStages` reports: per-stage medians and the instrumented step's median. */
interface StageResult {
  stages: Timing[];
  stepSeconds: number;
}

/** `DenseTrainKernel` itself, every call into the module timed by its `onCall` hook. */
async function measureStages(
  flat: Float32Array,
  batch: BatchBuffers,
  repeats: number,
  probe: PeakProbe,
): Promise<StageResult> {
  let clock = new StageClock();
  const kernel = await DenseTrainKernel.create(TRAIN_SHAPE, BATCH_ROWS, {
    onCall: (name, _args, ms) => clock.record(name, ms),
  });
  kernel.setWeights(flat);
  kernel.startOptimizer("adam", LEARNING_RATE);
  const share = { start: 0, end: BATCH_ROWS, batchRows: BATCH_ROWS, masks: null, penalty: false };
  const names = stageNames();
  const perStage = new Map<string, number[]>(names.map((s) => [s.name, []]));
  const whole: number[] = [];
  for (let r = -1; r < repeats; r++) {
    clock = new StageClock();
    const started = performance.now();
    for (let s = 0; s < STEPS_PER_TIMING; s++) {
      kernel.shareGradients(batch, share);
      kernel.optimizerStep();
    }
    const seconds = (performance.now() - started) / 1000 / STEPS_PER_TIMING;
    if (r < 0) continue; // warm-up
    probe.sample("stages");
    whole.push(seconds);
    for (const [name, total] of clock.seconds) {
      (perStage.get(name) ?? perStage.set(name, []).get(name)!).push(total / STEPS_PER_TIMING);
    }
  }
  return {
    stages: [...perStage].map(([name, seconds]) => ({
      label: name,
      seconds: median(seconds),
      flops: (names.find((stage) => stage.name === name)?.flopsPerRow ?? 0) * BATCH_ROWS,
    })),
    stepSeconds: median(whole),
  };
}

// ---------------------------------------------------------------- 2b. the whole step

/** The whole step on each engine, same batch and starting weights. */
interface StepResult {
  kernels: Timing;
  tfjs: Timing;
}

/** The two engines' timings alternate, so both see the same load; the first pair warms up. */
async function measureSteps(
  flat: Float32Array,
  batch: BatchBuffers,
  repeats: number,
  probe: PeakProbe,
): Promise<StepResult> {
  const kernelStep = await kernelsEngineStep(flat, batch);
  const tfjsStep = tfjsEngineStep(flat, batch);
  const perStep = (step: () => void) => {
    const started = performance.now();
    for (let s = 0; s < STEPS_PER_TIMING; s++) step();
    return (performance.now() - started) / 1000 / STEPS_PER_TIMING;
  };
  const kernelSeconds: number[] = [];
  const tfjsSeconds: number[] = [];
  for (let r = -1; r < repeats; r++) {
    const kernels = perStep(kernelStep);
    const tfjs = perStep(tfjsStep);
    if (r < 0) continue;
    kernelSeconds.push(kernels);
    tfjsSeconds.push(tfjs);
    probe.sample("steps");
  }
  const flops = stepFlopsPerRow() * BATCH_ROWS;
  return {
    kernels: {
      label: "kernels: DenseTrainKernel.shareGradients + optimizerStep",
      seconds: median(kernelSeconds),
      flops,
    },
    tfjs: {
      label: "tfjs ops: shardGradients + flat Adam + writeVariables",
      seconds: median(tfjsSeconds),
      flops,
    },
  };
}

/** FLOPs per row of a step: forward, weight gradients, and input gradients above layer 1. */
function stepFlopsPerRow(): number {
  const widths = [SPEC.inputDim, ...SPEC.hiddenUnits, SPEC.classes.length];
  const matmuls = widths.slice(1).map((units, i) => 2 * widths[i]! * units);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  return 2 * sum(matmuls) + sum(matmuls.slice(1));
}

async function kernelsEngineStep(flat: Float32Array, batch: BatchBuffers): Promise<() => void> {
  const kernel = await DenseTrainKernel.create(TRAIN_SHAPE, BATCH_ROWS);
  kernel.setWeights(flat);
  kernel.startOptimizer("adam", LEARNING_RATE);
  kernel.batch.x.set(batch.x);
  kernel.batch.targets.set(batch.targets);
  kernel.batch.labels.set(batch.labels);
  const share = { start: 0, end: BATCH_ROWS, batchRows: BATCH_ROWS, masks: null, penalty: false };
  return () => {
    kernel.shareGradients(kernel.batch, share);
    kernel.optimizerStep();
  };
}

function tfjsEngineStep(flat: Float32Array, batch: BatchBuffers): () => void {
  const network = denseTrainableNetwork(SPEC, buildDenseLayers("mlp", SPEC).dense);
  const weights = flat.slice();
  writeVariables(network.variables, weights);
  const gradients = new Float32Array(weights.length);
  const optimizer = createFlatOptimizer("adam", LEARNING_RATE, weights.length);
  const share = {
    start: 0,
    end: BATCH_ROWS,
    batchRows: BATCH_ROWS,
    d: SPEC.inputDim,
    k: SPEC.classes.length,
    masks: null,
    penalty: false,
  };
  return () => {
    shardGradients(network, batch, share, gradients);
    optimizer.step(gradients, weights);
    writeVariables(network.variables, weights);
  };
}

// ---------------------------------------------------------------- 3. prediction

interface PredictionResult {
  rows: number;
  kernels: Timing;
  /** The kernels on 2 threads (`predict`'s default here: one share per core). */
  twoThreads: Timing;
  tfjs: Timing;
  maxDifference: number;
}

function measurePrediction(
  model: MlpModel,
  rng: Random,
  options: BenchOptions,
  probe: PeakProbe,
): PredictionResult {
  const rows = options.predictRows;
  const x = { data: normals(rng, rows * SPEC.inputDim), rows, cols: SPEC.inputDim };
  const dense = model.layersModel().layers.filter((layer) => layer.getClassName() === "Dense");
  const network = denseTrainableNetwork(SPEC, dense);
  const flops = rows * 2 * forwardMultiplyAddsPerRow();
  const kernelsOut = model.predict(x, { threads: 1 });
  const tfjsOut = tfjsPredict(network, x.data, rows);
  let maxDifference = 0;
  for (let i = 0; i < kernelsOut.length; i++) {
    maxDifference = Math.max(maxDifference, Math.abs(kernelsOut[i]! - tfjsOut[i]!));
  }
  const kernelSeconds: number[] = [];
  const twoThreadSeconds: number[] = [];
  const tfjsSeconds: number[] = [];
  for (let r = 0; r < options.repeats; r++) {
    kernelSeconds.push(secondsOf(() => model.predict(x, { threads: 1 })));
    twoThreadSeconds.push(secondsOf(() => model.predict(x, { threads: 2 })));
    tfjsSeconds.push(secondsOf(() => tfjsPredict(network, x.data, rows)));
    probe.sample("prediction");
  }
  return {
    rows,
    kernels: {
      label: "kernels: MlpModel.predict, 1 thread",
      seconds: median(kernelSeconds),
      flops,
    },
    twoThreads: {
      label: "kernels: MlpModel.predict, 2 threads (GFLOP/s of both cores)",
      seconds: median(twoThreadSeconds),
      flops,
    },
    tfjs: {
      label: `tfjs ops: networkForward + softmax per ${
        PREDICT_CHUNK_ROWS.toLocaleString("en-US")
      }-row chunk`,
      seconds: median(tfjsSeconds),
      flops,
    },
    maxDifference,
  };
}

function forwardMultiplyAddsPerRow(): number {
  const widths = [SPEC.inputDim, ...SPEC.hiddenUnits, SPEC.classes.length];
  return widths.slice(1).reduce((sum, units, i) => sum + widths[i]! * units, 0);
}

/** The tfjs-ops prediction path of `DenseNetworkModel.predict`, chunk by chunk. */
function tfjsPredict(network: TrainableNetwork, data: Float32Array, rows: number): Float32Array {
  const d = SPEC.inputDim;
  const k = SPEC.classes.length;
  const out = new Float32Array(rows * k);
  for (let start = 0; start < rows; start += PREDICT_CHUNK_ROWS) {
    const m = Math.min(rows, start + PREDICT_CHUNK_ROWS) - start;
    tf.tidy(() => {
      const input = tf.tensor2d(data.subarray(start * d, (start + m) * d), [m, d]);
      out.set(tf.softmax(networkForward(network, input)).dataSync(), start * k);
    });
  }
  return out;
}

function secondsOf(work: () => unknown): number {
  const started = performance.now();
  work();
  return (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------- markdown

interface SectionInput {
  machine: string;
  options: BenchOptions;
  probe: PeakProbe;
  stages: StageResult;
  steps: StepResult;
  prediction: PredictionResult;
  seconds: number;
}

function gflops(t: Timing): number {
  return t.flops / t.seconds / 1e9;
}

function percent(part: number, whole: number): string {
  return `${(100 * part / whole).toFixed(1)}%`;
}

function renderSection(input: SectionInput): string {
  const { options, probe, stages, steps, prediction } = input;
  const peak = probe.result();
  const phasePeaks = (["stages", "steps", "prediction"] as const).map((phase) =>
    probe.result(phase)
  );
  const peakOf = (phase: Phase) => gflops(phasePeaks.find((p) => p.label === phase)!);
  const n = options.repeats;
  const out: string[] = [
    "## WebAssembly dense kernels: peak, training step by stage, prediction (`bench/kernels.ts`)",
    "",
    `Machine: ${input.machine}. ${new Date().toISOString().slice(0, 16)} UTC, ` +
    `\`deno task bench:kernels\` (${input.seconds.toFixed(0)} s). The flights network ` +
    `${SPEC.inputDim} → ${SPEC.hiddenUnits.join(" → ")} → ${SPEC.classes.length} (relu, ` +
    `softmax cross-entropy), one thread. Every figure is the median of n = ${n} timings after ` +
    "a warm-up. FLOPs count 2 · rows · inputs · units per matmul of the unpadded layers (the " +
    "kernels pad widths to multiples of 8, so the 64 → 2 layer computes 4× what it counts).",
    "",
    "### Peak: the tight matmul loop",
    "",
    `\`denseLayer\` of a raw \`dense.wasm\` instance on ${PEAK_SIZE} rows × ${PEAK_SIZE} inputs × ` +
    `${PEAK_SIZE} units (48 KiB of operands, an L1-sized problem), ${
      PEAK_CALLS.toLocaleString("en-US")
    } calls per timing: ` +
    `**${gflops(peak).toFixed(1)} GFLOP/s** per core, the median of all ${peak.samples} ` +
    "timings. One timing is taken in every repetition of each measurement below, because this " +
    "shared virtual machine's speed drifts; each table's \"% of peak\" is against the peak " +
    `sampled during its own timings: ${
      phasePeaks.map((p) => `${p.label} ${gflops(p).toFixed(1)} GFLOP/s`).join(", ")
    } (n = ${n} each). A stage can come out above its peak: the same loop on 256-row blocks ` +
    "spreads its per-call set-up over more rows, and the drift is not fully averaged out.",
    "",
    `### One training step on ${BATCH_ROWS.toLocaleString("en-US")} rows, stage by stage`,
    "",
    "`DenseTrainKernel.shareGradients` and `optimizerStep` themselves, every call into " +
    "`dense.wasm` timed by the kernel's `onCall` hook and charged to its stage (blocks of " +
    `${KERNEL_BLOCK_ROWS} rows: forward, loss head, then per layer downwards weight gradients, ` +
    "input gradient and activation backward; the transposed kernels once per share; Adam once " +
    `per step), ${STEPS_PER_TIMING} steps per timing.`,
    "",
    "| stage | µs per step | GFLOP/s | % of step | % of peak |",
    "| --- | --- | --- | --- | --- |",
  ];
  const stepSeconds = stages.stepSeconds;
  let staged = 0;
  for (const stage of stages.stages) {
    staged += stage.seconds;
    const rate = stage.flops > 0 ? gflops(stage) : NaN;
    out.push(
      `| ${stage.label} | ${(stage.seconds * 1e6).toFixed(0)} | ${
        stage.flops > 0 ? rate.toFixed(1) : "–"
      } | ${percent(stage.seconds, stepSeconds)} | ${
        stage.flops > 0 ? percent(rate, peakOf("stages")) : "–"
      } |`,
    );
  }
  out.push(
    `| other (calls from JavaScript, timer reads) | ${
      ((stepSeconds - staged) * 1e6).toFixed(0)
    } | – | ${percent(stepSeconds - staged, stepSeconds)} | – |`,
    `| **step (timed call by call)** | ${(stepSeconds * 1e6).toFixed(0)} | ${
      (stepFlopsPerRow() * BATCH_ROWS / stepSeconds / 1e9).toFixed(1)
    } | 100% | ${percent(stepFlopsPerRow() * BATCH_ROWS / stepSeconds / 1e9, peakOf("stages"))} |`,
    "",
    "### The whole step: kernels engine against tfjs ops",
    "",
    `Same batch and starting weights, ${STEPS_PER_TIMING} steps per timing, the two engines ` +
      "alternating; a step does " +
      `${stepFlopsPerRow().toLocaleString("en-US")} FLOPs per row (forward, weight gradients, ` +
      "input gradients above the first layer; 3 × forward would be " +
      `${(6 * forwardMultiplyAddsPerRow()).toLocaleString("en-US")}).`,
    "",
    "| engine | µs per step | samples/s | GFLOP/s | % of peak |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const t of [steps.kernels, steps.tfjs]) {
    out.push(
      `| ${t.label} | ${(t.seconds * 1e6).toFixed(0)} | ${
        Math.round(BATCH_ROWS / t.seconds).toLocaleString("en-US")
      } | ${gflops(t).toFixed(1)} | ${percent(gflops(t), peakOf("steps"))} |`,
    );
  }
  out.push(
    "",
    `Kernels / tfjs: **${(steps.tfjs.seconds / steps.kernels.seconds).toFixed(2)}×** the ` +
      "samples/s.",
    "",
    `### Prediction of ${prediction.rows.toLocaleString("en-US")} rows`,
    "",
    "| engine | s | rows/s | GFLOP/s | % of peak |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const t of [prediction.kernels, prediction.twoThreads, prediction.tfjs]) {
    out.push(
      `| ${t.label} | ${t.seconds.toFixed(3)} | ${
        Math.round(prediction.rows / t.seconds).toLocaleString("en-US")
      } | ${gflops(t).toFixed(1)} | ${percent(gflops(t), peakOf("prediction"))} |`,
    );
  }
  out.push(
    "",
    `Kernels / tfjs, one thread each: **${
      (prediction.tfjs.seconds / prediction.kernels.seconds).toFixed(2)
    }×** the rows/s; 2 threads / 1: ${
      (prediction.kernels.seconds / prediction.twoThreads.seconds).toFixed(2)
    }× (the second thread is a worker started for the call, about 30 ms); largest |kernels − tfjs| over ${
      (prediction.rows * SPEC.classes.length).toLocaleString("en-US")
    } probabilities: ${prediction.maxDifference.toExponential(2)}.`,
  );
  return out.join("\n");
}

// Last: the classes above are initialised only once the module body reaches them.
if (import.meta.main) await main();
