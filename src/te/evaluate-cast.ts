/**
 * Value sets and conversions of the compile-time interpreter (evaluate.ts):
 * rounding/wrapping a JS value to a dtype, and casts between dtypes.
 *
 * Casts follow ONNX Cast: float → integer truncates toward zero (out-of-range
 * values, undefined in ONNX, saturate to the 32/64-bit type as wasm's
 * trunc_sat does, then wrap to narrow widths); anything → bool is x != 0;
 * integer → narrower integer wraps.
 */
import { type DType, isBigIntType, isFloat } from "../support/dtype.js";
import { assert } from "../support/assert.js";

export type Scalar = number | bigint;
export type NumberWrap = (x: number) => number;
type UnaryFunction = (a: Scalar) => Scalar;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
export const UINT32_MAX = 4294967295;
const TWO_POW_63 = 9223372036854775808;

/** Rounds or wraps a JS number to the value set of a non-bigint dtype. */
export function wrapperOf(dtype: DType): NumberWrap {
  switch (dtype) {
    case "float32":
      return Math.fround;
    case "float64":
      return (x) => x;
    case "int32":
      return (x) => x | 0;
    case "uint32":
      return (x) => x >>> 0;
    case "int16":
      return (x) => (x << 16) >> 16;
    case "uint16":
      return (x) => x & 0xffff;
    case "int8":
      return (x) => (x << 24) >> 24;
    case "uint8":
      return (x) => x & 0xff;
    case "bool":
      return (x) => x & 1;
    case "int64":
    case "uint64":
      throw new Error(`internal compiler error: ${dtype} is held as a bigint`);
  }
}

export function bigWrapperOf(dtype: DType): (x: bigint) => bigint {
  assert(isBigIntType(dtype), `${dtype} is not a bigint type`);
  return dtype === "int64" ? (x) => BigInt.asIntN(64, x) : (x) => BigInt.asUintN(64, x);
}

/** Truncates toward zero and saturates to [low, high]; NaN becomes 0. */
function truncateSaturating(x: number, low: number, high: number): number {
  if (Number.isNaN(x)) return 0;
  const truncated = Math.trunc(x);
  if (truncated < low) return low;
  if (truncated > high) return high;
  return truncated;
}

function floatToBigInt(dtype: DType): (x: number) => bigint {
  const signed = dtype === "int64";
  const low = signed ? -(2n ** 63n) : 0n;
  const high = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  const highAsNumber = signed ? TWO_POW_63 : 2 * TWO_POW_63;
  const lowAsNumber = signed ? -TWO_POW_63 : 0;
  return (x) => {
    if (Number.isNaN(x)) return 0n;
    if (x >= highAsNumber) return high;
    const truncated = Math.trunc(x);
    if (truncated < lowAsNumber) return low;
    return BigInt(truncated);
  };
}

function castToBigInt(from: DType, to: DType): UnaryFunction {
  const wrap = bigWrapperOf(to);
  if (isBigIntType(from)) return (a) => wrap(a as bigint);
  if (isFloat(from)) return floatToBigInt(to) as UnaryFunction;
  return (a) => wrap(BigInt(a as number));
}

function castToNumberInteger(from: DType, to: DType): UnaryFunction {
  const wrap = wrapperOf(to);
  if (isBigIntType(from)) {
    return to === "uint32"
      ? (a) => Number(BigInt.asUintN(32, a as bigint))
      : (a) => wrap(Number(BigInt.asIntN(32, a as bigint)));
  }
  if (isFloat(from)) {
    if (to === "uint32") return (a) => truncateSaturating(a as number, 0, UINT32_MAX);
    return (a) => wrap(truncateSaturating(a as number, INT32_MIN, INT32_MAX));
  }
  return (a) => wrap(a as number);
}

export function castFunction(from: DType, to: DType): UnaryFunction {
  if (from === to) return (a) => a;
  if (to === "bool") {
    return isBigIntType(from) ? (a) => ((a as bigint) !== 0n ? 1 : 0) : (a) => ((a as number) !== 0 ? 1 : 0);
  }
  if (isFloat(to)) {
    const round = wrapperOf(to);
    return isBigIntType(from) ? (a) => round(Number(a)) : (a) => round(a as number);
  }
  if (isBigIntType(to)) return castToBigInt(from, to);
  return castToNumberInteger(from, to);
}
