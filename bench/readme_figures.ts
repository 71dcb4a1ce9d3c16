/**
 * `deno task readme:figures`: trains the default profile (penguins) and the `cars` profile on a
 * temporary copy of the project, records what README.md quotes from those runs in
 * `bench/readme_figures.json`, and rewrites README.md's marked blocks from that record:
 *
 * - `<!-- figures:train-output:begin -->` … `end`: the output of `deno task train`;
 * - `<!-- figures:profiles:begin -->` … `end`: the profiles table, whose "result here" cells of
 *   the default and `cars` rows are the runs' test metrics (the other rows are kept as written).
 *
 * Nothing outside the markers changes. `tests/readme_figures_test.ts` checks, without training,
 * that README.md holds exactly what this script writes from the recorded JSON, so the figures
 * cannot drift from a real run by hand-editing.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url)).replace(/\/$/, "");

/** Where the record of the runs is kept, beside this script. */
export const FIGURES_JSON: string = join(ROOT, "bench", "readme_figures.json");

/** One metric table of `metrics.json`, by split. */
type SplitMetrics = Record<"train" | "val" | "test", Record<string, number> | null>;

/** What README quotes from one training run. */
export interface ReadmeRun {
  /** The profile trained (`null`: the default). */
  profile: string | null;
  /** What `deno task train` printed, with the temporary folder removed from paths. */
  stdout: string;
  /** The run's `metrics.json`. */
  metrics: { primary_metric: string; model: SplitMetrics; baseline: SplitMetrics };
}

/** The record `bench/readme_figures.json` holds. */
export interface ReadmeFigures {
  /** ISO time the runs were trained. */
  generated: string;
  /** The Deno version that trained them. */
  deno: string;
  /** The runs README quotes, by name. */
  runs: { penguins: ReadmeRun; cars: ReadmeRun };
}

/** The names of README's marked blocks, in the order they appear. */
export const BLOCK_NAMES = ["train-output", "profiles"] as const;

/** The begin and end markers of a block. */
export function markers(name: string): { begin: string; end: string } {
  return { begin: `<!-- figures:${name}:begin -->`, end: `<!-- figures:${name}:end -->` };
}

