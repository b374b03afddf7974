/**
 * Algebraic simplification of loop IR expressions and statements.
 *
 * Requires: loop IR (tload/reduce may appear; they are traversed but never
 * rewritten specially). Ensures: the same values under wasm semantics, with
 * - constants folded for every dtype (scalar-semantics.ts; traps left alone);
 * - identities removed (x+0, x-0, x*1, x/1 for integers; x*0 and x%1 for
 *   integers; x*1, x/1, x-0 for floats, where they are exact);
 * - int32 index arithmetic put in canonical linear form (terms collected in
 *   first-appearance order, constants folded last);
 * - `e / c` and `e % c` split into `q + r/c` and `r % c` when e = c·q + r
 *   with e ≥ 0 and r ≥ 0 provable from loop ranges (then r/c = 0 and
 *   r % c = r when r < c);
 * - compares, min/max and selects decided when the ranges prove them;
 * - 4-lane expressions simplified lane-wise (simplify-vector.ts);
 * - statements: ifs with a decided condition dropped, loops of extent 1
 *   replaced by their body with the variable set to 0, empty loops removed
 *   (unless `keepLoops`, which schedules need before finalization).
 */
import { isBigIntType, isFloat } from "../support/dtype.js";
import { unreachable } from "../support/assert.js";
import { type Binary, type Expr, type Var, binary, constant, int } from "../te/expr.js";
import type { Stmt } from "./ir.js";
import {
  type Interval,
  type Ranges,
  fromLinearForm,
  intervalOf,
  isIndexExpr,
  linearForm,
  proveCompare,
} from "./linear.js";
import { simplifyVectorNode } from "./simplify-vector.js";
import { evalBinary, evalCast, evalCompare, evalUnary } from "./scalar-semantics.js";
import {
  EMPTY,
  isEmpty,
  makeAssign,
  makeFor,
  makeIf,
  makeSeq,
  makeStore,
  substituteStmt,
  transformExpr,
} from "./stmt.js";

export function simplifyExpr(expr: Expr, ranges: Ranges = new Map()): Expr {
  return transformExpr(expr, (node) => simplifyNode(node, ranges));
}

function simplifyNode(node: Expr, ranges: Ranges): Expr {
  if (node.lanes > 1) return simplifyVectorNode(node, ranges, (scalar) => simplifyExpr(scalar, ranges));
  switch (node.kind) {
    case "binary":
      return simplifyBinary(node, ranges);
    case "compare": {
      if (node.a.kind === "const" && node.b.kind === "const")
        return constant(evalCompare(node.op, node.a.value, node.b.value), "bool");
      const proven = node.lanes === 1 ? proveCompare(node.op, node.a, node.b, ranges) : null;
      return proven === null ? node : constant(proven, "bool");
    }
    case "unary":
      return node.a.kind === "const" ? constant(evalUnary(node.op, node.dtype, node.a.value), node.dtype) : node;
    case "cast":
      return node.a.kind === "const" && node.lanes === 1
        ? constant(evalCast(node.a.value, node.a.dtype, node.dtype), node.dtype)
        : node;
    case "select":
      if (node.cond.kind === "const") return Number(node.cond.value) !== 0 ? node.a : node.b;
      return node.a === node.b ? node.a : node;
    case "const":
    case "var":
    case "tload":
    case "reduce":
    case "load":
    case "ramp":
    case "broadcast":
      return node;
    default:
      return unreachable(node);
  }
}

function simplifyBinary(node: Binary, ranges: Ranges): Expr {
  const { a, b, op, dtype } = node;
  if (a.kind === "const" && b.kind === "const") {
    const folded = evalBinary(op, dtype, a.value, b.value);
    if (folded !== null) return constant(folded, dtype);
  }
  if (isIndexExpr(node) && (op === "add" || op === "sub" || op === "mul")) return fromLinearForm(linearForm(node));
  if (isIndexExpr(node) && (op === "div" || op === "rem") && b.kind === "const" && Number(b.value) > 0) {
    return simplifyDivision(node, Number(b.value), ranges);
  }
  if (op === "min" || op === "max") return simplifyMinMax(node, ranges);
  return applyIdentities(node);
}

function isConstantValue(expr: Expr, value: number): boolean {
  return expr.kind === "const" && Number(expr.value) === value;
}

/** Identities exact under IEEE and wrap semantics (x + 0 is not exact for floats: -0 + 0 = +0). */
function applyIdentities(node: Binary): Expr {
  const { a, b, op, dtype } = node;
  const integer = !isFloat(dtype) && !isBigIntType(dtype) && dtype !== "bool";
  switch (op) {
    case "add":
      if (integer && isConstantValue(b, 0)) return a;
      if (integer && isConstantValue(a, 0)) return b;
      return node;
    case "sub":
      return isConstantValue(b, 0) && (integer || isFloat(dtype)) ? a : node;
    case "mul":
      if (isConstantValue(b, 1) && !isBigIntType(dtype)) return a;
      if (isConstantValue(a, 1) && !isBigIntType(dtype)) return b;
      if (integer && (isConstantValue(a, 0) || isConstantValue(b, 0))) return constant(0, dtype);
      return node;
    case "div":
      return isConstantValue(b, 1) && !isBigIntType(dtype) ? a : node;
    case "rem":
      return integer && isConstantValue(b, 1) ? constant(0, dtype) : node;
    case "and":
      return simplifyLogical(node, 0);
    case "or":
      return simplifyLogical(node, 1);
    default:
      return node;
  }
}

