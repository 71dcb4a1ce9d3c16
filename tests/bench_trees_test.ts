/**
 * bench/trees.ts without training: its arguments, the results section it writes, and the
 * argument checks of its Python peer (skipped when Debian's python3-pandas is not installed).
 */
import assert from "node:assert/strict";
import {
  featureSteps,
  formatTreesSection,
  type Measurement,
  parseTreesArgs,
  type TreesReport,
} from "../bench/trees.ts";
import { ROOT } from "../bench/_results.ts";

const PYTHON = "/usr/bin/python3";

function measurement(overrides: Partial<Measurement>): Measurement {
  return { auc: 0.7, fitSeconds: 100, predictRowsPerSecond: 1e6, peakMiB: 500, ...overrides };
}

function report(overrides: Partial<TreesReport> = {}): TreesReport {
  return {
    machine: "test CPU, 2 cores",
    reps: 3,
    sampleRows: null,
    rows: { train: 2100, val: 450, test: 450, input: 3000 },
    ourFeatures: "numeric [distance] → StandardScaler",
    overrides: [],
    ourInputs: 45,
    airports: {
      origin: {
        train_airports: 260,
        kept: 254,
        other_airports: 6,
        train_rows_other: 12,
        test_rows_other: 3,
      },
    },
    versions: { deno: "2.9.6", xgboost: "1.7.4" },
    results: {
      gbdt: [
        measurement({ auc: 0.698, fitSeconds: 80, taskSeconds: 120, peakMiB: 700 }),
        measurement({ auc: 0.699, fitSeconds: 90, taskSeconds: 130, peakMiB: 710 }),
        measurement({ auc: 0.697, fitSeconds: 85, taskSeconds: 125, peakMiB: 720 }),
      ],
      sklearn: [measurement({}), measurement({}), measurement({})],
      xgboost: [measurement({ fitSeconds: 50 })],
    },
    skipped: { "xgboost-categorical": "apt-get install -y python3-xgboost" },
    wallSeconds: 600,
    load: { start: 1, end: 2 },
    ...overrides,
  };
}

Deno.test("parseTreesArgs() reads --reps, --rows and repeated --set, with 3 reps by default", () => {
  assert.deepEqual(parseTreesArgs([]), { reps: 3, rows: null, sets: [] });
  assert.deepEqual(
    parseTreesArgs(["--reps", "1", "--rows", "20000", "--set", "a=1", "--set", "b=2"]),
    { reps: 1, rows: 20000, sets: ["a=1", "b=2"] },
  );
});

Deno.test("parseTreesArgs() refuses unknown arguments, missing values and non-positive counts", () => {
  assert.throws(() => parseTreesArgs(["--repz", "1"]), { name: "RangeError", message: /--repz/ });
  assert.throws(() => parseTreesArgs(["--reps"]), { name: "RangeError", message: /needs a value/ });
  assert.throws(() => parseTreesArgs(["--rows", "0"]), {
    name: "RangeError",
    message: /positive integer, found "0"/,
  });
});

Deno.test("formatTreesSection() writes medians, ratios against scikit-learn and pass or miss", () => {
  const text = formatTreesSection(report());
  assert.match(
    text,
    /\| deno-mlops gbdt \| 0\.6980 \(0\.6970–0\.6990\) \| −0\.0020 \| 85\.0 \(80\.0–90\.0\) \| 0\.85× \| 1,000,000 .* \| 1\.00× \| 710 \(700–720\) \| 1\.42× \|/,
  );
  assert.match(text, /AUC within 0\.005 of scikit-learn's \| 0\.6980 \| 0\.7000 \| \*\*pass\*\*/);
  assert.match(text, /at most scikit-learn's \| 85\.0 s \| 100\.0 s \| \*\*pass\*\*/);
  assert.match(
    text,
    /\(aim\) training time at most XGBoost's \| 85\.0 s \| XGBoost 50\.0 s \| \*\*miss\*\*/,
  );
  assert.match(
    text,
    /1\.5× scikit-learn's process \| 710 MiB \| 500 MiB \(limit 750\) \| \*\*pass\*\*/,
  );
  assert.match(text, /enable_categorical \| skipped: apt-get install -y python3-xgboost/);
  assert.match(text, /6 rare ones folded into "other"/);
  assert.match(text, /No early stopping for any system/);
  assert.doesNotMatch(text, /QUICK CHECK/);
});

Deno.test("formatTreesSection() labels a --rows run as a quick check, not the target workload", () => {
  const text = formatTreesSection(report({ sampleRows: 2000, reps: 1 }));
  assert.match(text, /QUICK CHECK, NOT THE TARGET WORKLOAD: `--rows 2000`/);
});

Deno.test("featureSteps() names each step's columns and transformers", () => {
  const yaml = [
    "features:",
    "  derived: []",
    "  steps:",
    "    - name: numeric",
    "      columns: [distance, hour]",
    "      transformers:",
    "        - kind: StandardScaler",
    "          params: {}",
    "    - name: airports",
    "      columns: [origin]",
    "      transformers:",
    "        - kind: OneHotEncoder",
    "          params: { top_n: 20 }",
  ].join("\n");
  assert.equal(
    featureSteps(yaml),
    "numeric [distance, hour] → StandardScaler; airports [origin] → OneHotEncoder(top_n: 20)",
  );
});

async function pandasReady(): Promise<boolean> {
  try {
    return (await new Deno.Command(PYTHON, {
      args: ["-c", "import numpy, pandas"],
      stdout: "null",
      stderr: "null",
    }).output()).success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "trees_peer.py exits 2 naming the argument on an unknown model or too many bins",
  ignore: !(await pandasReady()),
  fn: async () => {
    const run = (args: string[]) =>
      new Deno.Command(PYTHON, {
        args: [`${ROOT}/bench/peers/trees_peer.py`, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const files = ["--train", "train.csv", "--test", "test.csv"];
    const model = await run(["--model", "lightgbm", ...files]);
    assert.equal(model.code, 2);
    assert.match(new TextDecoder().decode(model.stderr), /--model: invalid choice: 'lightgbm'/);
    const bins = await run(["--model", "sklearn", ...files, "--max-bins", "300"]);
    assert.equal(bins.code, 2);
    assert.match(new TextDecoder().decode(bins.stderr), /--max-bins: at most 255/);
  },
});
