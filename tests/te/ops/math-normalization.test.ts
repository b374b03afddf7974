import { test } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { TesseraError } from "../../../src/support/errors.js";
import { MATH_OPS } from "../../../src/te/ops/math/index.js";
import { assertClose, buildContext, f32, runOp, run1, tensor } from "./math-helpers.js";

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const variance = (values: readonly number[]) => mean(values.map((v) => (v - mean(values)) ** 2));

test("LayerNormalization over the trailing axes, with Mean and InvStdDev outputs", () => {
  const values = [1, 2, 3, 4, 2, 2, 2, 6, -1, 0, 5, 9];
  const scale = [1, 2, 0.5, -1];
  const bias = [0, 1, 0, 0.25];
  const run = runOp(
    "LayerNormalization",
    [f32([3, 4], values), f32([4], scale), f32([4], bias)],
    { epsilon: attr.float(1e-3) },
    {
      opset: 17,
      outputs: 3,
    },
  );
  const [y, means, invStd] = run.results;
  const expectedY: number[] = [];
  const expectedMean: number[] = [];
  const expectedInv: number[] = [];
  for (let row = 0; row < 3; row++) {
    const slice = values.slice(row * 4, row * 4 + 4);
    const inv = 1 / Math.sqrt(variance(slice) + 1e-3);
    expectedMean.push(mean(slice));
    expectedInv.push(inv);
    slice.forEach((v, column) => expectedY.push((v - mean(slice)) * inv * scale[column]! + bias[column]!));
  }
  assert.deepEqual(y!.shape, [3, 4]);
  assert.deepEqual(means!.shape, [3, 1]);
  assertClose([...y!.data], expectedY, 1e-5);
  assertClose([...means!.data], expectedMean, 1e-6);
  assertClose([...invStd!.data], expectedInv, 1e-5);
  const whole = run1(
    "LayerNormalization",
    [f32([2, 2], [1, 2, 3, 4]), f32([2, 2], [1, 1, 1, 1])],
    { axis: attr.int(0) },
    { opset: 17 },
  );
  const inv = 1 / Math.sqrt(variance([1, 2, 3, 4]) + 1e-5);
  assertClose(
    whole.values,
    [1, 2, 3, 4].map((v) => (v - 2.5) * inv),
    1e-5,
  );
  const omitted = runOp(
    "LayerNormalization",
    [f32([1, 2], [1, 3]), f32([2], [1, 1])],
    {},
    { opset: 17, outputs: ["y", "", "inv"] },
  );
  assert.equal(omitted.results[1], null);
  assert.deepEqual(omitted.results[2]!.shape, [1, 1]);
});

test("BatchNormalization (inference) normalizes per channel; training mode is rejected", () => {
  const x = f32([1, 2, 2], [1, 2, 3, 4]);
  const params = [f32([2], [1, 2]), f32([2], [0, 1]), f32([2], [1.5, 3]), f32([2], [0.25, 1])];
  const result = run1("BatchNormalization", [x, ...params], { epsilon: attr.float(0) }, { opset: 15 });
  assertClose(result.values, [(1 - 1.5) / 0.5, (2 - 1.5) / 0.5, 2 * (3 - 3) + 1, 2 * (4 - 3) + 1], 1e-6);
  assert.equal(MATH_OPS.BatchNormalization!.pattern(buildContext("BatchNormalization", [x, ...params])), "broadcast");
  assert.throws(
    () => run1("BatchNormalization", [x, ...params], { training_mode: attr.int(1) }, { opset: 15 }),
    (error: unknown) => (error as TesseraError).code === "E_UNSUPPORTED_ATTRIBUTE",
  );
  assert.throws(
    () => run1("BatchNormalization", [x, f32([3], [1, 1, 1]), ...params.slice(1)]),
    (error: unknown) => (error as TesseraError).code === "E_SHAPE_MISMATCH",
  );
});

