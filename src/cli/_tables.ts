/**
 * Plain-text tables for task output.
 *
 * @module
 */

/**
 * Formats rows as an aligned text table with a header rule; numbers are right-aligned.
 *
 * @param header the column titles
 * @param rows the cells, one array per row
 * @returns the table, one line per row, no trailing newline
 * @example
 * ```ts
 * formatTable(["metric", "val"], [["accuracy", "0.9800"]]);
 * ```
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? "").length)));
  const numeric = header.map((_, j) =>
    j > 0 && rows.every((r) => /^[-+]?[\d.,]+(e[-+]?\d+)?%?$|^n\/a$|^$/.test(r[j] ?? ""))
  );
  const line = (cells: readonly string[]) =>
    cells.map((c, j) => numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!)).join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * Formats a metric value with 4 decimals, or `n/a` when it is missing or not finite.
 *
 * @param value the metric value
 * @returns the text
 * @example
 * ```ts
 * formatMetric(0.98765); // "0.9877"
 * ```
 */
export function formatMetric(value: unknown): string {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(4) : "n/a";
}

/**
 * Formats B's change against A for one metric, with a word that reads the change in the
 * metric's direction: for a lower-is-better metric such as `log_loss`, a positive change is
 * `worse`.
 *
 * @param delta `b - a`, or `null` when either value is missing
 * @param better whether B is better than A in the metric's direction, or `null` when unknown
 * @returns the signed change with 4 decimals and `better`, `worse` or `same`; `n/a` when unknown
 * @example
 * ```ts
 * formatMetricDelta(0.0064, false); // "+0.0064 worse" (e.g. log_loss went up)
 * formatMetricDelta(-0.0064, true); // "-0.0064 better"
 * ```
 */
export function formatMetricDelta(delta: number | null, better: boolean | null): string {
  if (delta === null || better === null || !Number.isFinite(delta)) return "n/a";
  const sign = delta >= 0 ? "+" : "";
  const verdict = better ? "better" : delta === 0 ? "same" : "worse";
  return `${sign}${delta.toFixed(4)} ${verdict}`;
}
