import { test } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { TesseraError } from "../../../src/support/errors.js";
import { erf } from "../../../src/te/evaluate-scalar.js";
import { MATH_OPS } from "../../../src/te/ops/math/index.js";
import { assertClose, buildContext, constantOf, f32, i64, run1, tensor } from "./math-helpers.js";

const X = [-2.5, -1, -0.25, 0, 0.3, 1, 2.5, 7];
const x = () => f32([2, 4], X);
const expectFloat32 = (fn: (value: number) => number) => X.map((value) => Math.fround(fn(Math.fround(value))));

test("math unary ops match JS float32 references", () => {
  const cases: Record<string, (value: number) => number> = {
    Exp: Math.exp,
    Tanh: Math.tanh,
    Sigmoid: (v) => 1 / (1 + Math.exp(-v)),
    Erf: erf,
    Neg: (v) => -v,
    Abs: Math.abs,
    Floor: Math.floor,
    Ceil: Math.ceil,
    Sin: Math.sin,
    Cos: Math.cos,
    Tan: Math.tan,
    Atan: Math.atan,
    Sinh: Math.sinh,
    Cosh: Math.cosh,
    Asinh: Math.asinh,
    Reciprocal: (v) => 1 / v,
    Sign: Math.sign,
    Relu: (v) => Math.max(v, 0),
    Softsign: (v) => v / (1 + Math.abs(v)),
    Softplus: (v) => Math.log(1 + Math.exp(v)),
  };
  for (const [op, fn] of Object.entries(cases)) {
    const result = run1(op, [x()]);
    assert.deepEqual(result.shape, [2, 4], op);
    assertClose(result.values, expectFloat32(fn), 1e-6);
  }
  const positive = f32([3], [0.25, 1, 4]);
  assertClose(run1("Sqrt", [positive]).values, [0.5, 1, 2]);
  assertClose(run1("Log", [positive]).values, [Math.log(0.25), 0, Math.log(4)].map(Math.fround));
  const unit = f32([3], [-0.5, 0, 0.9]);
  for (const [op, fn] of [
    ["Asin", Math.asin],
    ["Acos", Math.acos],
    ["Atanh", Math.atanh],
  ] as const) {
    assertClose(
      run1(op, [unit]).values,
      [-0.5, 0, 0.9].map((v) => Math.fround(fn(Math.fround(v)))),
    );
  }
  assertClose(run1("Acosh", [f32([2], [1, 3])]).values, [0, Math.fround(Math.acosh(3))]);
  assert.deepEqual(run1("Round", [f32([6], [0.5, 1.5, 2.5, -0.5, -2.5, 2.6])]).values, [0, 2, 2, -0, -2, 3]);
});

