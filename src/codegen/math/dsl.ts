/**
 * A tiny expression language for writing math helpers once and emitting
 * them for several flavors: scalar f64 and two-lane f64x2 (the double
 * algorithms), scalar f32 and four-lane f32x4 (the native single-precision
 * algorithms of single-precision.ts). A `Value` is the
 * code that pushes one value; `let` stores it in a local so it can be used
 * more than once (values are not re-evaluated implicitly: reusing an
 * un-`let` value duplicates its code, which is correct but wasteful).
 *
 * Kinds: "float" (f64, f64x2, f32 or f32x4), "bits" (the raw IEEE bits as
 * i64, i64x2, i32 or i32x4) and "mask" (i32 0/1 for the scalar flavors,
 * all-ones lanes for the vector ones).
 */
import { assert } from "../../support/assert.js";
import type { FunctionBuilder } from "../function-builder.js";
import {
  f32Const,
  f64Const,
  i32Const,
  i64Const,
  localGet,
  localSet,
  plain,
  v128Const,
  type Instruction,
} from "../wasm/instructions.js";
import type { PlainOp, ValueType } from "../wasm/opcodes.js";

export type Flavor = "f64" | "f64x2" | "f32" | "f32x4";
export type ValueKind = "float" | "bits" | "mask";

export interface Value {
  readonly kind: ValueKind;
  readonly code: readonly Instruction[];
}

type FloatUnary = "neg" | "abs" | "sqrt" | "floor" | "ceil" | "trunc" | "nearest";
type FloatBinary = "add" | "sub" | "mul" | "div" | "min" | "max";
type FloatCompare = "eq" | "ne" | "lt" | "le" | "gt" | "ge";
type BitsBinary = "and" | "or" | "xor" | "add" | "sub";

/** 1.5 * 2^52: adding it to a float integer below 2^51 puts that integer in the low mantissa bits. */
export const ROUNDING_MAGIC = 6755399441055744;

/**
 * "double": results within ~1e-15 relative (the f64 helpers). "single":
 * enough for float32 results (~1e-9 relative before rounding to f32), with
 * shorter polynomials; used by the f64x2 cores behind the f32x4 helpers.
 */
export type Precision = "double" | "single";

export class MathBuilder {
  constructor(
    readonly flavor: Flavor,
    readonly builder: FunctionBuilder,
    readonly precision: Precision = "double",
  ) {}

  /** The first `double` (or, in single precision, `single`) entries of `coefficients`. */
  terms(coefficients: readonly number[], single: number): readonly number[] {
    return this.precision === "double" ? coefficients : coefficients.slice(0, single);
  }

  private get vector(): boolean {
    return this.flavor === "f64x2" || this.flavor === "f32x4";
  }

  /** 64-bit lanes (f64, f64x2) rather than 32-bit ones. */
  private get wide(): boolean {
    return this.flavor === "f64" || this.flavor === "f64x2";
  }

  /** The opcode prefix of float operations: f64, f64x2, f32 or f32x4. */
  private get floatPrefix(): string {
    return this.flavor;
  }

  /** The opcode prefix of bits (integer) operations: i64, i64x2, i32 or i32x4. */
  private get bitsPrefix(): string {
    return this.flavor.replace("f", "i");
  }

  private make(kind: ValueKind, parts: readonly Value[], ...tail: Instruction[]): Value {
    return { kind, code: [...parts.flatMap((part) => part.code), ...tail] };
  }

  private typeOf(kind: ValueKind): ValueType {
    if (this.vector) return "v128";
    if (kind === "mask") return "i32";
    if (kind === "float") return this.wide ? "f64" : "f32";
    return this.wide ? "i64" : "i32";
  }

  local(index: number, kind: ValueKind): Value {
    return { kind, code: [localGet(index)] };
  }

  /** Evaluates `value` once into a new local; returns the code that reads it. */
  let(value: Value, name = "t"): Value {
    const index = this.builder.addLocal(name, this.typeOf(value.kind));
    this.builder.emit(...value.code, localSet(index));
    return this.local(index, value.kind);
  }

  /** Stores into an existing local (for loops). */
  set(index: number, value: Value): void {
    this.builder.emit(...value.code, localSet(index));
  }

  newLocal(kind: ValueKind, name: string): number {
    return this.builder.addLocal(name, this.typeOf(kind));
  }

  c(value: number): Value {
    if (this.wide) return { kind: "float", code: [this.vector ? v128Const("f64", [value, value]) : f64Const(value)] };
    return { kind: "float", code: [this.vector ? v128Const("f32", [value, value, value, value]) : f32Const(value)] };
  }

