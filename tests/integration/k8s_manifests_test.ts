/**
 * The Kubernetes manifests (deploy/k8s/) and the multi-machine compose file cannot be applied on
 * the build machines (no cluster, no Docker engine), so they are checked without one: every
 * object validates against the Kubernetes schemas (kubernetes-models, the API's own OpenAPI
 * definitions), the probes, autoscaler, queue and indexed Job are wired as documented, every task
 * and option the containers run exists, and every profile in the ConfigMap loads with the
 * project's config loader.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { loadConfig } from "../../src/config/mod.ts";
import { REPO_ROOT } from "../_helpers/project.ts";

const K8S = "deploy/k8s";
const read = (path: string) => Deno.readTextFileSync(join(REPO_ROOT, path));

/** A kubernetes-models class: validates an object of one apiVersion and kind. */
type Model = new (data: object) => { validate(): void };

/** The kinds the manifests may use, keyed by `apiVersion/kind`. */
const MODELS: Record<string, Model> = {
  "apps/v1/Deployment": Deployment as unknown as Model,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler as unknown as Model,
  "batch/v1/Job": Job as unknown as Model,
  "v1/ConfigMap": ConfigMap as unknown as Model,
  "v1/Namespace": Namespace as unknown as Model,
  "v1/Secret": Secret as unknown as Model,
  "v1/Service": Service as unknown as Model,
};

// deno-lint-ignore no-explicit-any
type Manifest = Record<string, any>;

/** Every object of every manifest file the kustomization lists, with the file it came from. */
function manifests(): { file: string; object: Manifest }[] {
  const kustomization = parse(read(`${K8S}/kustomization.yaml`));
  return (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(read(`${K8S}/${file}`)).map((document) => {
      assert.deepEqual(document.errors, [], `${file}: YAML errors`);
      return { file, object: document.toJS() as Manifest };
    })
  );
}

function validate(object: Manifest): void {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  assert.ok(model, `${object.apiVersion} ${object.kind} has no schema here; add it to MODELS`);
  new model(object).validate();
}

function find(kind: string, name: string): Manifest {
  const found = manifests().find((m) => m.object.kind === kind && m.object.metadata.name === name);
  assert.ok(found, `no ${kind} named ${name} in ${K8S}`);
  return found.object;
}

const TASKS: Record<string, { command: string }> = JSON.parse(read("deno.json")).tasks;

/** The `--help` text of the task a container runs (its src/cli module, run directly). */
async function helpOf(task: string): Promise<string> {
  const module = TASKS[task]?.command.match(/(src\/cli\/\S+\.ts)/)?.[1];
  assert.ok(module, `task "${task}" is not in deno.json or runs no src/cli module`);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, module), "--help"],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, `${task} --help failed: ${new TextDecoder().decode(output.stderr)}`);
  return new TextDecoder().decode(output.stdout);
}

Deno.test("the kustomization lists every manifest file, and only existing ones", () => {
  const listed = parse(read(`${K8S}/kustomization.yaml`)).resources as string[];
  const present = [...Deno.readDirSync(join(REPO_ROOT, K8S))]
    .map((entry) => entry.name)
    .filter((name) => name.endsWith(".yaml") && name !== "kustomization.yaml")
    .sort();
  assert.deepEqual([...listed].sort(), present);
});

Deno.test("every manifest object validates against the Kubernetes schemas", () => {
  const all = manifests();
  assert.deepEqual(
    all.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort(),
    [
      "ConfigMap/deno-mlops-env",
      "ConfigMap/deno-mlops-profiles",
      "Deployment/deno-mlops-serve",
      "Deployment/deno-mlops-worker",
      "HorizontalPodAutoscaler/deno-mlops-serve",
      "Job/deno-mlops-batch-score",
      "Namespace/deno-mlops",
      "Secret/deno-mlops-credentials",
      "Service/deno-mlops-serve",
    ],
  );
  for (const { file, object } of all) {
    assert.doesNotThrow(() => validate(object), `${file}: ${object.kind} ${object.metadata.name}`);
  }
});

