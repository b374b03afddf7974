import { test } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { TesseraError } from "../../../src/support/errors.js";
import { assertClose, f32, runOp, run1, tensor } from "./math-helpers.js";

test("QuantizeLinear rounds half to even, adds the zero point and saturates", () => {
  const x = f32([6], [0, 1, 3, 5, -300, 1000]);
  const result = run1("QuantizeLinear", [x, f32([], [2]), tensor("uint8", [], [128])]);
  assert.deepEqual(result, { shape: [6], dtype: "uint8", values: [128, 128, 130, 130, 0, 255] });
  const signed = run1("QuantizeLinear", [x, f32([], [2]), tensor("int8", [], [0])]);
  assert.deepEqual(signed.values, [0, 0, 2, 2, -128, 127]);
  assert.equal(run1("QuantizeLinear", [x, f32([], [2])]).dtype, "uint8");
});

test("per-axis scales and zero points follow `axis`", () => {
  const x = f32([2, 2], [10, 10, 10, 10]);
  const quantized = run1("QuantizeLinear", [x, f32([2], [1, 5]), tensor("uint8", [2], [0, 100])], {
    axis: attr.int(0),
  });
  assert.deepEqual(quantized.values, [10, 10, 102, 102]);
  const dequantized = run1("DequantizeLinear", [
    tensor("uint8", [2, 2], [10, 20, 10, 20]),
    f32([2], [0.5, 2]),
    tensor("uint8", [2], [10, 0]),
  ]);
  assert.deepEqual(dequantized, { shape: [2, 2], dtype: "float32", values: [0, 40, 0, 40] });
  assert.throws(
    () => run1("QuantizeLinear", [x, f32([3], [1, 1, 1])]),
    (error: unknown) => (error as TesseraError).code === "E_SHAPE_MISMATCH",
  );
  assert.throws(
    () => run1("QuantizeLinear", [x, f32([], [1])], { block_size: attr.int(2) }),
    (error: unknown) => (error as TesseraError).code === "E_UNSUPPORTED_ATTRIBUTE",
  );
});

test("DynamicQuantizeLinear derives scale and zero point from the data range", () => {
  const values = [-1, 0, 2, 3];
  const run = runOp("DynamicQuantizeLinear", [f32([4], values)], {}, { outputs: 3 });
  const [y, scale, zeroPoint] = run.results;
  const expectedScale = Math.fround(4 / 255);
  assertClose([...scale!.data], [expectedScale]);
  const zero = Math.round(1 / expectedScale);
  assert.deepEqual([...zeroPoint!.data], [zero]);
  assert.deepEqual(
    [...y!.data],
    values.map((v) => Math.min(255, Math.max(0, Math.round(Math.fround(v / expectedScale)) + zero))),
  );
});

test("LRN sums squares over a channel window clipped at the edges", () => {
  const values = [1, 2, 3, 4];
  const result = run1("LRN", [f32([1, 4, 1], values)], {
    size: attr.int(3),
    alpha: attr.float(0.3),
    beta: attr.float(0.5),
    bias: attr.float(2),
  });
  const expected = values.map((v, c) => {
    const window = values.slice(Math.max(0, c - 1), Math.min(4, c + 2));
    const squares = window.reduce((a, b) => a + b * b, 0);
    return v / Math.pow(2 + (0.3 / 3) * squares, 0.5);
  });
  assertClose(result.values, expected, 1e-6);
});
