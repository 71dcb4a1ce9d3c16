/**
 * `deno task runs [--profile NAME] [--family NAME] [--project NAME] [--verify] [--json]`: lists
 * the recorded runs newest first, with the production run marked `*`.
 *
 * `deno task runs --compare A B`: shows two runs side by side: the config keys that differ and
 * every metric on val and test with B's change against A.
 *
 * `deno task runs --html [--out FILE]`: writes one self-contained page of every run and study
 * (default `models/runs.html`): a sortable table with the production run highlighted, and the
 * primary metric plotted against each hyperparameter that varies.
 *
 * @module
 */
import { resolve } from "node:path";
import { loadConfig } from "../config/mod.ts";
import { compareRuns, listRuns, profileName, readProductionPointer } from "../models/mod.ts";
import type { ProductionPointer, RunComparison, RunRecord, RunSummary } from "../models/mod.ts";
import { ArtifactError } from "../errors.ts";
import { writeRunsPage } from "../pipelines/mod.ts";
import { setupLogging } from "../utils/mod.ts";
import { CONFIG_ARG_SPEC, configOptionsFromArgs, formatUsage, parseTaskArgs } from "./_args.ts";
import { formatMetric, formatMetricDelta, formatTable } from "./_tables.ts";
import { UsageError } from "../errors.ts";
import { runTask } from "./_task.ts";

const SPEC = {
  ...CONFIG_ARG_SPEC,
  options: [...CONFIG_ARG_SPEC.options, "profile", "family", "project", "out"],
  flags: ["compare", "verify", "json", "html"],
  positional: 2,
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    profile: 'only runs trained with this profile, e.g. cars ("none": without a profile)',
    family: "only runs of this model family, e.g. mlp",
    project: "only runs of this project.name, e.g. penguins",
    compare: "compare two runs: deno task runs --compare RUN_A RUN_B",
    verify: "also check every artifact's sha256 and mark corrupt runs (slower)",
    json: "print JSON instead of a table",
    html: "write a self-contained comparison page of all runs and studies (see --out)",
    out: "where --html writes the page (default models/runs.html)",
  },
};

