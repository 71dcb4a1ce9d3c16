/**
 * The binary file of a tree ensemble, `trees.bin`: a header, then every node of every tree in
 * order, nine little-endian 32-bit fields per node, then the bin sets of the categorical nodes
 * (eight 32-bit words each, tree after tree). Decoding checks every node, so a truncated or
 * edited file is refused rather than walked. Version 1 files (no categorical nodes, a 12-byte
 * header) still load.
 *
 * @module
 */
import type { Tree } from "./grow.ts";
import { CATEGORY_WORDS } from "./split.ts";

/** The file name inside a model folder. */
export const TREES_FILE = "trees.bin";

/** `"GBDT"` read as a little-endian 32-bit integer. */
const MAGIC = 0x54444247;
/** Layout version written: 2 added categorical nodes and their bin sets. */
const FILE_VERSION = 2;
/** magic, version, node count, bin-set count (version 1: no bin-set count). */
const HEADER_BYTES = 16;
const V1_HEADER_BYTES = 12;
/** feature, bin, left, right, flags (int32); threshold, value, gain, count (float32). */
const NODE_BYTES = 36;
/** Bits of a node's flags field: missing values go left; the split is categorical. */
const MISSING_LEFT_FLAG = 1;
const CATEGORICAL_FLAG = 2;
const SET_BYTES = CATEGORY_WORDS * 4;

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
  let sets = 0;
  for (const tree of trees) {
    total += tree.feature.length;
    sets += tree.categories.length / CATEGORY_WORDS;
  }
  const bytes = new Uint8Array(HEADER_BYTES + total * NODE_BYTES + sets * SET_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, FILE_VERSION, true);
  view.setUint32(8, total, true);
  view.setUint32(12, sets, true);
  let at = HEADER_BYTES;
  for (const tree of trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      view.setInt32(at, tree.feature[i]!, true);
      view.setInt32(at + 4, tree.bin[i]!, true);
      view.setInt32(at + 8, tree.left[i]!, true);
      view.setInt32(at + 12, tree.right[i]!, true);
      view.setInt32(
        at + 16,
        tree.missingLeft[i]! * MISSING_LEFT_FLAG + tree.categorical[i]! * CATEGORICAL_FLAG,
        true,
      );
      view.setFloat32(at + 20, tree.threshold[i]!, true);
      view.setFloat32(at + 24, tree.value[i]!, true);
      view.setFloat32(at + 28, tree.gain[i]!, true);
      view.setFloat32(at + 32, tree.count[i]!, true);
      at += NODE_BYTES;
    }
  }
  for (const tree of trees) {
    for (const word of tree.categories) {
      view.setUint32(at, word, true);
      at += 4;
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
  if (bytes.length < V1_HEADER_BYTES) {
    throw new RangeError(
      `it holds ${bytes.length} bytes, fewer than the ${V1_HEADER_BYTES}-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (view.getUint32(0, true) !== MAGIC || (version !== 1 && version !== FILE_VERSION)) {
    throw new RangeError(`its header is not a version 1 or ${FILE_VERSION} trees file`);
  }
  const header = version === 1 ? V1_HEADER_BYTES : HEADER_BYTES;
  const sets = version === 1 || bytes.length < HEADER_BYTES ? 0 : view.getUint32(12, true);
  const expected = header + total * NODE_BYTES + sets * SET_BYTES;
  if (view.getUint32(8, true) !== total || bytes.length !== expected) {
    throw new RangeError(
      `it holds ${bytes.length} bytes and says ${view.getUint32(8, true)} nodes and ${sets} ` +
        `category sets, expected ${expected} bytes for the ${total} nodes of ${nodes.length} trees`,
    );
  }
  let setAt = header + total * NODE_BYTES;
  let setsLeft = sets;
  const trees: Tree[] = [];
  let at = header;
  for (let t = 0; t < nodes.length; t++) {
    const size = nodes[t]!;
    let treeSets = 0;
    for (let i = 0; i < size; i++) {
      if (view.getInt32(at + i * NODE_BYTES + 16, true) & CATEGORICAL_FLAG) treeSets++;
    }
    if (treeSets > setsLeft) {
      throw new RangeError(`tree ${t} has ${treeSets} categorical nodes, more than the sets left`);
    }
    const categories = new Uint32Array(treeSets * CATEGORY_WORDS);
    for (let w = 0; w < categories.length; w++) categories[w] = view.getUint32(setAt + w * 4, true);
    setAt += categories.length * 4;
    setsLeft -= treeSets;
    const tree: Tree = {
      feature: new Int32Array(size),
      bin: new Int32Array(size),
      threshold: new Float32Array(size),
      categorical: new Uint8Array(size),
      categories,
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
      const flags = view.getInt32(at + 16, true);
      const categorical = (flags & CATEGORICAL_FLAG) !== 0;
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
        const valid = (flags & ~(MISSING_LEFT_FLAG | CATEGORICAL_FLAG)) === 0 && bin >= 0 &&
          (categorical ? bin < treeSets : threshold === threshold && bin <= 254);
        if (!valid) {
          throw new RangeError(`${where} has an invalid threshold, bin or flags`);
        }
      } else if (left !== -1 || right !== -1 || !Number.isFinite(value) || flags !== 0) {
        throw new RangeError(`${where} is a leaf with children, flags or a non-finite value`);
      }
      tree.feature[i] = feature;
      tree.bin[i] = bin;
      tree.left[i] = left;
      tree.right[i] = right;
      tree.missingLeft[i] = flags & MISSING_LEFT_FLAG;
      tree.categorical[i] = categorical ? 1 : 0;
      tree.threshold[i] = threshold;
      tree.value[i] = value;
      tree.gain[i] = view.getFloat32(at + 28, true);
      tree.count[i] = view.getFloat32(at + 32, true);
      at += NODE_BYTES;
    }
    trees.push(tree);
  }
  if (setsLeft !== 0) {
    throw new RangeError(`it holds ${setsLeft} category sets that no categorical node uses`);
  }
  return trees;
}
