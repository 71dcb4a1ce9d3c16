/**
 * Seeded data shared by the tree families' tests.
 *
 * @module
 */
import type { Targets } from "../../../src/models/mod.ts";
import { type Matrix, Random } from "../../../src/utils/mod.ts";

/**
 * Rows × 4 features (a uniform one with 5% NaN, a normal one, a constant 7 and an all-missing
 * one) with a step regression target and three classes that follow the same steps.
 *
 * @param seed the data seed
 * @param rows the row count
 * @returns the features, both targets, and their raw labels and values
 */
export function stepData(seed: number, rows: number) {
  const random = new Random(seed);
  const cols = 4;
  const x = new Float32Array(rows * cols);
  const values = new Float32Array(rows);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = random.next() < 0.05 ? NaN : random.next() * 4;
    const b = random.normal();
    x.set([a, b, 7, NaN], i * cols);
    const step = a !== a ? 1 : a > 2 ? 3 : 0;
    values[i] = step + 0.5 * b + 0.1 * random.normal();
    labels[i] = a !== a ? 2 : a > 2 ? (b > 0 ? 1 : 2) : 0;
  }
  const matrix: Matrix = { data: x, rows, cols };
  const regression: Targets = { kind: "regression", values };
  const classification: Targets = { kind: "classification", labels, classes: ["a", "b", "c"] };
  return { x: matrix, regression, classification, labels, values };
}

/**
 * Runs `use` with a fresh temporary folder, removed afterwards.
 *
 * @param use what to do in the folder
 * @returns what `use` returns
 */
export async function tempDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await use(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
