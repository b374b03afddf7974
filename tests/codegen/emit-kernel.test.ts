/**
 * Loop-IR kernels built by hand, run as wasm, checked against JS.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { makeBuffer } from "../../src/loop/ir.js";
import {
  add,
  binary,
  broadcast,
  cast,
  compare,
  constant,
  int,
  load,
  makeVar,
  mul,
  ramp,
  select,
  sub,
  unary,
  type BinaryOp,
  type CompareOp,
  type Expr,
} from "../../src/te/expr.js";
import type { DType } from "../../src/support/dtype.js";
import { assign, forLoop, ifThen, instantiate, kernelOf, runMap, seq, store } from "./harness.js";

const f32 = Math.fround;
const FLOATS = [1.5, -2.25, 0, -0, 3e10, -7.75, NaN, Infinity, 0.1, 100];
const FLOATS_B = [0.5, 4, -3, 0, 2, -7.75, 1, -Infinity, 0.3, NaN];

function sameFloat(got: unknown, want: number, message: string): void {
  assert.ok(
    Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)),
    `${message}: got ${String(got)}, want ${want}`,
  );
}

const FLOAT_OPS: Readonly<Partial<Record<BinaryOp, (a: number, b: number) => number>>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // ONNX Min/Max propagate NaN, as wasm's min/max do.
  min: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  max: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
};

describe("float arithmetic", () => {
  for (const [op, reference] of Object.entries(FLOAT_OPS) as [BinaryOp, (a: number, b: number) => number][]) {
    for (const [dtype, vector] of [
      ["float32", false],
      ["float32", true],
      ["float64", false],
    ] as const) {
      it(`${op} ${dtype}${vector ? " x4" : ""}`, () => {
        const round = dtype === "float32" ? f32 : (x: number) => x;
        const a = FLOATS.map(round);
        const b = FLOATS_B.map(round);
        const got = runMap(
          [
            { dtype, values: a },
            { dtype, values: b },
          ],
          dtype,
          (x, y) => binary(op, x, y),
          vector,
        );
        a.forEach((x, index) => sameFloat(got[index], round(reference(x, b[index])), `${op}(${x}, ${b[index]})`));
      });
    }
  }
  it("unary float ops agree between f32, f32x4 and f64", () => {
    const values = [2.5, -2.5, 3.5, -0.4, 0.6, 16, -0, 1e-3].map(f32);
    for (const op of ["neg", "abs", "sqrt", "floor", "ceil", "trunc", "round"] as const) {
      const scalar = runMap([{ dtype: "float32", values }], "float32", (x) => unary(op, x));
      const vector = runMap([{ dtype: "float32", values }], "float32", (x) => unary(op, x), true);
      const wide = runMap([{ dtype: "float64", values }], "float64", (x) => unary(op, x));
      values.forEach((_, index) => {
        sameFloat(vector[index], scalar[index] as number, `${op} vector vs scalar`);
        sameFloat(f32(wide[index] as number), scalar[index] as number, `${op} f64 vs f32`);
      });
    }
  });
});

const INT32 = [7, -7, 2147483647, -2147483648, 0, 13, -1, 100];
const INT32_B = [2, 2, 1, -1, 0, -4, 0, 7];

describe("int32 and uint32", () => {
  const cases: [BinaryOp, (a: number, b: number) => number][] = [
    ["add", (a, b) => (a + b) | 0],
    ["sub", (a, b) => (a - b) | 0],
    ["mul", (a, b) => Math.imul(a, b)],
    ["div", (a, b) => (b === 0 ? 0 : b === -1 ? -a | 0 : Math.trunc(a / b))],
    ["rem", (a, b) => (b === 0 ? 0 : (a % b) | 0)],
    ["min", Math.min],
    ["max", Math.max],
    ["and", (a, b) => a & b],
    ["or", (a, b) => a | b],
    ["xor", (a, b) => a ^ b],
    ["shl", (a, b) => a << b],
    ["shr", (a, b) => a >> b],
  ];
  for (const [op, reference] of cases) {
    it(`${op}: scalar and vector match JS (division by zero gives 0, INT_MIN / -1 wraps)`, () => {
      for (const vector of [false, true]) {
        const got = runMap(
          [
            { dtype: "int32", values: INT32 },
            { dtype: "int32", values: INT32_B },
          ],
          "int32",
          (x, y) => binary(op, x, y),
          vector,
        );
        assert.deepEqual(
          got,
          INT32.map((a, index) => reference(a, INT32_B[index]) | 0),
          `${op} vector=${vector}`,
        );
      }
    });
  }
  it("uint32 uses unsigned div, rem, shr, compare and conversion", () => {
    const a = [4294967295, 2147483648, 10, 7];
    const b = [2, 3, 0, 4294967295];
    const values = [
      { dtype: "uint32" as const, values: a },
      { dtype: "uint32" as const, values: b },
    ];
    for (const vector of [false, true]) {
      assert.deepEqual(
        runMap(values, "uint32", (x, y) => binary("div", x, y), vector),
        [2147483647, 715827882, 0, 0],
      );
      assert.deepEqual(
        runMap(values, "uint32", (x, y) => binary("rem", x, y), vector),
        [1, 2, 0, 7],
      );
      assert.deepEqual(
        runMap(values, "uint32", (x, y) => binary("max", x, y), vector),
        [4294967295, 2147483648, 10, 4294967295],
      );
      assert.deepEqual(
        runMap(values, "uint32", (x) => binary("shr", x, constant(4, "uint32")), false),
        [268435455, 134217728, 0, 0],
      );
      assert.deepEqual(
        runMap(values, "bool", (x, y) => cast(compare("lt", x, y), "bool"), false),
        [0, 0, 0, 1],
      );
      assert.deepEqual(
        runMap(values, "float32", (x) => cast(x, "float32"), vector),
        a.map(f32),
      );
    }
  });
  it("int pow by squaring", () => {
    const got = runMap(
      [
        { dtype: "int32", values: [2, -3, 5, 1, -1, -1, 7, 0] },
        { dtype: "int32", values: [10, 3, 0, -5, -3, -4, -1, 0] },
      ],
      "int32",
      (x, y) => binary("pow", x, y),
    );
    assert.deepEqual(got, [1024, -27, 1, 1, -1, 1, 0, 1]);
  });
  it("compares and selects, scalar and vector", () => {
    for (const op of ["eq", "ne", "lt", "le", "gt", "ge"] as CompareOp[]) {
      const reference = {
        eq: (a: number, b: number) => a === b,
        ne: (a: number, b: number) => a !== b,
        lt: (a: number, b: number) => a < b,
        le: (a: number, b: number) => a <= b,
        gt: (a: number, b: number) => a > b,
        ge: (a: number, b: number) => a >= b,
      }[op];
      for (const vector of [false, true]) {
        const got = runMap(
          [
            { dtype: "int32", values: INT32 },
            { dtype: "int32", values: INT32_B },
          ],
          "int32",
          (x, y) => select(compare(op, x, y), x, y),
          vector,
        );
        assert.deepEqual(
          got,
          INT32.map((a, index) => (reference(a, INT32_B[index]) ? a : INT32_B[index])),
          `${op} vector=${vector}`,
        );
        const floats = runMap(
          [
            { dtype: "float32", values: FLOATS.map(f32) },
            { dtype: "float32", values: FLOATS_B.map(f32) },
          ],
          "float32",
          (x, y) => select(compare(op, x, y), x, y),
          vector,
        );
        floats.forEach((value, index) =>
          sameFloat(
            value,
            reference(f32(FLOATS[index]), f32(FLOATS_B[index])) ? f32(FLOATS[index]) : f32(FLOATS_B[index]),
            `${op} float`,
          ),
        );
      }
    }
  });
});

describe("narrow integers and bool", () => {
  const narrow: [DType, number[], (x: number) => number][] = [
    ["int8", [127, -128, 5, -1], (x) => (x << 24) >> 24],
    ["uint8", [255, 0, 5, 128], (x) => x & 0xff],
    ["int16", [32767, -32768, 300, -1], (x) => (x << 16) >> 16],
    ["uint16", [65535, 0, 300, 32768], (x) => x & 0xffff],
  ];
  for (const [dtype, values, wrap] of narrow) {
    it(`${dtype}: load with extension, arithmetic wraps before compares and stores`, () => {
      const ones = values.map(() => 1);
      const input = [
        { dtype, values },
        { dtype, values: ones },
      ];
      assert.deepEqual(
        runMap(input, dtype, (x, y) => add(x, y)),
        values.map((x) => wrap(x + 1)),
      );
      assert.deepEqual(
        runMap(input, "int32", (x, y) => cast(add(x, y), "int32")),
        values.map((x) => wrap(x + 1)),
      );
      assert.deepEqual(
        runMap(input, "bool", (x, y) => compare("gt", add(x, y), x)),
        values.map((x) => (wrap(x + 1) > x ? 1 : 0)),
      );
      assert.deepEqual(
        runMap(input, dtype, (x, y) => binary("mul", x, add(y, y))),
        values.map((x) => wrap(x * 2)),
      );
      assert.deepEqual(
        runMap(input, "float32", (x) => cast(x, "float32")),
        values,
      );
    });
  }
  it("bool: compare, not, and/or, casts to and from bool", () => {
    const a = [1, 0, 1, 0];
    const b = [1, 1, 0, 0];
    const input = [
      { dtype: "bool" as const, values: a },
      { dtype: "bool" as const, values: b },
    ];
    assert.deepEqual(
      runMap(input, "bool", (x, y) => binary("and", x, y)),
      [1, 0, 0, 0],
    );
    assert.deepEqual(
      runMap(input, "bool", (x, y) => binary("or", x, y)),
      [1, 1, 1, 0],
    );
    assert.deepEqual(
      runMap(input, "bool", (x) => unary("not", x)),
      [0, 1, 0, 1],
    );
    assert.deepEqual(
      runMap(input, "float32", (x) => cast(x, "float32")),
      [1, 0, 1, 0],
    );
    assert.deepEqual(
      runMap([{ dtype: "float32", values: [0, -0, NaN, 0.25] }], "bool", (x) => cast(x, "bool")),
      [0, 0, 1, 1],
    );
    assert.deepEqual(
      runMap([{ dtype: "float32", values: [0, -0, NaN, 0.25] }], "bool", (x) => cast(x, "bool"), true),
      [0, 0, 1, 1],
    );
    assert.deepEqual(
      runMap([{ dtype: "int64", values: [0n, 1n, -1n, 1n << 40n] }], "bool", (x) => cast(x, "bool")),
      [0, 1, 1, 1],
    );
  });
});

describe("int64 and uint64", () => {
  const a = [1n << 40n, -(1n << 62n), 9007199254740993n, -7n];
  const b = [3n, -1n, 0n, 2n];
  const input = [
    { dtype: "int64" as const, values: a },
    { dtype: "int64" as const, values: b },
  ];
  it("arithmetic wraps in 64 bits, division guarded", () => {
    assert.deepEqual(
      runMap(input, "int64", (x, y) => add(x, y)),
      a.map((x, i) => BigInt.asIntN(64, x + b[i])),
    );
    assert.deepEqual(
      runMap(input, "int64", (x) => mul(x, x)),
      a.map((x) => BigInt.asIntN(64, x * x)),
    );
    assert.deepEqual(
      runMap(input, "int64", (x, y) => binary("div", x, y)),
      [(1n << 40n) / 3n, 1n << 62n, 0n, -3n],
    );
    assert.deepEqual(
      runMap(input, "int64", (x, y) => binary("rem", x, y)),
      [(1n << 40n) % 3n, 0n, 0n, -1n],
    );
    assert.deepEqual(
      runMap(input, "int64", (x) => binary("shr", x, constant(1n, "int64"))),
      a.map((x) => x >> 1n),
    );
    assert.deepEqual(
      runMap(input, "int64", (x, y) => binary("min", x, y)),
      a.map((x, i) => (x < b[i] ? x : b[i])),
    );
  });
  it("uint64 is unsigned; casts with int32 and floats", () => {
    const big = [18446744073709551615n, 1n << 63n, 10n, 0n];
    const unsigned = [{ dtype: "uint64" as const, values: big }];
    assert.deepEqual(
      runMap(unsigned, "uint64", (x) => binary("shr", x, constant(60n, "uint64"))),
      [15n, 8n, 0n, 0n],
    );
    assert.deepEqual(
      runMap(unsigned, "float64", (x) => cast(x, "float64")),
      big.map(Number),
    );
    assert.deepEqual(
      runMap([{ dtype: "int32", values: [-1, 5, -2147483648, 0] }], "int64", (x) => cast(x, "int64")),
      [-1n, 5n, -2147483648n, 0n],
    );
    assert.deepEqual(
      runMap([{ dtype: "uint32", values: [4294967295, 5, 0, 1] }], "int64", (x) => cast(x, "int64")),
      [4294967295n, 5n, 0n, 1n],
    );
    assert.deepEqual(
      runMap(input, "int32", (x) => cast(x, "int32")),
      a.map((x) => Number(BigInt.asIntN(32, x))),
    );
    assert.deepEqual(
      runMap([{ dtype: "float64", values: [1e30, -2.9, NaN, 3.9] }], "int64", (x) => cast(x, "int64")),
      [9223372036854775807n, -2n, 0n, 3n],
    );
  });
});

describe("casts (ONNX semantics, saturating, never trapping)", () => {
  it("float → integer truncates; NaN gives 0; out of range saturates then wraps", () => {
    const values = [2.9, -2.9, NaN, 1e20, -1e20, 300.5, -0.5, 65535.9];
    for (const vector of [false, true]) {
      assert.deepEqual(
        runMap([{ dtype: "float32", values }], "int32", (x) => cast(x, "int32"), vector),
        [2, -2, 0, 2147483647, -2147483648, 300, 0, 65535],
      );
      assert.deepEqual(
        runMap([{ dtype: "float32", values }], "uint32", (x) => cast(x, "uint32"), vector),
        [2, 0, 0, 4294967295, 0, 300, 0, 65535],
      );
    }
    assert.deepEqual(
      runMap([{ dtype: "float32", values }], "uint8", (x) => cast(x, "uint8")),
      [2, 254, 0, 255, 0, 44, 0, 255],
    );
    assert.deepEqual(
      runMap([{ dtype: "float64", values }], "int8", (x) => cast(x, "int8")),
      [2, -2, 0, -1, 0, 44, 0, -1],
    );
  });
  it("int → float rounds to nearest; f32 ↔ f64", () => {
    assert.deepEqual(
      runMap([{ dtype: "int32", values: [16777217, -3, 0, 2147483647] }], "float32", (x) => cast(x, "float32"), true),
      [16777216, -3, 0, 2147483648],
    );
    assert.deepEqual(
      runMap([{ dtype: "float64", values: [0.1, 1e300, -1e-300, 1 / 3] }], "float32", (x) => cast(x, "float32")),
      [f32(0.1), Infinity, -0, f32(1 / 3)],
    );
    assert.deepEqual(
      runMap([{ dtype: "float32", values: [0.1, -2] }], "float64", (x) => cast(x, "float64")),
      [f32(0.1), -2],
    );
    assert.deepEqual(
      runMap([{ dtype: "int8", values: [-5, 127] }], "float64", (x) => cast(x, "float64")),
      [-5, 127],
    );
    assert.deepEqual(
      runMap([{ dtype: "int32", values: [-1, 256, 300, 65536] }], "uint8", (x) => cast(x, "uint8")),
      [255, 0, 44, 0],
    );
  });
});

describe("vector memory access", () => {
  it("strided gather, broadcast load, scatter and a vectorized expression equal the scalar kernel", () => {
    const size = 32;
    const input = makeBuffer("input", "float32", size * 2, "global");
    const weights = makeBuffer("weights", "float32", 1, "global");
    const scalarOut = makeBuffer("scalar_out", "float32", size, "global");
    const vectorOut = makeBuffer("vector_out", "float32", size * 2, "global");
    const i = makeVar("i");
    const j = makeVar("j");
    const scale = load(weights, int(0));
    const scalarBody = (x: Expr, w: Expr): Expr => {
      const value = binary("max", binary("mul", x, w), unary("neg", x));
      return select(
        compare("gt", value, cast(cast(x, "int32"), x.dtype)),
        unary("sqrt", unary("abs", value)),
        unary("floor", x),
      );
    };
    const scalarKernel = kernelOf(
      "scalar",
      forLoop(i, size, store(scalarOut, i, scalarBody(load(input, mul(i, int(2))), scale)), "parallel"),
      [input, weights, scalarOut],
    );
    const strided = ramp(mul(j, int(8)), 2, 4);
    const vectorKernel = kernelOf(
      "vector",
      forLoop(
        j,
        size / 4,
        store(
          vectorOut,
          ramp(mul(j, int(8)), 2, 4),
          scalarBody(load(input, strided), load(weights, broadcast(int(0), 4))),
        ),
        "parallel",
      ),
      [input, weights, vectorOut],
    );
    const instance = instantiate([scalarKernel, vectorKernel]);
    instance.write(
      input,
      Array.from({ length: size * 2 }, (_, k) => (k % 7) - 3.3 + k * 0.25),
    );
    instance.write(weights, [-1.75]);
    instance.exports.scalar(0, size);
    instance.exports.vector(0, size / 4);
    const scalar = instance.read(scalarOut);
    const vector = instance.read(vectorOut).filter((_, k) => k % 2 === 0);
    assert.deepEqual(vector, scalar);
    assert.ok(scalar.some((value) => value !== 0));
  });
});

describe("kernel structure", () => {
  it("task loop runs exactly [first, first + count), clamped to its extent", () => {
    const out = makeBuffer("out", "int32", 16, "global");
    const t = makeVar("t");
    const kernel = kernelOf("tasks", forLoop(t, 16, store(out, t, add(t, int(100))), "parallel"), [out]);
    const instance = instantiate([kernel]);
    instance.exports.tasks(3, 4);
    instance.exports.tasks(10, 0);
    instance.exports.tasks(14, 50);
    const expected = Array.from({ length: 16 }, (_, k) => ((k >= 3 && k < 7) || k >= 14 ? k + 100 : 0));
    assert.deepEqual(instance.read(out), expected);
  });
  it("a kernel without a parallel loop runs once when count > 0", () => {
    const out = makeBuffer("out", "int32", 1, "global");
    const kernel = kernelOf("once", store(out, int(0), add(load(out, int(0)), int(1))), [out]);
    const instance = instantiate([kernel]);
    instance.exports.once(0, 0);
    instance.exports.once(0, 1);
    instance.exports.once(0, 5);
    assert.deepEqual(instance.read(out), [2]);
  });
  it("accumulators (assign), nested loops, if/else, a variable extent and constant index offsets", () => {
    const rows = 5;
    const columns = 6;
    const matrix = makeBuffer("matrix", "float64", rows * columns, "global");
    const sums = makeBuffer("sums", "float64", rows, "global");
    const r = makeVar("r");
    const c = makeVar("c");
    const total = makeVar("total", "float64");
    const limit = makeVar("limit");
    // Row r sums columns [0, r + 1) of matrix, shifted: index (r*6 + c - 1) + 1 folds the constants.
    const element = load(matrix, add(sub(add(mul(r, int(columns)), c), int(1)), int(1)));
    const body = seq(
      assign(total, constant(0, "float64")),
      assign(limit, add(r, int(1))),
      forLoop(c, limit, assign(total, add(total, element))),
      ifThen(compare("gt", total, constant(10, "float64")), store(sums, r, total), store(sums, r, unary("neg", total))),
    );
    const kernel = kernelOf("row_sums", forLoop(r, rows, body, "parallel"), [matrix, sums]);
    const instance = instantiate([kernel]);
    const values = Array.from({ length: rows * columns }, (_, k) => k * 0.5);
    instance.write(matrix, values);
    instance.exports.row_sums(0, rows);
    const expected = Array.from({ length: rows }, (_, row) => {
      let sum = 0;
      for (let col = 0; col <= row; col++) sum += values[row * columns + col];
      return sum > 10 ? sum : -sum;
    });
    assert.deepEqual(instance.read(sums), expected);
  });
  it("a negative dynamic index part with a positive constant does not trap", () => {
    const input = makeBuffer("input", "int32", 8, "global");
    const out = makeBuffer("out", "int32", 8, "global");
    const i = makeVar("i");
    const k = makeVar("k");
    // (k - 3) + 3 where k is an accumulator (not known non-negative): must not fold into the offset.
    const body = seq(assign(k, sub(i, int(3))), store(out, i, load(input, add(k, int(3)))));
    const kernel = kernelOf("shifted", forLoop(i, 8, body, "parallel"), [input, out]);
    const instance = instantiate([kernel]);
    instance.write(input, [10, 11, 12, 13, 14, 15, 16, 17]);
    instance.exports.shifted(0, 8);
    assert.deepEqual(instance.read(out), [10, 11, 12, 13, 14, 15, 16, 17]);
  });
});
