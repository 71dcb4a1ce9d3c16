/**
 * No Docker engine runs on the build machines, so these tests check what can be checked without
 * one: the images, compose file, workflows and hooks name only files and tasks that exist, use
 * the same pinned Deno, run as a non-root user and health-check the service.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { REPO_ROOT } from "../_helpers/project.ts";

const read = (path: string) => Deno.readTextFileSync(`${REPO_ROOT}/${path}`);
const TASKS = Object.keys(JSON.parse(read("deno.json")).tasks);
const DENO_VERSION = read(".ci/run").match(/DENO_VERSION=([\d.]+)/)?.[1];

function exists(path: string): boolean {
  try {
    Deno.statSync(`${REPO_ROOT}/${path}`);
    return true;
  } catch {
    return false;
  }
}

/** Every `deno task NAME` in a text, plus the task names given to `deno task` in JSON arrays. */
function tasksNamed(text: string): string[] {
  return [...text.matchAll(/deno task ([a-z:]+)/g)].map((m) => m[1]!);
}

for (const file of ["docker/Dockerfile.train", "docker/Dockerfile.serve"]) {
  Deno.test(`${file} pins Deno, copies only existing paths and runs unprivileged`, () => {
    const text = read(file);
    assert.match(text, new RegExp(`^FROM denoland/deno:${DENO_VERSION}$`, "m"));
    const copies = [...text.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1]!.split(" "));
    assert.ok(copies.includes("deno.lock"), "dependencies come from the lockfile");
    for (const source of copies) {
      assert.ok(exists(source), `${file}: COPY ${source} does not exist`);
    }
    assert.match(text, /RUN deno install --frozen/);
    assert.ok(
      text.indexOf("RUN deno install --frozen") < text.indexOf("COPY src/"),
      "the dependency layer comes before the sources",
    );
    assert.match(text, /^USER deno$/m);
    for (const checked of text.match(/deno check (.+)/)?.[1]?.split(" ") ?? []) {
      assert.ok(exists(checked), `${file}: deno check ${checked}`);
    }
  });
}

/** The HEALTHCHECK command of the serving image, as its JSON array. */
function healthCheckCommand(): string[] {
  const text = read("docker/Dockerfile.serve");
  const json = text.match(/^HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])$/m)?.[1];
  assert.ok(json, "Dockerfile.serve has a HEALTHCHECK with an exec-form CMD");
  return JSON.parse(json) as string[];
}

Deno.test("the serving image health-checks /v1/health on the configured port and runs serve", () => {
  const text = read("docker/Dockerfile.serve");
  const port = parse(read("config/config.yaml")).serve.port;
  assert.match(text, new RegExp(`EXPOSE ${port}`));
  const command = healthCheckCommand();
  assert.equal(command.at(-1), "docker/healthcheck.ts");
  assert.ok(exists("docker/healthcheck.ts"));
  assert.match(text, /^COPY docker\/healthcheck\.ts docker\/healthcheck\.ts$/m);
  assert.doesNotMatch(command.join(" "), /:\d+\//, "the port is not written into the check");
  assert.match(read("docker/healthcheck.ts"), /\/v1\/health/);
  assert.match(text, /ENTRYPOINT \["deno", "task"\]\nCMD \["serve"\]/);
  assert.ok(TASKS.includes("serve"));
});

Deno.test("the serving image's health check asks the port DENO_MLOPS__SERVE__PORT gives", async () => {
  const [program, ...args] = healthCheckCommand();
  assert.equal(program, "deno");
  const asked: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    asked.push(new URL(request.url).pathname);
    return new Response("ok");
  });
  const check = (port: number) =>
    new Deno.Command(Deno.execPath(), {
      args,
      cwd: REPO_ROOT,
      env: { DENO_MLOPS__SERVE__PORT: String(port) },
      stdout: "null",
      stderr: "null",
    }).output();
  try {
    const healthy = await check(server.addr.port);
    assert.equal(healthy.code, 0);
    assert.deepEqual(asked, ["/v1/health"]);
  } finally {
    await server.shutdown();
  }
  // Nothing listens there any more: the check fails.
  const down = await check(server.addr.port);
  assert.notEqual(down.code, 0);
});

