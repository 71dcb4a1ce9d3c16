/**
 * `deno task kernels:build`: compiles the AssemblyScript source of the dense-network kernels
 * (`src/models/kernels/assembly/dense.ts`) to the committed `src/models/kernels/dense.wasm`.
 * `compileDenseKernel` is also what the kernel tests call to check that the committed binary is
 * what the source builds to.
 *
 * @module
 */
import asc from "assemblyscript/asc";
import { formatUsage, parseTaskArgs } from "./_args.ts";
import { runTask } from "./_task.ts";

/** The kernel source, relative to the project root. */
export const DENSE_KERNEL_SOURCE = "src/models/kernels/assembly/dense.ts";
/** The committed binary, relative to the project root. */
export const DENSE_KERNEL_WASM = "src/models/kernels/dense.wasm";

/** The compiler flags: no runtime or allocator (the host lays out memory), SIMD128 on. */
const ASC_FLAGS = ["-O3", "--runtime", "stub", "--noAssert", "--enable", "simd"];

/**
 * Compiles the dense-network kernel source with AssemblyScript and returns the `.wasm` bytes.
 *
 * @param root the project root (the folder holding `deno.json`)
 * @returns the module's bytes
 * @throws {Error} when the compiler reports an error; its output is in the message
 * @example
 * ```ts
 * const bytes = await compileDenseKernel("."); // the bytes of src/models/kernels/dense.wasm
 * ```
 */
export async function compileDenseKernel(root: string): Promise<Uint8Array> {
  let wasm: Uint8Array | null = null;
  let output = "";
  const { error } = await asc.main(
    [DENSE_KERNEL_SOURCE, "--outFile", "dense.wasm", "--baseDir", root, ...ASC_FLAGS],
    {
      writeFile(name: string, contents: Uint8Array | string) {
        if (name.endsWith("dense.wasm") && typeof contents !== "string") wasm = contents;
      },
      stdout: { write: (chunk: string) => (output += chunk, true) } as never,
      stderr: { write: (chunk: string) => (output += chunk, true) } as never,
    },
  );
  if (error !== null || wasm === null) {
    throw new Error(
      `Cannot compile "${DENSE_KERNEL_SOURCE}": ${error?.message ?? "no output"}\n${output}`,
      { cause: error ?? undefined },
    );
  }
  return wasm;
}

const SPEC = { options: [], flags: [], descriptions: {} };

if (import.meta.main) {
  await runTask("kernels:build", async () => {
    const args = parseTaskArgs(Deno.args, SPEC);
    if (args.flags["help"]) {
      console.log(
        formatUsage(
          "kernels:build",
          SPEC,
          `Rebuild ${DENSE_KERNEL_WASM} from its AssemblyScript source (${DENSE_KERNEL_SOURCE}).`,
        ),
      );
      return 0;
    }
    const bytes = await compileDenseKernel(".");
    await Deno.writeFile(DENSE_KERNEL_WASM, bytes);
    console.log(`wrote ${DENSE_KERNEL_WASM} (${bytes.length} bytes)`);
    return 0;
  });
}
