/**
 * Finding notebooks by name, as `deno task notebooks 01 03_model` does.
 *
 * @module
 */
import { extname, join } from "node:path";
import { ArtifactError, didYouMean } from "../errors.ts";
import { errorText } from "./_util.ts";

/**
 * Finds notebooks by name in a folder: an exact file name, a name without `.ipynb`, or a unique
 * prefix such as `01` or `01_eda`. No names selects every notebook in the folder, sorted.
 *
 * @param dir the folder holding the notebooks
 * @param names the names to find; a path to an existing `.ipynb` file is taken as it is
 * @returns the notebook paths, in the order the names were given
 * @throws {ArtifactError} when a name matches no notebook or several (listing the notebooks
 *   available), or the folder cannot be read
 * @example
 * ```ts
 * await resolveNotebooks("notebooks", ["01", "03_model"]);
 * // ["notebooks/01_eda.ipynb", "notebooks/03_model_experiments.ipynb"]
 * ```
 */
export async function resolveNotebooks(dir: string, names: readonly string[]): Promise<string[]> {
  let available: string[];
  try {
    available = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && extname(entry.name) === ".ipynb") available.push(entry.name);
    }
  } catch (cause) {
    throw new ArtifactError(`Cannot list notebooks in "${dir}": ${errorText(cause)}`, { cause });
  }
  available.sort();
  if (names.length === 0) {
    if (available.length === 0) {
      throw new ArtifactError(`Cannot run notebooks: "${dir}" holds no .ipynb file`);
    }
    return available.map((name) => join(dir, name));
  }
  const listing = available.length === 0
    ? `"${dir}" holds no .ipynb file`
    : `available: ${available.map((name) => `"${name.replace(/\.ipynb$/, "")}"`).join(", ")}`;
  const paths: string[] = [];
  for (const name of names) {
    if (name.endsWith(".ipynb") && (await isFile(name))) {
      paths.push(name);
      continue;
    }
    const stem = name.replace(/\.ipynb$/, "");
    const exact = available.find((file) => file === `${stem}.ipynb`);
    const matches = exact === undefined
      ? available.filter((file) => file.startsWith(stem))
      : [exact];
    if (matches.length === 1) {
      paths.push(join(dir, matches[0]!));
      continue;
    }
    if (matches.length > 1) {
      throw new ArtifactError(
        `Cannot find notebook "${name}": it matches ${
          matches.map((file) => `"${file}"`).join(", ")
        }; give a longer name`,
      );
    }
    const hint = didYouMean(stem, available.map((file) => file.replace(/\.ipynb$/, "")));
    throw new ArtifactError(`Cannot find notebook "${name}" in "${dir}"${hint}; ${listing}`);
  }
  return paths;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
