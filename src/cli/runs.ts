/**
 * `deno task runs [--profile NAME] [--family NAME] [--project NAME | --all] [--verify] [--json]`:
 * lists the recorded runs of the config's project (`project.name`) newest first, with its
 * production run marked `*`; `--project NAME` lists another project, and `--all` lists every
 * project with a project column, each project's production run marked.
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
import {
  compareRuns,
  listProductionProjects,
  listRuns,
  profileName,
  readProductionPointer,
  resolveProductionDir,
} from "../models/mod.ts";
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
  flags: ["compare", "verify", "json", "html", "all"],
  positional: 2,
  descriptions: {
    ...CONFIG_ARG_SPEC.descriptions,
    profile: 'only runs trained with this profile, e.g. cars ("none": without a profile)',
    family: "only runs of this model family, e.g. mlp",
    project: "only runs of this project.name, e.g. penguins (default: the config's project)",
    all: "list the runs of every project, with a project column",
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
      "List the recorded runs of the config's project newest first (* marks its production run; --all: every project), compare two with --compare A B, or write a comparison page with --html.",
    ));
    return 0;
  }
  const loaded = await loadConfig({ ...configOptionsFromArgs(args), env: Deno.env.toObject() });
  setupLogging(loaded.config.logging);
  const { experiments_dir: experiments } = loaded.config.registry;
  if (args.flags["all"] && args.options["project"] !== undefined) {
    throw new UsageError(
      `Cannot list runs: --all lists every project and --project one; give one of them, e.g. deno task runs --project ${
        args.options["project"]
      }`,
    );
  }
  // The config's project unless --project names another; --all lists every project.
  const project = args.flags["all"]
    ? null
    : (args.options["project"] ?? loaded.config.project.name);

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
        project,
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
    project,
    verify: args.flags["verify"] ?? false,
  });
  const productions = await readProductions(
    loaded.config.registry,
    project === null ? null : [project],
  );
  const productionIds = new Set(
    [...productions.values()].flatMap((p) => (p.pointer === null ? [] : [p.pointer.run_id])),
  );
  if (args.flags["json"]) {
    console.log(JSON.stringify(
      runs.map((run) => ({ ...run, production: productionIds.has(run.id) })),
      null,
      2,
    ));
    return 0;
  }
  if (runs.length === 0) {
    const filtered = ["profile", "family"].some((name) => args.options[name]);
    const scope = project === null ? "" : ` of project "${project}"`;
    console.log(
      filtered
        ? `No runs${scope} in ${experiments} match the filters`
        : `No runs${scope} in ${experiments} yet; train one with \`deno task train\`${
          project === null ? "" : " (--all lists every project)"
        }`,
    );
  } else {
    console.log(formatRunTable(runs, productionIds, project === null));
  }
  console.log("");
  const how = { promote: "promoted", force: "force-promoted", rollback: "rolled back" };
  if (productions.size === 0) {
    console.log("production: empty (promote a run with `deno task promote`)");
  }
  for (const [name, { pointer, problem }] of productions) {
    const label = project === null ? `production of ${name}` : "production";
    if (problem !== null) {
      console.log(`${label}: unreadable (${problem})`);
    } else if (pointer === null) {
      console.log(`${label}: empty (promote a run with \`deno task promote\`)`);
    } else {
      console.log(
        `* ${label}: ${pointer.run_id} (${how[pointer.action] ?? pointer.action} at ${
          localTime(pointer.promoted_at)
        })`,
      );
    }
  }
  return 0;
});

/**
 * The production pointer of each project listed (`null`: every project with a production
 * folder); a broken pointer is reported, not thrown, so the listing stays useful.
 */
async function readProductions(
  registry: { production_dir: string },
  projects: string[] | null,
): Promise<Map<string, { pointer: ProductionPointer | null; problem: string | null }>> {
  const out = new Map<string, { pointer: ProductionPointer | null; problem: string | null }>();
  for (const name of projects ?? await listProductionProjects(registry.production_dir)) {
    try {
      const dir = await resolveProductionDir(registry, name);
      out.set(name, { pointer: await readProductionPointer(dir), problem: null });
    } catch (error) {
      if (!(error instanceof ArtifactError)) throw error;
      out.set(name, { pointer: null, problem: error.message });
    }
  }
  return out;
}

function formatRunTable(
  runs: readonly RunSummary[],
  productionIds: ReadonlySet<string>,
  showProject: boolean,
): string {
  const rows = runs.map((run) => {
    const id = `${productionIds.has(run.id) ? "*" : " "} ${run.id}`;
    const record = run.record;
    if (record === null) return [id, "", "", "", "", "", "", "", "", "", run.problem ?? ""];
    return [
      id,
      record.project,
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
  const header = [
    "  id",
    "project",
    "created",
    "family",
    "profile",
    "metric",
    "val",
    "test",
    "data",
    "git",
  ];
  // The problem column appears only when a run has one, so the usual table stays narrow; the
  // project column only when several projects are listed.
  const withProblem = rows.some((row) => row[10] !== "");
  const keep = (row: string[]) =>
    (withProblem ? row : row.slice(0, header.length)).filter((_, i) => showProject || i !== 1);
  const names = withProblem ? [...header, "problem"] : header;
  return formatTable(keep(names), rows.map(keep));
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
    runRow("project", (r) => r.project),
    runRow("created", (r) => localTime(r.created)),
    runRow("family", (r) => r.family),
    runRow("profile", (r) => (r.profile === null ? "-" : profileName(r.profile))),
    runRow("data", (r) => r.data[0]?.sha256.slice(0, 12) ?? "-"),
    runRow("test data", (r) => r.test_fingerprint.slice(0, 12)),
    runRow("git", (r) => gitLabel(r.git)),
  ]));
  if (a.project !== b.project) {
    lines.push(
      `note: A is a run of project "${a.project}" and B of project "${b.project}"; the promotion gate compares only runs of one project`,
    );
  }
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
