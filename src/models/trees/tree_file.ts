/**
 * The binary file of a tree ensemble, `trees.bin`: a header, then every node of every tree in
 * order, nine little-endian 32-bit fields per node. Decoding checks every node, so a truncated
 * or edited file is refused rather than walked.
 *
 * @module
 */
import type { Tree } from "./grow.ts";

/** The file name inside a model folder. */
export const TREES_FILE = "trees.bin";

/** `"GBDT"` read as a little-endian 32-bit integer. */
const MAGIC = 0x54444247;
/** Layout version of the node records. */
const FILE_VERSION = 1;
const HEADER_BYTES = 12;
/** feature, bin, left, right, missingLeft (int32); threshold, value, gain, count (float32). */
const NODE_BYTES = 36;

/**
 * Encodes trees into the bytes of `trees.bin`.
 *
 * @param trees the trees, in boosting order
 * @returns the file bytes
 * @example
 * ```ts
 * await Deno.writeFile("model/trees.bin", encodeTrees(trees));
 * ```
 */
export function encodeTrees(trees: readonly Tree[]): Uint8Array {
  let total = 0;
  for (const tree of trees) total += tree.feature.length;
  const bytes = new Uint8Array(HEADER_BYTES + total * NODE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FILE_VERSION, true);
  view.setUint32(8, total, true);
  let at = HEADER_BYTES;
  for (const tree of trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      view.setInt32(at, tree.feature[i]!, true);
      view.setInt32(at + 4, tree.bin[i]!, true);
      view.setInt32(at + 8, tree.left[i]!, true);
      view.setInt32(at + 12, tree.right[i]!, true);
      view.setInt32(at + 16, tree.missingLeft[i]!, true);
      view.setFloat32(at + 20, tree.threshold[i]!, true);
      view.setFloat32(at + 24, tree.value[i]!, true);
      view.setFloat32(at + 28, tree.gain[i]!, true);
      view.setFloat32(at + 32, tree.count[i]!, true);
      at += NODE_BYTES;
    }
  }
  return bytes;
}

/**
 * Decodes `trees.bin`, checking its size and every node.
 *
 * @param bytes the file bytes
 * @param nodes the node count of each tree, as saved in `params.json`
 * @param inputDim the number of features a split may name
 * @returns the trees
 * @throws {RangeError} naming the first problem: wrong header or size, a feature out of range,
 *   a child that does not follow its parent, a non-finite leaf value
 * @example
 * ```ts
 * const trees = decodeTrees(await Deno.readFile("model/trees.bin"), [3, 5], 4);
 * ```
 */
export function decodeTrees(
  bytes: Uint8Array,
  nodes: readonly number[],
  inputDim: number,
): Tree[] {
  const total = nodes.reduce((a, b) => a + b, 0);
  if (bytes.length < HEADER_BYTES) {
    throw new RangeError(
      `it holds ${bytes.length} bytes, fewer than the ${HEADER_BYTES}-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(4, true) !== FILE_VERSION) {
    throw new RangeError(`its header is not a version ${FILE_VERSION} trees file`);
  }
  const expected = HEADER_BYTES + total * NODE_BYTES;
  if (view.getUint32(8, true) !== total || bytes.length !== expected) {
    throw new RangeError(
      `it holds ${bytes.length} bytes and says ${view.getUint32(8, true)} nodes, expected ` +
        `${expected} bytes for the ${total} nodes of ${nodes.length} trees`,
    );
  }
  const trees: Tree[] = [];
  let at = HEADER_BYTES;
  for (let t = 0; t < nodes.length; t++) {
    const size = nodes[t]!;
    const tree: Tree = {
      feature: new Int32Array(size),
      bin: new Int32Array(size),
      threshold: new Float32Array(size),
      missingLeft: new Uint8Array(size),
      left: new Int32Array(size),
      right: new Int32Array(size),
      value: new Float32Array(size),
      gain: new Float32Array(size),
      count: new Float32Array(size),
    };
    for (let i = 0; i < size; i++) {
      const feature = view.getInt32(at, true);
      const bin = view.getInt32(at + 4, true);
      const left = view.getInt32(at + 8, true);
      const right = view.getInt32(at + 12, true);
      const missingLeft = view.getInt32(at + 16, true);
      const threshold = view.getFloat32(at + 20, true);
      const value = view.getFloat32(at + 24, true);
      const where = `tree ${t} node ${i}`;
      if (feature < -1 || feature >= inputDim) {
        throw new RangeError(
          `${where} splits on feature ${feature}, expected −1 or [0, ${inputDim})`,
        );
      }
      if (feature >= 0) {
        if (!(left > i && left < size && right > i && right < size && left !== right)) {
          throw new RangeError(
            `${where} has children ${left} and ${right}, expected two nodes after it`,
          );
        }
        if (
          threshold !== threshold || bin < 0 || bin > 254 ||
          (missingLeft !== 0 && missingLeft !== 1)
        ) {
          throw new RangeError(`${where} has an invalid threshold, bin or missing-value side`);
        }
      } else if (left !== -1 || right !== -1 || !Number.isFinite(value)) {
        throw new RangeError(`${where} is a leaf with children or a non-finite value`);
      }
      tree.feature[i] = feature;
      tree.bin[i] = bin;
      tree.left[i] = left;
      tree.right[i] = right;
      tree.missingLeft[i] = missingLeft;
      tree.threshold[i] = threshold;
      tree.value[i] = value;
      tree.gain[i] = view.getFloat32(at + 28, true);
      tree.count[i] = view.getFloat32(at + 32, true);
      at += NODE_BYTES;
    }
    trees.push(tree);
  }
  return trees;
}
