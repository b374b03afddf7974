import { test } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { TesseraError } from "../../../src/support/errors.js";
import { MATH_OPS } from "../../../src/te/ops/math/index.js";
import { assertClose, buildContext, constantOf, f32, i64, run1, runOp, tensor } from "./math-helpers.js";

/** A JS reference reduction of a row-major tensor over `axes`. */
function referenceReduce(
  values: readonly number[],
  shape: readonly number[],
  axes: readonly number[],
  keepDims: boolean,
  combine: (group: number[]) => number,
): { shape: number[]; values: number[] } {
  const groups = new Map<string, number[]>();
  const order: string[] = [];
  const strides = shape.map((_, dim) => shape.slice(dim + 1).reduce((a, b) => a * b, 1));
  values.forEach((value, flat) => {
    const key = shape
      .map((_, dim) => (axes.includes(dim) ? 0 : Math.floor(flat / strides[dim]!) % shape[dim]!))
      .join(",");
    if (!groups.has(key)) {
      groups.set(key, []);
      order.push(key);
    }
    groups.get(key)!.push(value);
  });
  const outShape = keepDims
    ? shape.map((extent, dim) => (axes.includes(dim) ? 1 : extent))
    : shape.filter((_, dim) => !axes.includes(dim));
  return { shape: outShape, values: order.map((key) => Math.fround(combine(groups.get(key)!))) };
}

const SHAPE = [2, 3, 4];
const VALUES = Array.from({ length: 24 }, (_, index) => ((index * 7) % 11) - 5 + index / 8);
const data = () => f32(SHAPE, VALUES);
const sum = (group: number[]) => group.reduce((a, b) => a + b, 0);

test("Reduce* ops over axes variants, with and without keepdims", () => {
  const kinds: Record<string, (group: number[]) => number> = {
    ReduceSum: sum,
    ReduceMean: (g) => sum(g) / g.length,
    ReduceMax: (g) => Math.max(...g),
    ReduceMin: (g) => Math.min(...g),
    ReduceProd: (g) => g.reduce((a, b) => a * b, 1),
    ReduceL1: (g) => sum(g.map(Math.abs)),
    ReduceL2: (g) => Math.sqrt(sum(g.map((v) => v * v))),
    ReduceSumSquare: (g) => sum(g.map((v) => v * v)),
    ReduceLogSum: (g) => Math.log(Math.abs(sum(g))),
    ReduceLogSumExp: (g) => Math.log(sum(g.map(Math.exp))),
  };
  const axesVariants: number[][] = [[1], [-1], [0, 2], []];
  for (const [op, combine] of Object.entries(kinds)) {
    for (const axes of axesVariants) {
      for (const keepDims of [true, false]) {
        const input = op === "ReduceLogSum" ? f32(SHAPE, VALUES.map(Math.abs)) : data();
        const inputs = axes.length === 0 ? [input] : [input, constantOf(i64([axes.length], axes))];
        const result = run1(op, inputs, { keepdims: attr.int(keepDims ? 1 : 0) });
        const resolved = (axes.length === 0 ? [0, 1, 2] : axes).map((axis) => (axis < 0 ? axis + 3 : axis));
        const source = op === "ReduceLogSum" ? VALUES.map(Math.abs) : VALUES;
        const expected = referenceReduce(source.map(Math.fround), SHAPE, resolved, keepDims, combine);
        assert.deepEqual(result.shape, expected.shape, `${op} axes ${axes} keepdims ${keepDims}`);
        assertClose(result.values, expected.values, 1e-5);
      }
    }
  }
});

test("reduce axes: noop_with_empty_axes, the attribute form, errors", () => {
  assert.deepEqual(run1("ReduceSum", [data()], { noop_with_empty_axes: attr.int(1) }).values, VALUES.map(Math.fround));
  const fromAttribute = run1("ReduceMax", [data()], { axes: attr.ints([1]), keepdims: attr.int(0) }, { opset: 13 });
  assert.deepEqual(fromAttribute.shape, [2, 4]);
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as TesseraError).code;
    }
    return "none";
  };
  assert.equal(
    code(() => run1("ReduceSum", [data(), i64([1], [1])])),
    "E_DYNAMIC_SHAPE",
  );
  assert.equal(
    code(() => run1("ReduceSum", [data(), constantOf(i64([1], [3]))])),
    "E_INVALID_MODEL",
  );
  assert.equal(
    code(() => run1("ReduceSum", [data(), constantOf(i64([2], [1, -2]))])),
    "E_INVALID_MODEL",
  );
  assert.equal(MATH_OPS.ReduceSum!.pattern(buildContext("ReduceSum", [data()])), "reduction");
});

test("integer reductions stay exact: int64 sums, int32 mean truncates", () => {
  const big = i64([3], [2 ** 53, 1, 1]);
  assert.deepEqual(run1("ReduceSum", [big], { keepdims: attr.int(0) }), {
    shape: [],
    dtype: "int64",
    values: [2n ** 53n + 2n],
  });
  assert.deepEqual(run1("ReduceMean", [tensor("int32", [3], [1, 2, 4])]).values, [2]);
  assert.deepEqual(run1("ReduceMax", [tensor("int32", [2], [-5, -7])]).values, [-5]);
  assert.deepEqual(run1("ReduceProd", [i64([2], [-3, 5])]).values, [-15n]);
});