test("parameterized activations read their attributes", () => {
  const values = (op: string, attributes = {}) => run1(op, [x()], attributes).values;
  assertClose(
    values("LeakyRelu", { alpha: attr.float(0.1) }),
    expectFloat32((v) => (v < 0 ? 0.1 * v : v)),
  );
  assertClose(
    values("Elu", { alpha: attr.float(2) }),
    expectFloat32((v) => (v < 0 ? 2 * (Math.exp(v) - 1) : v)),
  );
  const alpha = 1.67326319217681884765625;
  const gamma = 1.05070102214813232421875;
  assertClose(
    values("Selu"),
    expectFloat32((v) => (v > 0 ? gamma * v : gamma * (alpha * Math.exp(v) - alpha))),
  );
  assertClose(
    values("Celu", { alpha: attr.float(2) }),
    expectFloat32((v) => Math.max(0, v) + Math.min(0, 2 * (Math.exp(v / 2) - 1))),
  );
  assertClose(
    values("ThresholdedRelu", { alpha: attr.float(0.5) }),
    expectFloat32((v) => (v > 0.5 ? v : 0)),
  );
  assertClose(
    values("HardSigmoid"),
    expectFloat32((v) => Math.max(0, Math.min(1, 0.2 * v + 0.5))),
  );
  assertClose(
    values("HardSwish"),
    expectFloat32((v) => v * Math.max(0, Math.min(1, v / 6 + 0.5))),
  );
  assertClose(
    values("Shrink", { lambd: attr.float(1), bias: attr.float(0.5) }),
    expectFloat32((v) => (v < -1 ? v + 0.5 : v > 1 ? v - 0.5 : 0)),
  );
  assert.equal(run1("Softplus", [f32([1], [100])]).values[0], 100);
  assertClose(
    values("Gelu"),
    expectFloat32((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
    1e-5,
  );
  const tanhGelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
  assertClose(values("Gelu", { approximate: attr.string("tanh") }), expectFloat32(tanhGelu), 1e-5);
  assertClose(
    values("Mish"),
    expectFloat32((v) => v * Math.tanh(Math.log(1 + Math.exp(v)))),
    1e-5,
  );
});

test("predicates and logical/bitwise unary ops", () => {
  const special = f32([4], [NaN, Infinity, -Infinity, 1]);
  assert.deepEqual(run1("IsNaN", [special]).values, [1, 0, 0, 0]);
  assert.deepEqual(run1("IsInf", [special]).values, [0, 1, 1, 0]);
  assert.deepEqual(run1("IsInf", [special], { detect_negative: attr.int(0) }).values, [0, 1, 0, 0]);
  assert.deepEqual(run1("IsInf", [special], { detect_positive: attr.int(0) }).values, [0, 0, 1, 0]);
  assert.equal(run1("IsInf", [special]).dtype, "bool");
  assert.deepEqual(run1("Not", [tensor("bool", [2], [0, 1])]).values, [1, 0]);
  assert.deepEqual(run1("BitwiseNot", [tensor("uint8", [2], [0, 5])]).values, [255, 250]);
  assert.deepEqual(run1("BitwiseNot", [tensor("int64", [1], [5n])]).values, [-6n]);
  assert.deepEqual(run1("Abs", [tensor("int32", [2], [-3, 4])]).values, [3, 4]);
  assert.deepEqual(run1("Neg", [i64([2], [3, -4])]).values, [-3n, 4n]);
  assert.deepEqual(run1("Sign", [tensor("int8", [3], [-5, 0, 9])]).values, [-1, 0, 1]);
});

test("binary ops broadcast numpy-style", () => {
  const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const row = f32([3], [10, 20, 30]);
  const column = f32([2, 1], [100, 200]);
  assert.deepEqual(run1("Add", [a, row]).values, [11, 22, 33, 14, 25, 36]);
  assert.deepEqual(run1("Sub", [column, row]), {
    shape: [2, 3],
    dtype: "float32",
    values: [90, 80, 70, 190, 180, 170],
  });
  assert.deepEqual(run1("Mul", [a, f32([], [2])]).values, [2, 4, 6, 8, 10, 12]);
  assert.deepEqual(
    run1("Div", [a, column]).values,
    [1, 2, 3, 4, 5, 6].map((v, i) => Math.fround(v / (i < 3 ? 100 : 200))),
  );
  assert.deepEqual(run1("Div", [tensor("int32", [2], [7, -7]), tensor("int32", [1], [2])]).values, [3, -3]);
  assert.deepEqual(run1("Add", [tensor("int32", [1], [2147483647]), tensor("int32", [1], [1])]).values, [-2147483648]);
  assert.deepEqual(run1("Mul", [i64([1], [2 ** 40]), i64([1], [2 ** 20])]).values, [2n ** 60n]);
});

test("Pow keeps the base's dtype for mixed exponent types", () => {
  const powFloatInt = run1("Pow", [f32([3], [2, 3, 0.5]), i64([3], [3, 2, -1])]);
  assert.deepEqual(powFloatInt, { shape: [3], dtype: "float32", values: [8, 9, 2] });
  const powIntFloat = run1("Pow", [tensor("int32", [3], [2, 9, 5]), f32([1], [0.5])]);
  assert.deepEqual(powIntFloat, { shape: [3], dtype: "int32", values: [1, 3, 2] });
  assert.deepEqual(run1("Pow", [i64([2], [3, 10]), i64([2], [4, 15])]).values, [81n, 10n ** 15n]);
});

test("Mod: integer modulo takes the divisor's sign, fmod the dividend's", () => {
  const a = tensor("int32", [4], [7, -7, 7, -7]);
  const b = tensor("int32", [4], [3, 3, -3, -3]);
  assert.deepEqual(run1("Mod", [a, b]).values, [1, 2, -2, -1]);
  assert.deepEqual(run1("Mod", [a, b], { fmod: attr.int(1) }).values, [1, -1, 1, -1]);
  const fa = f32([2], [-7.5, 7.5]);
  assert.deepEqual(run1("Mod", [fa, f32([1], [2])], { fmod: attr.int(1) }).values, [-1.5, 1.5]);
  assert.deepEqual(run1("Mod", [i64([2], [-7, 8]), i64([1], [3])]).values, [2n, 2n]);
  assert.deepEqual(run1("Mod", [tensor("uint8", [1], [200]), tensor("uint8", [1], [7])]).values, [4]);
  assert.throws(
    () => run1("Mod", [fa, fa]),
    (error: unknown) => (error as TesseraError).code === "E_INVALID_MODEL",
  );
});

test("variadic Min/Max/Sum/Mean broadcast all inputs; PRelu and BitShift", () => {
  const a = f32([2, 2], [1, 5, 3, NaN]);
  const b = f32([2], [2, 4]);
  const c = f32([], [3]);
  assertClose(run1("Min", [a, b, c]).values, [1, 3, 2, NaN]);
  assertClose(run1("Max", [a, b, c]).values, [3, 5, 3, NaN]);
  assertClose(run1("Sum", [a, b, c]).values, [6, 12, 8, NaN]);
  assertClose(run1("Mean", [a, b, c]).values, [2, 4, Math.fround(8 / 3), NaN]);
  assert.deepEqual(run1("Max", [b]).values, [2, 4]);
  const prelu = run1("PRelu", [f32([2, 2], [-1, 2, -3, 4]), f32([2], [0.5, 0.25])]);
  assert.deepEqual(prelu.values, [-0.5, 2, -1.5, 4]);
  const bits = tensor("uint8", [2], [1, 128]);
  assert.deepEqual(
    run1("BitShift", [bits, tensor("uint8", [1], [1])], { direction: attr.string("LEFT") }).values,
    [2, 0],
  );
  assert.deepEqual(
    run1("BitShift", [bits, tensor("uint8", [1], [3])], { direction: attr.string("RIGHT") }).values,
    [0, 16],
  );
  assert.throws(
    () => run1("BitShift", [bits, bits], { direction: attr.string("UP") }),
    (error: unknown) => (error as TesseraError).code === "E_UNSUPPORTED_ATTRIBUTE",
  );
});

test("comparisons, logic and Where", () => {
  const a = f32([3], [1, 2, NaN]);
  const b = f32([1], [2]);
  assert.deepEqual(run1("Less", [a, b]), { shape: [3], dtype: "bool", values: [1, 0, 0] });
  assert.deepEqual(run1("LessOrEqual", [a, b]).values, [1, 1, 0]);
  assert.deepEqual(run1("Greater", [a, b]).values, [0, 0, 0]);
  assert.deepEqual(run1("GreaterOrEqual", [a, b]).values, [0, 1, 0]);
  assert.deepEqual(run1("Equal", [a, b]).values, [0, 1, 0]);
  assert.deepEqual(run1("Equal", [i64([2], [1, 5]), i64([2], [1, 6])]).values, [1, 0]);
  const p = tensor("bool", [4], [0, 0, 1, 1]);
  const q = tensor("bool", [4], [0, 1, 0, 1]);
  assert.deepEqual(run1("And", [p, q]).values, [0, 0, 0, 1]);
  assert.deepEqual(run1("Or", [p, q]).values, [0, 1, 1, 1]);
  assert.deepEqual(run1("Xor", [p, q]).values, [0, 1, 1, 0]);
  assert.deepEqual(run1("BitwiseAnd", [tensor("int32", [1], [12]), tensor("int32", [1], [10])]).values, [8]);
  assert.deepEqual(run1("BitwiseOr", [tensor("int32", [1], [12]), tensor("int32", [1], [10])]).values, [14]);
  assert.deepEqual(run1("BitwiseXor", [tensor("int32", [1], [12]), tensor("int32", [1], [10])]).values, [6]);
  const condition = tensor("bool", [2, 1], [1, 0]);
  const where = run1("Where", [condition, f32([3], [1, 2, 3]), f32([], [-1])]);
  assert.deepEqual(where, { shape: [2, 3], dtype: "float32", values: [1, 2, 3, -1, -1, -1] });
  assert.throws(
    () => run1("Where", [f32([1], [1]), b, b]),
    (error: unknown) => (error as TesseraError).code === "E_INVALID_MODEL",
  );
});

test("Clip takes constant, run-time or omitted bounds", () => {
  const values = f32([4], [-2, 0.5, 3, 9]);
  assert.deepEqual(run1("Clip", [values, constantOf(f32([], [0])), constantOf(f32([], [6]))]).values, [0, 0.5, 3, 6]);
  assert.deepEqual(run1("Clip", [values, null, constantOf(f32([], [1]))]).values, [-2, 0.5, 1, 1]);
  assert.deepEqual(run1("Clip", [values, f32([], [1])]).values, [1, 1, 3, 9]);
  assert.deepEqual(run1("Clip", [values]).values, [-2, 0.5, 3, 9]);
  assert.deepEqual(
    run1("Clip", [values], { min: attr.float(-1), max: attr.float(2) }, { opset: 6 }).values,
    [-1, 0.5, 2, 2],
  );
  const ints = tensor("int8", [3], [-100, 5, 100]);
  assert.deepEqual(
    run1("Clip", [ints, constantOf(tensor("int8", [], [-10])), constantOf(tensor("int8", [], [10]))]).values,
    [-10, 5, 10],
  );
  const withLoadedBound = buildContext("Clip", [values, f32([], [1])]);
  assert.equal(MATH_OPS.Clip!.pattern(withLoadedBound), "broadcast");
  assert.equal(MATH_OPS.Clip!.pattern(buildContext("Clip", [values, constantOf(f32([], [1]))])), "elementwise");
});

test("Cast follows ONNX Cast; CastLike takes the second input's type", () => {
  const values = f32([4], [-1.7, 2.5, 300, NaN]);
  assert.deepEqual(run1("Cast", [values], { to: attr.int(6) }), {
    shape: [4],
    dtype: "int32",
    values: [-1, 2, 300, 0],
  });
  assert.deepEqual(run1("Cast", [values], { to: attr.int(9) }).values, [1, 1, 1, 1]);
  assert.deepEqual(run1("Cast", [values], { to: attr.int(7) }).values, [-1n, 2n, 300n, 0n]);
  assert.deepEqual(run1("Cast", [i64([2], [2 ** 33 + 1, -1])], { to: attr.int(6) }).values, [1, -1]);
  assert.deepEqual(run1("CastLike", [tensor("int32", [2], [1, 0]), tensor("bool", [1], [0])]).dtype, "bool");
  assert.throws(
    () => run1("Cast", [values], { to: attr.int(10) }),
    (error: unknown) => (error as TesseraError).code === "E_UNSUPPORTED_DTYPE",
  );
});

test("wrong input dtypes are invalid models; mismatched shapes are shape errors", () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as TesseraError).code;
    }
    return "none";
  };
  assert.equal(
    code(() => run1("Sqrt", [tensor("int32", [1], [4])])),
    "E_INVALID_MODEL",
  );
  assert.equal(
    code(() => run1("Add", [f32([1], [1]), tensor("int32", [1], [1])])),
    "E_INVALID_MODEL",
  );
  assert.equal(
    code(() => run1("And", [f32([1], [1]), f32([1], [1])])),
    "E_INVALID_MODEL",
  );
  assert.equal(
    code(() => run1("Add", [f32([2], [1, 2]), f32([3], [1, 2, 3])])),
    "E_SHAPE_MISMATCH",
  );
  assert.equal(
    code(() => run1("Add", [f32([2], [1, 2])])),
    "E_INVALID_MODEL",
  );
});

test("pattern kinds: elementwise for equal shapes, broadcast otherwise", () => {
  const same = buildContext("Add", [f32([2], [1, 2]), f32([2], [1, 2])]);
  const different = buildContext("Add", [f32([2], [1, 2]), f32([1], [1])]);
  assert.equal(MATH_OPS.Add!.pattern(same), "elementwise");
  assert.equal(MATH_OPS.Add!.pattern(different), "broadcast");
  assert.equal(MATH_OPS.Relu!.pattern(buildContext("Relu", [f32([2], [1, 2])])), "elementwise");
});
