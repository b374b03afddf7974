/**
 * Shared by the math tests: builds `out[i] = op(in[i])` kernels (scalar
 * f32/f64 and vectorized f32x4) and evaluates them on arrays of inputs.
 */
import { makeBuffer, type Buffer } from "../../src/loop/ir.js";
import {
  binary,
  int,
  load,
  makeVar,
  mul,
  ramp,
  unary,
  type BinaryOp,
  type UnaryOp,
  type Expr,
} from "../../src/te/expr.js";
import type { DType } from "../../src/support/dtype.js";
import { forLoop, instantiate, kernelOf, store } from "./harness.js";

export type MathVariant = "f32" | "f64" | "f32x4";

function elementwise(
  name: string,
  dtype: DType,
  size: number,
  vector: boolean,
  body: (loads: (buffer: Buffer) => Expr) => Expr,
  inputs: Buffer[],
  output: Buffer,
) {
  const index = makeVar("i");
  if (!vector)
    return kernelOf(
      name,
      forLoop(
        index,
        size,
        store(
          output,
          index,
          body((buffer) => load(buffer, index)),
        ),
        "parallel",
      ),
      [...inputs, output],
    );
  const lanes = ramp(mul(index, int(4)), 1, 4);
  return kernelOf(
    name,
    forLoop(
      index,
      size / 4,
      store(
        output,
        lanes,
        body((buffer) => load(buffer, lanes)),
      ),
      "parallel",
    ),
    [...inputs, output],
  );
}

/** Runs op over `values` and returns the results as numbers. */
export function runUnary(op: UnaryOp, variant: MathVariant, values: readonly number[]): number[] {
  const dtype: DType = variant === "f64" ? "float64" : "float32";
  const size = Math.ceil(values.length / 4) * 4;
  const input = makeBuffer("x", dtype, size, "global");
  const output = makeBuffer("y", dtype, size, "global");
  const kernel = elementwise(
    `${op}_${variant}`,
    dtype,
    size,
    variant === "f32x4",
    (read) => unary(op, read(input)),
    [input],
    output,
  );
  const instance = instantiate([kernel]);
  instance.write(input, values);
  instance.exports[kernel.name](0, kernel.taskExtent);
  return (instance.read(output) as number[]).slice(0, values.length);
}

export function runBinary(
  op: BinaryOp,
  variant: MathVariant,
  left: readonly number[],
  right: readonly number[],
): number[] {
  const dtype: DType = variant === "f64" ? "float64" : "float32";
  const size = Math.ceil(left.length / 4) * 4;
  const a = makeBuffer("a", dtype, size, "global");
  const b = makeBuffer("b", dtype, size, "global");
  const output = makeBuffer("y", dtype, size, "global");
  const kernel = elementwise(
    `${op}_${variant}`,
    dtype,
    size,
    variant === "f32x4",
    (read) => binary(op, read(a), read(b)),
    [a, b],
    output,
  );
  const instance = instantiate([kernel]);
  instance.write(a, left);
  instance.write(b, right);
  instance.exports[kernel.name](0, kernel.taskExtent);
  return (instance.read(output) as number[]).slice(0, left.length);
}
