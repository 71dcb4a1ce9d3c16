import assert from "node:assert/strict";
import { pl } from "../_helpers/assert_frame.ts";
import { compileDateFormat, MONTH_NAMES, monthAbbreviation } from "../../src/data/mod.ts";

Deno.test("monthAbbreviation() writes every month as polars writes %b", () => {
  const dates = pl.Series(
    "d",
    MONTH_NAMES.map((_, i) => new Date(Date.UTC(2024, i, 15))),
    pl.Date,
  );
  const written = pl.DataFrame([dates]).select(pl.col("d").dt.strftime("%b")).getColumn("d")
    .toArray();
  assert.deepEqual(MONTH_NAMES.map((_, i) => monthAbbreviation(i + 1)), written);
  assert.equal(monthAbbreviation(9), "Sep");
  for (const bad of [0, 13]) {
    assert.throws(() => monthAbbreviation(bad), {
      name: "RangeError",
      message: new RegExp(`Cannot name month ${bad}: expected an integer from 1 to 12`),
    });
  }
});

Deno.test("compileDateFormat() reads the abbreviations and, with %B, the whole names", () => {
  const short = compileDateFormat("%b %d %Y", "Release Date");
  for (let month = 1; month <= 12; month++) {
    assert.equal(short(`${monthAbbreviation(month)} 12 1998`)?.month, month);
  }
  assert.equal(short("jun 12 1998")?.month, 6);
  const long = compileDateFormat("%B %d %Y", "Release Date");
  assert.equal(long("September 01 2001")?.month, 9);
  assert.equal(long("Sep 01 2001")?.month, 9);
});
