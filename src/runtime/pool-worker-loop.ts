/**
 * The worker side of the thread pool (protocol in thread-pool.ts): holds one
 * instance per attached model over the shared memory, and runs the task
 * ranges the pool hands it. Host-neutral: pool-worker.ts wires it to Node's
 * parentPort or a Web Worker's global scope.
 */
import {
  CONTROL,
  type FromWorker,
  type KernelFunction,
  runTasks,
  SLOT,
  type ToWorker,
  WORKER_SLOTS,
  YIELD_BIT,
} from "./thread-pool.js";

/**
 * How long a worker spins on the sequence word before blocking. Waking a
 * blocked worker costs 25–55 µs, and until it wakes the calling thread runs
 * the worker's ranges itself, so the spin spans the gap between two runs of
 * a small model (copying outputs out and the next inputs in: 0.1–0.3 ms).
 */
const SPIN_MILLISECONDS = 1;
/** Sequence reads between clock reads while spinning. */
const SPINS_PER_CLOCK_READ = 256;

export interface WorkerPort {
  postMessage(message: FromWorker): void;
}

interface WorkerState {
  readonly control: Int32Array;
  readonly index: number;
  /** The job word of the last job seen. */
  seen: number;
  /** Messages handled so far (compared with the pool's POSTED count). */
  handled: number;
  readonly models: Map<number, readonly KernelFunction[]>;
}

/** Returns the handler for every message the pool posts to this worker. */
export function createWorkerHandler(port: WorkerPort): (message: ToWorker) => void {
  let state: WorkerState | null = null;
  return (message) => {
    try {
      if (message.kind === "init") {
        const control = new Int32Array(message.control);
        state = {
          control,
          index: message.index,
          seen: Atomics.load(control, CONTROL.sequence),
          handled: 0,
          models: new Map(),
        };
        port.postMessage({ kind: "ready" });
      } else if (state !== null) {
        handleModelMessage(state, message, port);
      }
    } catch (error) {
      port.postMessage({ kind: "error", message: error instanceof Error ? error.message : String(error) });
    }
    if (state === null) return;
    state.handled++;
    if (state.handled === postedCount(state)) serve(state);
  };
}

function handleModelMessage(state: WorkerState, message: Exclude<ToWorker, { kind: "init" }>, port: WorkerPort): void {
  if (message.kind === "detach") {
    state.models.delete(message.model);
    return;
  }
  const instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory } });
  const setScratchBase = instance.exports["set_scratch_base"] as ((base: number) => void) | undefined;
  setScratchBase?.(message.scratchBase);
  const kernels = message.kernels.map((name) => instance.exports[name] as KernelFunction);
  state.models.set(message.model, kernels);
  port.postMessage({ kind: "attached", model: message.model });
}

function postedCount(state: WorkerState): number {
  return Atomics.load(state.control, CONTROL.workerSlots + WORKER_SLOTS * state.index + SLOT.posted);
}

/**
 * Runs jobs until the pool stops it, or a YIELD arrives while messages are
 * waiting for this worker (it then returns to the event loop to read them).
 */
function serve(state: WorkerState): void {
  const control = state.control;
  const slots = CONTROL.workerSlots + WORKER_SLOTS * state.index;
  for (;;) {
    const job = awaitJob(state);
    if (Atomics.load(control, CONTROL.stop) !== 0) return;
    if ((job & YIELD_BIT) !== 0) {
      const leave = postedCount(state) > state.handled;
      Atomics.sub(control, CONTROL.pending, 1);
      if (leave) return;
      continue;
    }
    // The range may already be done by the calling thread; its fields are valid only after the claim.
    if (Atomics.compareExchange(control, slots + SLOT.claim, 0, 1) !== 0) continue;
    runRange(state, control[CONTROL.step]!, control[slots + SLOT.first]!, control[slots + SLOT.count]!);
    Atomics.sub(control, CONTROL.pending, 1);
  }
}

function runRange(state: WorkerState, step: number, first: number, count: number): void {
  try {
    const kernel = state.models.get(state.control[CONTROL.model]!)![step]!;
    runTasks(kernel, first, count, state.control[CONTROL.reversed] === 1);
  } catch {
    Atomics.store(state.control, CONTROL.failed, 1);
  }
}

/** Spins, then sleeps, until the job word moves past the last job seen; returns the new word. */
function awaitJob(state: WorkerState): number {
  const control = state.control;
  let spins = 0;
  let deadline = performance.now() + SPIN_MILLISECONDS;
  for (;;) {
    const job = Atomics.load(control, CONTROL.sequence);
    if (job !== state.seen) {
      state.seen = job;
      return job;
    }
    if (++spins % SPINS_PER_CLOCK_READ !== 0 || performance.now() < deadline) continue;
    Atomics.add(control, CONTROL.waiters, 1);
    Atomics.wait(control, CONTROL.sequence, state.seen);
    Atomics.sub(control, CONTROL.waiters, 1);
    deadline = performance.now() + SPIN_MILLISECONDS;
  }
}