/** Whether `.dockerignore` keeps a path out of the build context (last matching rule wins). */
function dockerIgnored(path: string): boolean {
  let ignored = false;
  for (const line of read(".dockerignore").split("\n")) {
    const rule = line.trim();
    if (rule === "" || rule.startsWith("#")) continue;
    const negated = rule.startsWith("!");
    const pattern = negated ? rule.slice(1) : rule;
    const regex = new RegExp(
      `^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}(/.*)?$`,
    );
    if (regex.test(path)) ignored = !negated;
  }
  return ignored;
}

Deno.test("the training image has every profile's dataset and lets the deno user pull data", () => {
  const text = read("docker/Dockerfile.train");
  const manifest = JSON.parse(read("data/manifest.json")) as { files: { name: string }[] };
  const pulled = manifest.files.map((f) => `data/raw/${f.name}`);
  const profiles = [...Deno.readDirSync(`${REPO_ROOT}/config/profiles`)].map((e) =>
    `config/profiles/${e.name}`
  );
  const paths = ["config/config.yaml", ...profiles].map((file) =>
    parse(read(file), { logLevel: "error" }).data?.path
  )
    .filter((path): path is string => typeof path === "string");
  assert.ok(paths.includes("data/raw/cars.json"));
  for (const path of paths) {
    assert.ok(
      pulled.includes(path) || !dockerIgnored(path),
      `${path} is neither in the build context nor pulled in the image`,
    );
  }
  assert.ok(dockerIgnored("data/raw/cars.json"), "local copies stay out of the context");
  assert.ok(!dockerIgnored("data/raw/penguins.csv"));
  // The pull runs in the image, after the manifest and the sources are copied.
  const pull = text.indexOf("RUN deno task data:pull");
  assert.ok(pull > text.indexOf("COPY data/ data/") && pull > text.indexOf("COPY src/ src/"));
  assert.ok(pull < text.indexOf("USER deno"));
  assert.ok(TASKS.includes("data:pull"));
  // data/raw belongs to the user the container runs as, so data:pull can write there too.
  const chown = text.match(/chown -R deno:deno (.+)$/m)?.[1]?.split(" ") ?? [];
  for (const folder of ["models", "data/processed", "data/raw"]) {
    assert.ok(chown.includes(folder), `${folder} is owned by deno`);
  }
  assert.ok(text.indexOf("chown -R deno:deno") < text.indexOf("USER deno"));
});

Deno.test("the training entrypoint and the workflows run only tasks that exist", () => {
  const texts = [
    read("docker/entrypoint.sh"),
    read(".github/workflows/ci.yml"),
    read(".github/workflows/cd.yml"),
  ];
  const named = texts.flatMap(tasksNamed);
  assert.ok(named.includes("train") && named.includes("promote") && named.includes("test"));
  for (const task of named) assert.ok(TASKS.includes(task), `unknown task "${task}"`);
});

interface WorkflowJob {
  needs?: string | string[];
  steps: { uses?: string; run?: string; with?: Record<string, string | boolean> }[];
}

/** The `deno task` names a step gives to the training image (`docker run ... IMAGE-train:TAG NAME`). */
function tasksInTrainingImage(run: string): string[] {
  return [...run.matchAll(/docker run [^\n]*"\$IMAGE-train:\$CANDIDATE" ([a-z:]+)/g)].map((m) =>
    m[1]!
  );
}

