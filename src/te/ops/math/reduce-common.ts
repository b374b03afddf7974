/**
 * Building blocks of reduction-shaped ops (Reduce*, ArgMax, Softmax, the
 * normalizations): a reduction of an input over a set of axes, with the
 * reduced dims kept as size 1 or dropped.
 */
import { isFloat } from "../../../support/dtype.js";
import { type Expr, type ReduceOp, type UnaryOp, cast, int, makeIterVar, reduce, unary } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";

/** The shape after reducing `axes` of `shape`: size 1 there (keepDims) or dropped. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  if (keepDims) return shape.map((extent, dim) => (axes.includes(dim) ? 1 : extent));
  return shape.filter((_, dim) => !axes.includes(dim));
}

/** The indices of a keep-dims reduction result at a point of the full shape: 0 on reduced axes. */
export function keptIndices(indices: readonly Expr[], axes: readonly number[]): Expr[] {
  return indices.map((index, dim) => (axes.includes(dim) ? int(0) : index));
}

export interface ReductionSpec {
  readonly name: string;
  /** The shape of the reduced input. */
  readonly shape: readonly number[];
  /** Sorted, distinct, non-negative. */
  readonly axes: readonly number[];
  readonly keepDims: boolean;
  readonly op: ReduceOp;
  /** The reduced value at a point of the input's index space (reduction variables on `axes`). */
  readonly body: (inputIndices: readonly Expr[]) => Expr;
  /** Applied to the reduced value; receives the output's indices. */
  readonly epilogue?: (reduced: Expr, outputIndices: readonly Expr[]) => Expr;
}

/**
 * `name[out…] = epilogue(op over axes of body(in…))`. The reduction
 * variables are named r<dim>. With no axes there is nothing to reduce and
 * the body is used as is.
 */
export function reduction(spec: ReductionSpec): TeTensor {
  const { shape, axes, keepDims } = spec;
  return compute(spec.name, reducedShape(shape, axes, keepDims), (outputIndices) => {
    const variables = axes.map((dim) => makeIterVar(`r${dim}`, shape[dim]!));
    const inputIndices: Expr[] = [];
    let outputDim = 0;
    for (let dim = 0; dim < shape.length; dim++) {
      const position = axes.indexOf(dim);
      if (position >= 0) {
        inputIndices.push(variables[position]!.variable);
        if (keepDims) outputDim++;
      } else {
        inputIndices.push(outputIndices[outputDim++]!);
      }
    }
    const body = spec.body(inputIndices);
    const reduced = axes.length === 0 ? body : reduce(spec.op, variables, body);
    return spec.epilogue === undefined ? reduced : spec.epilogue(reduced, outputIndices);
  });
}

/** A float math function of a value of any dtype: integers go through float64 and back. */
export function floatMath(op: UnaryOp, value: Expr): Expr {
  if (isFloat(value.dtype)) return unary(op, value);
  return cast(unary(op, cast(value, "float64")), value.dtype);
}

/** The number of elements a reduction over `axes` combines. */
export function reductionCount(shape: readonly number[], axes: readonly number[]): number {
  return axes.reduce((count, dim) => count * shape[dim]!, 1);
}

/** Axes [first, rank): the trailing axes from `first` on. */
export function trailingAxes(first: number, rank: number): number[] {
  return Array.from({ length: rank - first }, (_, offset) => first + offset);
}
