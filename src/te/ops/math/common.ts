/**
 * Helpers shared by the math op definitions: input access and dtype checks
 * with the right error codes, typed constants, pattern kinds, and the
 * construction of elementwise/broadcast computes.
 */
import { TesseraError } from "../../../support/errors.js";
import { locationOf } from "../../../graph/attributes.js";
import type { DType } from "../../../support/dtype.js";
import { toNumberArray } from "../../../support/tensor-data.js";
import { type Expr, constant } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpInput, PatternKind } from "../../op.js";
import { broadcastLoad, broadcastShapes } from "../../builders.js";
import { castFunction } from "../../evaluate-scalar.js";

export const FLOAT_TYPES: readonly DType[] = ["float32", "float64"];
export const SIGNED_INTEGER_TYPES: readonly DType[] = ["int8", "int16", "int32", "int64"];
export const UNSIGNED_INTEGER_TYPES: readonly DType[] = ["uint8", "uint16", "uint32", "uint64"];
export const INTEGER_TYPES: readonly DType[] = [...SIGNED_INTEGER_TYPES, ...UNSIGNED_INTEGER_TYPES];
export const SIGNED_NUMERIC_TYPES: readonly DType[] = [...FLOAT_TYPES, ...SIGNED_INTEGER_TYPES];
export const NUMERIC_TYPES: readonly DType[] = [...FLOAT_TYPES, ...INTEGER_TYPES];
export const ALL_TYPES: readonly DType[] = [...NUMERIC_TYPES, "bool"];

export function invalidModel(context: OpBuildContext, message: string): TesseraError {
  return new TesseraError("E_INVALID_MODEL", message, locationOf(context.node));
}

/** A required input; a missing one is an invalid model. */
export function requireInput(context: OpBuildContext, index: number): TeTensor {
  const input = context.inputs[index] ?? null;
  if (input === null) throw invalidModel(context, `required input ${index} is missing`);
  return input.tensor;
}

/** An optional input, null when omitted or beyond the inputs given. */
export function optionalInput(context: OpBuildContext, index: number): OpInput | null {
  return context.inputs[index] ?? null;
}

/** Every input, all required (variadic ops). */
export function requireAllInputs(context: OpBuildContext): TeTensor[] {
  if (context.inputs.length === 0) throw invalidModel(context, "the op needs at least one input");
  return context.inputs.map((_, index) => requireInput(context, index));
}

/** Throws E_INVALID_MODEL unless `tensor` has one of `allowed` dtypes. */
export function checkDtype(context: OpBuildContext, tensor: TeTensor, allowed: readonly DType[], what: string): void {
  if (!allowed.includes(tensor.dtype)) {
    throw invalidModel(context, `${what} has element type ${tensor.dtype}; expected one of ${allowed.join(", ")}`);
  }
}

/** Throws E_INVALID_MODEL unless all tensors share one dtype. */
export function checkSameDtype(context: OpBuildContext, tensors: readonly TeTensor[]): void {
  const first = tensors[0]!;
  for (const tensor of tensors) {
    if (tensor.dtype !== first.dtype) {
      throw invalidModel(context, `inputs must share one element type, got ${first.dtype} and ${tensor.dtype}`);
    }
  }
}

/** A constant of `dtype` converted from a JS number as Cast would (float32 rounding, integer truncation). */
export function typed(value: number, dtype: DType): Expr {
  return constant(castFunction("float64", dtype)(value), dtype);
}

export function outputName(context: OpBuildContext, index = 0): string {
  return context.outputNames[index] ?? `${context.node.name}_out${index}`;
}

/** True when the node has a (non-omitted) output at `index`. */
export function hasOutput(context: OpBuildContext, index: number): boolean {
  return index < context.node.outputs.length && context.node.outputs[index]!.name !== "";
}

/** "elementwise" when every present input has one shape, else "broadcast". */
export function elementwisePattern(context: OpBuildContext): PatternKind {
  const shapes = context.inputs.filter((input): input is OpInput => input !== null).map((input) => input.tensor.shape);
  const first = shapes[0] ?? [];
  const same = shapes.every(
    (shape) => shape.length === first.length && shape.every((extent, dim) => extent === first[dim]),
  );
  return same ? "elementwise" : "broadcast";
}

export const reductionPattern = (): PatternKind => "reduction";

/**
 * `name[i…] = combine(loads of every operand at the broadcast indices)`,
 * with numpy broadcasting of the operands' shapes.
 */
export function broadcastCompute(
  context: OpBuildContext,
  operands: readonly TeTensor[],
  combine: (values: readonly Expr[]) => Expr,
): TeTensor {
  const shape = broadcastShapes(
    context.node,
    operands.map((operand) => operand.shape),
  );
  return compute(outputName(context), shape, (indices) =>
    combine(operands.map((operand) => broadcastLoad(operand, indices))),
  );
}

/**
 * The contents of a constant integer input (axes, an axis), or null when the
 * input is omitted. A present but non-constant input would make the output
 * shape depend on run-time data: E_DYNAMIC_SHAPE.
 */
export function constantInts(context: OpBuildContext, index: number, what: string): number[] | null {
  const input = optionalInput(context, index);
  if (input === null) return null;
  if (input.constant === null) {
    throw new TesseraError(
      "E_DYNAMIC_SHAPE",
      `${what} (input ${index}) must be a compile-time constant`,
      locationOf(context.node),
    );
  }
  return toNumberArray(input.constant);
}

/** Resolves negative axes and rejects out-of-range or repeated ones. */
export function normalizeAxes(context: OpBuildContext, axes: readonly number[], rank: number): number[] {
  const resolved = axes.map((axis) => (axis < 0 ? axis + rank : axis));
  resolved.forEach((axis, position) => {
    if (axis < 0 || axis >= rank)
      throw invalidModel(context, `axis ${axes[position]} is out of range for rank ${rank}`);
    if (resolved.indexOf(axis) !== position) throw invalidModel(context, `axis ${axes[position]} is repeated`);
  });
  return resolved.sort((a, b) => a - b);
}
