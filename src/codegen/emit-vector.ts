/**
 * Four-lane expressions → SIMD128. Vector dtypes are float32 (f32x4),
 * int32/uint32 (i32x4) and bool, held as a lane mask (all ones = true) so
 * compares feed v128.bitselect directly; masks become 0/1 only when cast or
 * stored.
 *
 * Operations SIMD128 lacks (integer div/rem/pow, per-lane shifts, float rem)
 * run lane by lane through the scalar emitter, so both paths share one set
 * of semantics. f32x4 min/max already propagate NaN as ONNX wants; against
 * a constant bound (Relu, Clip) they become pmin/pmax, see emitClamp.
 */
import { assert, unreachable } from "../support/assert.js";
import type { DType } from "../support/dtype.js";
import type { BinaryOp, Binary, Cast, CompareOp, Expr, Unary } from "../te/expr.js";
import { wasmTypeOfExpr, type KernelContext } from "./kernel-context.js";
import { emitExpr } from "./emit-expr.js";
import { emitLoad, extractLaneOp, replaceLaneOp } from "./emit-memory.js";
import { emitScalarBinary, emitScalarUnary, type Emit } from "./emit-scalar.js";
import { isTranscendental, mathHelperName } from "./math/names.js";
import { emitInlineSingle } from "./math/library.js";
import { call, i32Const, lane, localGet, localSet, plain, v128Const } from "./wasm/instructions.js";
import type { PlainOp } from "./wasm/opcodes.js";

export function emitVector(context: KernelContext, expr: Expr): void {
  assert(expr.lanes === 4, `vectors have 4 lanes, got ${expr.lanes}`);
  assert(["float32", "int32", "uint32", "bool"].includes(expr.dtype), `no ${expr.dtype} vectors (only 32-bit lanes)`);
  const builder = context.builder;
  switch (expr.kind) {
    case "var":
      builder.emit(localGet(context.localOf(expr)));
      return;
    case "broadcast":
      emitBroadcast(context, expr.value);
      return;
    case "ramp":
      emitRamp(context, expr.base, expr.stride);
      return;
    case "binary":
      emitVectorBinary(context, expr);
      return;
    case "compare":
      emitExpr(context, expr.a);
      emitExpr(context, expr.b);
      builder.emit(plain(vectorCompareOpcode(expr.op, expr.a.dtype)));
      return;
    case "unary":
      emitVectorUnary(context, expr);
      return;
    case "select":
      emitExpr(context, expr.a);
      emitExpr(context, expr.b);
      emitExpr(context, expr.cond);
      builder.emit(plain(expr.cond.lanes === 1 ? "select" : "v128.bitselect"));
      return;
    case "cast":
      emitVectorCast(context, expr);
      return;
    case "load":
      emitLoad(context, expr);
      return;
    case "const":
    case "tload":
    case "reduce":
      assert(false, `no vector ${expr.kind}`);
      return;
    default:
      unreachable(expr);
  }
}

function emitBroadcast(context: KernelContext, value: Expr): void {
  const builder = context.builder;
  if (value.kind === "const") {
    const scalar = value.dtype === "bool" ? -Number(value.value) : Number(value.value);
    builder.emit(v128Const(value.dtype === "float32" ? "f32" : "i32", [scalar, scalar, scalar, scalar]));
    return;
  }
  emitExpr(context, value);
  if (value.dtype === "bool") builder.emit(i32Const(-1), plain("i32.mul"));
  builder.emit(plain(value.dtype === "float32" ? "f32x4.splat" : "i32x4.splat"));
}

function emitRamp(context: KernelContext, base: Expr, stride: number): void {
  const builder = context.builder;
  if (base.kind === "const") {
    const start = Number(base.value);
    builder.emit(
      v128Const(
        "i32",
        [0, 1, 2, 3].map((k) => start + k * stride),
      ),
    );
    return;
  }
  emitExpr(context, base);
  builder.emit(plain("i32x4.splat"), v128Const("i32", [0, stride, 2 * stride, 3 * stride]), plain("i32x4.add"));
}

function vectorCompareOpcode(op: CompareOp, dtype: DType): PlainOp {
  if (dtype === "float32") return `f32x4.${op}`;
  if (op === "eq" || op === "ne") return `i32x4.${op}`;
  assert(dtype !== "bool", `ordered compare of bool vectors`);
  return `i32x4.${op}_${dtype === "uint32" ? "u" : "s"}` as PlainOp;
}