Deno.test("the schema check rejects a wrongly typed or incomplete object", () => {
  const serve = structuredClone(find("Deployment", "deno-mlops-serve"));
  serve.spec.replicas = "two";
  assert.throws(() => validate(serve), /replicas/);
  const job = structuredClone(find("Job", "deno-mlops-batch-score"));
  delete job.spec.template;
  assert.throws(() => validate(job), /template/);
  const hpa = structuredClone(find("HorizontalPodAutoscaler", "deno-mlops-serve"));
  hpa.spec.minReplicas = -1.5;
  assert.throws(() => validate(hpa), /minReplicas/);
});

Deno.test("serve: readiness on /v1/ready, liveness on /v1/health, on the configured port, scaled by the HPA", () => {
  const serve = find("Deployment", "deno-mlops-serve");
  const [container] = serve.spec.template.spec.containers;
  const port = parse(read("config/config.yaml")).serve.port;
  assert.equal(container.ports[0].containerPort, port);
  assert.equal(container.readinessProbe.httpGet.path, "/v1/ready");
  assert.equal(container.livenessProbe.httpGet.path, "/v1/health");
  for (const probe of [container.readinessProbe, container.livenessProbe]) {
    assert.equal(probe.httpGet.port, container.ports[0].name);
  }
  assert.equal(
    container.env.find((e: Manifest) => e.name === "DENO_MLOPS__SERVE__HOST").value,
    "0.0.0.0",
  );
  assert.equal(container.args[0], "serve:remote");
  // The autoscaler needs a CPU request to compute utilisation.
  assert.ok(container.resources.requests.cpu);
  const hpa = find("HorizontalPodAutoscaler", "deno-mlops-serve");
  assert.deepEqual(hpa.spec.scaleTargetRef, {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "deno-mlops-serve",
  });
  assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
  const service = find("Service", "deno-mlops-serve");
  assert.deepEqual(service.spec.selector, serve.spec.selector.matchLabels);
});

Deno.test("workers take jobs from the queue the ConfigMap names; the Job is indexed by partition", () => {
  const environment = find("ConfigMap", "deno-mlops-env").data;
  assert.match(environment.QUEUE_URL, /^redis:\/\/[^/]+:\d+$/);
  const worker = find("Deployment", "deno-mlops-worker");
  const [container] = worker.spec.template.spec.containers;
  assert.deepEqual(container.args, ["worker", "--queue", "$(QUEUE_URL)"]);
  assert.ok(worker.spec.replicas >= 2);

  const job = find("Job", "deno-mlops-batch-score");
  assert.equal(job.spec.completionMode, "Indexed");
  const [predict] = job.spec.template.spec.containers;
  const partition = predict.args[predict.args.indexOf("--partition") + 1];
  assert.equal(partition, `$(PARTITION)/${job.spec.completions}`);
  assert.equal(
    predict.env.find((e: Manifest) => e.name === "PARTITION").valueFrom.fieldRef.fieldPath,
    "metadata.annotations['batch.kubernetes.io/job-completion-index']",
  );
  // Each index writes its own part, so no two pods write one object.
  assert.match(predict.args[predict.args.indexOf("--output") + 1], /\$\(PARTITION\)/);
});

