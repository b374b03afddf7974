/**
 * Default schedules of memory-bound kernels: data movement vectorizes along
 * the innermost axis whatever its extent, and factored reductions (softmax,
 * layer norm) keep vector accumulators. Each kernel is checked against
 * values computed in JavaScript, through the loop interpreter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type Expr, binary, compare, constant, int, select, tload, unary } from "../../src/te/expr.js";
import { type TeTensor, compute, placeholder } from "../../src/te/tensor.js";
import { type Buffer, makeBuffer } from "../../src/loop/ir.js";
import { lowerToLoops } from "../../src/loop/lower-te.js";
import { interpretKernel } from "../../src/loop/interpret-loop.js";
import { printKernel } from "../../src/loop/print-loop.js";
import { stmtProblems, verifyKernel } from "../../src/loop/verify-loop.js";
import type { TypedArray } from "../../src/support/dtype.js";
import type { PatternKind } from "../../src/te/op.js";
import { defaultSchedule } from "../../src/schedule/default-schedule.js";
import { scheduleKernel } from "../../src/schedule/finalize.js";
import { factoredReduction } from "../../src/te/ops/math/normalization.js";
import { assertClose, randomValues } from "../loop/fixtures.js";

/** Lowers, schedules and interprets `output`; returns the kernel text and the output values. */
function run(
  inputs: readonly [TeTensor, Float32Array][],
  output: TeTensor,
  pattern: PatternKind,
): { text: string; values: Float32Array; tasks: number } {
  const buffers = new Map<TeTensor, Buffer>();
  const data = new Map<Buffer, TypedArray>();
  inputs.forEach(([tensor, values], index) => {
    const buffer = makeBuffer(tensor.name, tensor.dtype, values.length, "global", index);
    buffers.set(tensor, buffer);
    data.set(buffer, values.slice());
  });
  const size = output.shape.reduce((product, extent) => product * extent, 1);
  const outputBuffer = makeBuffer(output.name, output.dtype, size, "global", 99);
  const nest = lowerToLoops({ name: "kernel", outputs: [{ tensor: output, buffer: outputBuffer }], inputs: buffers });
  const kernel = scheduleKernel(nest, defaultSchedule(nest, pattern), (pass, body) =>
    assert.deepEqual(stmtProblems(body), [], `after ${pass}`),
  );
  verifyKernel(kernel);
  const values = new Float32Array(size).fill(Number.NaN);
  data.set(outputBuffer, values);
  interpretKernel(kernel, data);
  return { text: printKernel(kernel), values, tasks: kernel.taskExtent };
}

/** Concat along axis 0 of two [half, height, width] tensors, as nn-ops builds it (clamped loads, a select). */
function concatCase(half: number, height: number, width: number): void {
  const a = placeholder("a", "float32", [half, height, width]);
  const b = placeholder("b", "float32", [half, height, width]);
  const out = compute("out", [2 * half, height, width], ([c, h, w]) => {
    const low = tload(a, [binary("min", c!, int(half - 1)), h!, w!]);
    const high = tload(b, [binary("max", binary("sub", c!, int(half)), int(0)), h!, w!]);
    return select(compare("lt", c!, int(half)), low, high);
  });
  const size = half * height * width;
  const aData = randomValues(size, 3);
  const bData = randomValues(size, 4);
  const { text, values } = run(
    [
      [a, aData],
      [b, bData],
    ],
    out,
    "injective",
  );
  assertClose(values, [...aData, ...bData]);
  if (width >= 4) assert.match(text, /out\[ramp\(/, text);
}

test("concat with rows that 4 does not divide: vectorized rows with an overlapping last step", () => {
  concatCase(64, 55, 55);
  concatCase(3, 5, 7);
  concatCase(2, 3, 3);
});

test("transpose that keeps the last axis: contiguous vector loads, no gathers", () => {
  const [heads, tokens, depth] = [4, 32, 16];
  const x = placeholder("x", "float32", [tokens, heads, depth]);
  const out = compute("out", [heads, tokens, depth], ([h, t, d]) => tload(x, [t!, h!, d!]));
  const data = randomValues(heads * tokens * depth, 5);
  const { text, values } = run([[x, data]], out, "injective");
  const expected = new Float32Array(data.length);
  for (let h = 0; h < heads; h++)
    for (let t = 0; t < tokens; t++)
      for (let d = 0; d < depth; d++) expected[(h * tokens + t) * depth + d] = data[(t * heads + h) * depth + d]!;
  assertClose(values, expected);
  assert.match(text, /x\[ramp\([^\]]*, 1, 4\)\]/, text);
  assert.doesNotMatch(text, /x\[ramp\([^\]]*, (?!1, 4\))\d+, 4\)\]/, text);
});

