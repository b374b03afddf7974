/**
 * The meaning of one scalar operation, per dtype, as the generated wasm
 * computes it: int32 arithmetic wraps, integer div/rem truncate, float32
 * results round to single precision, narrow integers wrap to their width.
 * Shared by the simplifier's constant folding and the loop interpreter, so
 * both agree with codegen by construction.
 *
 * Values are numbers, except bigints for int64/uint64. A function returns
 * `null` where wasm would trap (integer division by zero, INT_MIN / -1), so
 * a folder can leave such an expression alone.
 */
import type { DType } from "../support/dtype.js";
import { isBigIntType, isFloat } from "../support/dtype.js";
import { unreachable } from "../support/assert.js";
import type { BinaryOp, CompareOp, ReduceOp, UnaryOp } from "../te/expr.js";
import { unaryFunction } from "../te/evaluate-scalar.js";

export type Scalar = number | bigint;

/** Brings a mathematical result into the value set of `dtype` (rounding or wrapping). */
export function wrapToType(value: Scalar, dtype: DType): Scalar {
  if (isBigIntType(dtype)) {
    const big = typeof value === "bigint" ? value : BigInt(Math.trunc(Number(value)));
    return dtype === "int64" ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
  }
  const number = Number(value);
  switch (dtype) {
    case "float32":
      return Math.fround(number);
    case "float64":
      return number;
    case "int32":
      return number | 0;
    case "uint32":
      return number >>> 0;
    case "int16":
      return (number << 16) >> 16;
    case "uint16":
      return number & 0xffff;
    case "int8":
      return (number << 24) >> 24;
    case "uint8":
      return number & 0xff;
    case "bool":
      return number !== 0 ? 1 : 0;
    default:
      return unreachable(dtype as never);
  }
}

export function evalBinary(op: BinaryOp, dtype: DType, a: Scalar, b: Scalar): Scalar | null {
  if (isBigIntType(dtype)) return evalBigBinary(op, dtype, BigInt(a), BigInt(b));
  const x = Number(a);
  const y = Number(b);
  if (isFloat(dtype)) return wrapToType(evalFloatBinary(op, x, y), dtype);
  return evalIntBinary(op, dtype, x, y);
}

function evalFloatBinary(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case "add":
      return x + y;
    case "sub":
      return x - y;
    case "mul":
      return x * y;
    case "div":
      return x / y;
    case "rem":
      return x % y;
    case "min":
      return Math.min(x, y);
    case "max":
      return Math.max(x, y);
    case "pow":
      return Math.pow(x, y);
    case "and":
    case "or":
    case "xor":
    case "shl":
    case "shr":
      throw new Error(`bitwise ${op} on a float`);
    default:
      return unreachable(op);
  }
}

function evalIntBinary(op: BinaryOp, dtype: DType, x: number, y: number): Scalar | null {
  switch (op) {
    case "add":
      return wrapToType(x + y, dtype);
    case "sub":
      return wrapToType(x - y, dtype);
    case "mul":
      return wrapToType(Math.imul(x, y), dtype);
    case "div":
      if (y === 0 || (dtype === "int32" && x === -2147483648 && y === -1)) return null;
      return wrapToType(Math.trunc(x / y), dtype);
    case "rem":
      if (y === 0) return null;
      return wrapToType(x % y, dtype);
    case "min":
      return Math.min(x, y);
    case "max":
      return Math.max(x, y);
    case "pow":
      return wrapToType(Math.trunc(Math.pow(x, y)), dtype);
    case "and":
      return wrapToType(x & y, dtype);
    case "or":
      return wrapToType(x | y, dtype);
    case "xor":
      return wrapToType(x ^ y, dtype);
    case "shl":
      return wrapToType(x << (y & 31), dtype);
    case "shr":
      return wrapToType(isSignedInt(dtype) ? x >> (y & 31) : x >>> (y & 31), dtype);
    default:
      return unreachable(op);
  }
}

function isSignedInt(dtype: DType): boolean {
  return dtype === "int8" || dtype === "int16" || dtype === "int32" || dtype === "int64";
}

