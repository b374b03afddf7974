/**
 * Scalar and index expressions, shared by tensor expressions (TE) and the
 * loop IR, as TVM shares PrimExpr.
 *
 * Invariants:
 * - Nodes are interned: the factories below return the same object for the
 *   same structure, so `===` is structural equality and memo tables may key
 *   on nodes. Variables are the exception: every `makeVar` is a new variable.
 * - Every node has a dtype and a lane count; lanes > 1 only in the loop IR
 *   after vectorization (ramp, broadcast, vector loads/stores), and only for
 *   32-bit element types (4 lanes = one v128).
 * - `tload` and `reduce` exist only in TE; `load`, `ramp` and `broadcast`
 *   only in the loop IR. Lowering (loop/lower-te.ts) removes the former.
 * - Integer `div`/`rem` truncate toward zero (wasm semantics); float `rem`
 *   is C fmod. Comparisons produce dtype "bool" (0 or 1 held in an i32).
 * - `select` evaluates both operands: an operand must be safe to evaluate
 *   when not selected (loads in bounds; see `clampedLoad` in te/builders).
 */
import type { DType } from "../support/dtype.js";
import { isBigIntType } from "../support/dtype.js";
import { assert } from "../support/assert.js";
import type { TeTensor } from "./tensor.js";
import type { Buffer } from "../loop/ir.js";

export type BinaryOp =
  "add" | "sub" | "mul" | "div" | "rem" | "min" | "max" | "pow" | "and" | "or" | "xor" | "shl" | "shr";

export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

export type UnaryOp =
  | "neg"
  | "abs"
  | "sqrt"
  | "exp"
  | "log"
  | "erf"
  | "tanh"
  | "sigmoid"
  | "floor"
  | "ceil"
  | "round"
  | "trunc"
  | "not"
  | "sin"
  | "cos"
  | "tan"
  | "asin"
  | "acos"
  | "atan"
  | "sinh"
  | "cosh"
  | "asinh"
  | "acosh"
  | "atanh";

export type ReduceOp = "sum" | "prod" | "max" | "min";

/** A loop or reduction axis: a variable ranging over [0, extent). */
export interface IterVar {
  readonly variable: Var;
  readonly extent: number;
}

interface ExprBase {
  readonly id: number;
  readonly dtype: DType;
  readonly lanes: number;
}

export interface Const extends ExprBase {
  readonly kind: "const";
  /** A bigint for int64/uint64, a number otherwise (bool: 0 or 1). */
  readonly value: number | bigint;
}
export interface Var extends ExprBase {
  readonly kind: "var";
  /** For printing only; two variables with one name are still distinct. */
  readonly name: string;
}
export interface Binary extends ExprBase {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly a: Expr;
  readonly b: Expr;
}
export interface Compare extends ExprBase {
  readonly kind: "compare";
  readonly op: CompareOp;
  readonly a: Expr;
  readonly b: Expr;
}
export interface Unary extends ExprBase {
  readonly kind: "unary";
  readonly op: UnaryOp;
  readonly a: Expr;
}
export interface Select extends ExprBase {
  readonly kind: "select";
  readonly cond: Expr;
  readonly a: Expr;
  readonly b: Expr;
}
export interface Cast extends ExprBase {
  readonly kind: "cast";
  readonly a: Expr;
}
/** TE only: element of a tensor at multi-dimensional indices. */
export interface TensorLoad extends ExprBase {
  readonly kind: "tload";
  readonly tensor: TeTensor;
  readonly indices: readonly Expr[];
}
/** TE only: a reduction of `body` over `axes`, combined with `op`. */
export interface Reduce extends ExprBase {
  readonly kind: "reduce";
  readonly op: ReduceOp;
  readonly axes: readonly IterVar[];
  readonly body: Expr;
}
/** Loop IR only: element(s) of a flat buffer; a vector load when `index` is a ramp. */
export interface Load extends ExprBase {
  readonly kind: "load";
  readonly buffer: Buffer;
  readonly index: Expr;
}
/** Loop IR only: the vector [base, base+stride, …] of `lanes` int32 values. */
export interface Ramp extends ExprBase {
  readonly kind: "ramp";
  readonly base: Expr;
  readonly stride: number;
}
/** Loop IR only: a scalar replicated to `lanes` lanes. */
export interface Broadcast extends ExprBase {
  readonly kind: "broadcast";
  readonly value: Expr;
}

export type Expr =
  Const | Var | Binary | Compare | Unary | Select | Cast | TensorLoad | Reduce | Load | Ramp | Broadcast;

let nextId = 1;
const internTable = new Map<string, Expr>();

/** Forgets interned nodes; call between independent compilations to bound memory. */
export function resetExprInterning(): void {
  internTable.clear();
}

/** How many interned nodes are alive (for tests of the reset above). */
export function internedExprCount(): number {
  return internTable.size;
}

function intern<T extends Expr>(key: string, build: (id: number) => T): T {
  const existing = internTable.get(key);
  if (existing !== undefined) return existing as T;
  const node = build(nextId++);
  internTable.set(key, node);
  return node;
}

export function makeVar(name: string, dtype: DType = "int32", lanes = 1): Var {
  return { kind: "var", id: nextId++, name, dtype, lanes };
}

export function makeIterVar(name: string, extent: number): IterVar {
  assert(Number.isInteger(extent) && extent >= 0, `iter var ${name} extent ${extent}`);
  return { variable: makeVar(name), extent };
}

