/**
 * How the steps of a plan run. A step's kernel is `kernel(first, count)` over
 * the task range [0, tasks); the executor decides how to split that range.
 * The serial executor runs it in one call on the calling thread; a worker
 * pool (a later issue) implements the same interface by handing sub-ranges to
 * workers that share the memory, so the session's step loop does not change.
 */

/** A kernel export: runs tasks [first, first + count) of its outermost parallel loop. */
export type KernelFunction = (first: number, count: number) => void;

export interface StepExecutor {
  /** Runs all `tasks` tasks of `kernel`; returns once every task has finished. */
  runStep(kernel: KernelFunction, tasks: number): void;
  /** Frees workers or other resources; the executor is unusable afterwards. */
  release(): void;
}

export function createSerialExecutor(): StepExecutor {
  return {
    runStep(kernel, tasks) {
      kernel(0, tasks);
    },
    release() {},
  };
}