const FLOAT_BINARY: Partial<Record<BinaryOp, PlainOp>> = {
  add: "f32x4.add",
  sub: "f32x4.sub",
  mul: "f32x4.mul",
  div: "f32x4.div",
  min: "f32x4.min",
  max: "f32x4.max",
};
const INT_BINARY: Partial<Record<BinaryOp, PlainOp>> = {
  add: "i32x4.add",
  sub: "i32x4.sub",
  mul: "i32x4.mul",
  and: "v128.and",
  or: "v128.or",
  xor: "v128.xor",
};
const MASK_BINARY: Partial<Record<BinaryOp, PlainOp>> = { and: "v128.and", or: "v128.or", xor: "v128.xor" };

function emitVectorBinary(context: KernelContext, expr: Binary): void {
  const builder = context.builder;
  if (expr.dtype === "float32" && expr.op === "add" && context.relaxedSimd && emitRelaxedMadd(context, expr)) return;
  if (emitClamp(context, expr)) return;
  const direct = directBinaryOpcode(expr.op, expr.dtype);
  if (direct !== undefined) {
    emitExpr(context, expr.a);
    emitExpr(context, expr.b);
    builder.emit(plain(direct));
    return;
  }
  if (expr.dtype === "float32" && expr.op === "pow") {
    emitExpr(context, expr.a);
    emitExpr(context, expr.b);
    builder.emit(call(context.useHelper(mathHelperName("pow", "f32x4"))));
    return;
  }
  if ((expr.op === "shl" || expr.op === "shr") && expr.b.kind === "broadcast" && expr.dtype !== "bool") {
    emitExpr(context, expr.a);
    emitExpr(context, expr.b.value);
    builder.emit(plain(expr.op === "shl" ? "i32x4.shl" : expr.dtype === "uint32" ? "i32x4.shr_u" : "i32x4.shr_s"));
    return;
  }
  assert(expr.dtype !== "bool", `${expr.op} on bool vectors`);
  emitLanewise(context, expr.dtype, [expr.a, expr.b], ([a, b]) => emitScalarBinary(context, expr.op, expr.dtype, a, b));
}

/**
 * float max(x, c) / min(x, c) with c a non-NaN constant, inline or in a
 * local holding it for the whole kernel (Relu, Clip, ReLU6),
 * as f32x4.pmax(x, c) = x < c ? c : x and f32x4.pmin(x, c) = c < x ? c : x:
 * one x64 instruction each, where V8 spends about seven on min/max's NaN
 * and signed-zero rules. A NaN x still comes out (its compare is false);
 * only max(-0, +0) differs, giving -0, which compares equal to +0.
 */
function emitClamp(context: KernelContext, expr: Binary): boolean {
  if (expr.dtype !== "float32" || (expr.op !== "max" && expr.op !== "min")) return false;
  const constantOf = (side: Expr): number | undefined => {
    if (side.kind === "broadcast" && side.value.kind === "const") return Number(side.value.value);
    return side.kind === "var" ? context.constantVectors.get(side) : undefined;
  };
  const isBound = (side: Expr): boolean => {
    const value = constantOf(side);
    return value !== undefined && !Number.isNaN(value);
  };
  const [value, bound] = isBound(expr.b) ? [expr.a, expr.b] : isBound(expr.a) ? [expr.b, expr.a] : [null, null];
  if (value === null || bound === null) return false;
  emitExpr(context, value);
  emitExpr(context, bound);
  context.builder.emit(plain(expr.op === "max" ? "f32x4.pmax" : "f32x4.pmin"));
  return true;
}

function directBinaryOpcode(op: BinaryOp, dtype: DType): PlainOp | undefined {
  if (dtype === "float32") return FLOAT_BINARY[op];
  if (dtype === "bool") return MASK_BINARY[op];
  if (op === "min" || op === "max") return `i32x4.${op}_${dtype === "uint32" ? "u" : "s"}`;
  return INT_BINARY[op];
}