Deno.test("cd pushes both images to GHCR, trains in the training image and gates before release", () => {
  const cd = parse(read(".github/workflows/cd.yml"));
  assert.equal(cd.permissions.packages, "write");
  assert.equal(cd.env.REGISTRY, "ghcr.io");
  const jobs = cd.jobs as Record<string, WorkflowJob>;
  // GHCR refuses upper-case names: every job names the images from the lowercased repository
  // before any step uses IMAGE.
  assert.equal(cd.env.IMAGE, undefined);
  for (const [name, job] of Object.entries(jobs)) {
    assert.equal(
      job.steps[0]?.run,
      'echo "IMAGE=ghcr.io/${GITHUB_REPOSITORY,,}" >> "$GITHUB_ENV"',
      `job ${name} must name the images first`,
    );
  }
  assert.deepEqual(Object.keys(jobs), ["images", "train", "release"]);
  assert.equal(jobs["images"]!.needs, undefined);
  assert.equal(jobs["train"]!.needs, "images");
  assert.equal(jobs["release"]!.needs, "train");

  const pushed = jobs["images"]!.steps.filter((s) =>
    s.uses?.startsWith("docker/build-push-action@")
  );
  assert.deepEqual(
    pushed.map((s) => [s.with?.["file"], s.with?.["push"], s.with?.["tags"]]),
    [
      ["docker/Dockerfile.train", true, "${{ env.IMAGE }}-train:${{ env.CANDIDATE }}"],
      ["docker/Dockerfile.serve", true, "${{ env.IMAGE }}-serve:${{ env.CANDIDATE }}"],
    ],
  );
  for (const step of pushed) assert.ok(exists(String(step.with?.["file"])));
  const login = jobs["images"]!.steps.find((s) => s.uses?.startsWith("docker/login-action@"));
  assert.equal(login?.with?.["registry"], "${{ env.REGISTRY }}");

  // Training runs in the image: no Deno on the runner, every task through `docker run`.
  const train = jobs["train"]!.steps;
  assert.ok(train.every((s) => !s.uses?.startsWith("denoland/setup-deno@")));
  assert.ok(train.every((s) => !/deno task/.test(s.run ?? "")), "no task runs on the runner");
  const tasks = train.flatMap((s) => tasksInTrainingImage(s.run ?? ""));
  assert.deepEqual(tasks, ["train", "reproduce", "promote"], "the gate comes last");
  for (const task of tasks) assert.ok(TASKS.includes(task), `unknown task "${task}"`);
  // After the gate the job only copies the promoted run out; the release job runs no task.
  const gate = train.findIndex((s) => tasksInTrainingImage(s.run ?? "").includes("promote"));
  for (const step of train.slice(gate + 1)) {
    assert.doesNotMatch(step.run ?? "", /docker run/);
  }
  const release = jobs["release"]!.steps.map((s) => s.run ?? "").join("\n");
  assert.doesNotMatch(release, /docker run|deno task/);
  assert.match(release, /imagetools create/);
  assert.match(release, /\$IMAGE-\$image:\$\{\{ github\.ref_name \}\}/);
});

Deno.test("docker-compose trains and promotes into a shared volume, then serves", () => {
  const compose = parse(read("docker/docker-compose.yml"));
  assert.equal(compose.services.train.build.dockerfile, "docker/Dockerfile.train");
  assert.equal(compose.services.serve.build.dockerfile, "docker/Dockerfile.serve");
  assert.ok(exists(compose.services.train.build.dockerfile));
  assert.equal(compose.services.serve.depends_on.train.condition, "service_completed_successfully");
  assert.deepEqual(compose.services.train.volumes, ["models:/app/models"]);
  assert.deepEqual(compose.services.serve.volumes, ["models:/app/models:ro"]);
  assert.ok("models" in compose.volumes);
});

/**
 * The oldest release of each action the workflows may use: actions/cache before 4.2.0 calls the
 * retired cache service and fails, and the other minimums are the first majors that run on the
 * Node 24 runtime GitHub now requires. An action missing here fails the test, so a new one is
 * added with its minimum.
 */
const MINIMUM_ACTION_VERSIONS: Record<string, string> = {
  "actions/checkout": "6.0.0",
  "actions/cache": "5.0.0",
  "actions/upload-artifact": "6.0.0",
  "denoland/setup-deno": "2.0.0",
  "docker/setup-buildx-action": "4.0.0",
  "docker/login-action": "4.0.0",
  "docker/build-push-action": "7.0.0",
  "actions/download-artifact": "8.0.0",
};