test("ArgMax/ArgMin: first or last index of the extreme, int64", () => {
  const ties = f32([2, 4], [1, 3, 3, 0, 5, 5, 2, 5]);
  assert.deepEqual(run1("ArgMax", [ties], { axis: attr.int(1) }), { shape: [2, 1], dtype: "int64", values: [1n, 0n] });
  assert.deepEqual(run1("ArgMax", [ties], { axis: attr.int(1), select_last_index: attr.int(1) }).values, [2n, 3n]);
  assert.deepEqual(run1("ArgMin", [ties], { axis: attr.int(-1), keepdims: attr.int(0) }).values, [3n, 2n]);
  assert.deepEqual(run1("ArgMin", [ties], { axis: attr.int(0), keepdims: attr.int(0) }), {
    shape: [4],
    dtype: "int64",
    values: [0n, 0n, 1n, 0n],
  });
  assert.deepEqual(run1("ArgMax", [f32([3], [1, NaN, 2])]).values, [1n]);
  assert.deepEqual(run1("ArgMax", [i64([3], [5, 9, 9])], { select_last_index: attr.int(1) }).values, [2n]);
});

function softmaxRows(rows: number[][], log = false): number[] {
  return rows.flatMap((row) => {
    const max = Math.max(...row);
    const total = sum(row.map((v) => Math.exp(v - max)));
    return row.map((v) => (log ? v - max - Math.log(total) : Math.exp(v - max) / total));
  });
}

test("Softmax: opset 13 normalizes one axis, opset 11 the coerced 2-D rows", () => {
  const values = [1, 2, 3, 4, 0, -1, 2, 2, 8, 1, 0.5, 3];
  const input = f32([2, 2, 3], values);
  const lastAxis = softmaxRows([0, 1, 2, 3].map((row) => values.slice(row * 3, row * 3 + 3)));
  assertClose(run1("Softmax", [input], {}, { opset: 13 }).values, lastAxis, 1e-6);
  const opset11 = softmaxRows([0, 1].map((row) => values.slice(row * 6, row * 6 + 6)));
  assertClose(run1("Softmax", [input], {}, { opset: 11 }).values, opset11, 1e-6);
  assertClose(run1("Softmax", [input], { axis: attr.int(0) }, { opset: 11 }).values, softmaxRows([values]), 1e-6);
  const middle = run1("Softmax", [input], { axis: attr.int(1) }, { opset: 13 }).values as number[];
  assert.ok(Math.abs(middle[0]! + middle[3]! - 1) < 1e-6, "axis 1 columns sum to 1");
  assertClose(
    run1("LogSoftmax", [input], {}, { opset: 13 }).values,
    softmaxRows(
      [0, 1, 2, 3].map((row) => values.slice(row * 3, row * 3 + 3)),
      true,
    ),
    1e-5,
  );
  const large = f32([2], [1000, 1000]);
  assert.deepEqual(run1("Softmax", [large]).values, [0.5, 0.5]);
});

test("Hardmax marks the first maximum per group", () => {
  const input = f32([2, 3], [1, 3, 3, 0, -1, 0]);
  assert.deepEqual(run1("Hardmax", [input], {}, { opset: 13 }).values, [0, 1, 0, 1, 0, 0]);
  const coerced = run1("Hardmax", [f32([2, 2, 2], [1, 2, 3, 0, 5, 9, 9, 1])], {}, { opset: 11 });
  assert.deepEqual(coerced.values, [0, 0, 1, 0, 0, 1, 0, 0]);
});

test("CumSum: axis from a constant input, exclusive and reverse", () => {
  const input = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const axis = (value: number) => constantOf(i64([], [value]));
  assert.deepEqual(run1("CumSum", [input, axis(1)]).values, [1, 3, 6, 4, 9, 15]);
  assert.deepEqual(run1("CumSum", [input, axis(0)]).values, [1, 2, 3, 5, 7, 9]);
  assert.deepEqual(run1("CumSum", [input, axis(-1)], { exclusive: attr.int(1) }).values, [0, 1, 3, 0, 4, 9]);
  assert.deepEqual(run1("CumSum", [input, axis(1)], { reverse: attr.int(1) }).values, [6, 5, 3, 15, 11, 6]);
  assert.deepEqual(
    run1("CumSum", [input, axis(1)], { reverse: attr.int(1), exclusive: attr.int(1) }).values,
    [5, 3, 0, 11, 6, 0],
  );
  assert.deepEqual(run1("CumSum", [i64([3], [1, 2, 3]), constantOf(tensor("int32", [], [0]))]).values, [1n, 3n, 6n]);
  assert.throws(
    () => run1("CumSum", [input, i64([], [1])]),
    (error: unknown) => (error as TesseraError).code === "E_DYNAMIC_SHAPE",
  );
});

test("TopK returns sorted values and indices, ties in index order", () => {
  const input = f32([2, 4], [1, 3, 3, 2, -1, -0.5, 7, -1]);
  const k = constantOf(i64([1], [3]));
  const run = runOp("TopK", [input, k], {}, { outputs: 2 });
  assert.deepEqual([...run.results[0]!.data], [3, 3, 2, 7, -0.5, -1]);
  assert.deepEqual([...run.results[1]!.data], [1n, 2n, 3n, 2n, 1n, 0n]);
  const smallest = runOp(
    "TopK",
    [input, constantOf(i64([1], [2]))],
    { largest: attr.int(0), axis: attr.int(0) },
    { outputs: 2 },
  );
  assert.deepEqual(smallest.results[0]!.shape, [2, 4]);
  assert.deepEqual([...smallest.results[1]!.data], [1n, 1n, 0n, 1n, 0n, 0n, 1n, 0n]);
  assert.deepEqual(
    [
      ...runOp("TopK", [tensor("int32", [3], [5, 9, 1]), constantOf(i64([1], [1]))], {}, { outputs: 2 }).results[0]!
        .data,
    ],
    [9],
  );
  assert.throws(
    () => runOp("TopK", [input, constantOf(i64([1], [5]))], {}, { outputs: 2 }),
    (error: unknown) => (error as TesseraError).code === "E_INVALID_MODEL",
  );
});
