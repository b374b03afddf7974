import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluateTe } from "../../src/te/evaluate.js";
import { compute, placeholder, type TeTensor } from "../../src/te/tensor.js";
import {
  type BinaryOp,
  type Expr,
  binary,
  cast,
  compare,
  constant,
  int,
  makeIterVar,
  reduce,
  select,
  tload,
  unary,
  type UnaryOp,
} from "../../src/te/expr.js";
import type { DType } from "../../src/support/dtype.js";
import { type TensorData, makeTensorData } from "../../src/support/tensor-data.js";
import { allocateTypedArray } from "../../src/support/dtype.js";
import { erf, roundHalfEven } from "../../src/te/evaluate-scalar.js";

function data(dtype: DType, shape: readonly number[], values: readonly (number | bigint)[]): TensorData {
  const array = allocateTypedArray(dtype, values.length);
  values.forEach((value, index) => {
    array[index] = value as never;
  });
  return makeTensorData(dtype, shape, array);
}

function run(output: TeTensor, bindings: [TeTensor, TensorData][]): (number | bigint)[] {
  const [result] = evaluateTe([output], new Map(bindings));
  return [...result!.data];
}

function elementwiseBinary(
  op: BinaryOp,
  dtype: DType,
  a: readonly (number | bigint)[],
  b: readonly (number | bigint)[],
) {
  const x = placeholder("x", dtype, [a.length]);
  const y = placeholder("y", dtype, [b.length]);
  const out = compute("out", [a.length], ([i]) => binary(op, tload(x, [i!]), tload(y, [i!])));
  return run(out, [
    [x, data(dtype, [a.length], a)],
    [y, data(dtype, [b.length], b)],
  ]);
}

function elementwiseUnary(op: UnaryOp, dtype: DType, a: readonly (number | bigint)[]) {
  const x = placeholder("x", dtype, [a.length]);
  const out = compute("out", [a.length], ([i]) => unary(op, tload(x, [i!])));
  return run(out, [[x, data(dtype, [a.length], a)]]);
}

function castValues(from: DType, to: DType, a: readonly (number | bigint)[]) {
  const x = placeholder("x", from, [a.length]);
  const out = compute("out", [a.length], ([i]) => cast(tload(x, [i!]), to));
  return run(out, [[x, data(from, [a.length], a)]]);
}

