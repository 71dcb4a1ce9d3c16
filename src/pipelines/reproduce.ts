/**
 * Re-runs a recorded run from its own config snapshot and compares everything it produced:
 * data fingerprints first, then metrics, per-epoch losses, feature state and model weights.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { loadConfig } from "../config/mod.ts";
import { PARTIAL_PREFIX, readRunFolder, RUN_ARTIFACTS, runArtifactPath } from "../models/mod.ts";
import { fingerprintData } from "../data/mod.ts";
import { getProjectLogger } from "../utils/mod.ts";
import type { Logger } from "../utils/mod.ts";
import { runTraining } from "./training_pipeline.ts";

/** The outcome of {@link reproduceRun}. */
export interface Reproduction {
  /** The run id. */
  id: string;
  /** True when every compared value and byte is identical. */
  identical: boolean;
  /** One line per difference, e.g. `metrics.model.test.accuracy: 0.98 → 0.97`. */
  differences: string[];
  /** What was compared. */
  checked: string[];
}

/**
 * Re-trains run `id` from its config snapshot (nothing is recorded) and compares the outcome.
 *
 * @param experimentsDir the experiments folder
 * @param id the run id
 * @param root the project root
 * @param logger where logs go
 * @returns whether the run reproduced, and every difference
 * @throws {ArtifactError} when the run is missing or its artifacts were altered
 * @example
 * ```ts
 * const { identical, differences } = await reproduceRun("models/experiments", id, root);
 * ```
 */
export async function reproduceRun(
  experimentsDir: string,
  id: string,
  root: string,
  logger: Logger = getProjectLogger("pipeline"),
): Promise<Reproduction> {
  const { dir, record } = await readRunFolder(experimentsDir, id);
  const checked: string[] = [];
  const differences: string[] = [];

  for (const input of record.data) {
    // Local paths are recorded relative to the root; absolute paths and URLs are read as given.
    const relative = !input.path.startsWith("/") && !input.path.includes("://");
    const path = relative ? `${root}/${input.path}` : input.path;
    const now = await fingerprintData(path).catch(() => null);
    checked.push(`data ${input.path}`);
    if (now === null) differences.push(`data ${input.path}: the file is missing`);
    else if (now.sha256 !== input.sha256) {
      differences.push(
        `data ${input.path}: sha256 ${now.sha256.slice(0, 12)}… differs from the recorded ${
          input.sha256.slice(0, 12)
        }…`,
      );
    }
  }
  if (differences.length > 0) return { id, identical: false, differences, checked };

  const loaded = await loadConfig({ root, snapshot: runArtifactPath(dir, "config") });
  checked.push("config hash");
  if (loaded.hash !== record.config_hash) {
    differences.push(
      `config hash: ${record.config_hash.slice(0, 12)}… → ${loaded.hash.slice(0, 12)}…`,
    );
  }

  const result = await runTraining(loaded, {
    record: false,
    logger,
    profile: record.profile,
    cache: false, // reproduce recomputes every stage from scratch
  });
  // Beside the run's local folder (hidden, never listed): the experiments folder, or its local
  // mirror for an s3:// registry, so the task needs no other write access.
  const temporary = join(
    dirname(dir),
    `${PARTIAL_PREFIX}reproduce-${crypto.randomUUID().slice(0, 8)}`,
  );
  await Deno.mkdir(temporary, { recursive: true });
  try {
    const saved = await RUN_ARTIFACTS.metrics.read(dir);
    const fresh = JSON.parse(JSON.stringify({ model: result.metrics, baseline: result.baseline }));
    checked.push("metrics");
    compare("metrics.model", saved.model, fresh.model, differences);
    compare("metrics.baseline", saved.baseline, fresh.baseline, differences);

    const history = await RUN_ARTIFACTS.history.read(dir);
    checked.push("history");
    compare(
      "history",
      withoutTimes(history),
      withoutTimes(JSON.parse(JSON.stringify(result.history))),
      differences,
    );

    const features = await RUN_ARTIFACTS.features.read(dir);
    checked.push("features");
    compare(
      "features",
      features,
      JSON.parse(JSON.stringify({
        pipeline: result.features.pipeline.toJSON(),
        selector: result.features.selector?.toJSON() ?? null,
        names: result.features.names,
      })),
      differences,
    );

    await result.model.save(temporary);
    const modelDir = runArtifactPath(dir, "model");
    for await (const entry of Deno.readDir(modelDir)) {
      if (!entry.isFile) continue;
      checked.push(`${RUN_ARTIFACTS.model.file}${entry.name}`);
      const before = await Deno.readFile(`${modelDir}/${entry.name}`);
      const after = await Deno.readFile(`${temporary}/${entry.name}`).catch(() => null);
      if (after === null) {
        differences.push(`${RUN_ARTIFACTS.model.file}${entry.name}: not written by the re-run`);
      } else if (!sameBytes(before, after)) {
        differences.push(
          `${RUN_ARTIFACTS.model.file}${entry.name}: ${describeByteDifference(before, after)}`,
        );
      }
    }
  } finally {
    result.model.dispose();
    await Deno.remove(temporary, { recursive: true });
  }
  return { id, identical: differences.length === 0, differences, checked };
}

function compare(path: string, a: unknown, b: unknown, out: string[]): void {
  if (out.length >= 50) return;
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      const child = Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`;
      compare(child, (a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], out);
    }
    return;
  }
  if (!Object.is(a, b)) out.push(`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
}

function withoutTimes(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === "seconds" ? undefined : v)));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describeByteDifference(a: Uint8Array, b: Uint8Array): string {
  if (a.byteLength !== b.byteLength) return `${a.byteLength} bytes → ${b.byteLength} bytes`;
  if (a.byteLength % 4 !== 0) return "bytes differ";
  const x = new Float32Array(a.buffer, a.byteOffset, a.byteLength / 4);
  const y = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  let count = 0;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(x[i], y[i])) {
      count++;
      max = Math.max(max, Math.abs(x[i]! - y[i]!));
    }
  }
  return `${count} of ${x.length} float32 values differ (largest difference ${
    max.toExponential(2)
  })`;
}
