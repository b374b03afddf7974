/**
 * Two analyses of int32 index expressions used by the simplifier and by
 * schedule legality checks:
 * - linear forms: an expression as Σ coefficient · atom + constant, where
 *   atoms are the non-linear parts (variables, div, rem, loads, products of
 *   two non-constants). Coefficients wrap like int32 arithmetic, so
 *   rebuilding from a linear form is exact in the ring of int32 values.
 * - intervals: conservative [min, max] bounds given bounds of variables
 *   (loop variables range over [0, extent)); null when unknown or when an
 *   intermediate could leave the int32 range (so no proof relies on wrap).
 */
import { type Expr, type Var, binary, int } from "../te/expr.js";

export interface LinearForm {
  /** Atom → coefficient (never 0), in order of first appearance. */
  readonly terms: ReadonlyMap<Expr, number>;
  readonly constant: number;
}

export interface Interval {
  readonly min: number;
  readonly max: number;
}

export type Ranges = ReadonlyMap<Var, Interval>;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function isIndexExpr(expr: Expr): boolean {
  return expr.dtype === "int32" && expr.lanes === 1;
}

export function linearForm(expr: Expr): LinearForm {
  const terms = new Map<Expr, number>();
  let constantPart = 0;
  const visit = (node: Expr, scale: number): void => {
    if (node.kind === "const" && isIndexExpr(node)) {
      constantPart = (constantPart + Math.imul(Number(node.value), scale)) | 0;
      return;
    }
    if (node.kind === "binary" && isIndexExpr(node)) {
      if (node.op === "add" || node.op === "sub") {
        visit(node.a, scale);
        visit(node.b, node.op === "add" ? scale : -scale | 0);
        return;
      }
      if (node.op === "mul" && node.b.kind === "const") return visit(node.a, Math.imul(scale, Number(node.b.value)));
      if (node.op === "mul" && node.a.kind === "const") return visit(node.b, Math.imul(scale, Number(node.a.value)));
    }
    if (node.kind === "unary" && node.op === "neg" && isIndexExpr(node)) return visit(node.a, -scale | 0);
    const coefficient = ((terms.get(node) ?? 0) + scale) | 0;
    if (coefficient === 0) terms.delete(node);
    else terms.set(node, coefficient);
  };
  visit(expr, 1);
  recombineDivisions(terms, visit);
  return { terms, constant: constantPart };
}

/**
 * k·c·(x / c) + k·(x % c) = k·x, exact for truncating division (x = (x/c)·c + x%c):
 * the shape fused loops leave when the consumer flattens the indices back.
 */
function recombineDivisions(terms: Map<Expr, number>, visit: (node: Expr, scale: number) => void): void {
  for (const [atom, coefficient] of [...terms]) {
    if (atom.kind !== "binary" || atom.op !== "rem" || atom.b.kind !== "const" || !terms.has(atom)) continue;
    const quotient = [...terms.keys()].find(
      (other) => other.kind === "binary" && other.op === "div" && other.a === atom.a && other.b === atom.b,
    );
    if (quotient === undefined || terms.get(quotient) !== Math.imul(coefficient, Number(atom.b.value))) continue;
    terms.delete(atom);
    terms.delete(quotient);
    visit(atom.a, coefficient);
  }
}

/** Rebuilds an expression from a linear form: positive terms first, the constant last. */
export function fromLinearForm(form: LinearForm): Expr {
  const entries = [...form.terms].filter(([, coefficient]) => coefficient !== 0);
  const ordered = [...entries.filter(([, c]) => c > 0), ...entries.filter(([, c]) => c < 0)];
  let result: Expr | null = null;
  for (const [atom, coefficient] of ordered) {
    if (result === null) {
      result = coefficient === 1 ? atom : binary("mul", atom, int(coefficient));
    } else if (coefficient > 0) {
      result = binary("add", result, coefficient === 1 ? atom : binary("mul", atom, int(coefficient)));
    } else {
      const magnitude = -coefficient | 0;
      result = binary("sub", result, magnitude === 1 ? atom : binary("mul", atom, int(magnitude)));
    }
  }
  if (result === null) return int(form.constant);
  if (form.constant > 0) return binary("add", result, int(form.constant));
  if (form.constant < 0) return binary("sub", result, int(-form.constant | 0));
  return result;
}

function checked(min: number, max: number): Interval | null {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min < INT32_MIN || max > INT32_MAX) return null;
  return { min, max };
}

/**
 * Conservative bounds of an int32 or bool expression; null when unknown. For
 * a vector, the bounds hold for every lane (lane-wise interval arithmetic on
 * those hulls stays sound).
 */