test("a transpose that gathers across lines sweeps its rows chunk by chunk", () => {
  // NHWC → NCHW of [1, 200, 64]: each output row (a channel) reads one element of every pixel's line.
  const [pixels, channels] = [200, 64];
  const x = placeholder("x", "float32", [pixels, channels]);
  const out = compute("out", [channels, pixels], ([c, p]) => tload(x, [p!, c!]));
  const data = randomValues(pixels * channels, 8);
  const { text, values } = run([[x, data]], out, "injective");
  const expected = new Float32Array(data.length);
  for (let c = 0; c < channels; c++)
    for (let p = 0; p < pixels; p++) expected[c * pixels + p] = data[p * channels + c]!;
  assertClose(values, expected);
  // The chunk loop (8 vector steps) runs outside the task's rows, the steps inside them.
  const chunk = text.search(/for \S+\.outer\.outer\S* in 0\.\./);
  const rows = text.search(/for \S+\.inner in 0\.\./);
  const steps = text.search(/for \S+\.outer\.inner in 0\.\.8 /);
  assert.ok(chunk >= 0 && rows > chunk && steps > rows, text);
});

/** out[r, c] = x[r, c] − max over c, normalized by the mean of x: two factored reductions feeding one output. */
function factoredCase(rows: number, columns: number): { text: string } {
  const x = placeholder("x", "float32", [rows, columns]);
  const load = (indices: readonly Expr[]): Expr => tload(x, indices);
  const maximum = factoredReduction({ name: "mx", shape: x.shape, axes: [1], keepDims: true, op: "max", body: load });
  const mean = factoredReduction({
    name: "mean",
    shape: x.shape,
    axes: [1],
    keepDims: true,
    op: "sum",
    body: (indices) => unary("abs", load(indices)),
    epilogue: (sum) => binary("div", sum, constant(columns, "float32")),
  });
  const out = compute("out", x.shape, ([r, c]) =>
    binary("div", binary("sub", load([r!, c!]), tload(maximum, [r!, int(0)])), tload(mean, [r!, int(0)])),
  );
  const data = randomValues(rows * columns, 6);
  const { text, values } = run([[x, data]], out, "reduction");
  const expected = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * columns, (r + 1) * columns);
    const top = Math.max(...row);
    const average = row.reduce((sum, value) => sum + Math.abs(value), 0) / columns;
    row.forEach((value, c) => (expected[r * columns + c] = (value - top) / average));
  }
  assertClose(values, expected, 1e-4);
  return { text };
}

test("factored reductions: vector partial accumulators per row, then 4 partials combined", () => {
  const { text } = factoredCase(6, 32);
  assert.match(text, /mx_part\[ramp\(/, text);
  assert.match(text, /mean_part\[ramp\(/, text);
  assert.match(text, /acc = broadcast\(-inf, 4\)/, text);
  assert.match(text, /for lane in 0\.\.8 \{/, "32 columns: 8 partial lanes of 4 steps");
  factoredCase(3, 12);
  factoredCase(2, 6);
  factoredCase(5, 1);
});

test("long rows reduce into 16 partial lanes: four independent vector chains", () => {
  const { text } = factoredCase(4, 128);
  assert.match(text, /for lane in 0\.\.16 \{/, text);
  assert.doesNotMatch(factoredCase(3, 500).text, /for lane in 0\.\.(8|16) \{/, "500 columns: only 4 divides");
});

test("a split's outputs each copy whole vectors", () => {
  // x: [3, 16] split along its last axis into [3, 8] halves, one loop nest per output.
  const x = placeholder("x", "float32", [3, 16]);
  const low = compute("low", [3, 8], ([r, c]) => tload(x, [r!, c!]));
  const high = compute("high", [3, 8], ([r, c]) => tload(x, [r!, binary("add", c!, int(8))]));
  const input = makeBuffer("x", "float32", 48, "global", 0);
  const lowBuffer = makeBuffer("low", "float32", 24, "global", 1);
  const highBuffer = makeBuffer("high", "float32", 24, "global", 2);
  const nest = lowerToLoops({
    name: "split",
    outputs: [
      { tensor: low, buffer: lowBuffer },
      { tensor: high, buffer: highBuffer },
    ],
    inputs: new Map([[x, input]]),
  });
  const kernel = scheduleKernel(nest, defaultSchedule(nest, "injective"));
  verifyKernel(kernel);
  const text = printKernel(kernel);
  assert.match(text, /low\[ramp\(/, text);
  assert.match(text, /high\[ramp\(/, text);
  const xData = randomValues(48, 7);
  const lowData = new Float32Array(24).fill(Number.NaN);
  const highData = new Float32Array(24).fill(Number.NaN);
  interpretKernel(
    kernel,
    new Map<Buffer, TypedArray>([
      [input, xData],
      [lowBuffer, lowData],
      [highBuffer, highData],
    ]),
  );
  for (let row = 0; row < 3; row++) {
    assertClose(lowData.subarray(row * 8, row * 8 + 8), xData.subarray(row * 16, row * 16 + 8));
    assertClose(highData.subarray(row * 8, row * 8 + 8), xData.subarray(row * 16 + 8, row * 16 + 16));
  }
});
