/**
 * Chooses and starts the tfjs backend: WebAssembly with SIMD by default, the pure-JS CPU
 * backend as a fallback, and a faster BatchMatMul for the wasm backend.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { getLogger, type Logger } from "@logtape/logtape";

/** The tfjs backends deno-mlops trains and predicts on. */
export type BackendName = "wasm" | "cpu";

/** The backends `initBackend` accepts. */
export const BACKEND_NAMES: readonly BackendName[] = ["wasm", "cpu"];

/** Options of `initBackend`. */
export interface InitBackendOptions {
  /**
   * Where the fallback warning goes.
   * @default getLogger(["deno-mlops", "models"])
   */
  logger?: Logger | null;
  /**
   * Folder holding `tfjs-backend-wasm-simd.wasm`, as a path or a `file:` URL.
   * @default the `dist/` folder of `@tensorflow/tfjs-backend-wasm` in the project's `node_modules`
   */
  wasmDirectory?: string | null;
  /**
   * Install the BatchMatMul patch on the wasm backend (see `installBatchMatMulPatch`).
   * @default true
   */
  patchBatchMatMul?: boolean;
}

/** Defaults of `InitBackendOptions`. */
export const DEFAULT_INIT_BACKEND_OPTIONS: Required<InitBackendOptions> = {
  logger: null,
  wasmDirectory: null,
  patchBatchMatMul: true,
};

const WASM_SIMD_FILE = "tfjs-backend-wasm-simd.wasm";
const WASM_PACKAGE_DIST = "node_modules/@tensorflow/tfjs-backend-wasm/dist/";

/** Directories for which the wasm backend failed to start: asked again, we go to cpu quietly. */
const failedWasmDirectories = new Set<string>();
/** The wasm folder the backend was started from; wasm can only be started once per process. */
let startedWasmDirectory: string | null = null;

/**
 * Makes `name` the active tfjs backend and returns the backend actually in use.
 *
 * `"wasm"` runs the SIMD WebAssembly build (single-threaded under Deno) with the BatchMatMul
 * patch installed. When WebAssembly cannot start (no WebAssembly, `.wasm` files not found, or
 * their instantiation fails) it falls back to `"cpu"` and logs ONE warning saying why.
 * Calling it again with the same name does nothing and returns the same answer.
 *
 * @param name the backend wanted
 * @param options the logger for the fallback warning, where the `.wasm` files are, and whether
 *   to patch BatchMatMul
 * @returns `"wasm"` or `"cpu"`: the backend now active
 * @throws {RangeError} when `name` is not `"wasm"` or `"cpu"`
 * @example
 * ```ts
 * const backend = await initBackend(config.training.backend, { logger }); // "wasm"
 * ```
 */
export function initBackend(
  name: BackendName = "wasm",
  options: InitBackendOptions = {},
): Promise<BackendName> {
  // Callers that start the backend at the same time share one start: two concurrent starts
  // would both register the WebAssembly backend.
  const key = JSON.stringify([
    name,
    options.wasmDirectory ?? null,
    options.patchBatchMatMul ?? null,
  ]);
  const pending = starting.get(key);
  if (pending !== undefined) return pending;
  const started = startBackend(name, options).finally(() => starting.delete(key));
  starting.set(key, started);
  return started;
}

/** Backend starts in flight, by their arguments. */
const starting = new Map<string, Promise<BackendName>>();

async function startBackend(
  name: BackendName,
  options: InitBackendOptions,
): Promise<BackendName> {
  const { wasmDirectory, patchBatchMatMul } = { ...DEFAULT_INIT_BACKEND_OPTIONS, ...options };
  const logger = options.logger ?? getLogger(["deno-mlops", "models"]);
  if (!BACKEND_NAMES.includes(name)) {
    throw new RangeError(
      `Cannot start tfjs backend "${name}": expected one of ${JSON.stringify(BACKEND_NAMES)}; ` +
        `set training.backend to "wasm" or "cpu"`,
    );
  }
  if (name === "cpu") return await activate("cpu");
  if (tf.engine().registry["wasm"] !== undefined) {
    // Started earlier in this process: the folder no longer matters.
    if (patchBatchMatMul) installBatchMatMulPatch();
    return await activate("wasm");
  }

  const directory = wasmDirectory === null ? findWasmDirectory() : toDirectoryUrl(wasmDirectory);
  const key = directory ?? "<not found>";
  if (failedWasmDirectories.has(key)) return await activate("cpu");

  const problem = await wasmProblem(directory);
  if (problem !== null) {
    failedWasmDirectories.add(key);
    logger.warn("WebAssembly backend unavailable ({reason}); training on the slower cpu backend", {
      reason: problem,
    });
    return await activate("cpu");
  }
  if (patchBatchMatMul) installBatchMatMulPatch();
  if (startedWasmDirectory === null) {
    setWasmPaths(directory!);
    startedWasmDirectory = directory;
  }
  const { started, messages } = await withConsoleCaptured(async () => {
    try {
      return await tf.setBackend("wasm");
    } catch {
      return false;
    }
  });
  if (!started) {
    failedWasmDirectories.add(key);
    logger.warn("WebAssembly backend unavailable ({reason}); training on the slower cpu backend", {
      reason: `instantiating "${directory}${WASM_SIMD_FILE}" failed`,
      details: messages.join("\n"),
    });
    return await activate("cpu");
  }
  return "wasm";
}