  /** Raw bits in every lane (32-bit flavors take the low 32 bits of `value`). */
  bitsConst(value: bigint): Value {
    if (this.wide) return { kind: "bits", code: [this.vector ? v128Const("i64", [value, value]) : i64Const(value)] };
    const word = Number(BigInt.asIntN(32, value));
    return { kind: "bits", code: [this.vector ? v128Const("i32", [word, word, word, word]) : i32Const(word)] };
  }

  private floatOp(op: FloatUnary | FloatBinary): PlainOp {
    return `${this.floatPrefix}.${op}` as PlainOp;
  }

  unary(op: FloatUnary, a: Value): Value {
    assert(a.kind === "float", `${op} of ${a.kind}`);
    return this.make("float", [a], plain(this.floatOp(op)));
  }

  binary(op: FloatBinary, a: Value, b: Value): Value {
    assert(a.kind === "float" && b.kind === "float", `${op} of ${a.kind}, ${b.kind}`);
    return this.make("float", [a, b], plain(this.floatOp(op)));
  }

  add = (a: Value, b: Value): Value => this.binary("add", a, b);
  sub = (a: Value, b: Value): Value => this.binary("sub", a, b);
  mul = (a: Value, b: Value): Value => this.binary("mul", a, b);
  div = (a: Value, b: Value): Value => this.binary("div", a, b);
  min = (a: Value, b: Value): Value => this.binary("min", a, b);
  max = (a: Value, b: Value): Value => this.binary("max", a, b);
  /**
   * `value` limited to [low, high] (NaN kept). Vector flavors use
   * pmax/pmin with the value first (value < low ? low : value, then
   * high < value ? high : value): one x64 instruction each, where min/max's
   * NaN rules cost V8 about seven. Scalar flavors compare and select.
   */
  clamp(value: Value, low: number, high: number): Value {
    if (this.vector) {
      const raised = this.make("float", [value, this.c(low)], plain(`${this.floatPrefix}.pmax` as PlainOp));
      return this.make("float", [raised, this.c(high)], plain(`${this.floatPrefix}.pmin` as PlainOp));
    }
    const local = this.let(value, "unclamped");
    const belowHigh = this.let(this.select(this.gt(local, this.c(high)), this.c(high), local), "below_high");
    return this.select(this.lt(belowHigh, this.c(low)), this.c(low), belowHigh);
  }

  /** min(value, high), NaN kept: pmin for vectors (see clamp). */
  atMost(value: Value, high: number): Value {
    if (this.vector) return this.make("float", [value, this.c(high)], plain(`${this.floatPrefix}.pmin` as PlainOp));
    const local = this.let(value, "unclamped");
    return this.select(this.gt(local, this.c(high)), this.c(high), local);
  }

  abs = (a: Value): Value => this.unary("abs", a);
  neg = (a: Value): Value => this.unary("neg", a);
  sqrt = (a: Value): Value => this.unary("sqrt", a);
  floor = (a: Value): Value => this.unary("floor", a);
  nearest = (a: Value): Value => this.unary("nearest", a);

  compare(op: FloatCompare, a: Value, b: Value): Value {
    assert(a.kind === "float" && b.kind === "float", `compare of ${a.kind}`);
    return this.make("mask", [a, b], plain(`${this.floatPrefix}.${op}` as PlainOp));
  }

  lt = (a: Value, b: Value): Value => this.compare("lt", a, b);
  le = (a: Value, b: Value): Value => this.compare("le", a, b);
  gt = (a: Value, b: Value): Value => this.compare("gt", a, b);
  ge = (a: Value, b: Value): Value => this.compare("ge", a, b);
  eq = (a: Value, b: Value): Value => this.compare("eq", a, b);
  ne = (a: Value, b: Value): Value => this.compare("ne", a, b);

  and(a: Value, b: Value): Value {
    assert(a.kind === "mask" && b.kind === "mask", "and of non-masks");
    return this.make("mask", [a, b], plain(this.vector ? "v128.and" : "i32.and"));
  }

  or(a: Value, b: Value): Value {
    assert(a.kind === "mask" && b.kind === "mask", "or of non-masks");
    return this.make("mask", [a, b], plain(this.vector ? "v128.or" : "i32.or"));
  }

  not(a: Value): Value {
    assert(a.kind === "mask", "not of a non-mask");
    return this.make("mask", [a], plain(this.vector ? "v128.not" : "i32.eqz"));
  }

  /** mask ? a : b, per lane. */
  select(mask: Value, a: Value, b: Value): Value {
    assert(mask.kind === "mask" && a.kind === b.kind, "select operands");
    return this.make(a.kind, [a, b, mask], plain(this.vector ? "v128.bitselect" : "select"));
  }

