import assert from "node:assert/strict";
import { makeTempProject, runCli } from "../_helpers/project.ts";

const WORSE_FEATURES =
  'features.steps=[{name: numeric, columns: ["Body Mass (g)"], transformers: [{kind: StandardScaler}]}]';

async function train(root: string, args: string[]): Promise<string> {
  const result = await runCli("train.ts", args, root);
  assert.equal(result.code, 0, result.stderr);
  const id = result.stdout.match(/^run: (\S+)$/m)?.[1];
  assert.ok(id, result.stdout);
  return id;
}

async function production(root: string): Promise<string> {
  return await Deno.readTextFile(`${root}/models/production/penguins/current.json`).catch(() =>
    "(none)"
  );
}

Deno.test("runs, promote and rollback take a project through train, gate, force and rollback", async () => {
  const root = await makeTempProject();

  // An empty registry: nothing to list, promote or roll back, and nothing is created.
  const empty = await runCli("runs.ts", [], root);
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(
    empty.stdout,
    /No runs of project "penguins" in .* yet; train one with `deno task train` \(--all lists every project\)/,
  );
  assert.match(empty.stdout, /^production: empty/m);
  const nothing = await runCli("promote.ts", [], root);
  assert.equal(nothing.code, 1);
  assert.match(
    nothing.stderr,
    /promote: Cannot choose a run to promote: no run of project "penguins"/,
  );
  const noRollback = await runCli("rollback.ts", [], root);
  assert.equal(noRollback.code, 1);
  assert.match(
    noRollback.stderr,
    /rollback: Cannot roll back project "penguins": its production in ".*\/models\/production\/penguins" is empty/,
  );
  const noRun = await runCli("evaluate.ts", [], root);
  assert.equal(noRun.code, 1);
  assert.match(
    noRun.stderr,
    /evaluate: Cannot evaluate: no run is in production and ".*" holds no run of project "penguins"; train one/,
  );

  // A good run goes into the empty slot.
  const good = await train(root, ["--set", "training.epochs=5"]);
  // evaluate without --run: the newest run while production is empty, and says so.
  const newest = await runCli("evaluate.ts", [], root);
  assert.equal(newest.code, 0, newest.stderr);
  assert.match(
    newest.stdout,
    new RegExp(
      `^no --run given: evaluating the newest run ${good} \\(production is empty\\)$`,
      "m",
    ),
  );
  assert.match(newest.stdout, new RegExp(`^run ${good} on test split: \\d+ rows$`, "m"));
  const first = await runCli("promote.ts", [], root);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    new RegExp(`^promoted ${good} \\(replacing an empty production slot\\)`),
  );
  assert.match(first.stdout, /ok: beats its baseline on test f1_macro/);

  // A clearly worse run on the same test data: the gate refuses it and nothing changes.
  const worse = await train(root, ["--set", "training.epochs=1", "--set", WORSE_FEATURES]);
  // With a production run, evaluate without --run takes it, not the newer run; --json stays JSON.
  const promoted = await runCli("evaluate.ts", ["--json"], root);
  assert.equal(promoted.code, 0, promoted.stderr);
  assert.equal(JSON.parse(promoted.stdout).id, good);
  assert.match(
    promoted.stderr,
    new RegExp(`no --run given: evaluating the production run ${good} of penguins`),
  );
  const before = await production(root);
  const refused = await runCli("promote.ts", ["--run", worse], root);
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, new RegExp(`Cannot promote run "${worse}": the gate refused it`));
  assert.match(
    refused.stderr,
    new RegExp(`does not beat production run "${good}" on test f1_macro`),
  );
  assert.doesNotMatch(refused.stderr, /^\s+at /m, "no stack trace");
  const best = await runCli("promote.ts", [], root);
  assert.equal(best.code, 1);
  assert.match(best.stderr, new RegExp(`"${good}": it is already in production`));
  const noReason = await runCli("promote.ts", ["--run", worse, "--force"], root);
  assert.equal(noReason.code, 2);
  assert.match(noReason.stderr, /without a reason: add --reason/);

  // Corrupted weights are refused even with --force, naming the file.
  const weights = `${root}/models/experiments/${worse}/model/weights.bin`;
  const bytes = await Deno.readFile(weights);
  await Deno.writeFile(weights, bytes.map((b, i) => (i === 0 ? b ^ 0xff : b)));
  const corrupt = await runCli("promote.ts", ["--run", worse, "--force", "--reason", "x"], root);
  assert.equal(corrupt.code, 1);
  assert.match(
    corrupt.stderr,
    new RegExp(`${worse}/model/weights\\.bin": sha256 .* does not match`),
  );
  await Deno.writeFile(weights, bytes);
  assert.equal(await production(root), before, "production unchanged after every refusal");

  const forced = await runCli(
    "promote.ts",
    ["--run", worse, "--force", "--reason", "canary on the small feature set"],
    root,
  );
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, new RegExp(`^force-promoted ${worse} \\(replacing ${good}\\)`));
  assert.match(forced.stdout, /overridden: .*does not beat production/);

  // The listing: newest first, the production run marked.
  const listed = await runCli("runs.ts", [], root);
  assert.equal(listed.code, 0, listed.stderr);
  const lines = listed.stdout.split("\n").filter((line) => /^[* ] \d{8}-/.test(line));
  assert.equal(lines.length, 2, listed.stdout);
  assert.match(lines[0]!, new RegExp(`^\\* ${worse}\\s+\\S+ \\S+\\s+mlp\\s+-\\s+f1_macro\\s`));
  assert.match(lines[1]!, new RegExp(`^  ${good}\\s.*\\s1\\.0000\\s+1\\.0000\\s+78cf4a881120\\s`));
  assert.match(listed.stdout, new RegExp(`^\\* production: ${worse} \\(force-promoted at `, "m"));

  const back = await runCli("rollback.ts", ["--reason", "canary lost accuracy"], root);
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout, new RegExp(`^rolled back penguins: ${worse} -> ${good}$`, "m"));
  assert.equal(JSON.parse(await production(root)).run_id, good);
  const log = (await Deno.readTextFile(`${root}/models/production/penguins/promotions.jsonl`))
    .trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(log.map((e) => [e.action, e.from, e.to, e.reason.slice(0, 20)]), [
    ["promote", null, good, "beats its baseline o"],
    ["force", good, worse, "canary on the small "],
    ["rollback", worse, good, "canary lost accuracy"],
  ]);
  const again = await runCli("rollback.ts", [], root);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no earlier promoted run is recorded/);

  const compared = await runCli("runs.ts", ["--compare", good, worse], root);
  assert.equal(compared.code, 0, compared.stderr);
  assert.match(
    compared.stdout,
    /^features\.steps\[0\]\.columns\s+\["Beak Length \(mm\)",.*\]\s+\["Body Mass \(g\)"\]$/m,
  );
  assert.match(compared.stdout, /^training\.epochs\s+5\s+1$/m);
  assert.match(
    compared.stdout,
    /^f1_macro \*\s+1\.0000\s+0\.\d{4}\s+-0\.\d{4} worse\s+1\.0000\s+0\.\d{4}\s+-0\.\d{4} worse$/m,
  );
  // log_loss is lower-is-better: the worse run's higher loss is a positive change called worse.
  assert.match(compared.stdout, /^log_loss\s+.*\s\+\d+\.\d{4} worse$/m);
  assert.match(compared.stdout, /lower for errors and losses/);
});