export function constant(value: number | bigint, dtype: DType = "int32"): Const {
  const normalized = isBigIntType(dtype) ? BigInt(value) : Number(value);
  if (typeof normalized === "number" && dtype === "bool") assert(normalized === 0 || normalized === 1, "bool const");
  const printed = typeof normalized === "number" && Object.is(normalized, -0) ? "-0" : String(normalized);
  return intern(`c|${dtype}|${printed}`, (id) => ({ kind: "const", id, dtype, lanes: 1, value: normalized }));
}

function checkSameType(a: Expr, b: Expr, what: string): void {
  assert(a.dtype === b.dtype, `${what}: dtype ${a.dtype} vs ${b.dtype}`);
  assert(a.lanes === b.lanes, `${what}: lanes ${a.lanes} vs ${b.lanes}`);
}

export function binary(op: BinaryOp, a: Expr, b: Expr): Binary {
  checkSameType(a, b, op);
  return intern(`b|${op}|${a.id}|${b.id}`, (id) => ({ kind: "binary", id, op, a, b, dtype: a.dtype, lanes: a.lanes }));
}

export function compare(op: CompareOp, a: Expr, b: Expr): Compare {
  checkSameType(a, b, op);
  return intern(`cmp|${op}|${a.id}|${b.id}`, (id) => ({
    kind: "compare",
    id,
    op,
    a,
    b,
    dtype: "bool",
    lanes: a.lanes,
  }));
}

export function unary(op: UnaryOp, a: Expr): Unary {
  return intern(`u|${op}|${a.id}`, (id) => ({ kind: "unary", id, op, a, dtype: a.dtype, lanes: a.lanes }));
}

export function select(cond: Expr, a: Expr, b: Expr): Select {
  assert(cond.dtype === "bool", `select condition must be bool, got ${cond.dtype}`);
  checkSameType(a, b, "select");
  return intern(`s|${cond.id}|${a.id}|${b.id}`, (id) => ({
    kind: "select",
    id,
    cond,
    a,
    b,
    dtype: a.dtype,
    lanes: a.lanes,
  }));
}

export function cast(a: Expr, dtype: DType): Expr {
  if (a.dtype === dtype) return a;
  return intern(`cast|${dtype}|${a.id}`, (id) => ({ kind: "cast", id, a, dtype, lanes: a.lanes }));
}

export function tload(tensor: TeTensor, indices: readonly Expr[]): TensorLoad {
  assert(
    indices.length === tensor.shape.length,
    `tload ${tensor.name}: ${indices.length} indices for rank ${tensor.shape.length}`,
  );
  for (const index of indices) assert(index.dtype === "int32" && index.lanes === 1, "tload index must be scalar int32");
  const key = `tl|${tensor.id}|${indices.map((index) => index.id).join(",")}`;
  return intern(key, (id) => ({ kind: "tload", id, tensor, indices: [...indices], dtype: tensor.dtype, lanes: 1 }));
}

export function reduce(op: ReduceOp, axes: readonly IterVar[], body: Expr): Reduce {
  const key = `r|${op}|${axes.map((axis) => `${axis.variable.id}:${axis.extent}`).join(",")}|${body.id}`;
  return intern(key, (id) => ({ kind: "reduce", id, op, axes: [...axes], body, dtype: body.dtype, lanes: 1 }));
}

export function load(buffer: Buffer, index: Expr): Load {
  assert(index.dtype === "int32", "load index must be int32");
  return intern(`ld|${buffer.id}|${index.id}`, (id) => ({
    kind: "load",
    id,
    buffer,
    index,
    dtype: buffer.dtype,
    lanes: index.lanes,
  }));
}

export function ramp(base: Expr, stride: number, lanes: number): Ramp {
  assert(base.lanes === 1 && base.dtype === "int32", "ramp base must be scalar int32");
  return intern(`rp|${base.id}|${stride}|${lanes}`, (id) => ({
    kind: "ramp",
    id,
    base,
    stride,
    dtype: "int32",
    lanes,
  }));
}

export function broadcast(value: Expr, lanes: number): Broadcast {
  assert(value.lanes === 1, "broadcast of a vector");
  return intern(`bc|${value.id}|${lanes}`, (id) => ({ kind: "broadcast", id, value, dtype: value.dtype, lanes }));
}

/** Shorthands for index arithmetic on int32 expressions. */
export const add = (a: Expr, b: Expr): Binary => binary("add", a, b);
export const sub = (a: Expr, b: Expr): Binary => binary("sub", a, b);
export const mul = (a: Expr, b: Expr): Binary => binary("mul", a, b);
export const div = (a: Expr, b: Expr): Binary => binary("div", a, b);
export const rem = (a: Expr, b: Expr): Binary => binary("rem", a, b);
export const int = (value: number): Const => constant(value, "int32");

/** Children of a node, in a fixed order, for generic traversals. */
export function childrenOf(expr: Expr): readonly Expr[] {
  switch (expr.kind) {
    case "const":
    case "var":
      return [];
    case "binary":
    case "compare":
      return [expr.a, expr.b];
    case "unary":
    case "cast":
      return [expr.a];
    case "select":
      return [expr.cond, expr.a, expr.b];
    case "tload":
      return expr.indices;
    case "reduce":
      return [expr.body];
    case "load":
      return [expr.index];
    case "ramp":
      return [expr.base];
    case "broadcast":
      return [expr.value];
  }
}
