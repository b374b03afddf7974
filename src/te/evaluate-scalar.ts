/**
 * Scalar semantics of TE expressions for the compile-time interpreter
 * (evaluate.ts): one JS function per (operator, dtype), chosen once when an
 * expression is compiled so the per-element path never switches on dtypes.
 *
 * The semantics are those the generated wasm has, so that constant folding
 * and compiled kernels agree:
 * - float32 results are rounded after every operation (Math.fround);
 * - int32/uint32 and narrower integers wrap to their width; int64/uint64 are
 *   bigints wrapped with BigInt.asIntN/asUintN; bool is 0 or 1;
 * - integer div/rem truncate toward zero; a zero divisor yields 0 instead of
 *   wasm's trap, because `select` evaluates both operands and the unselected
 *   one may divide by zero;
 * - float rem is C fmod; float pow is C pow (pow(1, NaN) = 1);
 * - min/max propagate NaN (wasm f32.min/max);
 * - `round` rounds half to even (wasm f32.nearest);
 * - `not` is logical on bool and bitwise complement on integers;
 * - casts follow ONNX Cast (see evaluate-cast.ts).
 */
import { type DType, isBigIntType, isFloat } from "../support/dtype.js";
import { assert, unreachable } from "../support/assert.js";
import type { BinaryOp, CompareOp, ReduceOp, UnaryOp } from "./expr.js";
import {
  type NumberWrap,
  type Scalar,
  INT32_MAX,
  INT32_MIN,
  UINT32_MAX,
  bigWrapperOf,
  castFunction,
  wrapperOf,
} from "./evaluate-cast.js";

export { castFunction, wrapperOf } from "./evaluate-cast.js";

export type { Scalar };
export type BinaryFunction = (a: Scalar, b: Scalar) => Scalar;
export type UnaryFunction = (a: Scalar) => Scalar;

/** A constant's value in the representation the interpreter computes with. */
export function normalizeConstant(value: Scalar, dtype: DType): Scalar {
  if (isBigIntType(dtype)) return bigWrapperOf(dtype)(BigInt(value));
  if (isFloat(dtype)) return wrapperOf(dtype)(Number(value));
  return castFunction("float64", dtype)(Number(value));
}

/** C pow: unlike Math.pow, pow(1, y) = 1 and pow(x, 0) = 1 for every x and y (NaN included). */
function cPow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) return 1;
  return Math.pow(a, b);
}

function integerPow(a: number, b: number, wrap: NumberWrap): number {
  if (b < 0) {
    if (a === 1) return 1;
    if (a === -1) return b % 2 === 0 ? 1 : wrap(-1);
    return 0;
  }
  let result = 1;
  let base = a;
  for (let exponent = b; exponent > 0; exponent = Math.floor(exponent / 2)) {
    if (exponent % 2 === 1) result = wrap(Math.imul(result, base));
    base = wrap(Math.imul(base, base));
  }
  return wrap(result);
}

function bigPow(a: bigint, b: bigint, wrap: (x: bigint) => bigint): bigint {
  if (b < 0n) {
    if (a === 1n) return 1n;
    if (a === -1n) return b % 2n === 0n ? 1n : wrap(-1n);
    return 0n;
  }
  let result = 1n;
  let base = a;
  for (let exponent = b; exponent > 0n; exponent >>= 1n) {
    if ((exponent & 1n) === 1n) result = wrap(result * base);
    base = wrap(base * base);
  }
  return result;
}

function floatBinary(op: BinaryOp, round: NumberWrap): (a: number, b: number) => number {
  switch (op) {
    case "add":
      return (a, b) => round(a + b);
    case "sub":
      return (a, b) => round(a - b);
    case "mul":
      return (a, b) => round(a * b);
    case "div":
      return (a, b) => round(a / b);
    case "rem":
      return (a, b) => round(a % b);
    case "min":
      return (a, b) => Math.min(a, b);
    case "max":
      return (a, b) => Math.max(a, b);
    case "pow":
      return (a, b) => round(cPow(a, b));
    case "and":
    case "or":
    case "xor":
    case "shl":
    case "shr":
      throw new Error(`internal compiler error: bitwise '${op}' on a float type`);
  }
}

function integerBinary(op: BinaryOp, dtype: DType): (a: number, b: number) => number {
  const wrap = wrapperOf(dtype);
  const unsigned = dtype === "uint32";
  switch (op) {
    case "add":
      return (a, b) => wrap(a + b);
    case "sub":
      return (a, b) => wrap(a - b);
    case "mul":
      return (a, b) => wrap(Math.imul(a, b));
    case "div":
      return (a, b) => (b === 0 ? 0 : wrap(Math.trunc(a / b)));
    case "rem":
      return (a, b) => (b === 0 ? 0 : wrap(a % b));
    case "min":
      return (a, b) => (a < b ? a : b);
    case "max":
      return (a, b) => (a > b ? a : b);
    case "pow":
      return (a, b) => integerPow(a, b, wrap);
    case "and":
      return (a, b) => wrap(a & b);
    case "or":
      return (a, b) => wrap(a | b);
    case "xor":
      return (a, b) => wrap(a ^ b);
    case "shl":
      return (a, b) => wrap(a << (b & 31));
    case "shr":
      return unsigned ? (a, b) => a >>> (b & 31) : (a, b) => a >> (b & 31);
  }
}

