/**
 * The reliability benchmark (issue #9): runs every reliability harness at full size and writes
 * the figures into bench/RELIABILITY.md.
 *
 * - crash safety: 30+ SIGKILLs per command (`train`, `promote`, `predict`), two promotions
 *   started at the same moment, a stale lock left by a killed holder
 *   (`tests/_helpers/crash.ts`);
 * - corruption: byte flips, bit flips, truncation, emptying and deletion of every artifact of a
 *   run and of production (`tests/_helpers/corruption.ts`);
 * - fuzzing: 5,000 cases per property over the config loader, data loaders, validator and
 *   request parser (`tests/_helpers/fuzz.ts`);
 * - hostile inputs (`tests/_helpers/hostile.ts`) and sandbox escapes
 *   (`tests/_helpers/sandbox.ts`);
 * - a soak of the service with a promotion and a rollback (`bench/soak.ts`).
 *
 * Usage: `deno run -A bench/reliability.ts [--kills 30] [--flips 20] [--fuzz-runs 5000]
 * [--soak-seconds 180] [--seed N] [--only crash,corruption,fuzz,hostile,sandbox,soak]
 * [--no-write]`. Exits 1 when any check failed (the file still says which).
 *
 * @module
 */
import {
  concurrentPromotions,
  killPredict,
  killPromote,
  killTrain,
  staleLockRecovery,
} from "../tests/_helpers/crash.ts";
import type { CrashReport } from "../tests/_helpers/crash.ts";
import { runCorruptionSuite } from "../tests/_helpers/corruption.ts";
import type { CorruptionReport } from "../tests/_helpers/corruption.ts";
import { runFuzz } from "../tests/_helpers/fuzz.ts";
import type { FuzzResult } from "../tests/_helpers/fuzz.ts";
import { runHostileCases } from "../tests/_helpers/hostile.ts";
import type { HostileResult } from "../tests/_helpers/hostile.ts";
import { offlineTasks, runSandboxProbes } from "../tests/_helpers/sandbox.ts";
import type { SandboxResult } from "../tests/_helpers/sandbox.ts";
import { describeMachine, ROOT } from "./_results.ts";
import { FD_TOLERANCE, RSS_TOLERANCE_MIB, RSS_TOLERANCE_SHARE, runSoak } from "./soak.ts";
import type { SoakReport } from "./soak.ts";

