/**
 * A pool of worker threads that run parts of one kernel over one shared
 * WebAssembly.Memory. Host-neutral: workers come from a WorkerHost (Node's
 * worker_threads in thread-pool-node.ts, Web Workers in thread-pool-web.ts),
 * and everything else is SharedArrayBuffer + Atomics.
 *
 * Protocol (the worker side is pool-worker-loop.ts). A control Int32Array
 * holds a job: model id, step index and, per worker, a task range. The
 * calling thread writes the job, sets PENDING, publishes the next job word in
 * SEQUENCE and notifies only if a worker sleeps (WAITERS > 0); it then runs
 * its own share and spins on Atomics.load until PENDING is 0. It never calls
 * Atomics.wait (browsers forbid it on the main thread). Workers spin a while
 * on SEQUENCE (dispatch ~0.3 µs), then Atomics.wait (~25–55 µs to wake).
 *
 * A worker in that loop cannot receive messages. So the pool counts the
 * messages it posts to each worker (POSTED, in the control array, bumped
 * before each post), then dispatches a YIELD job (marked in the job word
 * itself, so no worker can mistake which job it sees): a worker that has handled
 * fewer messages than were posted leaves the loop for its event loop, and
 * re-enters the loop once it has handled them all. Jobs are never lost: a
 * worker out of the loop sees the bumped SEQUENCE when it comes back, and the
 * pool dispatches nothing new until PENDING is 0.
 *
 * Ranges are claimed with a compare-exchange on their CLAIM slot, by the
 * worker or, once the calling thread has run its own share, by the calling
 * thread itself: a worker the OS has not scheduled (more threads than free
 * cores) then costs nothing instead of stalling the step. PENDING counts the
 * unfinished ranges; whoever runs a range decrements it. A worker reads a
 * job's fields only after winning its claim, so a late worker never mixes
 * two jobs' fields.
 */
import { TesseraError } from "../support/errors.js";
import type { ExecutionPlan } from "./plan.js";

/** Indices into the control Int32Array. */
export const CONTROL = {
  /** The job word: a sequence number shifted left by one, its low bit set for a YIELD job. */
  sequence: 0,
  stop: 1,
  pending: 2,
  waiters: 3,
  model: 4,
  step: 5,
  /** Set by a worker whose kernel trapped; the calling thread throws after the step. */
  failed: 6,
  /** 1 when every range of the job runs its tasks last-first (runTasks). */
  reversed: 7,
  /**
   * Worker w's slots start at workerSlots + WORKER_SLOTS * w: first task,
   * task count, messages posted, and the claim on the range (0 = unclaimed).
   */
  workerSlots: 8,
} as const;
export const WORKER_SLOTS = 4;
export const SLOT = { first: 0, count: 1, posted: 2, claim: 3 } as const;
/** Low bit of the job word: the job sends workers back to their event loop (to read messages). */
export const YIELD_BIT = 1;

/** Messages from the pool to a worker. */
export type ToWorker =
  | { readonly kind: "init"; readonly control: SharedArrayBuffer; readonly index: number }
  | {
      readonly kind: "attach";
      readonly model: number;
      readonly module: WebAssembly.Module;
      readonly memory: WebAssembly.Memory;
      readonly kernels: readonly string[];
      readonly scratchBase: number;
    }
  | { readonly kind: "detach"; readonly model: number };

/** Messages from a worker: acknowledgements, or a failure with its text. */
export type FromWorker =
  | { readonly kind: "ready" }
  | { readonly kind: "attached"; readonly model: number }
  | { readonly kind: "error"; readonly message: string };

/** One started worker, as the host gives it. */
export interface PoolWorker {
  postMessage(message: ToWorker): void;
  /** Called for every message the worker posts, and with an error message if it dies. */
  listen(listener: (message: FromWorker) => void): void;
  /** Whether a pending reply should keep the host alive (Node: ref/unref); idle workers must not. */
  keepAlive(alive: boolean): void;
  terminate(): void;
}

export interface WorkerHost {
  /** Logical cores (os.availableParallelism(), navigator.hardwareConcurrency). */
  readonly hardwareThreads: number;
  startWorker(): PoolWorker;
}

/** A kernel export: runs tasks [first, first + count). */
export type KernelFunction = (first: number, count: number) => void;

/**
 * Runs tasks [first, first + count) of `kernel`; `reversed` runs them
 * last-first, one call each, since a kernel's own task loop counts up.
 * Tasks are independent (threads run them at once), so any order is correct.
 */
export function runTasks(kernel: KernelFunction, first: number, count: number, reversed: boolean): void {
  if (!reversed) kernel(first, count);
  else for (let task = first + count - 1; task >= first; task--) kernel(task, 1);
}

/** A step the pool knows: which attached model and which of its steps. */
export interface PoolStep {
  readonly model: number;
  readonly step: number;
  readonly flops: number;
}

/** Steps below this many flops run on the calling thread alone: a dispatch would cost more than it saves. */
export const SERIAL_FLOPS = 50_000;

