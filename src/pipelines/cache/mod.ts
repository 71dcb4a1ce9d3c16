/**
 * The stage cache: node outputs stored by content key under `data/processed/cache/<key>/`,
 * written atomically and verified by sha256 on every read.
 *
 * @module
 */
export {
  CACHE_ENTRY_FILE,
  CACHE_FORMAT_VERSION,
  discardCacheEntry,
  isCacheKey,
  listCacheEntries,
  pruneCache,
  readCachedFile,
  readCacheEntry,
  removeCacheLeftovers,
  writeCacheEntry,
} from "./store.ts";
export type {
  CachedFile,
  CacheEntry,
  CacheEntrySummary,
  CacheWriter,
  PruneCacheOptions,
  PruneCacheResult,
} from "./store.ts";
export {
  FRAME_CODEC,
  jsonCodec,
  MATRIX_CODEC,
  readArray,
  SPLIT_FRAMES_CODEC,
  writeArray,
} from "./codecs.ts";
export type { CacheReader, Codec, SplitFrames } from "./codecs.ts";