/** a*b + c → f32x4.relaxed_madd(a, b, c); expressions are pure, so operand order may change. */
function emitRelaxedMadd(context: KernelContext, expr: Binary): boolean {
  const product =
    expr.a.kind === "binary" && expr.a.op === "mul"
      ? expr.a
      : expr.b.kind === "binary" && expr.b.op === "mul"
        ? expr.b
        : null;
  if (product === null || product.kind !== "binary") return false;
  const addend = product === expr.a ? expr.b : expr.a;
  emitExpr(context, product.a);
  emitExpr(context, product.b);
  emitExpr(context, addend);
  context.builder.emit(plain("f32x4.relaxed_madd"));
  return true;
}

function emitVectorUnary(context: KernelContext, expr: Unary): void {
  const builder = context.builder;
  if (expr.dtype === "float32" && isTranscendental(expr.op)) {
    emitExpr(context, expr.a);
    if (emitInlineSingle(builder, expr.op)) return;
    builder.emit(call(context.useHelper(mathHelperName(expr.op, "f32x4"))));
    return;
  }
  const direct = directUnaryOpcode(expr);
  if (direct !== null) {
    emitExpr(context, expr.a);
    if (direct !== "identity") builder.emit(plain(direct));
    return;
  }
  emitLanewise(context, expr.dtype, [expr.a], ([a]) => emitScalarUnary(context, expr.op, expr.dtype, a));
}

function directUnaryOpcode(expr: Unary): PlainOp | "identity" | null {
  if (expr.op === "not") return "v128.not";
  if (expr.dtype === "float32") {
    if (expr.op === "round") return "f32x4.nearest";
    const ops = ["neg", "abs", "sqrt", "floor", "ceil", "trunc"];
    return ops.includes(expr.op) ? (`f32x4.${expr.op}` as PlainOp) : null;
  }
  if (["floor", "ceil", "round", "trunc"].includes(expr.op)) return "identity";
  if (expr.op === "neg") return "i32x4.neg";
  if (expr.op === "abs") return expr.dtype === "uint32" ? "identity" : "i32x4.abs";
  return null;
}

function emitVectorCast(context: KernelContext, expr: Cast): void {
  const builder = context.builder;
  const from = expr.a.dtype;
  const to = expr.dtype;
  assert(["float32", "int32", "uint32", "bool"].includes(from), `vector cast from ${from}`);
  emitExpr(context, expr.a);
  if (to === "bool") {
    builder.emit(v128Const(from === "float32" ? "f32" : "i32", [0, 0, 0, 0]));
    builder.emit(plain(from === "float32" ? "f32x4.ne" : "i32x4.ne"));
    return;
  }
  if (from === "bool") {
    const one = to === "float32" ? v128Const("f32", [1, 1, 1, 1]) : v128Const("i32", [1, 1, 1, 1]);
    builder.emit(one, plain("v128.and"));
    return;
  }
  if (from === "float32") builder.emit(plain(to === "uint32" ? "i32x4.trunc_sat_f32x4_u" : "i32x4.trunc_sat_f32x4_s"));
  else if (to === "float32") builder.emit(plain(from === "uint32" ? "f32x4.convert_i32x4_u" : "f32x4.convert_i32x4_s"));
}

/**
 * Evaluates vector operands into locals, then computes each lane with the
 * scalar emitter (`scalar` receives one thunk per operand) and reassembles
 * the vector. Bool lanes are converted between masks and 0/1.
 */
export function emitLanewise(
  context: KernelContext,
  dtype: DType,
  operands: readonly Expr[],
  scalar: (operands: Emit[]) => void,
): void {
  const builder = context.builder;
  const locals = operands.map((operand) => {
    const local = builder.temporary(wasmTypeOfExpr(operand));
    emitExpr(context, operand);
    builder.emit(localSet(local));
    return local;
  });
  builder.emit(v128Const("i32", [0, 0, 0, 0]));
  for (let k = 0; k < 4; k++) {
    const thunks = operands.map((operand, index) => () => {
      builder.emit(localGet(locals[index]));
      if (operand.lanes === 1) return;
      builder.emit(lane(extractLaneOp(operand.dtype), k));
      if (operand.dtype === "bool") builder.emit(i32Const(1), plain("i32.and"));
    });
    scalar(thunks);
    if (dtype === "bool") builder.emit(i32Const(-1), plain("i32.mul"));
    builder.emit(lane(replaceLaneOp(dtype), k));
  }
  for (const local of locals) builder.release(local);
}