Deno.test("every container runs a task and options that exist, with the images cd.yml pushes", async () => {
  const kustomization = parse(read(`${K8S}/kustomization.yaml`));
  const images = new Map<string, string>(
    kustomization.images.map((i: Manifest) => [i.name, i.newName]),
  );
  assert.match(images.get("deno-mlops-serve")!, /-serve$/);
  assert.match(images.get("deno-mlops-train")!, /-train$/);
  const configMaps = new Set(["deno-mlops-env", "deno-mlops-profiles"]);
  for (const { object } of manifests()) {
    const pod = object.kind === "Deployment" || object.kind === "Job"
      ? object.spec.template.spec
      : null;
    if (pod === null) continue;
    assert.equal(pod.securityContext.runAsNonRoot, true, `${object.metadata.name} runs as root`);
    for (const container of pod.containers) {
      assert.ok(images.has(container.image), `${container.image} is not a project image`);
      const [task, ...rest] = container.args as string[];
      const help = await helpOf(task!);
      for (const option of rest.filter((a) => a.startsWith("--"))) {
        assert.ok(help.includes(`${option} `), `${task} has no option ${option}`);
      }
      for (const from of container.envFrom ?? []) {
        if (from.configMapRef) assert.ok(configMaps.has(from.configMapRef.name));
        if (from.secretRef) assert.equal(from.secretRef.name, "deno-mlops-credentials");
      }
      // A profile given with --config is one the ConfigMap mounts at that path.
      const profile = rest[rest.indexOf("--config") + 1];
      if (rest.includes("--config")) {
        const mount = container.volumeMounts.find((m: Manifest) =>
          `/app/${profile}`.startsWith(`${m.mountPath}/`)
        );
        assert.ok(mount, `${profile} is not on a mounted volume`);
        const volume = pod.volumes.find((v: Manifest) => v.name === mount.name);
        const key = profile!.slice(mount.mountPath.length - "/app/".length + 1);
        assert.ok(key in find("ConfigMap", volume.configMap.name).data, `no ConfigMap key ${key}`);
      }
    }
  }
});

Deno.test("each profile in the ConfigMap loads, with data and registry in object storage", async () => {
  const profiles = find("ConfigMap", "deno-mlops-profiles").data as Record<string, string>;
  const folder = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(profiles)) {
      const path = join(folder, name);
      await Deno.writeTextFile(path, text);
      const { config } = await loadConfig({ root: REPO_ROOT, profile: path });
      assert.match(config.data.path, /^s3:\/\//, `${name}: data.path`);
      assert.match(config.registry.experiments_dir, /^s3:\/\//, `${name}: experiments_dir`);
      assert.match(config.registry.production_dir, /^s3:\/\//, `${name}: production_dir`);
    }
    const secret = find("Secret", "deno-mlops-credentials");
    assert.deepEqual(Object.keys(secret.stringData).sort(), [
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "DENO_MLOPS__SERVE__TOKENS",
    ]);
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
});

Deno.test("the cluster compose file runs Redis, two workers and two serving replicas on one registry", () => {
  // Compose resolves YAML merge keys (`<<: *s3-env`); so does this parse.
  const compose = parse(read("docker/docker-compose.cluster.yml"), { merge: true });
  const services = compose.services as Record<string, Manifest>;
  assert.match(services["redis"]!.image, /^redis:/);
  assert.equal(services["worker"]!.deploy.replicas, 2);
  assert.equal(services["serve"]!.deploy.replicas, 2);
  assert.deepEqual(services["worker"]!.command, ["worker", "--queue", "redis://redis:6379"]);
  assert.equal(services["worker"]!.depends_on.redis.condition, "service_healthy");
  assert.equal(services["serve"]!.depends_on.train.condition, "service_completed_successfully");
  // Two replicas cannot publish one host port: a range gives each its own.
  assert.deepEqual(services["serve"]!.ports, ["8000-8001:8000"]);
  // Whatever reaches the object store runs a :remote task, the ones with network access.
  assert.deepEqual(services["serve"]!.command, ["serve:remote"]);
  assert.deepEqual(services["train"]!.command, ["train-and-promote:remote"]);
  assert.match(
    read("docker/entrypoint.sh"),
    /train-and-promote:remote\)\n\s+shift\n\s+deno task train:remote/,
  );
  const registry = ["train", "worker", "serve"].map((name) => {
    const environment = services[name]!.environment;
    return [
      environment.AWS_ENDPOINT_URL,
      environment.DENO_MLOPS__REGISTRY__EXPERIMENTS_DIR,
      environment.DENO_MLOPS__REGISTRY__PRODUCTION_DIR,
    ];
  });
  assert.deepEqual(registry[1], registry[0]);
  assert.deepEqual(registry[2], registry[0]);
  assert.match(registry[0]![1], /^s3:\/\/deno-mlops\//);
  assert.match(services["buckets"]!.command[0], /mc mb --ignore-existing store\/deno-mlops/);
  for (const name of ["train", "worker", "serve"]) {
    assert.ok(Deno.statSync(join(REPO_ROOT, services[name]!.build.dockerfile)).isFile);
  }
});