Deno.test("two projects share one registry: each has its own production, gate, rollback and listing", async () => {
  const root = await makeTempProject();
  const other = ["--set", "project.name=other"];
  const penguinsRun = await train(root, ["--set", "training.epochs=5"]);
  const otherRun = await train(root, [...other, "--set", "training.epochs=3"]);

  // Each project's promote picks among its own runs and fills its own slot.
  const first = await runCli("promote.ts", [], root);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`^promoted ${penguinsRun} \\(replacing an empty`));
  const second = await runCli("promote.ts", other, root);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`^promoted ${otherRun} \\(replacing an empty`));
  assert.deepEqual(
    [...Deno.readDirSync(`${root}/models/production`)].map((e) => e.name).sort(),
    ["other", "penguins"],
  );

  // A run of one project never enters the other's production, not even by force.
  const crossed = await runCli(
    "promote.ts",
    [...other, "--run", penguinsRun, "--force", "--reason", "x"],
    root,
  );
  assert.equal(crossed.code, 1);
  assert.match(
    crossed.stderr,
    new RegExp(
      `Cannot promote run "${penguinsRun}" to the production of project "other": the run belongs to project "penguins"`,
    ),
  );

  // The same config trained again scores the same: a tie, refused as a tie.
  const twin = await train(root, ["--set", "training.epochs=5"]);
  const tie = await runCli("promote.ts", ["--run", twin], root);
  assert.equal(tie.code, 1, tie.stdout);
  assert.match(
    tie.stderr,
    new RegExp(
      `Cannot promote run "${twin}": it ties production run "${penguinsRun}" of project "penguins" on test f1_macro \\(a tie does not replace production\\), production is unchanged`,
    ),
  );
  assert.match(tie.stderr, /Train a run that beats production, or override with --force/);
  assert.doesNotMatch(tie.stderr, /Train a better run/);

  // runs lists the config's project; --all lists both, with a project column.
  const penguinsList = await runCli("runs.ts", [], root);
  assert.equal(penguinsList.code, 0, penguinsList.stderr);
  assert.doesNotMatch(penguinsList.stdout, new RegExp(otherRun));
  assert.match(penguinsList.stdout, new RegExp(`^\\* ${penguinsRun}\\s`, "m"));
  assert.match(penguinsList.stdout, new RegExp(`^\\* production: ${penguinsRun} `, "m"));
  const otherList = await runCli("runs.ts", other, root);
  assert.match(otherList.stdout, new RegExp(`^\\* ${otherRun}\\s`, "m"));
  assert.doesNotMatch(otherList.stdout, new RegExp(penguinsRun));
  const all = await runCli("runs.ts", ["--all"], root);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /^ {2}id\s+project\s+created/m);
  assert.match(all.stdout, new RegExp(`^\\* ${otherRun}\\s+other\\s`, "m"));
  assert.match(all.stdout, new RegExp(`^\\* ${penguinsRun}\\s+penguins\\s`, "m"));
  assert.match(all.stdout, new RegExp(`^  ${twin}\\s+penguins\\s`, "m"));
  assert.match(all.stdout, new RegExp(`^\\* production of other: ${otherRun} `, "m"));
  assert.match(all.stdout, new RegExp(`^\\* production of penguins: ${penguinsRun} `, "m"));

  // Comparing runs of two projects shows their projects and says the gate never compares them.
  const crossCompare = await runCli("runs.ts", ["--compare", penguinsRun, otherRun], root);
  assert.equal(crossCompare.code, 0, crossCompare.stderr);
  assert.match(crossCompare.stdout, /^project\s+penguins\s+other$/m);
  assert.match(
    crossCompare.stdout,
    /^note: A is a run of project "penguins" and B of project "other"; the promotion gate compares only runs of one project$/m,
  );

  // Rolling back one project leaves the other untouched.
  const otherAgain = await train(root, [...other, "--set", "training.epochs=4"]);
  const forced = await runCli(
    "promote.ts",
    [...other, "--run", otherAgain, "--force", "--reason", "second other run"],
    root,
  );
  assert.equal(forced.code, 0, forced.stderr);
  const penguinsBefore = await production(root);
  const back = await runCli("rollback.ts", other, root);
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout, new RegExp(`^rolled back other: ${otherAgain} -> ${otherRun}$`, "m"));
  assert.equal(await production(root), penguinsBefore);
  const penguinsBack = await runCli("rollback.ts", [], root);
  assert.equal(penguinsBack.code, 1);
  assert.match(penguinsBack.stderr, /no earlier promoted run is recorded/);

  // predict and evaluate take the production of the config's project.
  const evaluated = await runCli("evaluate.ts", [...other, "--json"], root);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.equal(JSON.parse(evaluated.stdout).id, otherRun);
});

