/**
 * How each kind of stage output is stored in a cache entry: frames as Parquet, reports and
 * fitted state as JSON, matrices and targets as raw little-endian binary with their shape in
 * the entry's manifest.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { ArtifactError } from "../../errors.ts";
import type { Matrix } from "../../utils/mod.ts";
import type { CacheWriter } from "./store.ts";

/** Reads one verified file of the entry being decoded. */
export type CacheReader = (file: string) => Promise<Uint8Array>;

/**
 * Stores values of one type in a cache entry.
 *
 * `write` puts the value's files (named from `name`) and returns a JSON description kept in the
 * manifest; `read` rebuilds an equal value from the description and the files.
 */
export interface Codec<T> {
  write(out: CacheWriter, name: string, value: T): Promise<unknown>;
  read(read: CacheReader, name: string, description: unknown): Promise<T>;
}

/** The three splits of a dataset. */
export interface SplitFrames {
  train: DataFrame;
  val: DataFrame;
  test: DataFrame;
}

const SPLITS = ["train", "val", "test"] as const;

function schemaText(df: DataFrame): string[][] {
  return Object.entries(df.schema).map(([name, type]) => [name, `${type}`]);
}

/** A frame as one Parquet file; its schema is checked on read. */
export const FRAME_CODEC: Codec<DataFrame> = {
  async write(out, name, df) {
    const file = `${name}.parquet`;
    await out.put(file, df.writeParquet());
    return { file, rows: df.height, schema: schemaText(df) };
  },
  async read(read, name, description) {
    const { file, rows, schema } = description as { file: string; rows: number; schema: unknown };
    const bytes = await read(file);
    let df: DataFrame;
    try {
      df = pl.readParquet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (cause) {
      throw new ArtifactError(`Cannot decode cached frame "${name}": not a readable Parquet file`, {
        cause,
      });
    }
    if (df.height !== rows || JSON.stringify(schemaText(df)) !== JSON.stringify(schema)) {
      throw new ArtifactError(
        `Cannot use cached frame "${name}": it decodes to ${df.height} rows with another schema than recorded`,
      );
    }
    return df;
  },
};

/** Train, validation and test frames, one Parquet file each. */
export const SPLIT_FRAMES_CODEC: Codec<SplitFrames> = {
  async write(out, name, value) {
    const description: Record<string, unknown> = {};
    for (const split of SPLITS) {
      description[split] = await FRAME_CODEC.write(out, `${name}.${split}`, value[split]);
    }
    return description;
  },
  async read(read, name, description) {
    const parts = description as Record<string, unknown>;
    const frame = (split: (typeof SPLITS)[number]) =>
      FRAME_CODEC.read(read, `${name}.${split}`, parts[split]);
    return { train: await frame("train"), val: await frame("val"), test: await frame("test") };
  },
};

/**
 * A JSON-compatible value as one `.json` file.
 *
 * @returns the codec
 * @example
 * ```ts
 * const codec = jsonCodec<ValidationReport>();
 * ```
 */
export function jsonCodec<T>(): Codec<T> {
  return {
    async write(out, name, value) {
      const file = `${name}.json`;
      await out.put(file, new TextEncoder().encode(JSON.stringify(value)));
      return { file };
    },
    async read(read, name, description) {
      const { file } = description as { file: string };
      try {
        return JSON.parse(new TextDecoder().decode(await read(file))) as T;
      } catch (cause) {
        if (cause instanceof ArtifactError) throw cause;
        throw new ArtifactError(`Cannot decode cached "${name}": not valid JSON`, { cause });
      }
    },
  };
}

/**
 * Puts a typed array's bytes into the entry (little-endian, as every platform Deno runs on).
 *
 * @param out the entry being written
 * @param file the file name
 * @param array the values
 * @example
 * ```ts
 * await writeArray(out, "x.train.f32", matrix.data);
 * ```
 */
export function writeArray(
  out: CacheWriter,
  file: string,
  array: Float32Array | Int32Array,
): Promise<void> {
  return out.put(file, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
}

/**
 * Reads a typed array back; the length must be what the manifest recorded.
 *
 * @param read reads verified files of the entry
 * @param file the file name
 * @param type the array type
 * @param length the expected number of values
 * @returns the values, in their own buffer
 * @throws {ArtifactError} when the file holds another number of values
 * @example
 * ```ts
 * const data = await readArray(read, "x.train.f32", Float32Array, rows * cols);
 * ```
 */
export async function readArray<T extends Float32Array | Int32Array>(
  read: CacheReader,
  file: string,
  type: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): Promise<T> {
  const bytes = await read(file);
  if (bytes.byteLength !== length * type.BYTES_PER_ELEMENT) {
    throw new ArtifactError(
      `Cannot use cached "${file}": it holds ${bytes.byteLength} bytes, expected ${
        length * type.BYTES_PER_ELEMENT
      }`,
    );
  }
  // A fresh, aligned buffer: the read bytes may sit at any offset of a larger one.
  const aligned = bytes.byteOffset % type.BYTES_PER_ELEMENT === 0 &&
      bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer as ArrayBuffer
    : bytes.slice().buffer as ArrayBuffer;
  return new type(aligned);
}

/** A matrix as raw Float32 values; the shape is kept in the manifest. */
export const MATRIX_CODEC: Codec<Matrix> = {
  async write(out, name, matrix) {
    const file = `${name}.f32`;
    await writeArray(out, file, matrix.data);
    return { file, rows: matrix.rows, cols: matrix.cols };
  },
  async read(read, _name, description) {
    const { file, rows, cols } = description as { file: string; rows: number; cols: number };
    return { data: await readArray(read, file, Float32Array, rows * cols), rows, cols };
  },
};
