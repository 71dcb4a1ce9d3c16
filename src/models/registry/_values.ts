/**
 * Small value checks shared by the registry files: plain objects, metric numbers and metric names.
 *
 * @module
 */
import { ConfigError, didYouMean } from "../../errors.ts";
import { METRIC_DIRECTIONS } from "../../utils/mod.ts";

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function numberOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function assertKnownMetric(metric: string): void {
  if (!Object.hasOwn(METRIC_DIRECTIONS, metric)) {
    const names = Object.keys(METRIC_DIRECTIONS);
    throw new ConfigError(
      `Cannot use registry.primary_metric "${metric}": it is not a known metric${
        didYouMean(metric, names)
      } (expected one of ${JSON.stringify(names)})`,
    );
  }
}