/** Failures the suite found while it was written, and how each was fixed. */
const FOUND_AND_FIXED: ReadonlyArray<{ found: string; by: string; fix: string }> = [
  {
    found:
      "A registry lock left by a killed `promote` blocked every later promotion: the stale-lock check read `/proc/<pid>`, which the task's `--allow-read=.` denies, so `promote` died with NotCapable instead of releasing the lock.",
    by: "crash safety (kill promote), reproduced on the previous commit",
    fix:
      "The lock holder keeps an OS file lock (flock) on `.lock` while it holds it; without leave to read `/proc`, a lock whose flock is free is stale (src/models/registry.ts).",
  },
  {
    found:
      "Leftovers of killed runs were never removed: `.partial-*` run folders, production copies, pointer temporaries and `.<output>.partial-*` prediction files piled up.",
    by: "crash safety (kill train, promote, predict)",
    fix:
      "Writers hold an ownership flock on their temporary file or folder (src/utils/leftovers.ts); `train` (writeRunFolder), `promote`/`rollback` (under the lock) and `predict` (openBatchWriter) remove those whose owner is gone when they start.",
  },
  {
    found:
      "A `promote` killed between the pointer swap and the log append left production at the new run with a promotion log ending at the old one.",
    by: "crash safety (kill promote), by construction of the kill points",
    fix:
      "`current.json` carries its change's log line (`log_entry`); `readPromotionLog` lists it when the file lacks it and the next promotion or rollback appends it.",
  },
  {
    found:
      "A changed byte inside a string of `run.json` or `current.json` (a metric, the run id in `history`, a date) was not detected: neither file had a checksum.",
    by: "corruption (byte flips in run.json and current.json)",
    fix:
      "Both files are sealed: their last field `self_sha256` is the sha256 of the file with that value empty; older unsealed files are accepted only when they hold no unknown key.",
  },
  {
    found:
      "`readRunFolder` followed a run folder or an artifact that is a symbolic link to files outside `models/`, and `run.json` could list artifacts such as `../../etc/hostname`.",
    by: "hostile inputs (symbolic links, crafted run.json)",
    fix:
      "Run folders and artifacts must resolve inside their folder and artifact paths must be plain relative paths; `loadRunArtifacts` refuses files run.json records no sha256 for.",
  },
  {
    found:
      "A CSV, JSON or NDJSON column holding an integer beyond 64 bits (read by polars as Int128) crashed any later step with a bare `Error: DataType Int128 is not supported for JS conversion`; JSON writes the double 2^63 that way, so even a `float` column could not be read.",
    by:
      "fuzzing (data: JSON and NDJSON; data: numbers survive CSV and JSON exactly, at 5,000 cases)",
    fix:
      "`loadDataset` converts such columns under a `float` or `string` override and otherwise refuses them with a SchemaMismatchError naming them (src/data/loader.ts).",
  },
  {
    found:
      "A data file with a column named like `^b.*$` (or `*`) failed with a bare `TypeError: Cannot read properties of undefined`: polars reads such names in `pl.col()` as a regular expression (or every column).",
    by: "fuzzing (data: CSV and TSV text, at 5,000 cases)",
    fix:
      "`loadDataset` refuses such names with a SchemaMismatchError asking to rename them (src/data/loader.ts).",
  },
  {
    found:
      "`validate` with an empty `allowed` list (or one with no value of the column's type) failed inside polars (`'is_in' cannot check for List(Float64) values in String data`).",
    by: "fuzzing (validator: rules and counts)",
    fix: "Every non-null value then breaks the rule (src/data/validator.ts).",
  },
  {
    found:
      "A complex YAML key (`? [a, b]`) in a config file made the yaml library print a Node warning to stderr while the loader checked aliases.",
    by: "fuzzing (config: YAML text)",
    fix:
      "The alias check converts with `mapAsMap`; the key is then refused as a ConfigError (src/config/load_config.ts).",
  },
  {
    found:
      "YAML nested thousands of levels deep was refused only by a stack overflow inside the parser (1.7 s, reported as a syntax error), not by the depth limit.",
    by: "hostile inputs (100,000 nested sequences, 10,000 nested maps)",
    fix:
      "A non-recursive pre-scan refuses documents nested beyond 4× MAX_CONFIG_DEPTH before parsing (src/config/load_config.ts).",
  },
  {
    found:
      "A request row with 100,000 unknown fields took 3.1 s of the server's only thread (a did-you-mean per field, though only 100 problems are listed): a cheap denial of service.",
    by: "hostile inputs (100,000-column rows, JSON and CSV)",
    fix: "Messages are built only for listed problems: 0.2 s (src/serve/request_rows.ts).",
  },
  {
    found:
      "`predict --on-error skip` failed the whole job on a row holding 1e308 (it overflows the model's float32 features), and a float column holding Infinity was not checked per row.",
    by: "hostile inputs (NaN, Infinity, 1e308 in a predict input)",
    fix:
      "Rows with non-finite values or values more than 10⁶ range widths outside training are rejected with the reason, as the HTTP service does (src/pipelines/inference_pipeline.ts).",
  },
  {
    found:
      "A `predict` killed between its two renames could leave the output without its rejected-rows file.",
    by: "crash safety (kill predict)",
    fix:
      "The rejected-rows file is renamed into place first, so an output file implies a complete rejected file.",
  },
  {
    found:
      "`/v1/admin/reload` trusted any loopback client, so behind a reverse proxy on the same host every outside client could reload, whatever `X-Forwarded-For` said.",
    by: "hostile inputs (gateway: spoofed X-Forwarded-For on admin)",
    fix:
      "With `serve.tokens`, admin routes need a bearer token of scope admin from any address (src/serve/auth.ts); loopback trust applies only with no tokens configured.",
  },
  {
    found:
      "A client sending its body one byte a second held a request open for as long as it liked and got 200.",
    by: "hostile inputs (gateway: slow-body client)",
    fix:
      "The body must arrive within `serve.body_timeout_ms`, else 408 JSON (readBodyText in src/serve/request_rows.ts). A header-read deadline is not enforced: Deno.serve does not expose one.",
  },
];