/**
 * Whether a step of `tasks` tasks and `flops` flops runs on the calling
 * thread alone over `threads` threads. A step that reports 0 flops moves data
 * (Concat, MaxPool, Transpose: a plan counts only float arithmetic), so its
 * size is unknown: it splits whenever it has a task for each of 2+ threads.
 * That costs at most one dispatch (~1 µs; a sleeping worker's range is run by
 * the calling thread), while a large copy or pooling step (squeezenet's
 * MaxPool and Concat, ~1 ms in all) would otherwise never use the workers.
 */
export function runsSerially(flops: number, tasks: number, threads: number): boolean {
  if (Math.min(threads, tasks) <= 1) return true;
  return flops > 0 && flops < SERIAL_FLOPS;
}

/** How long a step may wait on a worker before the pool gives up on it. */
const STALL_MILLISECONDS = 120_000;

export class ThreadPool {
  /** Threads including the calling one. */
  readonly threads: number;
  private readonly control: Int32Array;
  private readonly workers: readonly PoolWorker[];
  private readonly replies: ((message: FromWorker) => void)[] = [];
  private nextModel = 1;
  private released = false;
  /** Attaches run one at a time (each awaits replies from every worker). */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(host: WorkerHost, threads: number) {
    this.threads = threads;
    this.control = new Int32Array(new SharedArrayBuffer(4 * (CONTROL.workerSlots + WORKER_SLOTS * threads)));
    for (let worker = 0; worker < threads - 1; worker++) {
      this.control[CONTROL.workerSlots + WORKER_SLOTS * worker + SLOT.claim] = 1;
    }
    this.workers = Array.from({ length: threads - 1 }, () => host.startWorker());
    this.workers.forEach((worker, index) => {
      this.replies.push(() => {});
      worker.listen((message) => this.replies[index]!(message));
    });
  }

  /** Starts `threads - 1` workers and waits until each is ready. */
  static async start(host: WorkerHost, threads: number): Promise<ThreadPool> {
    const pool = new ThreadPool(host, threads);
    try {
      await pool.collect("ready", (worker, index) =>
        pool.post(index, { kind: "init", control: pool.control.buffer as SharedArrayBuffer, index }),
      );
    } catch (error) {
      pool.release();
      throw error;
    }
    return pool;
  }

  /**
   * Instantiates `module` over `memory` in every worker (worker w gets the
   * scratch copy w + 1; the calling thread has copy 0) and returns the id
   * that jobs name. `kernels` are the export names of the plan's steps, in order.
   */
  async attach(module: WebAssembly.Module, memory: WebAssembly.Memory, plan: ExecutionPlan): Promise<number> {
    const model = this.nextModel++;
    const kernels = plan.steps.map((step) => step.kernel);
    const attached = this.queue.then(() =>
      this.collect("attached", (_, index) => {
        const scratchBase = plan.scratchOffset + (index + 1) * plan.scratchBytes;
        this.post(index, { kind: "attach", model, module, memory, kernels, scratchBase });
      }),
    );
    this.queue = attached.catch(() => {});
    await attached;
    return model;
  }

  /** Drops a model's instances in the workers (no reply awaited). */
  detach(model: number): void {
    if (this.released) return;
    this.workers.forEach((_, index) => this.post(index, { kind: "detach", model }));
    this.dispatchYield();
  }

  /**
   * Runs all `tasks` of `step`, split in balanced contiguous ranges over the
   * threads; the calling thread runs the last range itself. Each range runs
   * last-first when `reversed`. Returns when all have finished.
   */
  run(step: PoolStep, kernel: KernelFunction, tasks: number, reversed = false): void {
    const parts = Math.min(this.threads, tasks);
    if (runsSerially(step.flops, tasks, this.threads)) {
      runTasks(kernel, 0, tasks, reversed);
      return;
    }
    const control = this.control;
    control[CONTROL.model] = step.model;
    control[CONTROL.step] = step.step;
    control[CONTROL.reversed] = reversed ? 1 : 0;
    for (let worker = 0; worker < this.workers.length; worker++) {
      const slots = CONTROL.workerSlots + WORKER_SLOTS * worker;
      const [first, count] = worker < parts - 1 ? taskRange(tasks, parts, worker) : [0, 0];
      control[slots + SLOT.first] = first;
      control[slots + SLOT.count] = count;
    }
    Atomics.store(control, CONTROL.pending, parts - 1);
    // Opening the claims last publishes the fields above to whoever wins one.
    for (let worker = 0; worker < parts - 1; worker++) {
      Atomics.store(control, CONTROL.workerSlots + WORKER_SLOTS * worker + SLOT.claim, 0);
    }
    this.publishJob(0);
    const [first, count] = taskRange(tasks, parts, parts - 1);
    try {
      runTasks(kernel, first, count, reversed);
      for (let worker = 0; worker < parts - 1; worker++) this.runUnclaimed(worker, kernel, reversed);
    } finally {
      this.awaitWorkers();
    }
    if (Atomics.exchange(control, CONTROL.failed, 0) !== 0) {
      throw new TesseraError("E_BAD_ARTIFACT", `a kernel trapped on a worker thread (step ${step.step})`);
    }
  }

