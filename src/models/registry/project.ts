/**
 * Production per project: each `project.name` has its own production folder,
 * `<registry.production_dir>/<project>/`, holding its pointer, run copies, promotion log and
 * lock, so promoting one project never touches another's production.
 *
 * @module
 */
import { ArtifactError, ConfigError } from "../../errors.ts";
import { pathExists } from "../../utils/mod.ts";
import { PRODUCTION_POINTER_FILE, PRODUCTION_RUNS_DIR, PROMOTION_LOG_FILE } from "./production.ts";
import { isS3Url } from "../../storage/mod.ts";
import { listRemoteProjects } from "./remote_production.ts";
import { registryStore } from "./remote_runs.ts";

/** A project name usable as a folder and a URL segment: letters, digits, `.`, `_` and `-`. */
const PROJECT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Returns the production folder of one project, `<productionDir>/<project>`. Every reader and
 * writer of production computes its folder here.
 *
 * @param productionDir the production root (`registry.production_dir`)
 * @param project the project (`project.name`)
 * @returns the project's production folder
 * @throws {ConfigError} when the project name cannot be a folder name
 * @example
 * ```ts
 * projectProductionDir("models/production", "penguins"); // "models/production/penguins"
 * ```
 */
export function projectProductionDir(productionDir: string, project: string): string {
  if (!PROJECT_NAME_PATTERN.test(project) || project.includes("..")) {
    throw new ConfigError(
      `Cannot use project.name ${
        JSON.stringify(project)
      } as a registry name: it names the production folder and the /v1/models/<name> route, so it holds only letters, digits, ".", "_" and "-" and starts with a letter or digit; rename it in the profile, e.g. project.name: ${
        JSON.stringify(
          project.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "") ||
            "my-project",
        )
      }`,
    );
  }
  return `${productionDir.replace(/\/+$/, "")}/${project}`;
}

/**
 * Refuses a production folder in the layout used before production was kept per project: a
 * `current.json` directly in `productionDir`. The message gives the commands that move it into
 * the folder of the project that promoted it.
 *
 * @param productionDir the production root (`registry.production_dir`)
 * @throws {ArtifactError} when `<productionDir>/current.json` exists
 * @example
 * ```ts
 * await assertProjectLayout("models/production");
 * ```
 */
export async function assertProjectLayout(productionDir: string): Promise<void> {
  if (isS3Url(productionDir)) return; // remote production was always kept per project
  const root = productionDir.replace(/\/+$/, "");
  if (!(await pathExists(`${root}/${PRODUCTION_POINTER_FILE}`))) return;
  const project = await legacyProject(root);
  const target = `${root}/${project ?? "<project>"}`;
  const files = [PRODUCTION_POINTER_FILE, PRODUCTION_RUNS_DIR, PROMOTION_LOG_FILE]
    .map((name) => `${root}/${name}`).join(" ");
  throw new ArtifactError(
    `Cannot use production in "${root}": it holds "${PRODUCTION_POINTER_FILE}" at the top, the layout from before production was kept per project (now "${root}/<project.name>/${PRODUCTION_POINTER_FILE}"); move it into the folder of ${
      project === null ? "its project" : `project "${project}"`
    } with: mkdir -p ${target} && mv ${files} ${target}/ (remove a left "${root}/.lock" once no promotion runs)`,
  );
}

/** The project of the run a top-level `current.json` points to, from its copy's `run.json`. */
async function legacyProject(root: string): Promise<string | null> {
  try {
    const pointer = JSON.parse(await Deno.readTextFile(`${root}/${PRODUCTION_POINTER_FILE}`));
    const id = typeof pointer?.run_id === "string" ? pointer.run_id : null;
    if (id === null || !PROJECT_NAME_PATTERN.test(id)) return null;
    const record = JSON.parse(
      await Deno.readTextFile(`${root}/${PRODUCTION_RUNS_DIR}/${id}/run.json`),
    );
    const project = record?.project;
    return typeof project === "string" && PROJECT_NAME_PATTERN.test(project) ? project : null;
  } catch {
    return null;
  }
}

/**
 * Resolves the production folder of a project after checking the root's layout; the entry
 * points (promote, rollback, opening `"production"`, the service) call this.
 *
 * @param registry the production root (`config.registry`)
 * @param project the project (`config.project.name`)
 * @returns the project's production folder
 * @throws {ConfigError} when the project name cannot be a folder name
 * @throws {ArtifactError} when the root is in the layout from before per-project production
 * @example
 * ```ts
 * const dir = await resolveProductionDir(config.registry, config.project.name);
 * ```
 */
export async function resolveProductionDir(
  registry: { production_dir: string },
  project: string,
): Promise<string> {
  const dir = projectProductionDir(registry.production_dir, project);
  await assertProjectLayout(registry.production_dir);
  return dir;
}

/**
 * Lists the projects that have a production folder (one holding `current.json` or
 * `promotions.jsonl`), sorted by name.
 *
 * @param productionDir the production root (`registry.production_dir`)
 * @returns the project names; empty when the root does not exist
 * @throws {ArtifactError} when the root cannot be read
 * @example
 * ```ts
 * await listProductionProjects("models/production"); // ["cars", "penguins"]
 * ```
 */
export async function listProductionProjects(productionDir: string): Promise<string[]> {
  if (isS3Url(productionDir)) return await listRemoteProjects(registryStore(), productionDir);
  const root = productionDir.replace(/\/+$/, "");
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(root)) {
      if (!entry.isDirectory || !PROJECT_NAME_PATTERN.test(entry.name)) continue;
      const dir = `${root}/${entry.name}`;
      if (
        (await pathExists(`${dir}/${PRODUCTION_POINTER_FILE}`)) ||
        (await pathExists(`${dir}/${PROMOTION_LOG_FILE}`))
      ) {
        names.push(entry.name);
      }
    }
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return [];
    throw new ArtifactError(`Cannot list the production projects in "${root}"`, { cause });
  }
  return names.sort();
}
