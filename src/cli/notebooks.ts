/**
 * `deno task notebooks [NAME...] [--param KEY=VALUE ...] [--out DIR] [--timeout SECONDS]`:
 * executes notebooks through the Deno Jupyter kernel (no Python or Jupyter needed) and writes
 * executed copies with every output to `notebooks/executed/`, or to `--out DIR`. The task may
 * write only under `notebooks/executed/` (its `--allow-write`), so DIR must lie there; any other
 * DIR is refused before a kernel starts. Run this file with `deno run` and your own
 * `--allow-write` to write elsewhere.
 *
 * NAME is a notebook in `notebooks/` (`01_eda`, `01_eda.ipynb` or a unique prefix like `01`);
 * no NAME runs them all in order. A `--param` applies to every selected notebook that declares
 * it in its `parameters` cell; a key that none declares is refused before any kernel starts, and
 * so is a value of the wrong type or outside the rule the cell writes in brackets at the start of
 * the declaration's comment (`let epochs = 30; // [integer >= 1] ...`), naming the notebook, the
 * parameter and the allowed range.
 * Every notebook declares `profile`: `--param profile=cars` runs them on `config/profiles/cars.yaml`
 * (a name or a path, as `--config` takes it); without it they use the default profile.
 *
 * @module
 */
import {
  checkNotebookParameters,
  parseParameterArgs,
  readNotebookParameters,
  resolveNotebooks,
  runNotebook,
} from "../notebook/mod.ts";
import type { NotebookResult } from "../notebook/mod.ts";
import { ConfigError, didYouMean } from "../errors.ts";
import { setupLogging } from "../utils/mod.ts";
import { formatUsage, parseTaskArgs } from "./_args.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

const NOTEBOOKS_DIR = "notebooks";
const DEFAULT_OUT = "notebooks/executed";

const SPEC = {
  options: ["out", "timeout", "start-timeout"],
  multi: ["param"],
  flags: ["verbose"],
  positional: 1000,
  descriptions: {
    param:
      "set a parameter, value typed as YAML, e.g. --param profile=cars (the config profile every notebook reads) or --param epochs=3 (repeatable)",
    out:
      `folder for the executed copies, inside ${DEFAULT_OUT}/ (the only folder the task may write; default ${DEFAULT_OUT})`,
    timeout: "seconds one cell may run (default 120)",
    "start-timeout": "seconds the kernel may take to start (default 60)",
    verbose: "log every cell and the kernel's stderr",
  },
};

await runTask("notebooks", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "notebooks",
      SPEC,
      "Execute notebooks (all of notebooks/ when no NAME is given, or e.g. 01 03_model) through the Deno Jupyter kernel and write executed copies with their outputs.",
    ));
    return 0;
  }
  setupLogging({ level: args.flags["verbose"] ? "debug" : "warning" });
  const cellTimeoutMs = seconds(args.options["timeout"], "timeout", 120) * 1000;
  const startTimeoutMs = seconds(args.options["start-timeout"], "start-timeout", 60) * 1000;
  const out = args.options["out"] ?? DEFAULT_OUT;
  await requireWritableOut(out);
  const params = parseParameterArgs(args.multi["param"] ?? []);
  const paths = await resolveNotebooks(NOTEBOOKS_DIR, args.positional);

  // Check every parameter against every notebook before the first kernel starts.
  const plan: { path: string; params: Record<string, unknown> }[] = [];
  const used = new Set<string>();
  const declaredAnywhere: string[] = [];
  for (const path of paths) {
    const declared = (await readNotebookParameters(path)).map((p) => p.name);
    declaredAnywhere.push(...declared);
    const own = Object.fromEntries(
      Object.entries(params).filter(([key]) => paths.length === 1 || declared.includes(key)),
    );
    for (const key of Object.keys(own)) used.add(key);
    await checkNotebookParameters(path, own);
    plan.push({ path, params: own });
  }
  const unused = Object.keys(params).filter((key) => !used.has(key));
  if (unused.length > 0) {
    const names = [...new Set(declaredAnywhere)];
    throw new ConfigError(
      `Cannot set parameter "${
        unused[0]
      }": no selected notebook declares it in its parameters cell${
        didYouMean(unused[0]!, names)
      } (declared: ${names.length === 0 ? "none" : names.map((n) => `"${n}"`).join(", ")})`,
    );
  }

  const controller = new AbortController();
  const interrupt = () => controller.abort();
  Deno.addSignalListener("SIGINT", interrupt);
  try {
    const results: NotebookResult[] = [];
    for (const { path, params: own } of plan) {
      const shown = Object.entries(own).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
      console.log(`▶ ${path}${shown.length > 0 ? `  (${shown.join(", ")})` : ""}`);
      const result = await runNotebook(path, {
        params: own,
        out,
        cellTimeoutMs,
        startTimeoutMs,
        signal: controller.signal,
      });
      results.push(result);
      console.log(
        `✓ ${path}: ${result.cells} cells in ${result.seconds.toFixed(1)} s → ${result.out}${
          result.runIds.length > 0 ? `\n  runs: ${result.runIds.join(", ")}` : ""
        }`,
      );
    }
    const total = results.reduce((sum, result) => sum + result.seconds, 0);
    console.log(
      `${results.length} notebook${results.length === 1 ? "" : "s"} executed in ${
        total.toFixed(1)
      } s`,
    );
    return 0;
  } finally {
    Deno.removeSignalListener("SIGINT", interrupt);
  }
});

/**
 * Refuses an `--out` folder this process may not write before any notebook runs: under the task's
 * permissions that is any folder outside `notebooks/executed/`, which would otherwise fail only
 * after the first notebook had executed.
 */
async function requireWritableOut(out: string): Promise<void> {
  const { state } = await Deno.permissions.query({ name: "write", path: out });
  if (state === "granted") return;
  throw new UsageError(
    `Cannot write executed notebooks to "${out}": the notebooks task may write only under ${DEFAULT_OUT}/, choose --out inside it (e.g. --out ${DEFAULT_OUT}/mine), or run src/cli/notebooks.ts with deno run and your own --allow-write`,
  );
}

function seconds(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new UsageError(
      `Cannot read --${name}: expected a positive number of seconds, got "${value}"`,
    );
  }
  return number;
}