  /** How many workers are blocked in Atomics.wait (for tests and diagnostics). */
  sleepingWorkers(): number {
    return Atomics.load(this.control, CONTROL.waiters);
  }

  /**
   * Wakes blocked workers without giving them a job, so they are spinning
   * when the next one comes: a run calls it before copying its inputs in,
   * which hides most of the 25–55 µs a blocked worker takes to wake. A
   * worker that counted itself a waiter but has not yet called Atomics.wait
   * misses this notify and sleeps on: harmless, a job's notify still wakes it.
   */
  wake(): void {
    if (!this.released && Atomics.load(this.control, CONTROL.waiters) > 0) {
      Atomics.notify(this.control, CONTROL.sequence);
    }
  }

  /** Stops and terminates the workers; the pool is unusable afterwards. */
  release(): void {
    if (this.released) return;
    this.released = true;
    Atomics.store(this.control, CONTROL.stop, 1);
    this.publishJob(0);
    Atomics.notify(this.control, CONTROL.sequence);
    for (const worker of this.workers) worker.terminate();
  }

  /** Counts the message in POSTED first, so the worker knows to leave its loop for it. */
  private post(index: number, message: ToWorker): void {
    Atomics.add(this.control, CONTROL.workerSlots + WORKER_SLOTS * index + SLOT.posted, 1);
    this.workers[index]!.postMessage(message);
  }

  /** Runs worker `worker`'s range on the calling thread if no worker has claimed it yet. */
  private runUnclaimed(worker: number, kernel: KernelFunction, reversed: boolean): void {
    const slots = CONTROL.workerSlots + WORKER_SLOTS * worker;
    if (Atomics.compareExchange(this.control, slots + SLOT.claim, 0, 1) !== 0) return;
    try {
      runTasks(kernel, this.control[slots + SLOT.first]!, this.control[slots + SLOT.count]!, reversed);
    } finally {
      Atomics.sub(this.control, CONTROL.pending, 1);
    }
  }

  /** Writes the next job word (with `yieldBit`) and wakes sleeping workers. */
  private publishJob(yieldBit: number): void {
    const control = this.control;
    const sequence = ((Atomics.load(control, CONTROL.sequence) >>> 1) + 1) & 0x3fffffff;
    Atomics.store(control, CONTROL.sequence, (sequence << 1) | yieldBit);
    if (Atomics.load(control, CONTROL.waiters) > 0) Atomics.notify(control, CONTROL.sequence);
  }

  /**
   * Spins (never blocks) until every worker has finished the current job. A
   * worker that died mid-range would leave PENDING above 0 forever: past
   * STALL_MILLISECONDS without progress this throws instead of hanging.
   */
  private awaitWorkers(): void {
    let spins = 0;
    let deadline = 0;
    while (Atomics.load(this.control, CONTROL.pending) !== 0) {
      if (++spins % (1 << 20) !== 0) continue;
      const now = performance.now();
      if (deadline === 0) deadline = now + STALL_MILLISECONDS;
      else if (now > deadline) {
        throw new TesseraError("E_BAD_ARTIFACT", "a worker thread stopped responding (it may have crashed)");
      }
    }
  }

  /** Every worker answers a YIELD (it cannot be claimed), so PENDING is the worker count. */
  private dispatchYield(): void {
    Atomics.store(this.control, CONTROL.pending, this.workers.length);
    this.publishJob(YIELD_BIT);
    this.awaitWorkers();
  }

  /** Posts a message to each worker, yields them to their event loop, and awaits reply `kind` from all. */
  private async collect(kind: FromWorker["kind"], post: (worker: PoolWorker, index: number) => void): Promise<void> {
    if (this.released) throw new TesseraError("E_USAGE", "the thread pool was released");
    const replies = this.workers.map(
      (worker, index) =>
        new Promise<void>((resolve, reject) => {
          this.replies[index] = (message) => {
            if (message.kind === kind) resolve();
            else if (message.kind === "error")
              reject(new TesseraError("E_BAD_ARTIFACT", `worker thread: ${message.message}`));
          };
          worker.keepAlive(true);
          post(worker, index);
        }),
    );
    if (kind !== "ready") this.dispatchYield();
    try {
      await Promise.all(replies);
    } finally {
      for (const worker of this.workers) worker.keepAlive(false);
    }
  }
}

/** The `part`-th of `parts` balanced contiguous ranges of [0, tasks): [first, count]. */
export function taskRange(tasks: number, parts: number, part: number): [number, number] {
  const first = Math.floor((part * tasks) / parts);
  const end = Math.floor(((part + 1) * tasks) / parts);
  return [first, end - first];
}
