/**
 * Buffer loads and stores. Element index → byte address:
 * addressOf(buffer) + index * elementBytes. The buffer's base address and
 * constant index terms go into the memarg offset when that is safe: wasm
 * adds the offset to the *unsigned* dynamic address, so a constant may only
 * be moved out of an index whose remaining part is provably non-negative
 * (built from loop counters and non-negative constants).
 *
 * Vector accesses: a ramp of stride 1 is one v128.load/store; a broadcast
 * index is a splat load; any other vector index is gathered or scattered
 * lane by lane.
 */
import { assert } from "../support/assert.js";
import { dtypeBytes, type DType } from "../support/dtype.js";
import type { Buffer, Store } from "../loop/ir.js";
import type { Expr, Load, Var } from "../te/expr.js";
import type { KernelContext } from "./kernel-context.js";
import { emitExpr } from "./emit-expr.js";
import { globalGet, i32Const, lane, localGet, localSet, memory, plain, v128Const } from "./wasm/instructions.js";
import type { LaneOp, MemoryOp } from "./wasm/opcodes.js";

const LOAD_OPS: Readonly<Record<DType, MemoryOp>> = {
  float32: "f32.load",
  float64: "f64.load",
  int8: "i32.load8_s",
  uint8: "i32.load8_u",
  int16: "i32.load16_s",
  uint16: "i32.load16_u",
  int32: "i32.load",
  uint32: "i32.load",
  int64: "i64.load",
  uint64: "i64.load",
  bool: "i32.load8_u",
};
const STORE_OPS: Readonly<Record<DType, MemoryOp>> = {
  float32: "f32.store",
  float64: "f64.store",
  int8: "i32.store8",
  uint8: "i32.store8",
  int16: "i32.store16",
  uint16: "i32.store16",
  int32: "i32.store",
  uint32: "i32.store",
  int64: "i64.store",
  uint64: "i64.store",
  bool: "i32.store8",
};

const log2Bytes = (dtype: DType): number => Math.log2(dtypeBytes(dtype));

/** Splits `index` into a dynamic part and a constant element offset. */
function splitConstant(index: Expr): { readonly rest: Expr | null; readonly constant: number } {
  if (index.kind === "const") return { rest: null, constant: Number(index.value) };
  if (index.kind === "binary" && (index.op === "add" || index.op === "sub") && index.b.kind === "const") {
    const inner = splitConstant(index.a);
    const term = Number(index.b.value);
    return { rest: inner.rest, constant: inner.constant + (index.op === "add" ? term : -term) };
  }
  if (index.kind === "binary" && index.op === "add" && index.a.kind === "const") {
    const inner = splitConstant(index.b);
    return { rest: inner.rest, constant: inner.constant + Number(index.a.value) };
  }
  return { rest: index, constant: 0 };
}

/** Whether `expr` is provably non-negative given variables `known` to be (see emit-kernel's markNonNegativeLocals). */
export function isNonNegativeIndex(expr: Expr, known: ReadonlySet<Var>): boolean {
  switch (expr.kind) {
    case "const":
      return Number(expr.value) >= 0;
    case "var":
      return known.has(expr);
    case "binary":
      if (["add", "mul", "div", "rem", "min", "shr"].includes(expr.op)) {
        return isNonNegativeIndex(expr.a, known) && isNonNegativeIndex(expr.b, known);
      }
      return expr.op === "max" && (isNonNegativeIndex(expr.a, known) || isNonNegativeIndex(expr.b, known));
    default:
      return false;
  }
}

/**
 * Pushes the dynamic byte address of element `index` (scalar int32) of
 * `buffer` and returns the memarg offset to use with it.
 */
export function emitAddress(context: KernelContext, buffer: Buffer, index: Expr, extraBytes = 0): number {
  const reduced = context.induction?.lookup(buffer, index) ?? null;
  if (reduced !== null) {
    context.builder.emit(localGet(reduced.local));
    return reduced.offset + extraBytes;
  }
  const bytes = dtypeBytes(buffer.dtype);
  const base = context.addressOf(buffer) + extraBytes;
  const { rest, constant } = splitConstant(index);
  const folded = base + constant * bytes;
  const builder = context.builder;
  const baseGlobal = context.baseGlobalOf(buffer);
  if (rest === null && folded >= 0) {
    builder.emit(baseGlobal === null ? i32Const(0) : globalGet(baseGlobal));
    return folded;
  }
  const canFold = rest !== null && folded >= 0 && isNonNegativeIndex(rest, context.nonNegativeVars);
  emitExpr(context, canFold ? rest : index);
  if (bytes > 1) builder.emit(i32Const(log2Bytes(buffer.dtype)), plain("i32.shl"));
  emitAddBase(context, buffer);
  if (canFold) return folded;
  assert(base >= 0, `negative address of buffer ${buffer.name}`);
  return base;
}

/** Adds the buffer's run-time base (a thread's scratch base) to the address on the stack, if it has one. */
function emitAddBase(context: KernelContext, buffer: Buffer): void {
  const baseGlobal = context.baseGlobalOf(buffer);
  if (baseGlobal !== null) context.builder.emit(globalGet(baseGlobal), plain("i32.add"));
}