/** Bool and/or with a constant operand: the absorbing value wins, the neutral one disappears. */
function simplifyLogical(node: Binary, absorbing: number): Expr {
  if (node.dtype !== "bool" || node.lanes !== 1) return node;
  for (const [constantSide, other] of [
    [node.a, node.b],
    [node.b, node.a],
  ] as const) {
    if (constantSide.kind !== "const") continue;
    return Number(constantSide.value) === absorbing ? constantSide : other;
  }
  return node.a === node.b ? node.a : node;
}

function simplifyMinMax(node: Binary, ranges: Ranges): Expr {
  if (node.a === node.b) return node.a;
  const a = intervalOf(node.a, ranges);
  const b = intervalOf(node.b, ranges);
  if (a === null || b === null) return node;
  const [lower, upper] = [node.a, node.b];
  if (a.max <= b.min) return node.op === "min" ? lower : upper;
  if (b.max <= a.min) return node.op === "min" ? upper : lower;
  return node;
}

/** (c·q + r) / c → q + r / c and (c·q + r) % c → r % c, when c·q + r ≥ 0 and r ≥ 0. */
function simplifyDivision(node: Binary, divisor: number, ranges: Ranges): Expr {
  if (divisor === 1) return node.op === "div" ? node.a : int(0);
  const whole = intervalOf(node.a, ranges);
  if (whole === null || whole.min < 0) return node;
  if (whole.max < divisor) return node.op === "div" ? int(0) : node.a;
  const form = linearForm(node.a);
  const quotientTerms = new Map<Expr, number>();
  const remainderTerms = new Map<Expr, number>();
  for (const [atom, coefficient] of form.terms) {
    if (coefficient % divisor === 0) quotientTerms.set(atom, coefficient / divisor);
    else remainderTerms.set(atom, coefficient);
  }
  const remainderConstant = ((form.constant % divisor) + divisor) % divisor;
  const quotientConstant = (form.constant - remainderConstant) / divisor;
  if (quotientTerms.size === 0 && quotientConstant === 0) return simplifyNestedDivision(node, divisor, ranges);
  const remainder = fromLinearForm({ terms: remainderTerms, constant: remainderConstant });
  const remainderRange = intervalOf(remainder, ranges);
  if (remainderRange === null || remainderRange.min < 0) return node;
  const quotient = fromLinearForm({ terms: quotientTerms, constant: quotientConstant });
  const inner = simplifyDivision(binary(node.op, remainder, int(divisor)) as Binary, divisor, ranges);
  if (node.op === "rem") return inner;
  return simplifyExpr(binary("add", quotient, inner), ranges);
}

/** (x / c1) / c2 → x / (c1·c2) for x ≥ 0, the shape fused loops produce. */
function simplifyNestedDivision(node: Binary, divisor: number, ranges: Ranges): Expr {
  const inner = node.a;
  if (node.op !== "div" || inner.kind !== "binary" || inner.op !== "div" || inner.b.kind !== "const") return node;
  const innerRange: Interval | null = intervalOf(inner.a, ranges);
  const product = Number(inner.b.value) * divisor;
  if (innerRange === null || innerRange.min < 0 || product > 2147483647) return node;
  return binary("div", inner.a, int(product));
}

export interface SimplifyOptions {
  /** Keep loops of extent 0 or 1 and empty loops (schedules still name them). */
  readonly keepLoops?: boolean;
}

export function simplifyStmt(
  statement: Stmt,
  options: SimplifyOptions = {},
  ranges: Map<Var, Interval> = new Map(),
): Stmt {
  const simplify = (expr: Expr): Expr => simplifyExpr(expr, ranges);
  switch (statement.kind) {
    case "for":
      return simplifyFor(statement, options, ranges);
    case "store":
      return makeStore(statement.buffer, simplify(statement.index), simplify(statement.value));
    case "assign":
      return makeAssign(statement.target, simplify(statement.value));
    case "seq":
      return makeSeq(
        statement.body.map((child) => simplifyStmt(child, options, ranges)).filter((child) => !isEmpty(child)),
      );
    case "if": {
      const cond = simplify(statement.cond);
      const then = simplifyStmt(statement.then, options, ranges);
      const otherwise = statement.otherwise === null ? null : simplifyStmt(statement.otherwise, options, ranges);
      if (cond.kind === "const") return Number(cond.value) !== 0 ? then : (otherwise ?? EMPTY);
      if (isEmpty(then) && (otherwise === null || isEmpty(otherwise))) return EMPTY;
      return makeIf(cond, then, otherwise !== null && isEmpty(otherwise) ? null : otherwise);
    }
    default:
      return unreachable(statement);
  }
}

function simplifyFor(loop: Stmt & { kind: "for" }, options: SimplifyOptions, ranges: Map<Var, Interval>): Stmt {
  const extent = simplifyExpr(loop.extent, ranges);
  if (!options.keepLoops && extent.kind === "const" && Number(extent.value) <= 1) {
    if (Number(extent.value) <= 0) return EMPTY;
    return simplifyStmt(substituteStmt(loop.body, new Map([[loop.loopVar, int(0)]])), options, ranges);
  }
  const bound = intervalOf(extent, ranges);
  if (bound !== null && bound.max >= 1) ranges.set(loop.loopVar, { min: 0, max: bound.max - 1 });
  const body = simplifyStmt(loop.body, options, ranges);
  ranges.delete(loop.loopVar);
  if (!options.keepLoops && isEmpty(body)) return EMPTY;
  return makeFor(loop.loopVar, extent, body, loop.annotation);
}