function evalBigBinary(op: BinaryOp, dtype: DType, x: bigint, y: bigint): Scalar | null {
  const wrap = (value: bigint): Scalar => wrapToType(value, dtype);
  switch (op) {
    case "add":
      return wrap(x + y);
    case "sub":
      return wrap(x - y);
    case "mul":
      return wrap(x * y);
    case "div":
      if (y === 0n || (dtype === "int64" && x === -(1n << 63n) && y === -1n)) return null;
      return wrap(x / y);
    case "rem":
      return y === 0n ? null : wrap(x % y);
    case "min":
      return x < y ? x : y;
    case "max":
      return x > y ? x : y;
    case "pow":
      return y < 0n ? 0n : wrap(x ** y);
    case "and":
      return wrap(x & y);
    case "or":
      return wrap(x | y);
    case "xor":
      return wrap(x ^ y);
    case "shl":
      return wrap(x << (y & 63n));
    case "shr":
      return wrap(x >> (y & 63n));
    default:
      return unreachable(op);
  }
}

export function evalCompare(op: CompareOp, a: Scalar, b: Scalar): number {
  const [x, y] = typeof a === "bigint" || typeof b === "bigint" ? [BigInt(a), BigInt(b)] : [a, b];
  switch (op) {
    case "eq":
      return x === y ? 1 : 0;
    case "ne":
      return x !== y ? 1 : 0;
    case "lt":
      return x < y ? 1 : 0;
    case "le":
      return x <= y ? 1 : 0;
    case "gt":
      return x > y ? 1 : 0;
    case "ge":
      return x >= y ? 1 : 0;
    default:
      return unreachable(op);
  }
}

export function evalUnary(op: UnaryOp, dtype: DType, a: Scalar): Scalar {
  return unaryFunction(op, dtype)(a);
}

/** Conversion as codegen does it: float → int truncates and saturates, then wraps to narrow widths. */
export function evalCast(value: Scalar, from: DType, to: DType): Scalar {
  if (to === "bool") return Number(value) !== 0 ? 1 : 0;
  if (isFloat(to)) return wrapToType(Number(value), to);
  if (isFloat(from)) return saturatingTruncate(Number(value), to);
  if (isBigIntType(to)) return wrapToType(BigInt(value), to);
  return wrapToType(Number(BigInt.asIntN(32, BigInt(value))), to);
}

function saturatingTruncate(value: number, to: DType): Scalar {
  const [low, high] = INTEGER_LIMITS[to]!;
  if (Number.isNaN(value)) return isBigIntType(to) ? 0n : 0;
  const truncated = Math.trunc(value);
  if (isBigIntType(to)) {
    if (truncated <= Number(low)) return low;
    if (truncated >= Number(high)) return high;
    return BigInt(truncated);
  }
  if (to === "int32" || to === "uint32") return Math.min(Math.max(truncated, Number(low)), Number(high));
  return wrapToType(Math.min(Math.max(truncated, -2147483648), 2147483647), to);
}

/** The identity of a reduction: 0 for sum, 1 for prod, -inf/+inf (or the integer extremes) for max/min. */
export function reduceInit(op: ReduceOp, dtype: DType): Scalar {
  const big = isBigIntType(dtype);
  switch (op) {
    case "sum":
      return big ? 0n : 0;
    case "prod":
      return big ? 1n : 1;
    case "max":
      return lowestValue(dtype);
    case "min":
      return highestValue(dtype);
    default:
      return unreachable(op);
  }
}

const INTEGER_LIMITS: Readonly<Record<string, readonly [Scalar, Scalar]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [-(1n << 63n), (1n << 63n) - 1n],
  uint64: [0n, (1n << 64n) - 1n],
  bool: [0, 1],
};

export function lowestValue(dtype: DType): Scalar {
  if (isFloat(dtype)) return -Infinity;
  return INTEGER_LIMITS[dtype]![0];
}

export function highestValue(dtype: DType): Scalar {
  if (isFloat(dtype)) return Infinity;
  return INTEGER_LIMITS[dtype]![1];
}