export function intervalOf(expr: Expr, ranges: Ranges): Interval | null {
  if (expr.dtype === "bool") return boolInterval(expr, ranges);
  if (expr.dtype !== "int32") return null;
  switch (expr.kind) {
    case "const":
      return { min: Number(expr.value), max: Number(expr.value) };
    case "var":
      return ranges.get(expr) ?? null;
    case "binary":
      return binaryInterval(expr.op, intervalOf(expr.a, ranges), intervalOf(expr.b, ranges));
    case "select": {
      const a = intervalOf(expr.a, ranges);
      const b = intervalOf(expr.b, ranges);
      return a === null || b === null ? null : { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
    }
    case "cast":
      return expr.a.dtype === "bool" ? { min: 0, max: 1 } : null;
    case "broadcast":
      return intervalOf(expr.value, ranges);
    case "ramp": {
      const base = intervalOf(expr.base, ranges);
      const span = expr.stride * (expr.lanes - 1);
      return base === null ? null : checked(base.min + Math.min(0, span), base.max + Math.max(0, span));
    }
    default:
      return null;
  }
}

function boolInterval(expr: Expr, ranges: Ranges): Interval {
  if (expr.kind === "const") return { min: Number(expr.value), max: Number(expr.value) };
  if (expr.kind === "broadcast") return boolInterval(expr.value, ranges);
  if (expr.kind === "binary" && (expr.op === "and" || expr.op === "or")) {
    const a = boolInterval(expr.a, ranges);
    const b = boolInterval(expr.b, ranges);
    return expr.op === "and"
      ? { min: Math.min(a.min, b.min), max: Math.min(a.max, b.max) }
      : { min: Math.max(a.min, b.min), max: Math.max(a.max, b.max) };
  }
  if (expr.kind === "compare") {
    const proven = proveCompare(expr.op, expr.a, expr.b, ranges);
    if (proven !== null) return { min: proven, max: proven };
  }
  return { min: 0, max: 1 };
}

function binaryInterval(op: string, a: Interval | null, b: Interval | null): Interval | null {
  if (a === null || b === null) return null;
  switch (op) {
    case "add":
      return checked(a.min + b.min, a.max + b.max);
    case "sub":
      return checked(a.min - b.max, a.max - b.min);
    case "mul": {
      const products = [a.min * b.min, a.min * b.max, a.max * b.min, a.max * b.max];
      return checked(Math.min(...products), Math.max(...products));
    }
    case "div":
      if (b.min !== b.max || b.min <= 0) return null;
      return { min: Math.trunc(a.min / b.min), max: Math.trunc(a.max / b.min) };
    case "rem":
      if (b.min !== b.max || b.min <= 0) return null;
      if (a.min >= 0) return a.max < b.min ? a : { min: 0, max: b.min - 1 };
      return { min: -(b.min - 1), max: b.min - 1 };
    case "min":
      return { min: Math.min(a.min, b.min), max: Math.min(a.max, b.max) };
    case "max":
      return { min: Math.max(a.min, b.min), max: Math.max(a.max, b.max) };
    default:
      return null;
  }
}

/** 1 or 0 when `a op b` holds for all or no values in `ranges`, else null. Int32 operands only. */
export function proveCompare(op: string, a: Expr, b: Expr, ranges: Ranges): number | null {
  if (a.dtype !== "int32") return null;
  if (a.lanes !== 1) return proveVectorCompare(op, a, b, ranges);
  // Both sides must be free of overflow on their own, or the mathematical difference says nothing about wrapped values.
  if (intervalOf(a, ranges) === null || intervalOf(b, ranges) === null) return null;
  const difference = intervalOf(fromLinearForm(subtractForms(linearForm(a), linearForm(b))), ranges);
  if (difference === null) return null;
  return decideCompare(op, difference);
}

/** A vector compare decided for every lane from the hulls of both sides. */
function proveVectorCompare(op: string, a: Expr, b: Expr, ranges: Ranges): number | null {
  const left = intervalOf(a, ranges);
  const right = intervalOf(b, ranges);
  if (left === null || right === null) return null;
  return decideCompare(op, { min: left.min - right.max, max: left.max - right.min });
}

/** Whether `d op 0` holds for every d in the interval (1), for none (0), or depends (null). */
function decideCompare(op: string, { min, max }: Interval): number | null {
  const decide = (always: boolean, never: boolean): number | null => {
    if (always) return 1;
    return never ? 0 : null;
  };
  switch (op) {
    case "lt":
      return decide(max < 0, min >= 0);
    case "le":
      return decide(max <= 0, min > 0);
    case "gt":
      return decide(min > 0, max <= 0);
    case "ge":
      return decide(min >= 0, max < 0);
    case "eq":
      return decide(min === 0 && max === 0, min > 0 || max < 0);
    case "ne":
      return decide(min > 0 || max < 0, min === 0 && max === 0);
    default:
      return null;
  }
}

export function subtractForms(a: LinearForm, b: LinearForm): LinearForm {
  const terms = new Map(a.terms);
  for (const [atom, coefficient] of b.terms) {
    const sum = ((terms.get(atom) ?? 0) - coefficient) | 0;
    if (sum === 0) terms.delete(atom);
    else terms.set(atom, sum);
  }
  return { terms, constant: (a.constant - b.constant) | 0 };
}