test("InstanceNormalization uses per-(n, c) statistics over spatial axes", () => {
  const values = [1, 2, 3, 4, 10, 10, 10, 14];
  const result = run1("InstanceNormalization", [f32([1, 2, 4], values), f32([2], [1, 2]), f32([2], [0, -1])], {
    epsilon: attr.float(1e-5),
  });
  const expected: number[] = [];
  [0, 1].forEach((channel) => {
    const slice = values.slice(channel * 4, channel * 4 + 4);
    const inv = 1 / Math.sqrt(variance(slice) + 1e-5);
    slice.forEach((v) => expected.push((v - mean(slice)) * inv * [1, 2][channel]! + [0, -1][channel]!));
  });
  assertClose(result.values, expected, 1e-5);
});

test("LpNormalization with p = 1 and 2; a zero vector stays zero", () => {
  const input = f32([2, 2], [3, 4, 0, 0]);
  assert.deepEqual(run1("LpNormalization", [input]).values, [0.6, 0.8, 0, 0].map(Math.fround));
  assertClose(run1("LpNormalization", [input], { p: attr.int(1) }).values, [3 / 7, 4 / 7, 0, 0]);
  assertClose(run1("LpNormalization", [input], { axis: attr.int(0) }).values, [1, 1, 0, 0]);
  assert.throws(
    () => run1("LpNormalization", [input], { p: attr.int(3) }),
    (error: unknown) => (error as TesseraError).code === "E_UNSUPPORTED_ATTRIBUTE",
  );
});

test("MeanVarianceNormalization over the given axes", () => {
  const values = [1, 2, 3, 5, 8, 13];
  const result = run1("MeanVarianceNormalization", [f32([2, 3], values)], { axes: attr.ints([1]) });
  const expected = [0, 1].flatMap((row) => {
    const slice = values.slice(row * 3, row * 3 + 3);
    return slice.map((v) => (v - mean(slice)) / (Math.sqrt(variance(slice)) + 1e-9));
  });
  assertClose(result.values, expected, 1e-5);
});

test("NegativeLogLikelihoodLoss: weights, ignore_index and reductions", () => {
  const input = f32([2, 3], [-1, -2, -3, -4, -5, -6]);
  const target = tensor("int64", [2], [2n, 0n]);
  const weight = f32([3], [1, 2, 0.5]);
  assert.deepEqual(
    run1("NegativeLogLikelihoodLoss", [input, target], { reduction: attr.string("none") }).values,
    [3, 4],
  );
  assert.deepEqual(run1("NegativeLogLikelihoodLoss", [input, target], { reduction: attr.string("sum") }).values, [7]);
  assert.deepEqual(run1("NegativeLogLikelihoodLoss", [input, target]).values, [3.5]);
  assertClose(run1("NegativeLogLikelihoodLoss", [input, target, weight]).values, [(3 * 0.5 + 4 * 1) / 1.5]);
  const ignoring = tensor("int64", [2], [-1n, 1n]);
  const result = run1("NegativeLogLikelihoodLoss", [input, ignoring], { ignore_index: attr.int(-1) });
  assert.deepEqual(result, { shape: [], dtype: "float32", values: [5] });
});

test("SoftmaxCrossEntropyLoss applies NLL to log_softmax and can output it", () => {
  const scores = [1, 2, 3, 0, 0, 0];
  const run = runOp("SoftmaxCrossEntropyLoss", [f32([2, 3], scores), tensor("int32", [2], [2, 1])], {}, { outputs: 2 });
  const logSoftmax = [0, 1].flatMap((row) => {
    const slice = scores.slice(row * 3, row * 3 + 3);
    const total = Math.log(slice.reduce((a, b) => a + Math.exp(b), 0));
    return slice.map((v) => v - total);
  });
  assertClose([...run.results[1]!.data], logSoftmax, 1e-6);
  assertClose([...run.results[0]!.data], [-(logSoftmax[2]! + logSoftmax[4]!) / 2], 1e-6);
});
