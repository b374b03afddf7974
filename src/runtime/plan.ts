/**
 * The execution plan: everything the runtime needs besides the wasm module
 * and the weight bytes. It is JSON (plan.json in an artifact folder), so it
 * holds no functions and no typed arrays.
 *
 * Memory layout of the one WebAssembly.Memory:
 *   [0, weightsOffset)                 reserved (null page)
 *   [weightsOffset, +weightsBytes)     weights image, copied from weights.bin once
 *   [arenaOffset, +arenaBytes)         activations, inputs and outputs, reused by liveness
 *   [scratchOffset, +scratchBytes)     kernel-private temporaries
 *
 * `memoryBytes` is the size for one thread. A module compiled with threads
 * (features.threads) gives each thread its own copy of the scratch area,
 * since threads run parts of the same kernel at once: thread i (0 = the
 * calling thread) uses [scratchOffset + i * scratchBytes, +scratchBytes) and
 * the runtime sizes the memory for the thread count it picks,
 * scratchOffset + threads * scratchBytes rounded up to pages (see
 * runtime/memory.ts memoryBytesFor). The module reads its base from a global
 * set through its `set_scratch_base` export (codegen/emit-module.ts).
 */
import type { DType } from "../support/dtype.js";

export const PLAN_VERSION = 1;

export interface TensorSlot {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /**
   * Inputs only, when the model declares symbolic dims: the declared shape,
   * a string where a dim is symbolic (e.g. ["batch", 3]). `shape` is what it
   * was compiled for; feeds differing in a symbolic dim need another compile.
   */
  readonly declaredShape?: readonly (number | string)[];
  /** Byte offset in memory. */
  readonly offset: number;
}

export interface PlanStep {
  /** Export name of the kernel in the wasm module. */
  readonly kernel: string;
  /** Task count: the runtime calls kernel(first, count) over [0, tasks). */
  readonly tasks: number;
  /** The fused group's name and op types, for profiles. */
  readonly group: string;
  readonly ops: readonly string[];
  /** Floating-point operations of one run of the step. */
  readonly flops: number;
  /**
   * Set when the step streams weights: it does no more flops than it reads
   * weight bytes, so each weight is used about once per run (a matrix-vector
   * product). The runtime then runs its tasks last-first on every other run:
   * the tasks read last, whose weights are still in cache, come first
   * (session.ts). Absent in older plans: tasks run in order.
   */
  readonly alternateOrder?: boolean;
}

export interface ExecutionPlan {
  readonly version: number;
  readonly modelName: string;
  readonly memoryBytes: number;
  readonly weightsOffset: number;
  readonly weightsBytes: number;
  readonly arenaOffset: number;
  readonly arenaBytes: number;
  readonly scratchOffset: number;
  readonly scratchBytes: number;
  readonly inputs: readonly TensorSlot[];
  readonly outputs: readonly TensorSlot[];
  readonly steps: readonly PlanStep[];
  /** Wasm features the module uses, checked before instantiation. */
  readonly features: { readonly simd: boolean; readonly relaxedSimd: boolean; readonly threads: boolean };
}