  bits(a: Value): Value {
    assert(a.kind === "float", "bits of a non-float");
    if (this.vector) return { kind: "bits", code: a.code };
    return this.make("bits", [a], plain(this.wide ? "i64.reinterpret_f64" : "i32.reinterpret_f32"));
  }

  float(a: Value): Value {
    assert(a.kind === "bits", "float of non-bits");
    if (this.vector) return { kind: "float", code: a.code };
    return this.make("float", [a], plain(this.wide ? "f64.reinterpret_i64" : "f32.reinterpret_i32"));
  }

  bitsOp(op: BitsBinary, a: Value, b: Value): Value {
    assert(a.kind === "bits" && b.kind === "bits", `bits ${op}`);
    const vectorOp = op === "add" || op === "sub" ? `${this.bitsPrefix}.${op}` : `v128.${op}`;
    return this.make("bits", [a, b], plain((this.vector ? vectorOp : `${this.bitsPrefix}.${op}`) as PlainOp));
  }

  shift(op: "shl" | "shr_u" | "shr_s", a: Value, count: number): Value {
    assert(a.kind === "bits", "shift of non-bits");
    const amount = this.vector || !this.wide ? i32Const(count) : i64Const(BigInt(count));
    return this.make("bits", [a], amount, plain(`${this.bitsPrefix}.${op}` as PlainOp));
  }

  bitsEq(a: Value, b: Value): Value {
    assert(a.kind === "bits" && b.kind === "bits", "bitsEq");
    return this.make("mask", [a, b], plain(`${this.bitsPrefix}.eq` as PlainOp));
  }

  /** Bits holding a signed 32-bit integer → that integer as a float (32-bit flavors only). */
  convertInteger(a: Value): Value {
    assert(a.kind === "bits" && !this.wide, "convertInteger needs 32-bit bits");
    return this.make("float", [a], plain(this.vector ? "f32x4.convert_i32x4_s" : "f32.convert_i32_s"));
  }

  /** |a| with the sign of b (the vector types have no copysign). */
  copysign(a: Value, b: Value): Value {
    if (!this.vector) return this.make("float", [a, b], plain(this.wide ? "f64.copysign" : "f32.copysign"));
    const signBit = this.wide ? 1n << 63n : 1n << 31n;
    const sign = this.bitsConst(signBit);
    const magnitude = this.bitsOp("and", this.bits(this.abs(a)), this.bitsConst(signBit - 1n));
    return this.float(this.bitsOp("or", magnitude, this.bitsOp("and", this.bits(b), sign)));
  }

  /** c[0] + x*(c[1] + x*(c[2] + ...)). `x` must be a local read (it is repeated). */
  horner(x: Value, coefficients: readonly number[]): Value {
    assert(coefficients.length > 0, "empty polynomial");
    let result = this.c(coefficients[coefficients.length - 1]);
    for (let index = coefficients.length - 2; index >= 0; index--) {
      result = this.add(this.mul(result, x), this.c(coefficients[index]));
    }
    return result;
  }

  /**
   * The same polynomial as `horner`, as two Horner chains in x² (even and odd
   * coefficients) joined by one multiply-add: half the dependent steps, one
   * more multiply. Out-of-order cores overlap the two chains, and a long
   * Horner chain is what bounds an element loop of exp or erf.
   */
  evenOdd(x: Value, coefficients: readonly number[]): Value {
    if (coefficients.length < 4) return this.horner(x, coefficients);
    const square = this.let(this.mul(x, x), "square");
    const even = coefficients.filter((_, index) => index % 2 === 0);
    const odd = coefficients.filter((_, index) => index % 2 === 1);
    return this.add(this.horner(square, even), this.mul(x, this.horner(square, odd)));
  }

  /** A float holding an integer in [-2^51, 2^51] → its value as bits (two's complement). f64 flavors only. */
  integerBits(integral: Value): Value {
    assert(this.wide, "integerBits is for f64 flavors");
    return this.bitsOp(
      "sub",
      this.bits(this.add(integral, this.c(ROUNDING_MAGIC))),
      this.bitsConst(0x4338000000000000n),
    );
  }

  /** Bits holding a small non-negative integer (< 2^51) → that integer as a float. */
  integerFloat(bits: Value): Value {
    assert(this.wide, "integerFloat is for f64 flavors");
    return this.sub(this.float(this.bitsOp("or", bits, this.bitsConst(0x4330000000000000n))), this.c(2 ** 52));
  }

  /** 2^k for a float integer k in [-1022, 1023]. */
  pow2(k: Value): Value {
    assert(this.wide, "pow2 is for f64 flavors");
    return this.float(this.shift("shl", this.bits(this.add(k, this.c(ROUNDING_MAGIC + 1023))), 52));
  }

  emit(value: Value): void {
    this.builder.emit(...value.code);
  }
}
