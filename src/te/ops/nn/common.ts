/**
 * Helpers shared by the nn op definitions: input access with the right
 * error codes, index arithmetic that keeps loads in bounds, row-major
 * ravel/unravel for views, and constant tensors expressed as TE.
 */
import { TesseraError } from "../../../support/errors.js";
import { locationOf } from "../../../graph/attributes.js";
import { type DType, isFloat, isSigned, dtypeBytes } from "../../../support/dtype.js";
import { type TensorData, sizeOf, toNumberArray, elementAsNumber } from "../../../support/tensor-data.js";
import { type Expr, binary, compare, constant, div, int, mul, add, rem, select, tload } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpInput } from "../../op.js";

/** A required input; a missing one is an invalid model. */
export function requireInput(context: OpBuildContext, index: number): OpInput {
  const input = context.inputs[index] ?? null;
  if (input === null) {
    throw new TesseraError("E_INVALID_MODEL", `required input ${index} is missing`, locationOf(context.node));
  }
  return input;
}

/** An optional input, null when omitted (or beyond the inputs given). */
export function optionalInput(context: OpBuildContext, index: number): OpInput | null {
  return context.inputs[index] ?? null;
}

/**
 * The contents of a shape-like input (Reshape's shape, Slice's starts…), or
 * null when the input is omitted. A present but non-constant input makes the
 * output shape depend on run-time data: E_DYNAMIC_SHAPE.
 */
export function constantInput(context: OpBuildContext, index: number, what: string): TensorData | null {
  const input = optionalInput(context, index);
  if (input === null) return null;
  if (input.constant === null) {
    throw new TesseraError(
      "E_DYNAMIC_SHAPE",
      `${what} (input ${index}) must be a compile-time constant`,
      locationOf(context.node),
    );
  }
  return input.constant;
}

/** Like `constantInput`, as JS numbers. */
export function constantInts(context: OpBuildContext, index: number, what: string): number[] | null {
  const data = constantInput(context, index, what);
  return data === null ? null : toNumberArray(data);
}

/** A scalar constant input as a number (first element), or `fallback` when omitted. */
export function constantScalar(context: OpBuildContext, index: number, what: string, fallback: number): number {
  const data = constantInput(context, index, what);
  if (data === null || data.data.length === 0) return fallback;
  return elementAsNumber(data, 0);
}

export function outputName(context: OpBuildContext, index = 0): string {
  return context.outputNames[index] ?? `${context.node.name}_out${index}`;
}

/** True when the node has a (non-omitted) output at `index`. */
export function hasOutput(context: OpBuildContext, index: number): boolean {
  return index < context.node.outputs.length && context.node.outputs[index]!.name !== "";
}

export function zeroOf(dtype: DType): Expr {
  return constant(0, dtype);
}

/** The smallest value of `dtype` (−∞ for floats): the identity of max. */
export function lowestOf(dtype: DType): Expr {
  if (isFloat(dtype)) return constant(-Infinity, dtype);
  if (dtype === "bool") return constant(0, dtype);
  if (!isSigned(dtype)) return constant(0, dtype);
  const bits = dtypeBytes(dtype) * 8;
  return bits === 64 ? constant(-(2n ** 63n), dtype) : constant(-(2 ** (bits - 1)), dtype);
}

export const minExpr = (a: Expr, b: Expr): Expr => binary("min", a, b);
export const maxExpr = (a: Expr, b: Expr): Expr => binary("max", a, b);
export const and = (a: Expr, b: Expr): Expr => binary("and", a, b);

/** `index` clamped into [0, extent): keeps a load in bounds whatever `select` picks. */
export function clampIndex(index: Expr, extent: number): Expr {
  return minExpr(maxExpr(index, int(0)), int(Math.max(extent - 1, 0)));
}

/** Bool: 0 <= index < extent, with only the checks asked for (the others are known to hold). */
export function withinBounds(index: Expr, extent: number, checkLow = true, checkHigh = true): Expr | null {
  const low = checkLow ? compare("ge", index, int(0)) : null;
  const high = checkHigh ? compare("lt", index, int(extent)) : null;
  return conjunction([low, high]);
}

