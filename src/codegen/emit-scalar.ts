/**
 * Scalar (one-lane) expressions → wasm instructions, for every DType.
 *
 * Contracts kept here:
 * - Narrow integers (int8..uint16, bool) are computed in i32 and re-wrapped
 *   after each operation that can leave their range, so comparisons and
 *   stores see ONNX's wrapped values.
 * - Integer div/rem never trap: divisor 0 gives 0, and INT_MIN / -1 wraps.
 * - Unsigned types (uint8..uint64, bool) use the unsigned wasm instructions.
 * Operands are passed as emit thunks so the vector emitter can reuse these
 * rules lane by lane.
 */
import { assert, unreachable } from "../support/assert.js";
import { isFloat, isSigned, valueTypeOf, type DType } from "../support/dtype.js";
import type { BinaryOp, CompareOp, Expr, UnaryOp } from "../te/expr.js";
import type { KernelContext } from "./kernel-context.js";
import { emitExpr } from "./emit-expr.js";
import { emitCast } from "./emit-cast.js";
import { emitLoad } from "./emit-memory.js";
import { integerPowName, isTranscendental, mathHelperName } from "./math/names.js";
import { call, f32Const, f64Const, i32Const, i64Const, localGet, localSet, plain } from "./wasm/instructions.js";
import type { PlainOp } from "./wasm/opcodes.js";

export type Emit = () => void;

export function emitScalar(context: KernelContext, expr: Expr): void {
  const builder = context.builder;
  switch (expr.kind) {
    case "const":
      builder.emit(constantInstruction(expr.value, expr.dtype));
      return;
    case "var":
      builder.emit(localGet(context.localOf(expr)));
      return;
    case "binary":
      emitScalarBinary(
        context,
        expr.op,
        expr.dtype,
        () => emitExpr(context, expr.a),
        () => emitExpr(context, expr.b),
      );
      return;
    case "compare":
      emitExpr(context, expr.a);
      emitExpr(context, expr.b);
      builder.emit(plain(compareOpcode(expr.op, expr.a.dtype)));
      return;
    case "unary":
      emitScalarUnary(context, expr.op, expr.dtype, () => emitExpr(context, expr.a));
      return;
    case "select":
      emitExpr(context, expr.a);
      emitExpr(context, expr.b);
      emitExpr(context, expr.cond);
      builder.emit(plain("select"));
      return;
    case "cast":
      emitExpr(context, expr.a);
      emitCast(context, expr.a.dtype, expr.dtype);
      return;
    case "load":
      emitLoad(context, expr);
      return;
    case "ramp":
      emitExpr(context, expr.base);
      return;
    case "broadcast":
      emitExpr(context, expr.value);
      return;
    case "tload":
    case "reduce":
      assert(false, `${expr.kind} reached codegen: lower TE to loops first`);
      return;
    default:
      unreachable(expr);
  }
}

export function constantInstruction(value: number | bigint, dtype: DType) {
  switch (valueTypeOf(dtype)) {
    case "f32":
      return f32Const(Number(value));
    case "f64":
      return f64Const(Number(value));
    case "i32":
      return i32Const(Number(value));
    case "i64":
      return i64Const(BigInt(value));
  }
}

function prefixOf(dtype: DType): "i32" | "i64" | "f32" | "f64" {
  return valueTypeOf(dtype);
}

const SIGNED_SUFFIX = (dtype: DType): "_s" | "_u" => (isSigned(dtype) ? "_s" : "_u");

export function compareOpcode(op: CompareOp, dtype: DType): PlainOp {
  const prefix = prefixOf(dtype);
  if (op === "eq" || op === "ne" || isFloat(dtype)) return `${prefix}.${op}` as PlainOp;
  return `${prefix}.${op}${SIGNED_SUFFIX(dtype)}` as PlainOp;
}