Deno.test("a production folder from before projects is refused with the commands that move it", async () => {
  const root = await makeTempProject();
  const run = await train(root, ["--set", "training.epochs=2"]);
  const promoted = await runCli("promote.ts", ["--run", run], root);
  assert.equal(promoted.code, 0, promoted.stderr);
  const top = `${root}/models/production`;
  for (const name of ["current.json", "promotions.jsonl", "runs"]) {
    await Deno.rename(`${top}/penguins/${name}`, `${top}/${name}`);
  }
  await Deno.remove(`${top}/penguins`, { recursive: true });
  const move =
    `mkdir -p ${top}/penguins && mv ${top}/current.json ${top}/runs ${top}/promotions.jsonl ${top}/penguins/`;
  for (const task of ["promote.ts", "rollback.ts", "predict.ts"]) {
    const args = task === "predict.ts" ? ["--input", "data/raw/penguins.csv"] : [];
    const refused = await runCli(task, args, root);
    assert.equal(refused.code, 1, `${task}: ${refused.stdout}`);
    assert.match(refused.stderr, /the layout from before production was kept per project/);
    assert.ok(refused.stderr.includes(move), `${task}: ${refused.stderr}`);
  }
  // The command in the message restores production.
  const moved = await new Deno.Command("sh", { args: ["-c", move] }).output();
  assert.equal(moved.code, 0);
  const listed = await runCli("runs.ts", [], root);
  assert.match(listed.stdout, new RegExp(`^\\* production: ${run} `, "m"));
});