/** The `and` of the non-null conditions, or null when there are none. */
export function conjunction(conditions: readonly (Expr | null)[]): Expr | null {
  let result: Expr | null = null;
  for (const condition of conditions) {
    if (condition === null) continue;
    result = result === null ? condition : and(result, condition);
  }
  return result;
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let dim = shape.length - 2; dim >= 0; dim--) strides[dim] = strides[dim + 1]! * shape[dim + 1]!;
  return strides;
}

/** The row-major flat index of `indices` in `shape`; size-1 dims contribute nothing. */
export function ravel(indices: readonly Expr[], shape: readonly number[]): Expr {
  const strides = stridesOf(shape);
  let flat: Expr | null = null;
  shape.forEach((extent, dim) => {
    if (extent === 1) return;
    const term = strides[dim] === 1 ? indices[dim]! : mul(indices[dim]!, int(strides[dim]!));
    flat = flat === null ? term : add(flat, term);
  });
  return flat ?? int(0);
}

/** Indices in `shape` of a row-major flat index known to lie in [0, size(shape)). */
export function unravel(flat: Expr, shape: readonly number[]): Expr[] {
  const strides = stridesOf(shape);
  return shape.map((extent, dim) => {
    if (extent === 1) return int(0);
    const quotient = strides[dim] === 1 ? flat : div(flat, int(strides[dim]!));
    return dim === firstNonUnitDim(shape) ? quotient : rem(quotient, int(extent));
  });
}

function firstNonUnitDim(shape: readonly number[]): number {
  return shape.findIndex((extent) => extent !== 1);
}

/** A compute that reads `tensor` reinterpreted as `shape` (same element count, row-major). */
export function reshapeCompute(name: string, tensor: TeTensor, shape: readonly number[]): TeTensor {
  const sameShape = shape.length === tensor.shape.length && shape.every((extent, dim) => extent === tensor.shape[dim]);
  return compute(name, shape, (indices) => {
    if (sameShape) return loadAt(tensor, indices);
    return loadAt(tensor, unravel(ravel(indices, shape), tensor.shape));
  });
}

/** `tload`, but a tensor with no elements reads as zero (nothing may be loaded from it). */
export function loadAt(tensor: TeTensor, indices: readonly Expr[]): Expr {
  if (sizeOf(tensor.shape) === 0) return zeroOf(tensor.dtype);
  return tload(tensor, indices);
}

/**
 * A compute whose elements are the contents of `data`: a balanced tree of
 * selects on the flat index. Meant for small compile-time results (Shape,
 * Size, Constant) that constant folding normally removes; the tree keeps the
 * TE well formed when such a node is fused or evaluated as TE.
 */
export function constantCompute(name: string, data: TensorData): TeTensor {
  const values = Array.from({ length: data.data.length }, (_, index) => constant(data.data[index]!, data.dtype));
  return compute(name, data.shape, (indices) => {
    if (values.length === 0) return zeroOf(data.dtype);
    if (values.length === 1) return values[0]!;
    return selectTree(ravel(indices, data.shape), values, 0, values.length);
  });
}

function selectTree(flat: Expr, values: readonly Expr[], begin: number, end: number): Expr {
  if (end - begin === 1) return values[begin]!;
  const middle = (begin + end) >> 1;
  const low = selectTree(flat, values, begin, middle);
  const high = selectTree(flat, values, middle, end);
  if (low === high) return low;
  return select(compare("lt", flat, int(middle)), low, high);
}

/** Reads a spatial-op list attribute, defaulting to `fill` repeated `count` times; checks its length. */
export function spatialInts(context: OpBuildContext, name: string, count: number, fill: number): readonly number[] {
  const values = context.attributes.ints(name, new Array<number>(count).fill(fill));
  if (values.length !== count) {
    throw new TesseraError(
      "E_INVALID_MODEL",
      `attribute '${name}' has ${values.length} entries, expected ${count}`,
      locationOf(context.node),
    );
  }
  return values;
}

export function invalidModel(context: OpBuildContext, message: string): TesseraError {
  return new TesseraError("E_INVALID_MODEL", message, locationOf(context.node));
}

export { sizeOf };

/** Lanes of an f32x4 vector: packed weight layouts keep a vector's columns together. */
export const VECTOR_LANES = 4;
