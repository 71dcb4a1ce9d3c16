import assert from "node:assert/strict";
import pl from "nodejs-polars";
import type { DataFrame } from "nodejs-polars";
import { plotTargetOverTime, type TopLevelSpec, toSVG } from "../../src/viz/mod.ts";

type Row = Record<string, unknown>;

function rowsOf(spec: TopLevelSpec): Row[] {
  return (spec as unknown as { data: { values: Row[] } }).data.values;
}

function subtitle(spec: TopLevelSpec): string[] {
  return (spec as unknown as { title: { subtitle: string[] } }).title.subtitle;
}

/** Days from `start` (an ISO date), one row each, as a Date column named "day". */
function days(start: string, values: Record<string, unknown[]>): DataFrame {
  const n = Object.values(values)[0]!.length;
  const first = Date.parse(`${start}T00:00:00Z`);
  const iso = Array.from(
    { length: n },
    (_, i) => new Date(first + i * 86_400_000).toISOString().slice(0, 10),
  );
  return pl.DataFrame({ day: iso, ...values }).withColumns(
    pl.col("day").str.strptime(pl.Date, "%Y-%m-%d"),
  );
}

Deno.test("plotTargetOverTime() draws the mean of a regression target per day over a short span", () => {
  const df = days("2024-03-01", { y: [1, 3, null, 10] });
  const spec = plotTargetOverTime(df, { time: "day", target: "y", task: "regression" });
  assert.deepEqual(rowsOf(spec), [
    { period: "2024-03-01", mean: 1, rows: 1 },
    { period: "2024-03-02", mean: 3, rows: 1 },
    { period: "2024-03-04", mean: 10, rows: 1 },
  ]);
  assert.equal(
    (spec as unknown as { title: { text: string } }).title.text,
    "Mean y per day of day",
  );
  assert.deepEqual(subtitle(spec), [
    "3 days, 3 rows",
    "1 row with a null or non-finite value left out",
  ]);
});

Deno.test("plotTargetOverTime() groups by week from Monday, by month, and by year as the span grows", () => {
  // 2024-01-01 is a Monday: days 0–6 are one week, day 7 starts the next.
  const weekly = days("2024-01-01", { y: Array.from({ length: 200 }, (_, i) => (i < 7 ? 1 : 2)) });
  const weeks = rowsOf(
    plotTargetOverTime(weekly, { time: "day", target: "y", task: "regression" }),
  );
  assert.deepEqual(weeks[0], { period: "2024-01-01", mean: 1, rows: 7 });
  assert.deepEqual(weeks[1], { period: "2024-01-08", mean: 2, rows: 7 });
  assert.equal(weeks.length, 29); // 200 days: 28 full weeks and 4 days

  const monthly = days("2023-12-31", { y: Array.from({ length: 800 }, () => 5) });
  const months = rowsOf(
    plotTargetOverTime(monthly, { time: "day", target: "y", task: "regression" }),
  );
  assert.deepEqual(months[0], { period: "2023-12-01", mean: 5, rows: 1 });
  assert.deepEqual(months[1], { period: "2024-01-01", mean: 5, rows: 31 });

  const yearly = pl.DataFrame({
    when: ["1970-01-01", "1970-01-01", "1982-01-01"],
    y: [10, 20, 30],
  }).withColumns(pl.col("when").str.strptime(pl.Date, "%Y-%m-%d"));
  const years = plotTargetOverTime(yearly, { time: "when", target: "y", task: "regression" });
  assert.deepEqual(rowsOf(years), [
    { period: "1970-01-01", mean: 15, rows: 2 },
    { period: "1982-01-01", mean: 30, rows: 1 },
  ]);
  assert.equal(
    (years as unknown as { encoding: { x: { timeUnit: string } } }).encoding.x.timeUnit,
    "year",
  );
});

Deno.test("plotTargetOverTime() stacks the share of each class per period, most frequent class first", () => {
  const df = days("2024-05-01", { sky: ["sun", "rain", "sun", "sun", null] });
  const spec = plotTargetOverTime(df, {
    time: "day",
    target: "sky",
    task: "classification",
    period: "week",
  });
  // 2024-05-01 is a Wednesday: its week starts on Monday 2024-04-29; 05-06 starts the next.
  assert.deepEqual(rowsOf(spec), [
    { period: "2024-04-29", class: "rain", rank: 1, rows: 1 },
    { period: "2024-04-29", class: "sun", rank: 0, rows: 3 },
  ]);
  const encoding =
    (spec as unknown as { encoding: Record<string, Record<string, unknown>> }).encoding;
  assert.equal(encoding["y"]!["stack"], "normalize");
  assert.deepEqual(encoding["color"]!["sort"], ["sun", "rain"]);
  assert.deepEqual(subtitle(spec), ["1 week, 4 rows", "1 row with a null value left out"]);
});

Deno.test("plotTargetOverTime() takes a Datetime column and renders to SVG", async () => {
  const df = pl.DataFrame({
    at: [new Date(Date.UTC(2024, 0, 1, 23)), new Date(Date.UTC(2024, 0, 2, 1))],
    y: [1.5, 2.5],
  });
  const spec = plotTargetOverTime(df, { time: "at", target: "y", task: "regression" });
  assert.deepEqual(rowsOf(spec).map((r) => r["period"]), ["2024-01-01", "2024-01-02"]);
  assert.match(await toSVG(spec), /^<svg/);
});

Deno.test("plotTargetOverTime() refuses a time column that is not a date, naming the dtypes fix", () => {
  const df = pl.DataFrame({ day: ["2024-01-01"], y: [1] });
  assert.throws(() => plotTargetOverTime(df, { time: "day", target: "y", task: "regression" }), {
    name: "TypeError",
    message:
      /"day" must be a Date or Datetime column, found DataType\(String\) \(read it as a date with data\.dtypes\)/,
  });
  assert.throws(() => plotTargetOverTime(df, { time: "when", target: "y", task: "regression" }), {
    name: "SchemaMismatchError",
  });
  const dated = days("2024-01-01", { y: ["a"] });
  assert.throws(() => plotTargetOverTime(dated, { time: "day", target: "y", task: "regression" }), {
    name: "TypeError",
    message: /must be numeric/,
  });
  assert.throws(
    () =>
      plotTargetOverTime(dated, {
        time: "day",
        target: "y",
        task: "classification",
        period: "hour" as "day",
      }),
    { name: "RangeError", message: /option "period" must be/ },
  );
});