/** Re-wraps an i32 holding a narrow type after arithmetic that may leave its range. */
export function emitNormalize(context: KernelContext, dtype: DType): void {
  const builder = context.builder;
  switch (dtype) {
    case "int8":
      builder.emit(plain("i32.extend8_s"));
      return;
    case "int16":
      builder.emit(plain("i32.extend16_s"));
      return;
    case "uint8":
      builder.emit(i32Const(0xff), plain("i32.and"));
      return;
    case "uint16":
      builder.emit(i32Const(0xffff), plain("i32.and"));
      return;
    case "bool":
      builder.emit(i32Const(0), plain("i32.ne"));
      return;
    default:
      return;
  }
}

export function emitScalarBinary(context: KernelContext, op: BinaryOp, dtype: DType, emitA: Emit, emitB: Emit): void {
  if (isFloat(dtype)) emitFloatBinary(context, op, dtype, emitA, emitB);
  else emitIntegerBinary(context, op, dtype, emitA, emitB);
}

function emitFloatBinary(context: KernelContext, op: BinaryOp, dtype: DType, emitA: Emit, emitB: Emit): void {
  const prefix = prefixOf(dtype) as "f32" | "f64";
  emitA();
  emitB();
  switch (op) {
    case "add":
    case "sub":
    case "mul":
    case "div":
    case "min":
    case "max":
      context.builder.emit(plain(`${prefix}.${op}`));
      return;
    case "pow":
      context.builder.emit(call(context.useHelper(mathHelperName("pow", prefix))));
      return;
    case "rem":
      context.builder.emit(call(context.useHelper(mathHelperName("fmod", prefix))));
      return;
    case "and":
    case "or":
    case "xor":
    case "shl":
    case "shr":
      assert(false, `${op} on ${dtype}`);
      return;
    default:
      unreachable(op);
  }
}

function emitIntegerBinary(context: KernelContext, op: BinaryOp, dtype: DType, emitA: Emit, emitB: Emit): void {
  const prefix = prefixOf(dtype) as "i32" | "i64";
  const builder = context.builder;
  switch (op) {
    case "add":
    case "sub":
    case "mul":
    case "shl":
      emitA();
      emitB();
      builder.emit(plain(`${prefix}.${op}`));
      emitNormalize(context, dtype);
      return;
    case "and":
    case "or":
    case "xor":
      emitA();
      emitB();
      builder.emit(plain(`${prefix}.${op}`));
      return;
    case "shr":
      emitA();
      emitB();
      builder.emit(plain(`${prefix}.shr${SIGNED_SUFFIX(dtype)}`));
      return;
    case "div":
    case "rem":
      emitGuardedDivision(context, op, dtype, emitA, emitB);
      return;
    case "min":
    case "max":
      emitIntegerMinMax(context, op, dtype, emitA, emitB);
      return;
    case "pow":
      emitA();
      emitB();
      builder.emit(call(context.useHelper(integerPowName(prefix))));
      emitNormalize(context, dtype);
      return;
    default:
      unreachable(op);
  }
}

/**
 * a / b and a % b without traps: the divisor is replaced by 1 when it is 0
 * (and, for signed div, when it is -1, whose quotient is -a, wrapping), then
 * the result is fixed up with selects.
 */
