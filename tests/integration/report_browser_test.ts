/**
 * Opens a run report and the runs comparison page in headless Chromium (Debian's `chromium`
 * package, which .ci/run installs) through playwright-core, and checks what a reader sees: no
 * console errors, no request of any kind, every chart drawn at a non-zero size, and a table that
 * sorts when a header is clicked.
 *
 * Without Chromium the test is skipped and says why; under CI (`CI=true`) a missing Chromium
 * fails instead, so the check cannot silently stop running there. `DENO_MLOPS_CHROMIUM` names
 * another Chromium-based browser binary (e.g. `/usr/bin/google-chrome` on GitHub's runners).
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { loadConfig } from "../../src/config/mod.ts";
import { promoteRun, RUN_ARTIFACTS } from "../../src/models/mod.ts";
import { runTraining, writeRunsPage } from "../../src/pipelines/mod.ts";
import { captureLogs } from "../../src/utils/mod.ts";
import { makeTempProject } from "../_helpers/project.ts";

/** The browser: where Debian's `chromium` package installs it, unless the environment says. */
const CHROMIUM = Deno.env.get("DENO_MLOPS_CHROMIUM") || "/usr/bin/chromium";

/** Flags for a quiet, offline, throw-away browser. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const NAME = "report.html and the runs page render in headless Chromium without errors";

function chromiumMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `${CHROMIUM} not found; install Debian's chromium package (apt-get install -y chromium), as .ci/run does, or set DENO_MLOPS_CHROMIUM to a Chromium-based browser`;
  }
}

const missing = chromiumMissing();
const underCi = Deno.env.get("CI") === "true";
if (missing !== null && !underCi) {
  console.log(`skipped "${NAME}": ${missing}`);
}

/** What one page did while loading: console errors, page errors and requests. */
interface PageLog {
  errors: string[];
  requests: string[];
}

async function openPage(
  context: BrowserContext,
  path: string,
): Promise<{ page: Page; log: PageLog }> {
  const page = await context.newPage();
  const log: PageLog = { errors: [], requests: [] };
  page.on("console", (message) => {
    if (message.type() === "error") log.errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => log.errors.push(`page: ${error.message}`));
  page.on("request", (request) => log.requests.push(request.url()));
  await page.goto(`file://${path}`, { waitUntil: "load" });
  return { page, log };
}

/** Id, width and height of every chart's SVG on the page, as laid out. */
async function chartSizes(page: Page): Promise<{ id: string; width: number; height: number }[]> {
  const figures = page.locator("figure.chart");
  const sizes = [];
  for (let i = 0; i < await figures.count(); i++) {
    const figure = figures.nth(i);
    const box = await figure.locator("svg").boundingBox();
    sizes.push({
      id: (await figure.getAttribute("id")) ?? "",
      width: box?.width ?? 0,
      height: box?.height ?? 0,
    });
  }
  return sizes;
}

function assertCharts(
  sizes: { id: string; width: number; height: number }[],
  expected: string[],
  page: string,
): void {
  assert.deepEqual(sizes.map((s) => s.id), expected, `${page}: the charts`);
  for (const size of sizes) {
    assert.ok(
      size.width > 0 && size.height > 0,
      `${page}: ${size.id} is ${size.width}×${size.height}`,
    );
  }
}

Deno.test({
  name: NAME,
  ignore: missing !== null && !underCi,
  async fn() {
    if (missing !== null) assert.fail(`Cannot run the browser check under CI: ${missing}`);
    using _logs = captureLogs({ level: "error" });
    const root = await makeTempProject();
    const ids: string[] = [];
    for (const [rate, epochs] of [[0.01, 4], [0.05, 2], [0.02, 3]] as const) {
      const loaded = await loadConfig({
        root,
        overrides: [`training.learning_rate=${rate}`, `training.epochs=${epochs}`],
      });
      const result = await runTraining(loaded);
      result.model.dispose();
      ids.push(result.id);
    }
    const { config } = await loadConfig({ root });
    await promoteRun(config.registry, config.project.name, { runId: ids[0]! });
    const runsPage = `${root}/models/runs.html`;
    await writeRunsPage(config.registry, runsPage);
    const report = `${config.registry.experiments_dir}/${ids[0]}/${RUN_ARTIFACTS.report.file}`;

    const profile = await Deno.makeTempDir({ prefix: "deno-mlops-chromium-" });
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 60_000,
    });
    try {
      const opened = await openPage(context, report);
      assert.deepEqual(opened.log.errors, [], "report.html logs no error");
      assert.deepEqual(opened.log.requests, [`file://${report}`], "report.html loads nothing else");
      assertCharts(
        await chartSizes(opened.page),
        [
          "chart-learning-curves",
          "chart-confusion-matrix",
          "chart-roc",
          "chart-permutation-importance",
        ],
        "report.html",
      );
      assert.equal(await opened.page.locator(".chart-error").count(), 0);
      assert.equal(await opened.page.title(), `Run ${ids[0]}`);

      const runs = await openPage(context, runsPage);
      assert.deepEqual(runs.log.errors, [], "runs.html logs no error");
      assert.deepEqual(runs.log.requests, [`file://${runsPage}`], "runs.html loads nothing else");
      assertCharts(
        await chartSizes(runs.page),
        [
          "chart-primary-metric",
          "chart-scatter-f1-macro-training-epochs",
          "chart-scatter-f1-macro-training-learning-rate",
        ],
        "runs.html",
      );
      const column = async (name: string) => {
        const headers = await runs.page.locator("#runs-table thead th").allTextContents();
        const j = headers.indexOf(name);
        assert.ok(j >= 0, `no column "${name}" in ${JSON.stringify(headers)}`);
        return await runs.page.locator(`#runs-table tbody td:nth-child(${j + 1})`)
          .allTextContents();
      };
      const production = async () => {
        const rows = runs.page.locator("#runs-table tbody tr.production");
        return { count: await rows.count(), id: await rows.first().getAttribute("data-run") };
      };
      assert.deepEqual(await column("training.learning_rate"), ["0.02", "0.05", "0.01"]);
      const header = runs.page.locator("#runs-table th", { hasText: /^training\.learning_rate$/ });
      await header.click();
      assert.deepEqual(await column("training.learning_rate"), ["0.01", "0.02", "0.05"]);
      assert.equal(await header.getAttribute("aria-sort"), "ascending");
      await header.click();
      assert.deepEqual(await column("training.learning_rate"), ["0.05", "0.02", "0.01"]);
      assert.equal(await header.getAttribute("aria-sort"), "descending");
      await runs.page.locator("#runs-table th", { hasText: /^training\.epochs$/ }).click();
      assert.deepEqual(await column("training.epochs"), ["2", "3", "4"]);
      assert.deepEqual(
        await production(),
        { count: 1, id: ids[0] },
        "the production row stays highlighted",
      );
      assert.deepEqual(runs.log.errors, [], "sorting logs no error");
    } finally {
      await context.close();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
