/**
 * The loop IR: statements over flat buffers, framework-agnostic, one step
 * above wasm. Expressions are te/expr.ts nodes without `tload`/`reduce`.
 *
 * Invariants (checked by loop/verify-loop.ts):
 * - Every `for` ranges over [0, extent) with a unique loop variable (int32, 1 lane).
 * - Loads and stores index buffers in elements; index lanes equal value lanes.
 * - A local variable (an `assign` target) is assigned before it is read.
 * - In a Kernel, the task loop (if any) is the outermost `for` and is
 *   annotated "parallel"; its body must not depend on other iterations.
 */
import type { DType } from "../support/dtype.js";
import type { Expr, Var } from "../te/expr.js";

export type BufferScope =
  /** A graph tensor (model input/output, weight or activation) placed by the memory planner. */
  | "global"
  /** A kernel-private temporary (e.g. softmax's row max), placed in the kernel's scratch area. */
  | "scratch";

export interface Buffer {
  readonly id: number;
  readonly name: string;
  readonly dtype: DType;
  /** Size in elements. */
  readonly size: number;
  readonly scope: BufferScope;
  /** For global buffers: the graph value id this buffer holds. */
  readonly valueId?: number;
}

export type LoopAnnotation = "serial" | "parallel" | "vectorized" | "unrolled";

export interface For {
  readonly kind: "for";
  readonly loopVar: Var;
  readonly extent: Expr;
  readonly annotation: LoopAnnotation;
  readonly body: Stmt;
}
export interface Store {
  readonly kind: "store";
  readonly buffer: Buffer;
  readonly index: Expr;
  readonly value: Expr;
}
/** Writes a local variable (an accumulator); locals become wasm locals. */
export interface Assign {
  readonly kind: "assign";
  readonly target: Var;
  readonly value: Expr;
}
export interface Seq {
  readonly kind: "seq";
  readonly body: readonly Stmt[];
}
export interface IfThenElse {
  readonly kind: "if";
  readonly cond: Expr;
  readonly then: Stmt;
  readonly otherwise: Stmt | null;
}

export type Stmt = For | Store | Assign | Seq | IfThenElse;

/**
 * One generated function. Its wasm signature is (first: i32, count: i32):
 * it runs task indices [first, first + count) of `taskExtent`. When the
 * outermost statement is a "parallel" for, that loop is the task loop;
 * otherwise taskExtent is 1 and the body runs once.
 */
export interface Kernel {
  readonly name: string;
  readonly body: Stmt;
  readonly taskExtent: number;
  /** Every buffer the body touches (global and scratch). */
  readonly buffers: readonly Buffer[];
  /** Floating-point operations of one full run, for GFLOP/s reports. */
  readonly flops: number;
}

let nextBufferId = 1;

export function makeBuffer(name: string, dtype: DType, size: number, scope: BufferScope, valueId?: number): Buffer {
  const buffer: Buffer = { id: nextBufferId++, name, dtype, size, scope };
  return valueId === undefined ? buffer : { ...buffer, valueId };
}
