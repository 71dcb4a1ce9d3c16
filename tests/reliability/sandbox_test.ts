/**
 * The Deno permissions of every task, tested by attempts that must fail (issue #9): serve
 * writing a file, train reading outside the project, train opening a network connection, and
 * more, each run with exactly the task's declared flags, next to controls that must succeed.
 */
import assert from "node:assert/strict";
import { offlineTasks, runSandboxProbes, SANDBOX_ATTEMPTS } from "../_helpers/sandbox.ts";

Deno.test("every task's permissions deny what it must never do and allow what it needs", async () => {
  const results = await runSandboxProbes();
  assert.equal(results.length, SANDBOX_ATTEMPTS.length);
  for (const result of results) {
    assert.equal(
      result.outcome,
      result.expected,
      `${result.task}: ${result.action} was ${result.outcome}`,
    );
  }
  const denied = results.filter((r) => r.expected === "denied").map((r) =>
    `${r.task}: ${r.action}`
  );
  assert.ok(denied.includes("serve: write models/pwned.txt"));
  assert.ok(denied.includes("train: read a file outside the project"));
  assert.ok(denied.includes("train: open a network connection"));
});

Deno.test("train, evaluate, reproduce, drift, promote and rollback hold no --allow-net at all", () => {
  for (const [task, flag] of Object.entries(offlineTasks())) {
    assert.equal(flag, null, `${task} holds ${flag}`);
  }
});