/**
 * Starts the default backend (`"wasm"`) unless a backend was already chosen.
 *
 * Model code calls this before its first tensor so that it never triggers tfjs's own backend
 * auto-selection; pipelines call `initBackend(config.training.backend)` first.
 *
 * @returns the backend now active
 * @example
 * ```ts
 * await ensureBackend(); // "wasm" unless initBackend("cpu") ran before
 * ```
 */
export async function ensureBackend(): Promise<BackendName> {
  const current = tf.engine().backendName;
  if (current === "wasm" || current === "cpu") return current;
  return await initBackend("wasm");
}

/**
 * Returns the `file:` URL (with a trailing slash) of the folder holding the wasm binaries.
 *
 * It walks up from this module to the folder holding `deno.json` (the project root) and looks
 * in its `node_modules` (the project uses `"nodeModulesDir": "auto"`), then tries the current
 * working directory the same way.
 *
 * @returns the folder URL, or `null` when no copy of `tfjs-backend-wasm-simd.wasm` is found
 * @example
 * ```ts
 * findWasmDirectory(); // "file:///work/main/node_modules/@tensorflow/tfjs-backend-wasm/dist/"
 * ```
 */
export function findWasmDirectory(): string | null {
  const starts: URL[] = [];
  const here = new URL(".", import.meta.url);
  if (here.protocol === "file:") starts.push(here);
  try {
    starts.push(new URL(`file://${Deno.cwd().replaceAll("\\", "/").replace(/\/?$/, "/")}`));
  } catch {
    // No read access to the working directory: only the module location counts.
  }
  for (const start of starts) {
    for (let dir = start;; dir = new URL("..", dir)) {
      if (exists(new URL("deno.json", dir)) || exists(new URL("deno.jsonc", dir))) {
        const dist = new URL(WASM_PACKAGE_DIST, dir);
        if (exists(new URL(WASM_SIMD_FILE, dist))) return dist.href;
      }
      if (new URL("..", dir).href === dir.href) break;
    }
  }
  return null;
}

// ---------------------------------------------------------------- BatchMatMul patch

type KernelFunc = tf.KernelConfig["kernelFunc"];
type KernelArgs = Parameters<KernelFunc>[0];

/** The wasm BatchMatMul kernel as tfjs-backend-wasm registered it, while the patch is on. */
let originalBatchMatMul: tf.KernelConfig | null = null;

/**
 * Replaces the wasm BatchMatMul kernel so that transposed products use the fast path.
 *
 * The wasm kernel runs XNNPACK only when neither operand is transposed; `transposeA` or
 * `transposeB` (every Dense backward pass: Xᵀ·dY and dY·Wᵀ) falls to a naive blocked loop of
 * about 1 GFLOP/s. The patched kernel first materialises the transpose with the wasm Transpose
 * kernel and then calls the original kernel without transposes, so the product equals
 * `matMul(transpose(a), b)` bit for bit. Products whose inner dimension exceeds 48 may differ
 * from the unpatched naive loop in the last bits, because that loop sums in blocks of 48.
 * Batched products (batch > 1) never reach XNNPACK and are left to the original kernel.
 *
 * @returns `true` when the patch was installed now, `false` when it already was
 * @example
 * ```ts
 * installBatchMatMulPatch(); // true
 * ```
 */
