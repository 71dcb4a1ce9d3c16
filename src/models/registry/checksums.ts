/**
 * Sealed JSON files (`run.json`, `current.json` carry the sha256 of their own content in
 * `self_sha256`) and the sha256 check of every artifact of a run folder.
 *
 * @module
 */
import { ArtifactError } from "../../errors.ts";
import { sha256Hex } from "../../utils/mod.ts";
import { isObject } from "./_values.ts";

/**
 * Checks every file against its recorded sha256.
 *
 * @param dir the folder the paths are relative to
 * @param artifacts sha256 by relative path
 * @throws {ArtifactError} naming the first file that is missing or altered
 * @example
 * ```ts
 * await verifyArtifacts(dir, record.artifacts);
 * ```
 */
export async function verifyArtifacts(
  dir: string,
  artifacts: Record<string, string>,
): Promise<void> {
  for (const [path, expected] of Object.entries(artifacts)) {
    if (!isPlainRelativePath(path) || typeof expected !== "string") {
      throw new ArtifactError(
        `Cannot load "${dir}/run.json": artifact ${
          JSON.stringify(path)
        } is not a plain relative path with a sha256; the record was altered, so retrain or restore the run`,
      );
    }
    await assertInside(dir, `${dir}/${path}`, `artifact "${path}"`);
    const check = await checkArtifact(dir, path, expected);
    if (check.state === "missing") {
      throw new ArtifactError(`Cannot load "${dir}/${path}": the file is missing`, {
        cause: check.cause,
      });
    }
    if (check.state === "altered") {
      throw new ArtifactError(
        `Cannot load "${dir}/${path}": sha256 ${check.actual.slice(0, 12)}… does not match ${
          expected.slice(0, 12)
        }… recorded in run.json; the file was changed or corrupted, so retrain or restore the run`,
      );
    }
  }
}

type ArtifactCheck =
  | { state: "ok" }
  | { state: "missing"; cause: unknown }
  | { state: "altered"; actual: string };

/** Checks one artifact of a run folder against its recorded sha256. */
export async function checkArtifact(
  dir: string,
  path: string,
  expected: string,
): Promise<ArtifactCheck> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(`${dir}/${path}`);
  } catch (cause) {
    return { state: "missing", cause };
  }
  const actual = await sha256Hex(bytes);
  return actual === expected ? { state: "ok" } : { state: "altered", actual };
}

/** Field of `run.json` and `current.json` holding the file's own sha256 (see writeRunRecord). */
const SEAL_FIELD = "self_sha256";

/** JSON text of `value` with `self_sha256` last, holding the sha256 of the text without it. */
export async function sealJson(value: object): Promise<string> {
  const { [SEAL_FIELD]: _old, ...rest } = value as Record<string, unknown>;
  const blank = JSON.stringify({ ...rest, [SEAL_FIELD]: "" }, null, 2) + "\n";
  const at = blank.lastIndexOf(`"${SEAL_FIELD}": ""`) + SEAL_FIELD.length + 5;
  return `${blank.slice(0, at)}${await sha256Hex(blank)}${blank.slice(at)}`;
}

/**
 * Reads a sealed JSON object file and checks its seal; the seal field is removed from the
 * result. A file without a seal is accepted only when it holds nothing but `legacyKeys` (written
 * before sealing), so a damaged seal key cannot pass as an old file.
 */
export async function readSealedJson(
  path: string,
  legacyKeys: ReadonlySet<string>,
  remedy = "the file was changed or corrupted, so retrain or restore the run",
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await Deno.readFile(path));
  } catch (cause) {
    const why = cause instanceof Deno.errors.NotFound
      ? "the file is missing"
      : cause instanceof TypeError
      ? `the file is not valid UTF-8; ${remedy}`
      : (cause as Error).message;
    throw new ArtifactError(`Cannot read "${path}": ${why}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ArtifactError(`Cannot read "${path}": the file is not valid JSON; ${remedy}`, {
      cause,
    });
  }
  if (!isObject(value)) {
    throw new ArtifactError(`Cannot read "${path}": expected a JSON object; ${remedy}`);
  }
  const { [SEAL_FIELD]: seal, ...rest } = value;
  if (seal === undefined) {
    const unknown = Object.keys(rest).find((key) => !legacyKeys.has(key));
    if (unknown !== undefined) {
      throw new ArtifactError(
        `Cannot read "${path}": its self checksum "${SEAL_FIELD}" is missing and it holds the unknown key ${
          JSON.stringify(unknown)
        }; ${remedy}`,
      );
    }
    return rest;
  }
  const matches = [...text.matchAll(new RegExp(`"${SEAL_FIELD}"\\s*:\\s*"([^"\\\\]*)"`, "g"))];
  const last = matches.at(-1);
  if (typeof seal !== "string" || last === undefined || last[1] !== seal) {
    throw new ArtifactError(
      `Cannot read "${path}": its self checksum "${SEAL_FIELD}" is not a sha256 value; ${remedy}`,
    );
  }
  const start = last.index! + last[0].length - 1 - seal.length;
  const actual = await sha256Hex(text.slice(0, start) + text.slice(start + seal.length));
  if (actual !== seal) {
    throw new ArtifactError(
      `Cannot read "${path}": self checksum sha256 ${actual.slice(0, 12)}… does not match ${
        seal.slice(0, 12)
      }… recorded in the file; ${remedy}`,
    );
  }
  return rest;
}

/** A relative path with no empty, `.` or `..` segment and no backslash. */
function isPlainRelativePath(path: string): boolean {
  return path.length > 0 && !path.startsWith("/") && !path.includes("\\") &&
    path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/**
 * Refuses a path that resolves (through symbolic links) outside `root`, so a run folder or an
 * artifact linked elsewhere cannot make the registry read files outside its folders.
 */
export async function assertInside(root: string, path: string, what: string): Promise<void> {
  let realRoot: string;
  let realPath: string;
  try {
    [realRoot, realPath] = await Promise.all([Deno.realPath(root), Deno.realPath(path)]);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return; // Reported as missing by the caller.
    throw new ArtifactError(`Cannot resolve ${what} at "${path}": ${(cause as Error).message}`, {
      cause,
    });
  }
  if (realPath !== realRoot && !realPath.startsWith(`${realRoot}/`)) {
    throw new ArtifactError(
      `Cannot open ${what}: "${path}" is a symbolic link to "${realPath}", outside "${root}"; the registry reads only files inside its folders, so replace the link with the files`,
    );
  }
}