function bigBinary(op: BinaryOp, dtype: DType): (a: bigint, b: bigint) => bigint {
  const wrap = bigWrapperOf(dtype);
  switch (op) {
    case "add":
      return (a, b) => wrap(a + b);
    case "sub":
      return (a, b) => wrap(a - b);
    case "mul":
      return (a, b) => wrap(a * b);
    case "div":
      return (a, b) => (b === 0n ? 0n : wrap(a / b));
    case "rem":
      return (a, b) => (b === 0n ? 0n : a % b);
    case "min":
      return (a, b) => (a < b ? a : b);
    case "max":
      return (a, b) => (a > b ? a : b);
    case "pow":
      return (a, b) => bigPow(a, b, wrap);
    case "and":
      return (a, b) => wrap(a & b);
    case "or":
      return (a, b) => wrap(a | b);
    case "xor":
      return (a, b) => wrap(a ^ b);
    case "shl":
      return (a, b) => wrap(a << (b & 63n));
    case "shr":
      return (a, b) => a >> (b & 63n);
  }
}

export function binaryFunction(op: BinaryOp, dtype: DType): BinaryFunction {
  if (isBigIntType(dtype)) return bigBinary(op, dtype) as BinaryFunction;
  if (isFloat(dtype)) return floatBinary(op, wrapperOf(dtype)) as BinaryFunction;
  return integerBinary(op, dtype) as BinaryFunction;
}

export function compareFunction(op: CompareOp): BinaryFunction {
  switch (op) {
    case "eq":
      return (a, b) => (a === b ? 1 : 0);
    case "ne":
      return (a, b) => (a !== b ? 1 : 0);
    case "lt":
      return (a, b) => (a < b ? 1 : 0);
    case "le":
      return (a, b) => (a <= b ? 1 : 0);
    case "gt":
      return (a, b) => (a > b ? 1 : 0);
    case "ge":
      return (a, b) => (a >= b ? 1 : 0);
  }
}

/** erf in float64: the everywhere-positive series erf(x) = 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(2n+1)!!. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const magnitude = Math.abs(x);
  if (magnitude >= 6) return Math.sign(x);
  const square = magnitude * magnitude;
  let term = magnitude;
  let sum = magnitude;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * square) / (2 * n + 1);
    sum += term;
  }
  const result = (2 / Math.sqrt(Math.PI)) * Math.exp(-square) * sum;
  return x < 0 ? -result : result;
}

/** Round half to even, keeping the sign of zero like wasm's nearest. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  const fraction = x - floor;
  let result = floor + 1;
  if (fraction < 0.5 || (fraction === 0.5 && floor % 2 === 0)) result = floor;
  return result === 0 && (x < 0 || Object.is(x, -0)) ? -0 : result;
}

/** The float64 function of each math unary op (neg, abs and not are not math functions). */
const MATH_FUNCTIONS: Partial<Record<UnaryOp, (x: number) => number>> = {
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  erf,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  trunc: Math.trunc,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
};

const ROUNDING_OPS: ReadonlySet<UnaryOp> = new Set(["floor", "ceil", "round", "trunc"]);

function integerUnary(op: "neg" | "abs" | "not", dtype: DType): UnaryFunction {
  if (isBigIntType(dtype)) {
    const wrap = bigWrapperOf(dtype);
    if (op === "neg") return (a) => wrap(-(a as bigint));
    if (op === "abs") return (a) => ((a as bigint) < 0n ? wrap(-(a as bigint)) : a);
    return (a) => wrap(~(a as bigint));
  }
  const wrap = wrapperOf(dtype);
  if (op === "neg") return (a) => wrap(-(a as number));
  if (op === "abs") return (a) => wrap(Math.abs(a as number));
  if (dtype === "bool") return (a) => 1 - (a as number);
  return (a) => wrap(~(a as number));
}

export function unaryFunction(op: UnaryOp, dtype: DType): UnaryFunction {
  const math = MATH_FUNCTIONS[op] ?? null;
  if (isFloat(dtype)) {
    const round = wrapperOf(dtype);
    if (op === "neg") return (a) => -(a as number);
    if (op === "abs") return (a) => Math.abs(a as number);
    assert(math !== null, `unary '${op}' on a float type`);
    return (a) => round(math(a as number));
  }
  if (math === null) return integerUnary(op as "neg" | "abs" | "not", dtype);
  if (ROUNDING_OPS.has(op)) return (a) => a;
  const back = castFunction("float64", dtype);
  return (a) => back(math(Number(a)));
}

/** The combiner of a reduction: the binary op applied between accumulator and element. */
export function reduceCombiner(op: ReduceOp): BinaryOp {
  switch (op) {
    case "sum":
      return "add";
    case "prod":
      return "mul";
    case "max":
      return "max";
    case "min":
      return "min";
    default:
      return unreachable(op);
  }
}

/** The start value of a reduction: its identity, or the type's extreme for max/min. */
export function reduceIdentity(op: ReduceOp, dtype: DType): Scalar {
  const big = isBigIntType(dtype);
  switch (op) {
    case "sum":
      return big ? 0n : 0;
    case "prod":
      return big ? 1n : 1;
    case "max":
      return typeLimit(dtype, "low");
    case "min":
      return typeLimit(dtype, "high");
    default:
      return unreachable(op);
  }
}

function typeLimit(dtype: DType, which: "low" | "high"): Scalar {
  const low = which === "low";
  switch (dtype) {
    case "float32":
    case "float64":
      return low ? -Infinity : Infinity;
    case "int8":
      return low ? -128 : 127;
    case "uint8":
      return low ? 0 : 255;
    case "int16":
      return low ? -32768 : 32767;
    case "uint16":
      return low ? 0 : 65535;
    case "int32":
      return low ? INT32_MIN : INT32_MAX;
    case "uint32":
      return low ? 0 : UINT32_MAX;
    case "int64":
      return low ? -(2n ** 63n) : 2n ** 63n - 1n;
    case "uint64":
      return low ? 0n : 2n ** 64n - 1n;
    case "bool":
      return low ? 0 : 1;
  }
}