export function installBatchMatMulPatch(): boolean {
  if (originalBatchMatMul !== null) return false;
  const original = tf.getKernel(tf.BatchMatMul, "wasm");
  if (original === undefined) {
    throw new Error(
      `Cannot patch the wasm BatchMatMul kernel: it is not registered; import "@tensorflow/tfjs-backend-wasm" first`,
    );
  }
  originalBatchMatMul = original;
  const transposeKernel = tf.getKernel(tf.Transpose, "wasm").kernelFunc;
  const originalKernel = original.kernelFunc;
  tf.unregisterKernel(tf.BatchMatMul, "wasm");
  tf.registerKernel({ ...original, kernelFunc: patchedKernel });
  return true;

  function patchedKernel(args: KernelArgs): ReturnType<KernelFunc> {
    const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
    const a = args.inputs["a"] as tf.TensorInfo;
    const b = args.inputs["b"] as tf.TensorInfo;
    if ((!attrs.transposeA && !attrs.transposeB) || batchSize(a) !== 1 || batchSize(b) !== 1) {
      return originalKernel(args);
    }
    const backend = args.backend as { disposeData(dataId: object): boolean };
    const temporaries: tf.TensorInfo[] = [];
    const left = attrs.transposeA ? transposed(a) : a;
    const right = attrs.transposeB ? transposed(b) : b;
    try {
      return originalKernel({
        inputs: { a: left, b: right },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const info of temporaries) backend.disposeData(info.dataId);
    }

    function transposed(x: tf.TensorInfo): tf.TensorInfo {
      const rank = x.shape.length;
      const perm = Array.from({ length: rank }, (_, i) => i);
      perm[rank - 1] = rank - 2;
      perm[rank - 2] = rank - 1;
      const out = transposeKernel({ inputs: { x }, backend: args.backend, attrs: { perm } });
      temporaries.push(out as tf.TensorInfo);
      return out as tf.TensorInfo;
    }
  }
}

/**
 * Restores the wasm BatchMatMul kernel that tfjs-backend-wasm registered.
 *
 * Used by tests and benchmarks that compare both kernels.
 *
 * @returns `true` when the patch was removed now, `false` when it was not installed
 * @example
 * ```ts
 * removeBatchMatMulPatch(); // true
 * ```
 */
export function removeBatchMatMulPatch(): boolean {
  if (originalBatchMatMul === null) return false;
  tf.unregisterKernel(tf.BatchMatMul, "wasm");
  tf.registerKernel(originalBatchMatMul);
  originalBatchMatMul = null;
  return true;
}

/**
 * Tells whether the BatchMatMul patch is installed.
 *
 * @returns `true` while the patched kernel is registered
 * @example
 * ```ts
 * isBatchMatMulPatched(); // true after initBackend("wasm")
 * ```
 */
export function isBatchMatMulPatched(): boolean {
  return originalBatchMatMul !== null;
}

// ---------------------------------------------------------------- helpers

async function activate(name: BackendName): Promise<BackendName> {
  if (tf.engine().backendName !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`Cannot start tfjs backend "${name}": tfjs refused to initialise it`);
  }
  if (name === "cpu") {
    // The cpu backend prints a banner recommending tfjs-node on its first tensor, which does not
    // apply to Deno; the fallback is already reported once by initBackend.
    const backend = tf.engine().registry["cpu"] as { firstUse?: boolean } | undefined;
    if (backend !== undefined) backend.firstUse = false;
  }
  return name;
}

/**
 * Runs `work` with the console's warn, error and log calls collected instead of printed.
 *
 * A failed wasm start makes emscripten and tfjs print four lines of their own; collecting them
 * keeps the fallback to ONE log line (they are attached to it as `details`).
 */
async function withConsoleCaptured<T>(
  work: () => Promise<T>,
): Promise<{ started: T; messages: string[] }> {
  const messages: string[] = [];
  const saved = { warn: console.warn, error: console.error, log: console.log };
  const collect = (...args: unknown[]) => {
    messages.push(args.map(String).join(" "));
  };
  console.warn = collect;
  console.error = collect;
  console.log = collect;
  try {
    return { started: await work(), messages };
  } finally {
    console.warn = saved.warn;
    console.error = saved.error;
    console.log = saved.log;
  }
}

async function wasmProblem(directory: string | null): Promise<string | null> {
  if (typeof WebAssembly !== "object") return "this runtime has no WebAssembly";
  if (directory === null) {
    return `no "${WASM_PACKAGE_DIST}${WASM_SIMD_FILE}" found above ${import.meta.url} or ${safeCwd()}`;
  }
  if (!(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"))) {
    return "this runtime has no WebAssembly SIMD";
  }
  if (!exists(new URL(WASM_SIMD_FILE, directory))) {
    return `"${new URL(WASM_SIMD_FILE, directory).href}" does not exist`;
  }
  return null;
}

function toDirectoryUrl(directory: string): string {
  const withSlash = directory.endsWith("/") ? directory : `${directory}/`;
  if (/^[a-z]+:\/\//i.test(withSlash)) return withSlash;
  const absolute = withSlash.startsWith("/") ? withSlash : `${safeCwd()}/${withSlash}`;
  return new URL(`file://${absolute}`).href;
}

function exists(url: URL): boolean {
  try {
    return Deno.statSync(url).isFile;
  } catch {
    return false;
  }
}

function safeCwd(): string {
  try {
    return Deno.cwd();
  } catch {
    return "<cwd unreadable>";
  }
}

function batchSize(info: tf.TensorInfo): number {
  let size = 1;
  for (let i = 0; i < info.shape.length - 2; i++) size *= info.shape[i]!;
  return size;
}
