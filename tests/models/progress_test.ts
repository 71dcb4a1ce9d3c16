import assert from "node:assert/strict";
import {
  createProgressReporter,
  formatDuration,
  type TrainingHistory,
} from "../../src/models/mod.ts";
import { withCapturedLogs } from "../_helpers/logs.ts";

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const HISTORY: TrainingHistory = {
  epochs: [],
  bestEpoch: 1,
  stoppedEarly: true,
  restoredBest: true,
  monitor: "val_loss",
  metric: "accuracy",
  seconds: 2.5,
};

Deno.test("createProgressReporter() draws a live bar per epoch on a terminal", async () => {
  const clock = fakeClock();
  const out: string[] = [];
  const reporter = createProgressReporter({
    isTerminal: true,
    write: (text) => out.push(text),
    now: clock.now,
    barWidth: 10,
    minRedrawMs: 0,
  });
  await reporter.onTrainBegin!({
    epochs: 2,
    batchesPerEpoch: 2,
    samples: 40,
    metric: "accuracy",
    hasValidation: true,
  });
  await reporter.onEpochBegin!(0);
  clock.advance(500);
  await reporter.onBatchEnd!(0, { loss: 1, size: 20 });
  clock.advance(500);
  await reporter.onBatchEnd!(1, { loss: 0.5, size: 20 });
  await reporter.onEpochEnd!(0, {
    epoch: 0,
    loss: 0.75,
    metric: 0.5,
    val_loss: 0.8,
    val_metric: 0.45,
    seconds: 1,
  });
  await reporter.onTrainEnd!({
    ...HISTORY,
    epochs: [{ epoch: 0, loss: 0.75, metric: 0.5, seconds: 1 }],
  });
  assert.deepEqual(out, [
    "\rEpoch 1/2 [          ] 0/2 elapsed 0.0s ETA ?\x1b[K",
    "\rEpoch 1/2 [====>     ] 1/2 loss 1.0000 elapsed 0.5s ETA 1.5s\x1b[K",
    "\rEpoch 1/2 [==========] 2/2 loss 0.7500 elapsed 1.0s ETA 1.0s\x1b[K",
    "\rEpoch 1/2 [==========] 2/2 loss 0.7500 accuracy 0.5000 val_loss 0.8000 val_accuracy 0.4500 " +
    "elapsed 1.0s ETA 1.0s\x1b[K\n",
    "Training finished after 1 epoch in 2.5s (stopped early on val_loss); best epoch 2, its weights restored\n",
  ]);
});

Deno.test("createProgressReporter() throttles redraws within an epoch", async () => {
  const clock = fakeClock();
  const out: string[] = [];
  const reporter = createProgressReporter({
    isTerminal: true,
    write: (t) => out.push(t),
    now: clock.now,
  });
  await reporter.onTrainBegin!({
    epochs: 1,
    batchesPerEpoch: 100,
    samples: 100,
    metric: "mae",
    hasValidation: false,
  });
  await reporter.onEpochBegin!(0);
  for (let b = 0; b < 100; b++) {
    clock.advance(10);
    await reporter.onBatchEnd!(b, { loss: 1, size: 1 });
  }
  // One draw at the start, one every 100 ms (each 10 batches), the last batch always.
  assert.equal(out.length, 11);
  assert.match(out.at(-1)!, /100\/100/);
});

Deno.test("createProgressReporter() logs one line per epoch when not on a terminal", async () => {
  const out: string[] = [];
  const clock = fakeClock();
  const logs = await withCapturedLogs(async () => {
    const reporter = createProgressReporter({
      isTerminal: false,
      write: (t) => out.push(t),
      now: clock.now,
    });
    await reporter.onTrainBegin!({
      epochs: 3,
      batchesPerEpoch: 5,
      samples: 80,
      metric: "mae",
      hasValidation: false,
    });
    for (let epoch = 0; epoch < 2; epoch++) {
      await reporter.onEpochBegin!(epoch);
      for (let b = 0; b < 5; b++) await reporter.onBatchEnd!(b, { loss: 2, size: 16 });
      clock.advance(2000);
      await reporter.onEpochEnd!(epoch, { epoch, loss: 2 - epoch, metric: 1, seconds: 2 });
    }
    await reporter.onTrainEnd!({
      ...HISTORY,
      stoppedEarly: false,
      restoredBest: false,
      epochs: [],
    });
  });
  assert.deepEqual(out, [], "nothing is written to the terminal");
  assert.deepEqual(logs.map((l) => [l.level, l.category, l.message]), [
    ["info", "deno-mlops.models", "Epoch 1/3: loss 2.0000 mae 1.0000, elapsed 2.0s, ETA 4.0s"],
    ["info", "deno-mlops.models", "Epoch 2/3: loss 1.0000 mae 1.0000, elapsed 4.0s, ETA 2.0s"],
    ["info", "deno-mlops.models", "Training finished after 0 epochs in 2.5s; best epoch 2"],
  ]);
  assert.deepEqual(logs[1]!.properties, {
    epoch: 2,
    epochs: 3,
    loss: 1,
    metric: 1,
    elapsed: 4,
    eta: 2,
  });
});

Deno.test("formatDuration() writes seconds, minutes and hours for people", () => {
  assert.equal(formatDuration(0.42), "0.4s");
  assert.equal(formatDuration(59.94), "59.9s");
  assert.equal(formatDuration(245), "4m 05s");
  assert.equal(formatDuration(3720), "1h 02m");
  assert.equal(formatDuration(NaN), "?");
});
