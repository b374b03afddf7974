/**
 * Tensor expressions (TVM's TE): a tensor is either a placeholder (an input
 * buffer of the kernel) or a compute, defined by an expression of its axes.
 *
 * Invariants:
 * - A compute's `axes` are exactly as many as its shape's dims, with
 *   `axes[i].extent === shape[i]`; its body refers to those axis variables,
 *   to reduction variables of its own `reduce` nodes, and to other tensors
 *   through `tload`.
 * - Shapes are concrete (symbolic dims are bound before TE is built).
 * - A `reduce` appears only at the top of a body or under elementwise
 *   operations (an epilogue); never inside another reduce's body or a tload index.
 */
import type { DType } from "../support/dtype.js";
import { assert } from "../support/assert.js";
import { type Expr, type IterVar, makeIterVar } from "./expr.js";

export interface TeTensor {
  readonly kind: "placeholder" | "compute";
  readonly id: number;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Compute only: one axis per dim. Empty for placeholders. */
  readonly axes: readonly IterVar[];
  /** Compute only. */
  readonly body: Expr | null;
  /**
   * Hint from the op definition: give this intermediate its own buffer rather
   * than inlining it into its consumers. When every tensor it reads is a
   * compile-time constant, the compiler evaluates it at compile time and it
   * becomes a weight — this is how weights are pre-packed into the layout a
   * kernel wants (see compiler/fold-constant-stages.ts).
   */
  readonly materialize?: boolean;
}

let nextTensorId = 1;

export function placeholder(name: string, dtype: DType, shape: readonly number[]): TeTensor {
  return { kind: "placeholder", id: nextTensorId++, name, dtype, shape: [...shape], axes: [], body: null };
}

/**
 * Defines a compute tensor: `define` receives one int32 index expression per
 * dim and returns the element's value. Axis names default to i0, i1, ….
 */
export function compute(
  name: string,
  shape: readonly number[],
  define: (indices: readonly Expr[]) => Expr,
  axisNames?: readonly string[],
  options: { readonly materialize?: boolean } = {},
): TeTensor {
  const axes = shape.map((extent, dim) => makeIterVar(axisNames?.[dim] ?? `i${dim}`, extent));
  const body = define(axes.map((axis) => axis.variable));
  assert(body.lanes === 1, "compute body must be scalar");
  const tensor: TeTensor = {
    kind: "compute",
    id: nextTensorId++,
    name,
    dtype: body.dtype,
    shape: [...shape],
    axes,
    body,
  };
  return options.materialize === true ? { ...tensor, materialize: true } : tensor;
}

/** The same compute (axes, name, hints) with another body; a new tensor identity. */
export function withBody(tensor: TeTensor, body: Expr): TeTensor {
  assert(tensor.kind === "compute", `withBody on placeholder ${tensor.name}`);
  assert(body.dtype === tensor.dtype, `withBody changes the dtype of ${tensor.name}`);
  return { ...tensor, id: nextTensorId++, body };
}

/**
 * The same compute with its dims in another order: dim d of the result is
 * dim perm[d] of `tensor`. The body is shared (it names axis variables,
 * which move with their dims), so a reduction stays at the top of its body
 * and lowers as one kernel; a permuting consumer would make it a stage.
 */
export function withAxisOrder(tensor: TeTensor, perm: readonly number[], name = tensor.name): TeTensor {
  assert(tensor.kind === "compute", `withAxisOrder on placeholder ${tensor.name}`);
  assert(perm.length === tensor.shape.length && new Set(perm).size === perm.length, "perm is not a permutation");
  return {
    ...tensor,
    id: nextTensorId++,
    name,
    shape: perm.map((dim) => tensor.shape[dim]!),
    axes: perm.map((dim) => tensor.axes[dim]!),
  };
}