test("float32 arithmetic rounds every result to float32", () => {
  const [sum] = elementwiseBinary("add", "float32", [0.1], [0.2]);
  assert.equal(sum, Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  const x = placeholder("x", "float32", [1]);
  const out = compute("out", [1], ([i]) => binary("mul", tload(x, [i!]), constant(1 / 3, "float32")));
  assert.equal(run(out, [[x, data("float32", [1], [3])]])[0], Math.fround(3 * Math.fround(1 / 3)));
});

test("int32 wraps, divides toward zero and takes the dividend's sign in rem", () => {
  assert.deepEqual(elementwiseBinary("add", "int32", [2147483647], [1]), [-2147483648]);
  assert.deepEqual(elementwiseBinary("mul", "int32", [65536], [65536]), [0]);
  assert.deepEqual(elementwiseBinary("div", "int32", [-7, 7, 7], [2, -2, 0]), [-3, -3, 0]);
  assert.deepEqual(elementwiseBinary("rem", "int32", [-7, 7], [2, -2]), [-1, 1]);
});

test("narrow and unsigned integers wrap to their width", () => {
  assert.deepEqual(elementwiseBinary("add", "int8", [127, -128], [1, -1]), [-128, 127]);
  assert.deepEqual(elementwiseBinary("sub", "uint8", [0], [1]), [255]);
  assert.deepEqual(elementwiseBinary("mul", "int16", [300], [300]), [(90000 << 16) >> 16]);
  assert.deepEqual(elementwiseBinary("sub", "uint32", [0], [1]), [4294967295]);
  assert.deepEqual(elementwiseBinary("div", "uint32", [4294967295], [2]), [2147483647]);
  assert.deepEqual(elementwiseBinary("shr", "uint32", [4294967295], [28]), [15]);
  assert.deepEqual(elementwiseBinary("shl", "uint8", [0x81], [1]), [2]);
});

test("int64 and uint64 compute with bigints", () => {
  const max = 2n ** 63n - 1n;
  assert.deepEqual(elementwiseBinary("add", "int64", [max, 5n], [1n, -7n]), [-(2n ** 63n), -2n]);
  assert.deepEqual(elementwiseBinary("div", "int64", [-7n, 10n ** 15n], [2n, 3n]), [-3n, 333333333333333n]);
  assert.deepEqual(elementwiseBinary("sub", "uint64", [0n], [1n]), [2n ** 64n - 1n]);
  assert.deepEqual(elementwiseBinary("pow", "int64", [3n, 2n], [4n, -1n]), [81n, 0n]);
  assert.deepEqual(elementwiseUnary("neg", "int64", [5n]), [-5n]);
});

test("float rem is fmod and min/max propagate NaN", () => {
  assert.deepEqual(elementwiseBinary("rem", "float32", [-7, 7.5], [2, -2]), [-1, 1.5]);
  const [minimum, maximum] = [
    elementwiseBinary("min", "float32", [NaN, 1], [1, NaN]),
    elementwiseBinary("max", "float32", [NaN, 1], [1, NaN]),
  ];
  assert.ok(minimum.every((value) => Number.isNaN(value)));
  assert.ok(maximum.every((value) => Number.isNaN(value)));
  assert.deepEqual(elementwiseBinary("pow", "float32", [1, 2], [NaN, 10]), [1, 1024]);
});

test("round is half to even; erf is accurate", () => {
  assert.deepEqual(
    elementwiseUnary("round", "float32", [0.5, 1.5, 2.5, -0.5, -1.5, 2.4, -2.6]),
    [0, 2, 2, -0, -2, 2, -3],
  );
  assert.equal(roundHalfEven(-0.5), -0);
  // Reference values of erf from Abramowitz & Stegun tables.
  assert.ok(Math.abs(erf(0.5) - 0.5204998778130465) < 1e-15);
  assert.ok(Math.abs(erf(1) - 0.8427007929497149) < 1e-15);
  assert.ok(Math.abs(erf(-2) + 0.9953222650189527) < 1e-15);
  assert.ok(Math.abs(erf(3.5) - 0.9999992569016276) < 1e-15);
  assert.equal(erf(7), 1);
});

test("not is logical on bool and bitwise on integers", () => {
  assert.deepEqual(elementwiseUnary("not", "bool", [0, 1]), [1, 0]);
  assert.deepEqual(elementwiseUnary("not", "int32", [0, 5]), [-1, -6]);
  assert.deepEqual(elementwiseUnary("not", "uint8", [0]), [255]);
});

test("casts follow ONNX Cast semantics", () => {
  assert.deepEqual(castValues("float32", "int32", [2.7, -2.7, NaN]), [2, -2, 0]);
  assert.deepEqual(castValues("float32", "bool", [0, -0, 0.5, NaN]), [0, 0, 1, 1]);
  assert.deepEqual(castValues("float32", "int64", [-3.9, 1e10]), [-3n, 10000000000n]);
  assert.deepEqual(castValues("int64", "int32", [2n ** 32n + 5n, -1n]), [5, -1]);
  assert.deepEqual(castValues("int32", "uint64", [-1]), [2n ** 64n - 1n]);
  assert.deepEqual(castValues("int32", "uint8", [300, -1]), [44, 255]);
  assert.deepEqual(castValues("float64", "float32", [0.1]), [Math.fround(0.1)]);
  assert.deepEqual(castValues("bool", "float32", [1, 0]), [1, 0]);
  assert.deepEqual(castValues("uint64", "float32", [2n ** 40n]), [2 ** 40]);
});

test("compare and select produce bool and pick operands", () => {
  const x = placeholder("x", "float32", [4]);
  const out = compute("out", [4], ([i]) => {
    const value = tload(x, [i!]);
    return select(compare("lt", value, constant(0, "float32")), constant(0, "float32"), value);
  });
  assert.deepEqual(run(out, [[x, data("float32", [4], [-1, 2, -3, NaN])]]), [0, 2, 0, NaN]);
  const isLess = compute("less", [4], ([i]) => compare("lt", tload(x, [i!]), constant(0, "float32")));
  assert.equal(isLess.dtype, "bool");
  assert.deepEqual(run(isLess, [[x, data("float32", [4], [-1, 2, -3, NaN])]]), [1, 0, 1, 0]);
});

test("reduce over several axes, with an epilogue and a rank-0 output", () => {
  const x = placeholder("x", "float32", [2, 3, 4]);
  const values = Array.from({ length: 24 }, (_, index) => index);
  const rows = makeIterVar("r1", 3);
  const cols = makeIterVar("r2", 4);
  const perBatch = compute("sum", [2], ([b]) =>
    binary("mul", reduce("sum", [rows, cols], tload(x, [b!, rows.variable, cols.variable])), constant(2, "float32")),
  );
  assert.deepEqual(run(perBatch, [[x, data("float32", [2, 3, 4], values)]]), [2 * 66, 2 * 210]);
  const all = [makeIterVar("a", 2), makeIterVar("b", 3), makeIterVar("c", 4)];
  const maximum = compute("max", [], () =>
    reduce(
      "max",
      all,
      tload(
        x,
        all.map((axis) => axis.variable),
      ),
    ),
  );
  assert.deepEqual(run(maximum, [[x, data("float32", [2, 3, 4], values)]]), [23]);
  const empty = compute("empty", [0], ([i]) => tload(x, [i!, int(0), int(0)]));
  assert.deepEqual(run(empty, [[x, data("float32", [2, 3, 4], values)]]), []);
});

test("reductions start from the type's identity or extreme", () => {
  const x = placeholder("x", "int32", [3]);
  const k = makeIterVar("k", 3);
  const minimum = compute("min", [], () => reduce("min", [k], tload(x, [k.variable])));
  const product = compute("prod", [], () => reduce("prod", [k], tload(x, [k.variable])));
  const bindings: [TeTensor, TensorData][] = [[x, data("int32", [3], [5, -2, 7])]];
  assert.deepEqual(
    evaluateTe([minimum, product], new Map(bindings)).map((t) => t.data[0]),
    [-2, -70],
  );
});

test("a compute consumed many times is evaluated once", () => {
  const x = placeholder("x", "float32", [8]);
  let current: TeTensor = x;
  for (let step = 0; step < 40; step++) {
    const previous = current;
    current = compute(`t${step}`, [8], ([i]) => binary("add", tload(previous, [i!]), tload(previous, [i!])));
  }
  const result = run(current, [[x, data("float32", [8], [1, 0, 0, 0, 0, 0, 0, 1])]]);
  assert.equal(result[0], 2 ** 40);
});

test("an out-of-bounds load is an internal error", () => {
  const x = placeholder("x", "float32", [2]);
  const out = compute("out", [3], ([i]) => tload(x, [i!]));
  assert.throws(() => run(out, [[x, data("float32", [2], [1, 2])]]), /out of \[0, 2\)/);
  const unbound = compute("out", [2], ([i]) => tload(x, [i!]));
  assert.throws(() => evaluateTe([unbound], new Map()), /not bound/);
});

test("folds a million-element tensor quickly", () => {
  const size = 1 << 20;
  const x = placeholder("x", "float32", [1024, 1024]);
  const input = new Float32Array(size).map((_, index) => index % 17);
  const out = compute("out", [1024, 1024], ([i, j]) => {
    const value: Expr = tload(x, [i!, j!]);
    return binary(
      "max",
      binary("add", binary("mul", value, constant(0.5, "float32")), constant(1, "float32")),
      constant(0, "float32"),
    );
  });
  const start = performance.now();
  const [result] = evaluateTe([out], new Map([[x, makeTensorData("float32", [1024, 1024], input)]]));
  const elapsed = performance.now() - start;
  assert.equal(result!.data[1023 * 1024 + 5], ((1023 * 1024 + 5) % 17) * 0.5 + 1);
  assert.ok(elapsed < 5000, `took ${elapsed} ms`);
});

test("a load at affine indices (weight packing) copies the same elements as the interpreter", () => {
  // W: [5, 12]; packed[p, k, l] = W[4 - k, p·4 + l] (panels of 4 columns, rows reversed), and
  // the same through x·1, which the strided-copy path does not take.
  const values = Array.from({ length: 60 }, (_, index) => index * 0.5 - 7);
  const w = placeholder("w", "float32", [5, 12]);
  const index = ([p, k, l]: readonly Expr[]): Expr[] => [
    binary("sub", int(4), k!),
    binary("add", binary("mul", p!, int(4)), l!),
  ];
  const packed = compute("packed", [3, 5, 4], (axes) => tload(w, index(axes)));
  const interpreted = compute("interpreted", [3, 5, 4], (axes) =>
    binary("mul", tload(w, index(axes)), constant(1, "float32")),
  );
  const bindings: [TeTensor, TensorData][] = [[w, data("float32", [5, 12], values)]];
  const copied = run(packed, bindings);
  assert.deepEqual(copied, run(interpreted, bindings));
  assert.equal(copied[0], values[4 * 12]); // packed[0, 0, 0] = W[4, 0]
  assert.equal(copied[2 * 20 + 1 * 4 + 3], values[3 * 12 + 11]); // packed[2, 1, 3] = W[3, 11]
});

test("affine loads of int64 and of a broadcast row copy exactly; a load leaving its dim is still reported", () => {
  const x = placeholder("x", "int64", [3]);
  const repeated = compute("repeated", [2, 3], ([, j]) => tload(x, [j!]));
  assert.deepEqual(run(repeated, [[x, data("int64", [3], [1n, 2n, 2n ** 40n])]]), [
    1n,
    2n,
    2n ** 40n,
    1n,
    2n,
    2n ** 40n,
  ]);
  const y = placeholder("y", "float32", [4]);
  const shifted = compute("shifted", [4], ([i]) => tload(y, [binary("add", i!, int(1))]));
  assert.throws(() => run(shifted, [[y, data("float32", [4], [1, 2, 3, 4])]]), /index 4 out of \[0, 4\)/);
});
