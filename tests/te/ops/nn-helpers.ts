/**
 * Test support for the nn op definitions: build one node, give its inputs as
 * placeholders (or compile-time constants), evaluate the TE it builds, and
 * compare with a JS reference computed in the test.
 */
import assert from "node:assert/strict";
import { Attributes } from "../../../src/graph/attributes.js";
import { makeNode, makeValue } from "../../../src/graph/builder.js";
import type { AttributeValue } from "../../../src/graph/ir.js";
import type { DType, TypedArray } from "../../../src/support/dtype.js";
import { allocateTypedArray } from "../../../src/support/dtype.js";
import { type TensorData, makeTensorData, sizeOf } from "../../../src/support/tensor-data.js";
import type { OpBuildContext, OpInput } from "../../../src/te/op.js";
import { placeholder, type TeTensor } from "../../../src/te/tensor.js";
import { evaluateTe } from "../../../src/te/evaluate.js";
import { NN_OPS } from "../../../src/te/ops/nn/index.js";

export interface OpInputSpec {
  readonly data: TensorData;
  /** Pass the contents as `constant` (shape-like inputs: Reshape's shape, Slice's starts…). */
  readonly constant?: boolean;
}

export interface OpRun {
  readonly context: OpBuildContext;
  readonly tensors: readonly (TeTensor | null)[];
  readonly results: readonly (TensorData | null)[];
}

/** Builds `opType` over the given inputs (null = omitted) and evaluates every output. */
export function runOp(
  opType: string,
  inputs: readonly (OpInputSpec | TensorData | null)[],
  attributes: Record<string, AttributeValue> = {},
  options: { opset?: number; outputs?: number } = {},
): OpRun {
  const context = buildContext(opType, inputs, attributes, options);
  const definition = NN_OPS[opType];
  assert.ok(definition !== undefined, `no definition for ${opType}`);
  const tensors = definition.build(context);
  const feeds = new Map<TeTensor, TensorData>();
  context.inputs.forEach((input, index) => {
    if (input === null) return;
    feeds.set(input.tensor, specOf(inputs[index]!).data);
  });
  const present = tensors.filter((tensor): tensor is TeTensor => tensor !== null);
  const evaluated = evaluateTe(present, feeds);
  const results = tensors.map((tensor) => (tensor === null ? null : evaluated[present.indexOf(tensor)]!));
  return { context, tensors, results };
}

export function buildContext(
  opType: string,
  inputs: readonly (OpInputSpec | TensorData | null)[],
  attributes: Record<string, AttributeValue> = {},
  options: { opset?: number; outputs?: number } = {},
): OpBuildContext {
  const inputValues = inputs.map((input, index) => {
    if (input === null) return null;
    const spec = specOf(input);
    return makeValue(`in${index}`, spec.data.dtype, spec.data.shape, spec.constant === true ? spec.data : undefined);
  });
  const outputs = Array.from({ length: options.outputs ?? 1 }, (_, index) => makeValue(`out${index}`, "float32", null));
  const node = makeNode({ opType, opset: options.opset ?? 17, inputs: inputValues, outputs, attributes });
  const opInputs = inputs.map((input, index): OpInput | null => {
    if (input === null) return null;
    const spec = specOf(input);
    const tensor = placeholder(`in${index}`, spec.data.dtype, spec.data.shape);
    return { tensor, constant: spec.constant === true ? spec.data : null };
  });
  return { node, attributes: new Attributes(node), inputs: opInputs, outputNames: outputs.map((value) => value.name) };
}

function specOf(input: OpInputSpec | TensorData): OpInputSpec {
  return "data" in input && "shape" in input ? { data: input } : (input as OpInputSpec);
}

/** A compile-time constant input. */
export function constantOf(data: TensorData): OpInputSpec {
  return { data, constant: true };
}

/** Deterministic pseudo-random float32 data in [-1, 1). */
export function randomTensor(shape: readonly number[], seed = 1): TensorData {
  let state = seed * 2654435761 + 12345;
  const data = new Float32Array(sizeOf(shape));
  for (let index = 0; index < data.length; index++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    data[index] = (state / 2147483648) * 2 - 1;
  }
  return makeTensorData("float32", shape, data);
}

export function tensorOf(dtype: DType, shape: readonly number[], values: readonly (number | bigint)[]): TensorData {
  const data: TypedArray = allocateTypedArray(dtype, values.length);
  values.forEach((value, index) => {
    (data as unknown as (number | bigint)[])[index] =
      dtype === "int64" || dtype === "uint64" ? BigInt(value) : Number(value);
  });
  return makeTensorData(dtype, shape, data);
}

export const int64 = (values: readonly number[], shape: readonly number[] = [values.length]): TensorData =>
  tensorOf("int64", shape, values);
export const float32 = (values: readonly number[], shape: readonly number[] = [values.length]): TensorData =>
  tensorOf("float32", shape, values);

/** Asserts equal shapes and element-wise |actual − expected| ≤ tolerance·(1 + |expected|). */
export function assertClose(
  actual: TensorData | null,
  expectedShape: readonly number[],
  expected: ArrayLike<number>,
  tolerance = 1e-5,
): void {
  assert.ok(actual !== null, "missing output");
  assert.deepEqual([...actual.shape], [...expectedShape], "shape");
  assert.equal(actual.data.length, expected.length, "element count");
  for (let index = 0; index < expected.length; index++) {
    const value = Number(actual.data[index]);
    const want = expected[index]!;
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(value), `element ${index}: ${value} vs NaN`);
      continue;
    }
    const limit = tolerance * (1 + Math.abs(want));
    assert.ok(Math.abs(value - want) <= limit || value === want, `element ${index}: ${value} vs ${want}`);
  }
}

/** Row-major element of `data` at `indices` in `shape`. */
export function at(data: TensorData, indices: readonly number[]): number {
  let flat = 0;
  indices.forEach((index, dim) => {
    flat = flat * data.shape[dim]! + index;
  });
  return Number(data.data[flat]);
}

/** Calls `visit` with every index tuple of `shape`, in row-major order. */
export function forEachIndex(shape: readonly number[], visit: (indices: number[]) => void): void {
  const total = sizeOf(shape);
  const indices = new Array<number>(shape.length).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let rest = flat;
    for (let dim = shape.length - 1; dim >= 0; dim--) {
      indices[dim] = rest % shape[dim]!;
      rest = Math.floor(rest / shape[dim]!);
    }
    visit([...indices]);
  }
}

/** Builds the row-major contents of `shape` from a function of the indices. */
export function tabulate(shape: readonly number[], value: (indices: number[]) => number): number[] {
  const out: number[] = [];
  forEachIndex(shape, (indices) => out.push(value(indices)));
  return out;
}
