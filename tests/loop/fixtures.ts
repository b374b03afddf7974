/**
 * Hand-built TE kernels shared by the loop and schedule tests, with their
 * expected outputs computed directly in JavaScript.
 */
import {
  type Expr,
  add,
  binary,
  compare,
  constant,
  int,
  makeIterVar,
  mul,
  reduce,
  select,
  tload,
  unary,
} from "../../src/te/expr.js";
import { type TeTensor, compute, placeholder } from "../../src/te/tensor.js";
import { type Buffer, makeBuffer } from "../../src/loop/ir.js";
import { type LowerRequest, lowerToLoops } from "../../src/loop/lower-te.js";
import type { LoopNest } from "../../src/loop/nest.js";
import type { TypedArray } from "../../src/support/dtype.js";

export interface Fixture {
  readonly request: LowerRequest;
  readonly inputData: ReadonlyMap<Buffer, Float32Array>;
  readonly output: Buffer;
  readonly expected: Float32Array;
  lower(): LoopNest;
}

/** Deterministic values in [-1, 1). */
export function randomValues(size: number, seed: number): Float32Array {
  let state = seed >>> 0 || 1;
  const values = new Float32Array(size);
  for (let index = 0; index < size; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[index] = state / 2 ** 31 - 1;
  }
  return values;
}

function fixture(
  name: string,
  inputs: readonly [TeTensor, Float32Array][],
  output: TeTensor,
  expected: Float32Array,
): Fixture {
  const buffers = new Map<TeTensor, Buffer>();
  const inputData = new Map<Buffer, Float32Array>();
  inputs.forEach(([tensor, data], index) => {
    const buffer = makeBuffer(tensor.name, tensor.dtype, data.length, "global", index);
    buffers.set(tensor, buffer);
    inputData.set(buffer, data);
  });
  const size = output.shape.reduce((product, extent) => product * extent, 1);
  const outputBuffer = makeBuffer(output.name, output.dtype, size, "global", 99);
  const request: LowerRequest = { name, outputs: [{ tensor: output, buffer: outputBuffer }], inputs: buffers };
  return { request, inputData, output: outputBuffer, expected, lower: () => lowerToLoops(request) };
}

/** out = relu(x * 2 + y) over [rows, columns]. */
export function elementwiseFixture(rows: number, columns: number): Fixture {
  const x = placeholder("x", "float32", [rows, columns]);
  const y = placeholder("y", "float32", [rows, columns]);
  const scaled = compute("scaled", [rows, columns], ([i, j]) => mul(tload(x, [i!, j!]), constant(2, "float32")));
  const summed = compute("summed", [rows, columns], ([i, j]) => add(tload(scaled, [i!, j!]), tload(y, [i!, j!])));
  const out = compute(
    "out",
    [rows, columns],
    ([i, j]) => binary("max", tload(summed, [i!, j!]), constant(0, "float32")),
    ["i", "j"],
  );
  const xData = randomValues(rows * columns, 1);
  const yData = randomValues(rows * columns, 2);
  const expected = new Float32Array(rows * columns);
  for (let index = 0; index < expected.length; index++) {
    expected[index] = Math.max(Math.fround(Math.fround(xData[index]! * 2) + yData[index]!), 0);
  }
  return fixture(
    "elementwise",
    [
      [x, xData],
      [y, yData],
    ],
    out,
    expected,
  );
}

/** out = relu(a @ b + bias), a: [m, k], b: [k, n], bias: [n]. */
export function matmulFixture(m: number, n: number, k: number): Fixture {
  const a = placeholder("a", "float32", [m, k]);
  const b = placeholder("b", "float32", [k, n]);
  const bias = placeholder("bias", "float32", [n]);
  const reduction = makeIterVar("k", k);
  const product = compute(
    "matmul",
    [m, n],
    ([i, j]) => reduce("sum", [reduction], mul(tload(a, [i!, reduction.variable]), tload(b, [reduction.variable, j!]))),
    ["i", "j"],
  );
  const biased = compute("biased", [m, n], ([i, j]) => add(tload(product, [i!, j!]), tload(bias, [j!])), ["i", "j"]);
  const out = compute("out", [m, n], ([i, j]) => binary("max", tload(biased, [i!, j!]), constant(0, "float32")), [
    "i",
    "j",
  ]);
  const [aData, bData, biasData] = [randomValues(m * k, 3), randomValues(k * n, 4), randomValues(n, 5)];
  const expected = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let r = 0; r < k; r++) sum = Math.fround(sum + Math.fround(aData[i * k + r]! * bData[r * n + j]!));
      expected[i * n + j] = Math.max(Math.fround(sum + biasData[j]!), 0);
    }
  }
  return fixture(
    "matmul_bias_relu",
    [
      [a, aData],
      [b, bData],
      [bias, biasData],
    ],
    out,
    expected,
  );
}