export function emitLoad(context: KernelContext, load: Load): void {
  if (load.lanes === 1) {
    const offset = emitAddress(context, load.buffer, load.index);
    context.builder.emit(memory(LOAD_OPS[load.buffer.dtype], log2Bytes(load.buffer.dtype), offset));
    return;
  }
  emitVectorLoad(context, load);
}

export function emitStore(context: KernelContext, store: Store): void {
  const lanes = store.value.lanes;
  if (lanes === 1) {
    const offset = emitAddress(context, store.buffer, store.index);
    emitExpr(context, store.value);
    context.builder.emit(memory(STORE_OPS[store.buffer.dtype], log2Bytes(store.buffer.dtype), offset));
    return;
  }
  assert(store.index.lanes === lanes, `store to ${store.buffer.name}: index lanes ${store.index.lanes} vs ${lanes}`);
  if (isContiguous(store.index) && dtypeBytes(store.buffer.dtype) === 4 && store.value.dtype !== "bool") {
    const offset = emitAddress(context, store.buffer, rampBase(store.index));
    emitExpr(context, store.value);
    context.builder.emit(memory("v128.store", 2, offset));
    return;
  }
  emitScatter(context, store);
}

function isContiguous(index: Expr): boolean {
  return index.kind === "ramp" && index.stride === 1 && index.lanes === 4;
}

function rampBase(index: Expr): Expr {
  assert(index.kind === "ramp", "ramp expected");
  return index.base;
}

export function extractLaneOp(dtype: DType): LaneOp {
  return dtype === "float32" ? "f32x4.extract_lane" : "i32x4.extract_lane";
}

export function replaceLaneOp(dtype: DType): LaneOp {
  return dtype === "float32" ? "f32x4.replace_lane" : "i32x4.replace_lane";
}

function emitVectorLoad(context: KernelContext, load: Load): void {
  const dtype = load.buffer.dtype;
  const builder = context.builder;
  if (isContiguous(load.index) && dtypeBytes(dtype) === 4) {
    const offset = emitAddress(context, load.buffer, rampBase(load.index));
    builder.emit(memory("v128.load", 2, offset));
    return;
  }
  if (load.index.kind === "broadcast" && dtypeBytes(dtype) === 4) {
    const offset = emitAddress(context, load.buffer, load.index.value);
    builder.emit(memory("v128.load32_splat", 2, offset));
    return;
  }
  emitGather(context, load);
}

/**
 * Emits, for lane k, the address operand and returns the memarg offset.
 * Ramp indices keep their base in a local and put k*stride into the offset.
 */
function laneAddresser(
  context: KernelContext,
  buffer: Buffer,
  index: Expr,
): { at: (lane: number) => number; release: () => void } {
  const builder = context.builder;
  const bytes = dtypeBytes(buffer.dtype);
  if (index.kind === "ramp" && index.stride >= 0) {
    const base = builder.temporary("i32");
    const offset = emitAddress(context, buffer, index.base);
    builder.emit(localSet(base));
    const stride = index.stride;
    return {
      at: (k) => (builder.emit(localGet(base)), offset + k * stride * bytes),
      release: () => builder.release(base),
    };
  }
  const indices = builder.temporary("v128");
  emitExpr(context, index);
  builder.emit(localSet(indices));
  const at = (k: number): number => {
    builder.emit(localGet(indices), lane("i32x4.extract_lane", k));
    if (bytes > 1) builder.emit(i32Const(log2Bytes(buffer.dtype)), plain("i32.shl"));
    emitAddBase(context, buffer);
    return context.addressOf(buffer);
  };
  return { at, release: () => builder.release(indices) };
}

function emitGather(context: KernelContext, load: Load): void {
  const dtype = load.buffer.dtype;
  assert(dtypeBytes(dtype) === 4 || dtype === "bool", `vector load of ${dtype}`);
  const builder = context.builder;
  const addresser = laneAddresser(context, load.buffer, load.index);
  builder.emit(v128Const("i32", [0, 0, 0, 0]));
  for (let k = 0; k < load.lanes; k++) {
    const offset = addresser.at(k);
    builder.emit(memory(LOAD_OPS[dtype], log2Bytes(dtype), offset));
    if (dtype === "bool") builder.emit(i32Const(0), plain("i32.ne"), i32Const(-1), plain("i32.mul"));
    builder.emit(lane(replaceLaneOp(dtype), k));
  }
  addresser.release();
}

function emitScatter(context: KernelContext, store: Store): void {
  const dtype = store.buffer.dtype;
  const builder = context.builder;
  assert(store.value.dtype === dtype, `store of ${store.value.dtype} into ${dtype} buffer`);
  const values = builder.temporary("v128");
  emitExpr(context, store.value);
  builder.emit(localSet(values));
  const addresser = laneAddresser(context, store.buffer, store.index);
  for (let k = 0; k < store.value.lanes; k++) {
    const offset = addresser.at(k);
    builder.emit(localGet(values), lane(extractLaneOp(dtype), k));
    if (dtype === "bool") builder.emit(i32Const(1), plain("i32.and"));
    builder.emit(memory(STORE_OPS[dtype], log2Bytes(dtype), offset));
  }
  addresser.release();
  builder.release(values);
}