function emitGuardedDivision(context: KernelContext, op: "div" | "rem", dtype: DType, emitA: Emit, emitB: Emit): void {
  const prefix = prefixOf(dtype) as "i32" | "i64";
  const type = prefix;
  const builder = context.builder;
  const one = prefix === "i32" ? i32Const(1) : i64Const(1n);
  const zero = prefix === "i32" ? i32Const(0) : i64Const(0n);
  const minusOne = prefix === "i32" ? i32Const(-1) : i64Const(-1n);
  const signed = isSigned(dtype);
  const a = builder.temporary(type);
  const b = builder.temporary(type);
  emitA();
  builder.emit(localSet(a));
  emitB();
  builder.emit(localSet(b));
  const negateCase = signed && op === "div";
  // safe divisor: b, or 1 when b == 0 (or b == -1 for signed div).
  builder.emit(one, localGet(b), localGet(b), plain(`${prefix}.eqz`));
  if (negateCase) builder.emit(localGet(b), minusOne, plain(`${prefix}.eq`), plain("i32.or"));
  builder.emit(plain("select"));
  const divisor = builder.temporary(type);
  builder.emit(localSet(divisor), localGet(a), localGet(divisor));
  builder.emit(plain(`${prefix}.${op}${SIGNED_SUFFIX(dtype)}` as PlainOp));
  if (negateCase) {
    const quotient = builder.temporary(type);
    builder.emit(localSet(quotient), zero, localGet(quotient), plain(`${prefix}.sub`), localGet(quotient));
    builder.emit(localGet(b), minusOne, plain(`${prefix}.eq`), plain("select"));
    builder.release(quotient);
  }
  if (op === "div")
    builder.emit(localSet(divisor), zero, localGet(divisor), localGet(b), plain(`${prefix}.eqz`), plain("select"));
  emitNormalize(context, dtype);
  builder.release(a);
  builder.release(b);
  builder.release(divisor);
}

function emitIntegerMinMax(context: KernelContext, op: "min" | "max", dtype: DType, emitA: Emit, emitB: Emit): void {
  const type = prefixOf(dtype);
  const builder = context.builder;
  const a = builder.temporary(type);
  const b = builder.temporary(type);
  emitA();
  builder.emit(localSet(a));
  emitB();
  builder.emit(localSet(b));
  builder.emit(
    localGet(a),
    localGet(b),
    localGet(a),
    localGet(b),
    plain(compareOpcode(op === "min" ? "lt" : "gt", dtype)),
    plain("select"),
  );
  builder.release(a);
  builder.release(b);
}

export function emitScalarUnary(context: KernelContext, op: UnaryOp, dtype: DType, emitA: Emit): void {
  if (isFloat(dtype)) emitFloatUnary(context, op, dtype, emitA);
  else emitIntegerUnary(context, op, dtype, emitA);
}

function emitFloatUnary(context: KernelContext, op: UnaryOp, dtype: DType, emitA: Emit): void {
  const prefix = prefixOf(dtype) as "f32" | "f64";
  emitA();
  if (isTranscendental(op)) {
    context.builder.emit(call(context.useHelper(mathHelperName(op, prefix))));
    return;
  }
  switch (op) {
    case "neg":
    case "abs":
    case "sqrt":
    case "floor":
    case "ceil":
    case "trunc":
      context.builder.emit(plain(`${prefix}.${op}`));
      return;
    case "round":
      context.builder.emit(plain(`${prefix}.nearest`));
      return;
    case "not":
      assert(false, `not on ${dtype}`);
      return;
    default:
      unreachable(op);
  }
}

function emitIntegerUnary(context: KernelContext, op: UnaryOp, dtype: DType, emitA: Emit): void {
  const prefix = prefixOf(dtype) as "i32" | "i64";
  const builder = context.builder;
  const zero = prefix === "i32" ? i32Const(0) : i64Const(0n);
  switch (op) {
    case "neg":
      builder.emit(zero);
      emitA();
      builder.emit(plain(`${prefix}.sub`));
      emitNormalize(context, dtype);
      return;
    case "abs": {
      emitA();
      if (!isSigned(dtype)) return;
      const value = builder.temporary(prefix);
      builder.emit(localSet(value), zero, localGet(value), plain(`${prefix}.sub`), localGet(value));
      builder.emit(localGet(value), zero, plain(`${prefix}.lt_s`), plain("select"));
      builder.release(value);
      emitNormalize(context, dtype);
      return;
    }
    case "not":
      emitA();
      if (dtype === "bool") builder.emit(plain("i32.eqz"));
      else {
        builder.emit(prefix === "i32" ? i32Const(-1) : i64Const(-1n), plain(`${prefix}.xor`));
        emitNormalize(context, dtype);
      }
      return;
    case "floor":
    case "ceil":
    case "round":
    case "trunc":
      emitA();
      return;
    default:
      assert(false, `${op} on integer type ${dtype}`);
  }
}
