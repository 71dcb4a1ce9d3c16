import assert from "node:assert/strict";
import { describeTaskError, EXIT_FAILURE, EXIT_USAGE } from "../../src/cli/_task.ts";
import {
  ArtifactError,
  ConfigError,
  KernelError,
  MlopsError,
  NotebookExecutionError,
  PromotionRefusedError,
  RegistryLockedError,
  RequestRejectedError,
  ServiceReloadError,
  TrainingDivergedError,
  TrainingThreadError,
  UsageError,
  ZmtpError,
} from "../../src/errors.ts";

Deno.test("every project error class extends MlopsError", () => {
  const errors: Error[] = [
    new ArtifactError("a"),
    new ConfigError("c"),
    new KernelError("k"),
    new NotebookExecutionError("n", {
      notebook: "x.ipynb",
      cell: 1,
      reason: "error",
      out: null,
      traceback: [],
    }),
    new PromotionRefusedError("p", ["r"]),
    new RegistryLockedError("l"),
    new RequestRejectedError(400, "bad", "b"),
    new ServiceReloadError("s"),
    new TrainingDivergedError("t", { epoch: 0, batch: 0 }),
    new TrainingThreadError("th"),
    new UsageError("u"),
    new ZmtpError("z"),
  ];
  for (const error of errors) {
    assert.ok(error instanceof MlopsError, error.name);
    assert.notEqual(error.name, "MlopsError");
  }
});

Deno.test("MlopsError carries an optional fix and the cause", () => {
  const cause = new Error("inner");
  const error = new ArtifactError("Cannot read run", { cause, fix: "run deno task train" });
  assert.equal(error.fix, "run deno task train");
  assert.equal(error.cause, cause);
  assert.equal(new ArtifactError("x").fix, undefined);
  assert.equal("cause" in new ArtifactError("x"), false);
});

Deno.test("describeTaskError() recognises project errors by instanceof MlopsError", () => {
  assert.deepEqual(describeTaskError("train", new ConfigError("Cannot read config")), {
    lines: ["train: Cannot read config"],
    code: EXIT_FAILURE,
  });
  assert.deepEqual(describeTaskError("runs", new UsageError("Cannot parse --x")), {
    lines: ["runs: Cannot parse --x"],
    code: EXIT_USAGE,
  });
  class LocalError extends MlopsError {}
  assert.deepEqual(describeTaskError("t", new LocalError("m", { fix: "do y" })).lines, [
    "t: m; do y",
  ]);
  // A built-in error whose name merely ends in "Error" is a bug, not a project error.
  const foreign = new Error("boom");
  foreign.name = "LookalikeError";
  const report = describeTaskError("t", foreign);
  assert.deepEqual(report.lines, ["t: unexpected error", foreign]);
  assert.equal(report.code, EXIT_FAILURE);
});
