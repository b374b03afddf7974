/**
 * How the steps of a plan run. A step's kernel is `kernel(first, count)` over
 * the task range [0, tasks); the executor decides how to split that range.
 * The serial executor runs it in one call on the calling thread; the pool
 * executor splits it over a ThreadPool (thread-pool.ts) whose workers share
 * the memory. The session's step loop is the same for both.
 *
 * The executor also instantiates modules, since a threaded module needs a
 * shared memory sized for the thread count (one scratch copy per thread,
 * see plan.ts), an instance per thread, and each instance's scratch base set.
 *
 * Fallback: with one thread, without SharedArrayBuffer (a browser page that
 * is not cross-origin isolated), without a worker host, or when workers fail
 * to start, createExecutor returns the serial executor; a module compiled
 * with threads then runs on the calling thread alone, and one compiled
 * without threads always does.
 */
import { compileWasm } from "./compile-wasm.js";
import { detectEngineFeatures } from "./features.js";
import { createMemory } from "./memory.js";
import type { ExecutionPlan } from "./plan.js";
import { isNode } from "./platform.js";
import { type KernelFunction, type PoolStep, runTasks, ThreadPool, type WorkerHost } from "./thread-pool.js";
import { TesseraError } from "../support/errors.js";

export type { KernelFunction } from "./thread-pool.js";

export interface InstantiatedModel {
  readonly memory: WebAssembly.Memory;
  readonly instance: WebAssembly.Instance;
}

export interface StepExecutor {
  /** Threads that run the steps of threaded modules (1 for the serial executor). */
  readonly threads: number;
  /**
   * Compiles `wasm` and instantiates it over a fresh memory laid out by
   * `plan`, on every thread when the module is threaded. E_BAD_ARTIFACT when
   * the module does not compile or link.
   */
  instantiate(wasm: Uint8Array, plan: ExecutionPlan): Promise<InstantiatedModel>;
  /**
   * Runs all `tasks` tasks of `kernel` (an export of an instance made here),
   * last-first when `reversed`; returns once all have finished.
   */
  runStep(kernel: KernelFunction, tasks: number, reversed?: boolean): void;
  /** Says that steps are about to run (a run is starting): a pool wakes its sleeping workers. */
  prepareRun(): void;
  /** Frees workers; the executor is unusable afterwards. */
  release(): void;
}

export interface ExecutorOptions {
  /** Threads including the calling one; defaults to the host's logical cores. */
  readonly threads?: number;
  /** Whether shared memory may be used; defaults to engine support (false simulates its absence). */
  readonly sharedMemory?: boolean;
  /** Where workers come from; defaults to worker_threads in Node and Web Workers in browsers. */
  readonly host?: WorkerHost | null;
  /** Optimize every kernel while the module compiles (default true; see compile-wasm.ts). */
  readonly eagerTierUp?: boolean;
}

/** A pool executor when threads > 1 and shared memory and workers are available, else the serial one. */
export async function createExecutor(options: ExecutorOptions = {}): Promise<StepExecutor> {
  const sharedMemory = options.sharedMemory ?? detectEngineFeatures().threads;
  const eager = options.eagerTierUp ?? true;
  if (!sharedMemory || options.threads === 1) return createSerialExecutor(eager);
  const host = options.host === undefined ? await defaultWorkerHost() : options.host;
  const threads = options.threads ?? host?.hardwareThreads ?? 1;
  if (host === null || threads <= 1) return createSerialExecutor(eager);
  try {
    return new PoolExecutor(await ThreadPool.start(host, threads), eager);
  } catch {
    return createSerialExecutor(eager);
  }
}

export function createSerialExecutor(eagerTierUp = true): StepExecutor {
  return {
    threads: 1,
    async instantiate(wasm, plan) {
      const memory = createMemory(plan, 1);
      const module = await compile(wasm, eagerTierUp);
      const instance = await WebAssembly.instantiate(module, { env: { memory } }).catch(asArtifactError);
      setScratchBase(instance, plan, 0);
      return { memory, instance };
    },
    runStep(kernel, tasks, reversed = false) {
      runTasks(kernel, 0, tasks, reversed);
    },
    prepareRun() {},
    release() {},
  };
}

/** Splits each step of threaded modules over a ThreadPool; other modules' kernels run serially. */
class PoolExecutor implements StepExecutor {
  readonly threads: number;
  private readonly steps = new WeakMap<KernelFunction, PoolStep>();
  /** Detaches a model from the workers once its main-thread instance is collected (dropped variants). */
  private readonly finalizer: FinalizationRegistry<number>;

  constructor(
    private readonly pool: ThreadPool,
    private readonly eagerTierUp: boolean,
  ) {
    this.threads = pool.threads;
    this.finalizer = new FinalizationRegistry((model) => pool.detach(model));
  }

  async instantiate(wasm: Uint8Array, plan: ExecutionPlan): Promise<InstantiatedModel> {
    const threaded = plan.features.threads;
    const memory = createMemory(plan, threaded ? this.threads : 1);
    const module = await compile(wasm, this.eagerTierUp);
    const instance = await WebAssembly.instantiate(module, { env: { memory } }).catch(asArtifactError);
    setScratchBase(instance, plan, 0);
    if (!threaded) return { memory, instance };
    const model = await this.pool.attach(module, memory, plan);
    plan.steps.forEach((step, index) => {
      const kernel = instance.exports[step.kernel];
      if (typeof kernel === "function")
        this.steps.set(kernel as KernelFunction, { model, step: index, flops: step.flops });
    });
    this.finalizer.register(instance, model);
    return { memory, instance };
  }

  prepareRun(): void {
    this.pool.wake();
  }

  runStep(kernel: KernelFunction, tasks: number, reversed = false): void {
    const step = this.steps.get(kernel);
    if (step === undefined) runTasks(kernel, 0, tasks, reversed);
    else this.pool.run(step, kernel, tasks, reversed);
  }

  release(): void {
    this.pool.release();
  }
}

async function defaultWorkerHost(): Promise<WorkerHost | null> {
  if (isNode()) return (await import("./thread-pool-node.js")).createNodeWorkerHost();
  if (typeof Worker === "function") return (await import("./thread-pool-web.js")).createWebWorkerHost();
  return null;
}

/** Threaded modules read their scratch copy from a global; thread `thread` uses copy `thread`. */
function setScratchBase(instance: WebAssembly.Instance, plan: ExecutionPlan, thread: number): void {
  if (!plan.features.threads) return;
  const setter = instance.exports["set_scratch_base"];
  if (typeof setter !== "function") {
    if (plan.scratchBytes === 0) return;
    throw new TesseraError("E_BAD_ARTIFACT", "the threaded wasm module has no 'set_scratch_base' export");
  }
  setter(plan.scratchOffset + thread * plan.scratchBytes);
}

async function compile(wasm: Uint8Array, eagerTierUp: boolean): Promise<WebAssembly.Module> {
  return compileWasm(wasm, eagerTierUp).catch(asArtifactError);
}

function asArtifactError(error: unknown): never {
  if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
    throw new TesseraError("E_BAD_ARTIFACT", `the wasm module does not load: ${error.message}`);
  }
  throw error;
}