interface Sections {
  crash?: {
    reports: CrashReport[];
    concurrent: string[][];
    stale: Array<{ seconds: number; warning: string }>;
  } | undefined;
  corruption?: CorruptionReport | undefined;
  fuzz?: FuzzResult[] | undefined;
  hostile?: HostileResult[] | undefined;
  sandbox?: { results: SandboxResult[]; offline: Record<string, string | null> } | undefined;
  soak?: SoakReport | undefined;
  errors: Record<string, string>;
}

const args = Deno.args;
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const KILLS = Math.max(30, option("kills", 30));
const FLIPS = option("flips", 20);
const FUZZ_RUNS = option("fuzz-runs", 5_000);
const SOAK_SECONDS = option("soak-seconds", 180);
const SEED = option("seed", Date.now() % 1_000_000);
const ONLY = args.includes("--only")
  ? args[args.indexOf("--only") + 1]!.split(",")
  : ["crash", "corruption", "fuzz", "hostile", "sandbox", "soak"];
const WRITE = !args.includes("--no-write");

/** Runs one section, recording its error instead of stopping the others. */
async function section<T>(
  name: string,
  sections: Sections,
  run: () => Promise<T>,
): Promise<T | undefined> {
  if (!ONLY.includes(name)) return undefined;
  const started = performance.now();
  console.log(`== ${name}`);
  try {
    return await run();
  } catch (error) {
    sections.errors[name] = error instanceof Error ? error.message : String(error);
    console.error(`${name} FAILED: ${sections.errors[name]}`);
    return undefined;
  } finally {
    console.log(`== ${name} took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
}

if (import.meta.main) {
  console.log(`seed ${SEED} (replay with --seed ${SEED})`);
  const started = performance.now();
  const sections: Sections = { errors: {} };
  const progress = (command: string) => (k: { index: number; outcome: string }) => {
    if ((k.index + 1) % 10 === 0) {
      console.log(`  ${command}: ${k.index + 1} kills, last: ${k.outcome}`);
    }
  };
  sections.crash = await section("crash", sections, async () => {
    const reports = [
      await killTrain({ kills: KILLS, seed: SEED, onKill: progress("train") }),
      await killPromote({ kills: KILLS, seed: SEED, onKill: progress("promote") }),
      await killPredict({ kills: KILLS, seed: SEED, onKill: progress("predict") }),
    ];
    const concurrent = [];
    const stale = [];
    for (let i = 0; i < 3; i++) {
      concurrent.push(await concurrentPromotions());
      stale.push(await staleLockRecovery());
    }
    return { reports, concurrent, stale };
  });
  sections.corruption = await section(
    "corruption",
    sections,
    () => runCorruptionSuite({ flipsPerFile: FLIPS, seed: SEED }),
  );
  sections.fuzz = await section("fuzz", sections, async () => {
    const results = await runFuzz({ numRuns: FUZZ_RUNS, seed: SEED });
    for (const r of results) {
      console.log(`  ${r.name}: ${r.runs} cases, ${r.failed ? "FAILED" : "ok"}`);
      if (r.failed) sections.errors[`fuzz: ${r.name}`] = r.report ?? "failed";
    }
    return results;
  });
  sections.hostile = await section("hostile", sections, () => runHostileCases());
  sections.sandbox = await section("sandbox", sections, async () => {
    const results = await runSandboxProbes();
    const wrong = results.filter((r) => r.outcome !== r.expected);
    if (wrong.length > 0) {
      sections.errors["sandbox"] = wrong.map((r) => `${r.task}: ${r.action}: ${r.outcome}`)
        .join("; ");
    }
    return { results, offline: offlineTasks() };
  });
  sections.soak = await section("soak", sections, async () => {
    const report = await runSoak({
      seconds: SOAK_SECONDS,
      seed: SEED,
      onProgress: (line) => console.log(`  ${line}`),
    });
    if (!report.passed) {
      sections.errors["soak"] = `requirements not met: ${report.failures.join("; ")}`;
    }
    return report;
  });
  const minutes = (performance.now() - started) / 60_000;
  const markdown = render(sections, await describeMachine(), minutes);
  if (WRITE) await Deno.writeTextFile(`${ROOT}/bench/RELIABILITY.md`, markdown);
  else console.log(markdown);
  const failed = Object.keys(sections.errors);
  console.log(
    failed.length === 0 ? "all reliability checks passed" : `FAILED: ${failed.join(", ")}`,
  );
  if (failed.length > 0) Deno.exit(1);
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

function render(sections: Sections, machine: string, minutes: number): string {
  const lines: string[] = [
    "# Reliability figures",
    "",
    "Written by `deno task bench:reliability` (`bench/reliability.ts`); do not edit by hand.",
    `Machine: ${machine}. Seed ${SEED} (replay with \`--seed ${SEED}\`). Whole run: ${
      minutes.toFixed(1)
    } min.`,
    "",
    "The same harnesses run at a small size in `deno task test` (`tests/reliability/`).",
    "",
  ];
  const errors = Object.entries(sections.errors);
  lines.push(
    errors.length === 0
      ? "**Result: every check passed.**"
      : `**Result: ${errors.length} check(s) FAILED:**\n\n${
        errors.map(([k, v]) => `- ${k}: ${oneLine(v)}`).join("\n")
      }`,
    "",
  );
  if (sections.crash) lines.push(...renderCrash(sections.crash));
  if (sections.corruption) lines.push(...renderCorruption(sections.corruption));
  if (sections.fuzz) lines.push(...renderFuzz(sections.fuzz));
  lines.push(...renderFound());
  if (sections.hostile) lines.push(...renderHostile(sections.hostile));
  if (sections.sandbox) lines.push(...renderSandbox(sections.sandbox));
  if (sections.soak) lines.push(...renderSoak(sections.soak));
  return lines.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

function renderCrash(crash: NonNullable<Sections["crash"]>): string[] {
  const lines = [
    "## Crash safety: SIGKILL at seeded points",
    "",
    "Each command runs as a real `deno task` process with its declared permissions and is killed",
    "with SIGKILL: a third of the kills stepped across a whole run (from the spawn), the rest",
    "stepped across the window in which it writes (from the moment its first temporary file or",
    "its registry lock appears). After every kill: every run `runs` lists opens (all sha256),",
    "loads and predicts exactly like the reference run; production is the old or the new run,",
    "verifies, predicts like that run, and the promotion log ends with its change; a prediction",
    "output is absent or byte-identical to the reference. Then the next start of the command",
    "must remove every leftover.",
    "",
    "| command | kills | killed while running | outcomes | invariant checks passed | left at the end → removed by the next start | stale locks released | full run | write window |",
    "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
  ];
  for (const r of crash.reports) {
    const outcomes = Object.entries(r.outcomes).sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${n}× ${name}`).join("; ");
    lines.push(
      `| ${r.command} | ${r.records.length} | ${r.killed} | ${outcomes} | ${r.checks} | ${r.leftovers} → ${r.cleaned} | ${
        r.command === "promote" ? r.staleLocks : "–"
      } | ${r.referenceSeconds.toFixed(2)} s | ${r.writeWindowMs[0]}–${r.writeWindowMs[1]} ms |`,
    );
  }
  const total = crash.reports.reduce((sum, r) => sum + r.records.length, 0);
  lines.push(
    "",
    "Leftovers of earlier kills are removed by later starts (also by starts that are killed in turn), so only those of the last kills remain at the end.",
    "",
    `Faults injected: ${total} kills; survived: ${total} (every invariant held after each).`,
    "",
    `Two \`promote\` processes started at the same moment, ${crash.concurrent.length} times: serialised by the lock every time (the second's \`from\` is the first's \`to\`): ${
      crash.concurrent.map((c) => c.map(shortIds).join(", then ")).join(" | ")
    }.`,
    "",
    `A registry lock held by a SIGKILLed process (with promote's permissions), ${crash.stale.length} times: the next \`promote\` released it and promoted in ${
      crash.stale.map((s) => `${s.seconds.toFixed(2)} s`).join(", ")
    } (logged: stale because ${oneLine(crash.stale[0]?.warning ?? "")}).`,
    "",
  );
  return lines;
}

function renderCorruption(report: CorruptionReport): string[] {
  const files = new Map<string, Record<string, number>>();
  for (const r of report.results) {
    const key = `${r.target}: ${r.file}`;
    const row = files.get(key) ?? {};
    row[r.mode] = (row[r.mode] ?? 0) + 1;
    files.set(key, row);
  }
  const modes = ["flip byte", "flip bit", "truncate", "empty", "delete"];
  const lines = [
    "## Corruption: every artifact of a run and of production",
    "",
    `Each case damages one file (byte flips XOR 0xFF and single-bit flips at the first, last and seeded positions; truncation to half; emptying; deletion), loads, and restores it. Detected means an \`ArtifactError\` naming the file and the check, the run marked corrupt by \`listRuns({ verify: true })\`, and for production nothing served: the service's model holder loads nothing and says why. **${report.results.length} cases, ${report.results.length} detected, 0 served.**`,
    "",
    `| file | ${modes.join(" | ")} | detected |`,
    `| --- | ${modes.map(() => "---:").join(" | ")} | ---: |`,
  ];
  for (const [file, row] of files) {
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    lines.push(`| ${file} | ${modes.map((m) => row[m] ?? 0).join(" | ")} | ${total}/${total} |`);
  }
  lines.push(
    "",
    `Caught by: ${
      Object.entries(report.byCheck).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`)
        .join(", ")
    }.`,
    "",
  );
  return lines;
}

function renderFuzz(results: FuzzResult[]): string[] {
  const total = results.reduce((sum, r) => sum + r.runs, 0);
  const failed = results.filter((r) => r.failed).length;
  const lines = [
    "## Fuzzing (npm fast-check)",
    "",
    `Each property holds when the code returns a result or throws one of the project's typed errors, within 5 s per case, without polluting \`Object.prototype\`, and without a wrong number (numbers round-trip exactly; validator counts equal plain counts; probabilities are finite and sum to 1). **${
      total.toLocaleString("en-US")
    } cases, ${failed} failing properties now.** Failures found while writing the suite are listed below with their fixes.`,
    "",
    "| property | cases | outcomes | slowest case | busy-machine re-runs | result |",
    "| --- | ---: | --- | ---: | ---: | --- |",
  ];
  for (const r of results) {
    const outcomes = Object.entries(r.outcomes).sort((a, b) => b[1] - a[1])
      .map(([name, n]) => `${name} ${n}`).join(", ");
    lines.push(
      `| ${r.name} | ${
        r.runs.toLocaleString("en-US")
      } | ${outcomes} | ${r.slowestMs} ms | ${r.stalls} | ${
        r.failed ? `FAILED: ${oneLine(r.report ?? "").slice(0, 300)}` : "passed"
      } |`,
    );
  }
  lines.push("");
  return lines;
}

function renderFound(): string[] {
  return [
    "## Failures found and fixed",
    "",
    "| # | found | by | fix |",
    "| ---: | --- | --- | --- |",
    ...FOUND_AND_FIXED.map((f, i) => `| ${i + 1} | ${f.found} | ${f.by} | ${f.fix} |`),
    "",
    "Each is pinned by a test: `tests/reliability/found_failures_test.ts`, `leftovers_test.ts`, and the crash, corruption and hostile-input tests.",
    "",
  ];
}

function renderHostile(results: HostileResult[]): string[] {
  return [
    "## Hostile inputs",
    "",
    `**${results.length} hostile inputs tried, ${results.length} answered as required.** HTTP cases go to the real service (serve's permissions); gateway cases to a second one with bearer tokens, a CORS allowlist and a 500 ms body deadline; command-line cases run the real tasks with theirs. After every HTTP and gateway case a valid request still gets its prediction.`,
    "",
    "| area | input | required | observed | ms |",
    "| --- | --- | --- | --- | ---: |",
    ...results.map((r) =>
      `| ${r.area} | ${escape(r.input)} | ${escape(r.expected)} | ${
        escape(oneLine(r.observed))
      } | ${r.ms} |`
    ),
    "",
  ];
}

function renderSandbox(sandbox: NonNullable<Sections["sandbox"]>): string[] {
  const denied = sandbox.results.filter((r) => r.expected === "denied");
  return [
    "## Sandbox: each task's permissions",
    "",
    `A probe run with exactly the task's flags tries each action. **${denied.length} forbidden actions tried, ${
      denied.filter((r) => r.outcome === "denied").length
    } denied**; ${
      sandbox.results.length - denied.length
    } controls (what the task needs) allowed. No --allow-net in: ${
      Object.entries(sandbox.offline).filter(([, flag]) => flag === null).map(([t]) => t).join(", ")
    }.`,
    "",
    "| task | action | required | outcome |",
    "| --- | --- | --- | --- |",
    ...sandbox.results.map((r) =>
      `| ${r.task} | ${escape(r.action)} | ${r.expected} | ${escape(r.outcome)} |`
    ),
    "",
  ];
}

function renderSoak(soak: SoakReport): string[] {
  const rate = (soak.requests / soak.seconds).toFixed(0);
  return [
    "## Soak: the service under a steady mix, with a promotion and a rollback",
    "",
    `${soak.seconds} s, ${soak.clients} closed-loop clients on loopback, serve started with its task permissions (serve.max_rows 100, serve.max_body_bytes 256 KiB${
      soak.auth ? ", a bearer token in serve.tokens sent with every request" : ""
    }). Production was promoted from \`${soak.runs.first}\` to \`${soak.runs.second}\` at ${soak.runs.promotedAt} s (\`deno task promote\`) and rolled back at ${soak.runs.rolledBackAt} s (\`deno task rollback\`).`,
    "",
    `- requests: ${soak.requests.toLocaleString("en-US")} (${rate}/s); valid ${
      soak.valid.toLocaleString("en-US")
    }, **failed valid: ${soak.validFailures}**; invalid ${
      soak.invalid.toLocaleString("en-US")
    }, **answered with the wrong status: ${soak.invalidWrong}**`,
    `- valid answers by run: ${
      Object.entries(soak.runIds).map(([id, n]) => `${id} ${n.toLocaleString("en-US")}`).join(", ")
    }`,
    `- latency of valid requests: p50 ${soak.latency.p50} ms, p99 ${soak.latency.p99} ms`,
    `- micro-batching on: ${soak.batching.requests.toLocaleString("en-US")} scored requests in ${
      soak.batching.calls.toLocaleString("en-US")
    } scoring calls (${
      (soak.batching.requests / Math.max(1, soak.batching.calls)).toFixed(2)
    } per call)`,
    `- live drift on, checked every ${soak.drift.intervalSeconds} s: status ${soak.drift.status}, ${soak.drift.reservoirRows} of at most ${soak.drift.capacity} recent rows kept out of ${
      soak.drift.seen.toLocaleString("en-US")
    } scored by the serving run, last check ${
      soak.drift.checkedAt ?? "none"
    }, dataset drifted: ${soak.drift.datasetDrifted} (share ${
      soak.drift.shareDrifted?.toFixed(2) ?? "n/a"
    }; the soak's rows are uniform over the training ranges, not the training distribution)`,
    `- resident memory (server, sampled each second; medians of the 20 % of samples after a 20 % warm-up and of the last 20 %): ${soak.rss.early} → ${soak.rss.late} MiB, **drift ${soak.rss.driftMiB} MiB** (tolerance ${RSS_TOLERANCE_MIB} MiB + ${
      RSS_TOLERANCE_SHARE * 100
    } % = ${soak.rss.allowedMiB} MiB); peak ${soak.rss.peak} MiB`,
    `- open file handles (/proc/PID/fd): ${soak.fds.early} → ${soak.fds.late}, **drift ${soak.fds.drift}** (tolerance ${FD_TOLERANCE})`,
    `- result: ${soak.passed ? "**passed**" : `**FAILED** ${soak.failures.join("; ")}`}`,
    "",
    "| request kind | required status | sent | answers |",
    "| --- | ---: | ---: | --- |",
    ...Object.entries(soak.byKind).map(([name, k]) =>
      `| ${escape(name)} | ${k.expected} | ${k.sent.toLocaleString("en-US")} | ${
        Object.entries(k.statuses).map(([s, n]) => `${s}: ${n.toLocaleString("en-US")}`).join(", ")
      } |`
    ),
    "",
    `Memory over time (s: MiB / fds): ${
      soak.samples.filter((_, i) => i % Math.max(1, Math.floor(soak.samples.length / 12)) === 0)
        .map((s) => `${Math.round(s.t)}: ${s.rssMiB.toFixed(0)} / ${s.fds}`).join(", ")
    }.`,
    "",
  ];
}

function shortIds(change: string): string {
  return change.replace(/\d{8}-\d{6}-penguins-/g, "…");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

function escape(text: string): string {
  return text.replaceAll("|", "\\|");
}
