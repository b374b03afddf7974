/**
 * A tiny expression language for writing math helpers once and emitting
 * them for two flavors: scalar f64 and two-lane f64x2. A `Value` is the
 * code that pushes one value; `let` stores it in a local so it can be used
 * more than once (values are not re-evaluated implicitly: reusing an
 * un-`let` value duplicates its code, which is correct but wasteful).
 *
 * Kinds: "float" (f64 or f64x2), "bits" (i64 or i64x2, the raw IEEE bits)
 * and "mask" (i32 0/1 for f64, all-ones lanes for f64x2).
 */
import { assert } from "../../support/assert.js";
import type { FunctionBuilder } from "../function-builder.js";
import {
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

export type Flavor = "f64" | "f64x2";
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
    return this.flavor === "f64x2";
  }

  private make(kind: ValueKind, parts: readonly Value[], ...tail: Instruction[]): Value {
    return { kind, code: [...parts.flatMap((part) => part.code), ...tail] };
  }

  private typeOf(kind: ValueKind): ValueType {
    if (this.vector) return "v128";
    return kind === "float" ? "f64" : kind === "bits" ? "i64" : "i32";
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
    return { kind: "float", code: [this.vector ? v128Const("f64", [value, value]) : f64Const(value)] };
  }

  bitsConst(value: bigint): Value {
    return { kind: "bits", code: [this.vector ? v128Const("i64", [value, value]) : i64Const(value)] };
  }

  private floatOp(op: FloatUnary | FloatBinary): PlainOp {
    return `${this.vector ? "f64x2" : "f64"}.${op}`;
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
  abs = (a: Value): Value => this.unary("abs", a);
  neg = (a: Value): Value => this.unary("neg", a);
  sqrt = (a: Value): Value => this.unary("sqrt", a);
  floor = (a: Value): Value => this.unary("floor", a);
  nearest = (a: Value): Value => this.unary("nearest", a);

  compare(op: FloatCompare, a: Value, b: Value): Value {
    assert(a.kind === "float" && b.kind === "float", `compare of ${a.kind}`);
    return this.make("mask", [a, b], plain(`${this.vector ? "f64x2" : "f64"}.${op}`));
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
    return this.vector ? { kind: "bits", code: a.code } : this.make("bits", [a], plain("i64.reinterpret_f64"));
  }

  float(a: Value): Value {
    assert(a.kind === "bits", "float of non-bits");
    return this.vector ? { kind: "float", code: a.code } : this.make("float", [a], plain("f64.reinterpret_i64"));
  }

  bitsOp(op: BitsBinary, a: Value, b: Value): Value {
    assert(a.kind === "bits" && b.kind === "bits", `bits ${op}`);
    const vectorOp = op === "add" || op === "sub" ? `i64x2.${op}` : `v128.${op}`;
    return this.make("bits", [a, b], plain((this.vector ? vectorOp : `i64.${op}`) as PlainOp));
  }

  shift(op: "shl" | "shr_u" | "shr_s", a: Value, count: number): Value {
    assert(a.kind === "bits", "shift of non-bits");
    const amount = this.vector ? i32Const(count) : i64Const(BigInt(count));
    return this.make("bits", [a], amount, plain(`${this.vector ? "i64x2" : "i64"}.${op}`));
  }

  bitsEq(a: Value, b: Value): Value {
    assert(a.kind === "bits" && b.kind === "bits", "bitsEq");
    return this.make("mask", [a, b], plain(this.vector ? "i64x2.eq" : "i64.eq"));
  }

  /** |a| with the sign of b (f64x2 has no copysign). */
  copysign(a: Value, b: Value): Value {
    if (!this.vector) return this.make("float", [a, b], plain("f64.copysign"));
    const sign = this.bitsConst(1n << 63n);
    const magnitude = this.bitsOp("and", this.bits(this.abs(a)), this.bitsConst((1n << 63n) - 1n));
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

  /** A float holding an integer in [-2^51, 2^51] → its value as bits (two's complement). */
  integerBits(integral: Value): Value {
    return this.bitsOp(
      "sub",
      this.bits(this.add(integral, this.c(ROUNDING_MAGIC))),
      this.bitsConst(0x4338000000000000n),
    );
  }

  /** Bits holding a small non-negative integer (< 2^51) → that integer as a float. */
  integerFloat(bits: Value): Value {
    return this.sub(this.float(this.bitsOp("or", bits, this.bitsConst(0x4330000000000000n))), this.c(2 ** 52));
  }

  /** 2^k for a float integer k in [-1022, 1023]. */
  pow2(k: Value): Value {
    return this.float(this.shift("shl", this.bits(this.add(k, this.c(ROUNDING_MAGIC + 1023))), 52));
  }

  emit(value: Value): void {
    this.builder.emit(...value.code);
  }
}