/** Softmax over the last axis of [rows, columns], built as TE defines it: max, exp, sum, divide. */
export function softmaxFixture(rows: number, columns: number): Fixture {
  const x = placeholder("x", "float32", [rows, columns]);
  const maxAxis = makeIterVar("k", columns);
  const rowMax = compute("row_max", [rows], ([i]) => reduce("max", [maxAxis], tload(x, [i!, maxAxis.variable])), ["r"]);
  const exps = compute("exps", [rows, columns], ([i, j]) =>
    unary("exp", binary("sub", tload(x, [i!, j!]), tload(rowMax, [i!]))),
  );
  const sumAxis = makeIterVar("k", columns);
  const rowSum = compute("row_sum", [rows], ([i]) => reduce("sum", [sumAxis], tload(exps, [i!, sumAxis.variable])), [
    "r",
  ]);
  const out = compute(
    "softmax",
    [rows, columns],
    ([i, j]) => binary("div", tload(exps, [i!, j!]), tload(rowSum, [i!])),
    ["r", "c"],
  );
  const xData = randomValues(rows * columns, 6);
  const expected = new Float32Array(rows * columns);
  for (let i = 0; i < rows; i++) {
    const row = xData.subarray(i * columns, (i + 1) * columns);
    const maximum = Math.max(...row);
    const exponentials = Array.from(row, (value) => Math.exp(value - maximum));
    const total = exponentials.reduce((sum, value) => sum + value, 0);
    exponentials.forEach((value, j) => (expected[i * columns + j] = value / total));
  }
  return fixture("softmax", [[x, xData]], out, expected);
}

/** A zero-padded 1-D convolution over [channels, width] with kernel 3 (pad 1): the select/clamp pattern. */
export function paddedConvFixture(channels: number, width: number): Fixture {
  const x = placeholder("x", "float32", [channels, width]);
  const w = placeholder("w", "float32", [channels, 3]);
  const padded = compute("padded", [channels, width + 2], ([c, p]) => {
    const inside = binary("and", compare("ge", p!, int(1)), compare("le", p!, int(width)));
    const clamped = binary("min", binary("max", binary("sub", p!, int(1)), int(0)), int(width - 1));
    return select(inside, tload(x, [c!, clamped]), constant(0, "float32"));
  });
  const channel = makeIterVar("rc", channels);
  const tap = makeIterVar("rk", 3);
  const out = compute(
    "conv",
    [width],
    ([o]) => {
      const value: Expr = mul(
        tload(padded, [channel.variable, add(o!, tap.variable)]),
        tload(w, [channel.variable, tap.variable]),
      );
      return reduce("sum", [channel, tap], value);
    },
    ["ow"],
  );
  const [xData, wData] = [randomValues(channels * width, 7), randomValues(channels * 3, 8)];
  const expected = new Float32Array(width);
  for (let o = 0; o < width; o++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      for (let t = 0; t < 3; t++) {
        const position = o + t - 1;
        const value = position >= 0 && position < width ? xData[c * width + position]! : 0;
        sum = Math.fround(sum + Math.fround(value * wData[c * 3 + t]!));
      }
    }
    expected[o] = sum;
  }
  return fixture(
    "conv1d",
    [
      [x, xData],
      [w, wData],
    ],
    out,
    expected,
  );
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  for (let index = 0; index < actual.length; index++) {
    const difference = Math.abs(actual[index]! - expected[index]!);
    if (!(difference <= tolerance * Math.max(1, Math.abs(expected[index]!)))) {
      throw new Error(`element ${index}: ${actual[index]} vs expected ${expected[index]}`);
    }
  }
}

/** Interprets a nest or kernel body on the fixture's inputs and returns the output buffer's contents. */
export function runOn(fixture: Fixture, run: (buffers: Map<Buffer, TypedArray>) => void): Float32Array {
  const buffers = new Map<Buffer, TypedArray>();
  for (const [buffer, data] of fixture.inputData) buffers.set(buffer, data.slice());
  const output = new Float32Array(fixture.output.size).fill(Number.NaN);
  buffers.set(fixture.output, output);
  run(buffers);
  return output;
}