await runTask("runs", async () => {
  const args = parseTaskArgs(Deno.args, SPEC);
  if (args.flags["help"]) {
    console.log(formatUsage(
      "runs",
      SPEC,
      "List recorded runs newest first (* marks production), compare two with --compare A B, or write a comparison page with --html.",
    ));
    return 0;
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const { experiments_dir: experiments, production_dir: production } = loaded.config.registry;

  if (args.options["out"] !== undefined && !args.flags["html"]) {
    throw new UsageError(
      `Cannot list runs: --out only applies to --html; write deno task runs --html --out ${
        args.options["out"]
      }`,
    );
  }
  if (args.flags["html"]) {
    if (args.flags["compare"] || args.flags["json"] || args.positional.length > 0) {
      throw new UsageError(
        "Cannot write the runs page: --html takes no run ids and cannot be combined with --compare or --json",
      );
    }
    const out = args.options["out"] === undefined
      ? `${loaded.root}/models/runs.html`
      : resolve(Deno.cwd(), args.options["out"]);
    const page = await writeRunsPage(loaded.config.registry, out, {
      filter: {
        profile: args.options["profile"] ?? null,
        family: args.options["family"] ?? null,
        project: args.options["project"] ?? null,
      },
    });
    const shown = page.path.startsWith(`${loaded.root}/`)
      ? page.path.slice(loaded.root.length + 1)
      : page.path;
    console.log(`runs page: ${shown} (${page.runs} run(s), ${page.studies} study(ies))`);
    return 0;
  }

  if (args.flags["compare"]) {
    const [a, b] = args.positional;
    if (a === undefined || b === undefined) {
      throw new UsageError(
        `Cannot compare runs: --compare needs two run ids, got ${args.positional.length}; e.g. deno task runs --compare RUN_A RUN_B`,
      );
    }
    const comparison = await compareRuns(experiments, [a, b]);
    console.log(
      args.flags["json"] ? JSON.stringify(comparison, null, 2) : formatComparison(comparison),
    );
    return 0;
  }
  if (args.positional.length > 0) {
    throw new UsageError(
      `Cannot list runs: unexpected argument "${
        args.positional[0]
      }"; to compare two runs write deno task runs --compare RUN_A RUN_B`,
    );
  }

  const runs = await listRuns(experiments, {
    profile: args.options["profile"] ?? null,
    family: args.options["family"] ?? null,
    project: args.options["project"] ?? null,
    verify: args.flags["verify"] ?? false,
  });
  let pointer: ProductionPointer | null = null;
  let productionProblem: string | null = null;
  try {
    pointer = await readProductionPointer(production);
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    productionProblem = error.message; // The listing stays useful when the pointer is broken.
  }
  if (args.flags["json"]) {
    console.log(JSON.stringify(
      runs.map((run) => ({ ...run, production: run.id === pointer?.run_id })),
      null,
      2,
    ));
    return 0;
  }
  if (runs.length === 0) {
    const filtered = ["profile", "family", "project"].some((name) => args.options[name]);
    console.log(
      filtered
        ? `No runs in ${experiments} match the filters`
        : `No runs in ${experiments} yet; train one with \`deno task train\``,
    );
  } else {
    console.log(formatRunTable(runs, pointer?.run_id ?? null));
  }
  console.log("");
  if (productionProblem !== null) {
    console.log(`production: unreadable (${productionProblem})`);
  } else if (pointer === null) {
    console.log("production: empty (promote a run with `deno task promote`)");
  } else {
    const how = { promote: "promoted", force: "force-promoted", rollback: "rolled back" };
    console.log(
      `* production: ${pointer.run_id} (${how[pointer.action] ?? pointer.action} at ${
        localTime(pointer.promoted_at)
      })`,
    );
  }
  return 0;
});

function formatRunTable(runs: readonly RunSummary[], productionId: string | null): string {
  const rows = runs.map((run) => {
    const id = `${run.id === productionId ? "*" : " "} ${run.id}`;
    const record = run.record;
    if (record === null) return [id, "", "", "", "", "", "", "", "", run.problem ?? ""];
    return [
      id,
      localTime(record.created),
      record.family,
      record.profile === null ? "-" : profileName(record.profile),
      record.primary?.metric ?? "-",
      formatMetric(record.primary?.val),
      formatMetric(record.primary?.test),
      record.data[0]?.sha256.slice(0, 12) ?? "-",
      gitLabel(record.git),
      run.problem ?? "",
    ];
  });
  const header = ["  id", "created", "family", "profile", "metric", "val", "test", "data", "git"];
  // The problem column appears only when a run has one, so the usual table stays narrow.
  if (rows.some((row) => row[9] !== "")) return formatTable([...header, "problem"], rows);
  return formatTable(header, rows.map((row) => row.slice(0, header.length)));
}

function formatComparison(comparison: RunComparison): string {
  const { a, b } = comparison;
  const lines: string[] = [];
  const runRow = (label: string, pick: (record: RunRecord) => string) => [
    label,
    pick(a),
    pick(b),
  ];
  lines.push(formatTable(["run", "A", "B"], [
    runRow("id", (r) => r.id),
    runRow("created", (r) => localTime(r.created)),
    runRow("family", (r) => r.family),
    runRow("profile", (r) => (r.profile === null ? "-" : profileName(r.profile))),
    runRow("data", (r) => r.data[0]?.sha256.slice(0, 12) ?? "-"),
    runRow("test data", (r) => r.test_fingerprint.slice(0, 12)),
    runRow("git", (r) => gitLabel(r.git)),
  ]));
  lines.push("");
  if (comparison.config.length === 0) {
    lines.push("config: identical");
  } else {
    lines.push(`config differences (${comparison.config.length}):`);
    lines.push(formatTable(
      ["key", "A", "B"],
      comparison.config.map((d) => [d.path, d.a ?? "(absent)", d.b ?? "(absent)"]),
    ));
  }
  lines.push("");
  lines.push(
    "metrics (Δ = B - A; better/worse in each metric's direction: higher is better for scores, lower for errors and losses):",
  );
  const names = [...new Set(comparison.metrics.map((m) => m.metric))];
  const find = (metric: string, split: "val" | "test") =>
    comparison.metrics.find((m) => m.metric === metric && m.split === split);
  const delta = (metric: string, split: "val" | "test") => {
    const m = find(metric, split);
    return m === undefined ? "n/a" : formatMetricDelta(m.delta, m.better);
  };
  lines.push(formatTable(
    ["metric", "A val", "B val", "Δ val", "A test", "B test", "Δ test"],
    names.map((metric) => [
      metric === a.primary.metric ? `${metric} *` : metric,
      formatMetric(find(metric, "val")?.a),
      formatMetric(find(metric, "val")?.b),
      delta(metric, "val"),
      formatMetric(find(metric, "test")?.a),
      formatMetric(find(metric, "test")?.b),
      delta(metric, "test"),
    ]),
  ));
  return lines.join("\n");
}

function gitLabel(git: RunRecord["git"] | undefined): string {
  if (!git?.commit) return "-";
  return `${git.commit.slice(0, 8)}${git.dirty ? "+dirty" : ""}`;
}

function localTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${
    pad(date.getHours())
  }:${pad(date.getMinutes())}`;
}