function test(run: ReadmeRun, side: "model" | "baseline", metric: string): number {
  const value = run.metrics[side].test?.[metric];
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot write README figures: the ${
        run.profile ?? "default"
      } run has no test "${metric}" for the ${side} in its metrics.json`,
    );
  }
  return value;
}

/** The "result here" cell of a profiles table row, by the row's first cell. */
function resultCells(figures: ReadmeFigures): Record<string, string> {
  const { penguins, cars } = figures.runs;
  const p = (side: "model" | "baseline", metric: string) => test(penguins, side, metric).toFixed(3);
  const c = (side: "model" | "baseline", metric: string) => test(cars, side, metric).toFixed(2);
  return {
    default: `test accuracy ${p("model", "accuracy")}, macro-F1 ${
      p("model", "f1_macro")
    }; baseline ${p("baseline", "accuracy")} / ${p("baseline", "f1_macro")}`,
    "`cars`": `test MAE ${c("model", "mae")}, RMSE ${c("model", "rmse")}, R² ${
      c("model", "r2")
    }; baseline MAE ${c("baseline", "mae")}`,
  };
}

/**
 * Gives the new content of each marked block from the recorded runs and the block's current
 * content (the profiles table keeps its other rows and columns).
 *
 * @param figures the recorded runs
 * @returns a function from a block's name and current content to its new content
 */
export function blockWriter(
  figures: ReadmeFigures,
): (name: string, current: string) => string {
  return (name, current) => {
    switch (name) {
      case "train-output":
        return "```text\n" + figures.runs.penguins.stdout + "```";
      case "profiles": {
        const cells = resultCells(figures);
        const lines = current.split("\n");
        const header = lines.find((line) => line.startsWith("|"));
        const column = header?.split("|").map((cell) => cell.trim()).indexOf("result here") ?? -1;
        if (column < 0) {
          throw new TypeError(
            `Cannot write README figures: the profiles block holds no table with a "result here" column`,
          );
        }
        const seen = new Set<string>();
        const rows = lines.map((line) => {
          if (!line.startsWith("|")) return line;
          const parts = line.split("|");
          const key = parts[1]?.trim() ?? "";
          if (!Object.hasOwn(cells, key)) return line;
          seen.add(key);
          parts[column] = ` ${cells[key]} `;
          return parts.join("|");
        });
        const missing = Object.keys(cells).filter((key) => !seen.has(key));
        if (missing.length > 0) {
          throw new TypeError(
            `Cannot write README figures: the profiles table has no row for ${missing.join(", ")}`,
          );
        }
        return rows.join("\n").trim();
      }
      default:
        throw new TypeError(`Cannot write README figures: unknown block "${name}"`);
    }
  };
}

/**
 * Rewrites every marked block of a README text; everything outside the markers is kept.
 *
 * @param readme the README text
 * @param write the new content of a block from its name and current content
 * @returns the new text (not yet formatted)
 * @throws {TypeError} when a block's markers are missing, repeated or out of order
 */
export function replaceBlocks(
  readme: string,
  write: (name: string, current: string) => string,
): string {
  let text = readme;
  for (const name of BLOCK_NAMES) {
    const { begin, end } = markers(name);
    const start = text.indexOf(begin);
    const stop = text.indexOf(end);
    if (start < 0 || stop < start || text.indexOf(begin, start + 1) >= 0) {
      throw new TypeError(
        `Cannot write README figures: README.md needs one "${begin}" followed by one "${end}"`,
      );
    }
    const current = text.slice(start + begin.length, stop).trim();
    text = `${text.slice(0, start)}${begin}\n\n${write(name, current)}\n\n${text.slice(stop)}`;
  }
  return text;
}

/** Formats Markdown as `deno fmt` does (which pads table columns). */
export async function formatMarkdown(text: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `Cannot format README.md: deno fmt failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * The README text with its marked blocks written from the recorded runs, formatted as
 * `deno fmt` leaves it.
 *
 * @param readme the current README text
 * @param figures the recorded runs
 * @returns the new README text
 */
export async function readmeWithFigures(readme: string, figures: ReadmeFigures): Promise<string> {
  return await formatMarkdown(replaceBlocks(readme, blockWriter(figures)));
}

/** Trains one profile in `project` with `deno task train`'s entry file; returns its record. */
async function train(project: string, profile: string | null): Promise<ReadmeRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `--config=${join(ROOT, "deno.json")}`,
      join(ROOT, "src", "cli", "train.ts"),
      ...(profile === null ? [] : ["--config", profile]),
    ],
    cwd: project,
    env: { NO_COLOR: "1", CI: "true" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `Cannot train ${profile ?? "the default profile"}: exit ${out.code}\n${
        new TextDecoder().decode(out.stderr).slice(-4000)
      }`,
    );
  }
  const folder = /^folder: (.+)$/m.exec(stdout)?.[1];
  if (folder === undefined) throw new Error(`Cannot find the run folder in:\n${stdout}`);
  const metrics = JSON.parse(await Deno.readTextFile(join(folder, "metrics.json")));
  return {
    profile,
    // The temporary project's path means nothing to a reader; show the folder as in a clone.
    stdout: `${stdout.replaceAll(`${project}/`, "").trim()}\n`,
    metrics,
  };
}

/** Copies what training reads into a fresh folder: config/, penguins.csv and cars.json. */
async function tempProject(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "deno-mlops-readme-" });
  await Deno.writeTextFile(join(root, "deno.json"), "{}\n");
  await Deno.mkdir(join(root, "config", "profiles"), { recursive: true });
  await Deno.mkdir(join(root, "data", "raw"), { recursive: true });
  for (const dir of ["config", join("config", "profiles")]) {
    for (const entry of Deno.readDirSync(join(ROOT, dir))) {
      if (entry.isFile && entry.name.endsWith(".yaml")) {
        await Deno.copyFile(join(ROOT, dir, entry.name), join(root, dir, entry.name));
      }
    }
  }
  await Deno.copyFile(
    join(ROOT, "data", "raw", "penguins.csv"),
    join(root, "data", "raw", "penguins.csv"),
  );
  // What `deno task data:pull` copies: the pinned vega-datasets file.
  await Deno.copyFile(
    join(ROOT, "node_modules", "vega-datasets", "data", "cars.json"),
    join(root, "data", "raw", "cars.json"),
  );
  return root;
}

async function main(): Promise<void> {
  const project = await tempProject();
  try {
    const penguins = await train(project, null);
    const cars = await train(project, "cars");
    const figures: ReadmeFigures = {
      generated: new Date().toISOString(),
      deno: Deno.version.deno,
      runs: { penguins, cars },
    };
    await Deno.writeTextFile(FIGURES_JSON, `${JSON.stringify(figures, null, 2)}\n`);
    const path = join(ROOT, "README.md");
    await Deno.writeTextFile(path, await readmeWithFigures(await Deno.readTextFile(path), figures));
    console.log(
      `README.md figures written from ${penguins.stdout.match(/^run: (.+)$/m)?.[1]} and ${
        cars.stdout.match(/^run: (.+)$/m)?.[1]
      } (recorded in bench/readme_figures.json)`,
    );
  } finally {
    await Deno.remove(project, { recursive: true });
  }
}

if (import.meta.main) await main();