function compareVersions(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Every step of every job of a workflow file, parsed. */
function workflowSteps(
  file: string,
): { uses?: string; run?: string; with?: Record<string, string> }[] {
  const workflow = parse(read(file));
  return Object.values(
    workflow.jobs as Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>,
  ).flatMap((job) => job.steps);
}

Deno.test("workflows use current releases of every action (actions/cache at least 4.2.0)", () => {
  assert.ok(compareVersions(MINIMUM_ACTION_VERSIONS["actions/cache"]!, "4.2.0") >= 0);
  for (const file of [".github/workflows/ci.yml", ".github/workflows/cd.yml"]) {
    for (const step of workflowSteps(file).filter((s) => s.uses)) {
      const [name, version] = step.uses!.split("@v") as [string, string];
      const minimum = MINIMUM_ACTION_VERSIONS[name];
      assert.ok(minimum, `${file}: ${name} has no minimum version in this test; add one`);
      assert.ok(
        compareVersions(version, minimum) >= 0,
        `${file}: ${step.uses} is older than ${name}@v${minimum}`,
      );
    }
  }
  const cache = workflowSteps(".github/workflows/ci.yml").find((s) =>
    s.uses?.startsWith("actions/cache@")
  );
  assert.ok(cache, "ci.yml caches the npm packages");
});

Deno.test("workflows pin every action to an exact release and use the same Deno", () => {
  for (const file of [".github/workflows/ci.yml", ".github/workflows/cd.yml"]) {
    const workflow = parse(read(file));
    const steps = Object.values(
      workflow.jobs as Record<
        string,
        { steps: { uses?: string; with?: Record<string, string> }[] }
      >,
    )
      .flatMap((job) => job.steps);
    for (const step of steps.filter((s) => s.uses)) {
      assert.match(
        step.uses!,
        /^[\w-]+\/[\w-]+@v\d+\.\d+\.\d+$/,
        `${file}: ${step.uses} is not pinned`,
      );
      if (step.uses!.startsWith("denoland/setup-deno@")) {
        assert.equal(step.with?.["deno-version"], `v${DENO_VERSION}`);
      }
    }
  }
  const ci = parse(read(".github/workflows/ci.yml"));
  const run = ci.jobs["check-and-test"].steps.map((s: { run?: string }) => s.run ?? "").join("\n");
  assert.match(run, /deno install --frozen/);
  assert.match(run, /deno task check/);
  assert.match(run, /nbconvert --to notebook --execute/);
});

interface PreCommitHook {
  id: string;
  entry: string;
  types?: string[];
  types_or?: string[];
}

const PRE_COMMIT_HOOKS = (parse(read(".pre-commit-config.yaml")).repos[0].hooks) as PreCommitHook[];

/** Runs a hook's entry as pre-commit does: the entry's words, then the staged file names. */
async function runHook(hook: PreCommitHook, files: string[]): Promise<Deno.CommandOutput> {
  const [program, ...args] = hook.entry.split(" ");
  assert.equal(program, "deno");
  return await new Deno.Command(Deno.execPath(), {
    args: [...args, ...files],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("the pre-commit hooks run deno fmt, lint and check", () => {
  const entries = PRE_COMMIT_HOOKS.map((h) => h.entry.replace(/ --permit-no-files$/, ""));
  assert.deepEqual(entries, ["deno fmt", "deno lint", "deno check"]);
});

Deno.test("the pre-commit fmt hook passes a commit of only files deno.json excludes from fmt", async () => {
  const hook = PRE_COMMIT_HOOKS.find((h) => h.id === "deno-fmt");
  assert.ok(hook);
  assert.deepEqual(hook.types_or, ["ts", "json", "markdown", "yaml"]);
  // Files of those types that pre-commit hands the hook although deno fmt skips them.
  for (
    const files of [["data/manifest.json"], ["bench/RESULTS.md"], [
      "data/manifest.json",
      "bench/RESULTS.md",
    ]]
  ) {
    for (const file of files) assert.ok(exists(file), file);
    const result = await runHook(hook, files);
    const stderr = new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, `deno fmt hook on ${files.join(" ")}: ${stderr}`);
  }
});
