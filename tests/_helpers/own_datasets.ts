/**
 * The datasets the "your own data" path is checked on (tests/integration/own_data_test.ts) and
 * measured on (bench/datasets.ts): files of the pinned `vega-datasets` package that
 * `deno task data:pull` copies into data/raw/, each with the column to predict and why it is here.
 *
 * @module
 */

/** One dataset and its target. */
export interface OwnDataset {
  /** The profile name `init` is given. */
  name: string;
  /** The file under data/raw/ (penguins.csv is committed; the rest come from data:pull). */
  file: string;
  /** The column to predict. */
  target: string;
  /** What shape it adds to the set. */
  why: string;
}

/** Penguins and cars (the shipped profiles) plus five shapes unlike penguins. */
export const OWN_DATASETS: readonly OwnDataset[] = [
  {
    name: "penguins",
    file: "penguins.csv",
    target: "Species",
    why: "the shipped task: 3 balanced classes, a few nulls and a '.' marker",
  },
  {
    name: "cars",
    file: "cars.json",
    target: "Miles_per_Gallon",
    why: "regression from JSON, a null target in 8 rows, an ISO date column",
  },
  {
    name: "seattle_weather",
    file: "seattle-weather.csv",
    target: "weather",
    why: "5 imbalanced classes (snow 26 rows vs rain 641) and a date column",
  },
  {
    name: "weather",
    file: "weather.csv",
    target: "location",
    why: "binary (Seattle or New York): ROC AUC as the metric, a date column",
  },
  {
    name: "birdstrikes",
    file: "birdstrikes.csv",
    target: "Wildlife Size",
    why:
      "10,000 rows, high-cardinality text (225 aircraft models, 50 airports), 28% missing speed, imbalanced (Large 7%)",
  },
  {
    name: "movies",
    file: "movies.json",
    target: "IMDB Rating",
    why:
      "regression with missing values in 14 of 16 columns, a non-ISO date ('Jun 12 1998'), an id-like title",
  },
  {
    name: "gapminder",
    file: "gapminder.json",
    target: "life_expect",
    why: "small panel regression (682 rows): 62 countries over 11 years, an integer cluster code",
  },
];
