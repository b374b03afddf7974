/**
 * Test support for the math op definitions: build one node over placeholder
 * inputs (or compile-time constants), evaluate the TE it builds with
 * evaluateTe, and compare with expectations computed in the test.
 */
import assert from "node:assert/strict";
import { Attributes } from "../../../src/graph/attributes.js";
import { makeNode, makeValue } from "../../../src/graph/builder.js";
import type { AttributeValue } from "../../../src/graph/ir.js";
import { type DType, allocateTypedArray } from "../../../src/support/dtype.js";
import { type TensorData, makeTensorData } from "../../../src/support/tensor-data.js";
import type { OpBuildContext, OpInput } from "../../../src/te/op.js";
import { placeholder, type TeTensor } from "../../../src/te/tensor.js";
import { evaluateTe } from "../../../src/te/evaluate.js";
import { MATH_OPS } from "../../../src/te/ops/math/index.js";

export interface InputSpec {
  readonly data: TensorData;
  /** Also pass the contents as the input's compile-time constant (axes, Clip bounds…). */
  readonly constant?: boolean;
}

export interface RunOptions {
  readonly opset?: number;
  /** Number of node outputs (default 1); names "" mark omitted outputs. */
  readonly outputs?: number | readonly string[];
}

export interface OpRun {
  readonly context: OpBuildContext;
  readonly tensors: readonly (TeTensor | null)[];
  readonly results: readonly (TensorData | null)[];
}

/** Tensor contents from a flat list (bigints for int64/uint64). */
export function tensor(dtype: DType, shape: readonly number[], values: readonly (number | bigint)[]): TensorData {
  const array = allocateTypedArray(dtype, values.length);
  values.forEach((value, index) => {
    array[index] = value as never;
  });
  return makeTensorData(dtype, shape, array);
}

export const f32 = (shape: readonly number[], values: readonly number[]): TensorData =>
  tensor("float32", shape, values);
export const i64 = (shape: readonly number[], values: readonly number[]): TensorData =>
  tensor(
    "int64",
    shape,
    values.map((value) => BigInt(value)),
  );
export const constantOf = (data: TensorData): InputSpec => ({ data, constant: true });

function specOf(input: InputSpec | TensorData): InputSpec {
  return "dtype" in input ? { data: input } : input;
}

export function buildContext(
  opType: string,
  inputs: readonly (InputSpec | TensorData | null)[],
  attributes: Record<string, AttributeValue> = {},
  options: RunOptions = {},
): OpBuildContext {
  const specs = inputs.map((input) => (input === null ? null : specOf(input)));
  const inputValues = specs.map((spec, index) =>
    spec === null
      ? null
      : makeValue(`in${index}`, spec.data.dtype, spec.data.shape, spec.constant === true ? spec.data : undefined),
  );
  const outputNames =
    typeof options.outputs === "object"
      ? options.outputs
      : Array.from({ length: options.outputs ?? 1 }, (_, index) => `out${index}`);
  const outputs = outputNames.map((name) => makeValue(name, "float32", null));
  const node = makeNode({ opType, opset: options.opset ?? 18, inputs: inputValues, outputs, attributes });
  const opInputs = specs.map((spec, index): OpInput | null =>
    spec === null
      ? null
      : {
          tensor: placeholder(`in${index}`, spec.data.dtype, spec.data.shape),
          constant: spec.constant === true ? spec.data : null,
        },
  );
  return { node, attributes: new Attributes(node), inputs: opInputs, outputNames: outputNames.map((name) => name) };
}

/** Builds `opType` over the inputs (null = omitted) and evaluates every output it returns. */
export function runOp(
  opType: string,
  inputs: readonly (InputSpec | TensorData | null)[],
  attributes: Record<string, AttributeValue> = {},
  options: RunOptions = {},
): OpRun {
  const context = buildContext(opType, inputs, attributes, options);
  const definition = MATH_OPS[opType];
  assert.ok(definition !== undefined, `no math definition for ${opType}`);
  const tensors = definition.build(context);
  const feeds = new Map<TeTensor, TensorData>();
  context.inputs.forEach((input, index) => {
    if (input !== null) feeds.set(input.tensor, specOf(inputs[index]!).data);
  });
  const present = tensors.filter((value): value is TeTensor => value !== null);
  const evaluated = evaluateTe(present, feeds);
  const results = tensors.map((value) => (value === null ? null : evaluated[present.indexOf(value)]!));
  return { context, tensors, results };
}

/** The first output's shape and values. */
export function run1(
  opType: string,
  inputs: readonly (InputSpec | TensorData | null)[],
  attributes: Record<string, AttributeValue> = {},
  options: RunOptions = {},
): { shape: readonly number[]; values: (number | bigint)[]; dtype: DType } {
  const result = runOp(opType, inputs, attributes, options).results[0]!;
  return { shape: result.shape, values: [...result.data], dtype: result.dtype };
}

/** Element-wise closeness for floats (NaN equals NaN), exact equality otherwise. */
export function assertClose(
  actual: readonly (number | bigint)[],
  expected: readonly (number | bigint)[],
  tolerance = 1e-6,
): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} vs ${expected.length}`);
  actual.forEach((value, index) => {
    const want = expected[index]!;
    if (typeof value === "bigint" || typeof want === "bigint") {
      assert.equal(value, want, `element ${index}`);
      return;
    }
    if (Number.isNaN(want)) return assert.ok(Number.isNaN(value), `element ${index}: ${value} is not NaN`);
    if (!Number.isFinite(want)) return assert.equal(value, want, `element ${index}`);
    const bound = tolerance * Math.max(1, Math.abs(want));
    assert.ok(Math.abs(value - want) <= bound, `element ${index}: ${value} vs ${want}`);
  });
}
