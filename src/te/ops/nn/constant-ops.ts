/**
 * Ops whose outputs are known at compile time: Shape, Size,
 * ConstantOfShape, Range and Constant. `evaluate` gives the contents
 * directly (constant folding uses it); `build` returns a compute yielding the
 * same values, so a node that reaches code generation still works.
 */
import type { DType } from "../../../support/dtype.js";
import { allocateTypedArray, isBigIntType, isFloat } from "../../../support/dtype.js";
import { type TensorData, elementAsNumber, makeTensorData } from "../../../support/tensor-data.js";
import { add, cast, constant, mul } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { shapeError, unsupported } from "../../builders.js";
import { constantCompute, constantInput, constantInts, invalidModel, outputName, requireInput } from "./common.js";

/** A TensorData of `dtype` from JS numbers (bigints for 64-bit integer types). */
export function tensorFromNumbers(dtype: DType, shape: readonly number[], values: readonly number[]): TensorData {
  const data = allocateTypedArray(dtype, values.length);
  values.forEach((value, index) => {
    (data as unknown as (number | bigint)[])[index] = isBigIntType(dtype) ? BigInt(value) : value;
  });
  return makeTensorData(dtype, shape, data);
}

function shapeOf(context: OpBuildContext): TensorData {
  const shape = requireInput(context, 0).tensor.shape;
  const rank = shape.length;
  const resolve = (value: number): number => Math.min(Math.max(value < 0 ? value + rank : value, 0), rank);
  const start = resolve(context.attributes.int("start", 0));
  const end = resolve(context.attributes.int("end", rank));
  const dims = shape.slice(start, Math.max(start, end));
  return tensorFromNumbers("int64", [dims.length], dims);
}

function sizeOfInput(context: OpBuildContext): TensorData {
  const shape = requireInput(context, 0).tensor.shape;
  return tensorFromNumbers("int64", [], [shape.reduce((product, extent) => product * extent, 1)]);
}

function constantOfShape(context: OpBuildContext): TensorData {
  const shape = constantInts(context, 0, "the output shape");
  if (shape === null) throw invalidModel(context, "ConstantOfShape needs a shape input");
  if (shape.some((extent) => extent < 0)) throw shapeError(context.node, `negative dim in shape [${shape.join(",")}]`);
  const value = context.attributes.has("value")
    ? context.attributes.tensor("value")
    : tensorFromNumbers("float32", [1], [0]);
  if (value.data.length !== 1) throw invalidModel(context, "ConstantOfShape's value must hold one element");
  const count = shape.reduce((product, extent) => product * extent, 1);
  const data = allocateTypedArray(value.dtype, count);
  (data as unknown as { fill(value: number | bigint): void }).fill(value.data[0]!);
  return makeTensorData(value.dtype, shape, data);
}

function rangeOf(context: OpBuildContext): TensorData {
  const [start, limit, delta] = [0, 1, 2].map((index) =>
    constantInput(context, index, ["start", "limit", "delta"][index]!),
  );
  if (start === null || limit === null || delta === null)
    throw invalidModel(context, "Range needs start, limit and delta");
  const [first, end, step] = [start, limit, delta].map((tensor) => elementAsNumber(tensor, 0)) as [
    number,
    number,
    number,
  ];
  if (step === 0) throw invalidModel(context, "Range delta must not be 0");
  const count = Math.max(Math.ceil((end - first) / step), 0);
  const values = Array.from({ length: count }, (_, index) => first + index * step);
  const rounded = isFloat(start.dtype) ? values : values.map(Math.trunc);
  return tensorFromNumbers(start.dtype, [count], rounded);
}

/** Range as TE: start + i · delta, the spec's formula, computed in the output dtype. */
function buildRange(context: OpBuildContext): TeTensor {
  const data = rangeOf(context);
  const start = constantInput(context, 0, "start")!;
  const delta = constantInput(context, 2, "delta")!;
  const dtype = data.dtype;
  const first = constant(start.data[0]!, dtype);
  const step = constant(delta.data[0]!, dtype);
  return compute(outputName(context), data.shape, ([index]) => add(first, mul(cast(index!, dtype), step)));
}

function constantValue(context: OpBuildContext): TensorData {
  const attributes = context.attributes;
  if (attributes.has("value")) return attributes.tensor("value");
  if (attributes.has("value_float")) return tensorFromNumbers("float32", [], [attributes.float("value_float")]);
  if (attributes.has("value_int")) return tensorFromNumbers("int64", [], [attributes.int("value_int")]);
  if (attributes.has("value_floats")) {
    const values = attributes.floats("value_floats");
    return tensorFromNumbers("float32", [values.length], values);
  }
  if (attributes.has("value_ints")) {
    const values = attributes.ints("value_ints");
    return tensorFromNumbers("int64", [values.length], values);
  }
  throw unsupported(context.node, "Constant without a numeric value (sparse_value and strings are not supported)");
}

/** ConstantOfShape as TE: the one value everywhere. */
function buildConstantOfShape(context: OpBuildContext): TeTensor {
  const data = constantOfShape(context);
  const value = data.data.length > 0 ? data.data[0]! : 0;
  return compute(outputName(context), data.shape, () => constant(value, data.dtype));
}

/** True when every given input has compile-time contents (Range, ConstantOfShape need them). */
function inputsConstant(context: OpBuildContext): boolean {
  return context.inputs.every((input) => input === null || input.constant !== null);
}

/**
 * An op known at compile time. `needsConstantInputs`: its value depends on
 * input contents, so `evaluate` answers null (and `build` throws
 * E_DYNAMIC_SHAPE) when they are not constant; Shape and Size only need shapes.
 */
const known = (
  evaluate: (context: OpBuildContext) => TensorData,
  needsConstantInputs: boolean,
  build: (context: OpBuildContext) => TeTensor = (context) => constantCompute(outputName(context), evaluate(context)),
): OpDefinition => ({
  pattern: () => "injective",
  build: (context) => [build(context)],
  evaluate: (context) => (needsConstantInputs && !inputsConstant(context) ? null : [evaluate(context)]),
});

export const Shape = known(shapeOf, false);
export const Size = known(sizeOfInput, false);
export const ConstantOfShape = known(constantOfShape, true, buildConstantOfShape);
export const Range = known(rangeOf, true, buildRange);
export const Constant = known(constantValue, false);
