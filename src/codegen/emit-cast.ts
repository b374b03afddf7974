/**
 * Scalar casts with ONNX Cast semantics, for every pair of DTypes. The value
 * of `from` is on the stack; the value of `to` is left there.
 *
 * - float → integer truncates toward zero with the saturating instructions,
 *   so NaN and out-of-range values never trap (NaN → 0; ONNX leaves them
 *   undefined), then wraps to narrow widths.
 * - integer → float rounds to nearest; unsigned sources convert unsigned.
 * - anything → bool is `!= 0` (NaN → true, as C and onnxruntime).
 * - integer → narrower integer wraps (two's complement).
 */
import { isFloat, isSigned, valueTypeOf, type DType } from "../support/dtype.js";
import type { KernelContext } from "./kernel-context.js";
import { emitNormalize } from "./emit-scalar.js";
import { f32Const, f64Const, i64Const, plain, i32Const } from "./wasm/instructions.js";
import type { PlainOp } from "./wasm/opcodes.js";

export function emitCast(context: KernelContext, from: DType, to: DType): void {
  if (from === to) return;
  const builder = context.builder;
  const source = valueTypeOf(from);
  const target = valueTypeOf(to);
  if (to === "bool") {
    builder.emit(zeroOf(source), plain(`${source}.ne` as PlainOp));
    return;
  }
  if (isFloat(from) && isFloat(to)) {
    builder.emit(plain(to === "float64" ? "f64.promote_f32" : "f32.demote_f64"));
    return;
  }
  if (isFloat(from)) {
    const signedness = target === "i64" && !isSigned(to) ? "u" : target === "i32" && to === "uint32" ? "u" : "s";
    builder.emit(plain(`${target}.trunc_sat_${source}_${signedness}` as PlainOp));
    emitNormalize(context, to);
    return;
  }
  if (isFloat(to)) {
    builder.emit(plain(`${target}.convert_${source}_${isSigned(from) ? "s" : "u"}` as PlainOp));
    return;
  }
  emitIntegerResize(context, from, to);
}

function emitIntegerResize(context: KernelContext, from: DType, to: DType): void {
  const source = valueTypeOf(from);
  const target = valueTypeOf(to);
  if (source === "i32" && target === "i64") {
    context.builder.emit(plain(isSigned(from) ? "i64.extend_i32_s" : "i64.extend_i32_u"));
    return;
  }
  if (source === "i64" && target === "i32") context.builder.emit(plain("i32.wrap_i64"));
  emitNormalize(context, to);
}

function zeroOf(type: "i32" | "i64" | "f32" | "f64") {
  switch (type) {
    case "i32":
      return i32Const(0);
    case "i64":
      return i64Const(0n);
    case "f32":
      return f32Const(0);
    case "f64":
      return f64Const(0);
  }
}
