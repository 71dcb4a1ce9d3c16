/**
 * Shared utilities: seeded randomness, hashing and fingerprints, logging and metrics.
 *
 * @module
 */
export { Random } from "./random.ts";
export { canonicalJson, fingerprintFile, fingerprintFrame, hashJson, sha256Hex } from "./hash.ts";
export type { FileFingerprint } from "./hash.ts";
export { frameToMatrix, takeRows } from "./matrix.ts";
export type { Matrix } from "./matrix.ts";
