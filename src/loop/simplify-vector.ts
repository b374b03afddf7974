/**
 * Simplification rules for 4-lane expressions (after vectorize-loops.ts),
 * used by simplify.ts on nodes with lanes > 1. They matter most once loop
 * partitioning has made padding conditions provable: a select whose lane
 * mask is all true disappears, clamps of a ramp within bounds disappear,
 * and `broadcast(b) + ramp(r, 1, 4)` becomes `ramp(b + r, 1, 4)`, so a
 * gather turns back into one contiguous vector load.
 *
 * Rules (each exact lane by lane):
 * - op(broadcast(a), broadcast(b)) → broadcast(op(a, b)), likewise for
 *   compares, unaries, casts and loads at a broadcast index;
 * - int32 ramp ± broadcast, ramp ± ramp, ramp · constant → one ramp;
 * - compares and min/max decided by interval hulls over all lanes;
 * - select on an all-true/all-false mask → that operand; bool and/or with
 *   an all-true/all-false operand.
 */
import { type Binary, type Expr, binary, broadcast, cast, compare, constant, load, ramp, unary } from "../te/expr.js";
import { type Ranges, intervalOf, proveCompare } from "./linear.js";

export function simplifyVectorNode(node: Expr, ranges: Ranges, simplifyScalar: (expr: Expr) => Expr): Expr {
  switch (node.kind) {
    case "binary":
      return simplifyVectorBinary(node, ranges, simplifyScalar);
    case "compare": {
      if (node.a.kind === "broadcast" && node.b.kind === "broadcast") {
        return broadcast(simplifyScalar(compare(node.op, node.a.value, node.b.value)), node.lanes);
      }
      const proven = proveCompare(node.op, node.a, node.b, ranges);
      return proven === null ? node : broadcast(constant(proven, "bool"), node.lanes);
    }
    case "unary":
      return node.a.kind === "broadcast" ? broadcast(simplifyScalar(unary(node.op, node.a.value)), node.lanes) : node;
    case "cast":
      return node.a.kind === "broadcast" ? broadcast(simplifyScalar(cast(node.a.value, node.dtype)), node.lanes) : node;
    case "select": {
      const mask = allLanes(node.cond);
      if (mask === null) return node.a === node.b ? node.a : node;
      return mask ? node.a : node.b;
    }
    case "load":
      return node.index.kind === "broadcast" ? broadcast(load(node.buffer, node.index.value), node.lanes) : node;
    case "ramp":
      return node.stride === 0 ? broadcast(node.base, node.lanes) : node;
    default:
      return node;
  }
}

/** True/false when every lane of a bool vector is known to be 1/0. */
function allLanes(mask: Expr): boolean | null {
  if (mask.kind === "broadcast" && mask.value.kind === "const") return Number(mask.value.value) !== 0;
  return null;
}

function simplifyVectorBinary(node: Binary, ranges: Ranges, simplifyScalar: (expr: Expr) => Expr): Expr {
  const { a, b, op } = node;
  if (a.kind === "broadcast" && b.kind === "broadcast")
    return broadcast(simplifyScalar(binary(op, a.value, b.value)), node.lanes);
  if (node.dtype === "int32") {
    const merged = mergeRamps(node, simplifyScalar);
    if (merged !== null) return merged;
  }
  if (op === "min" || op === "max") return decideMinMax(node, ranges);
  if ((op === "and" || op === "or") && node.dtype === "bool") return simplifyMask(node);
  return node;
}

function mergeRamps(node: Binary, simplifyScalar: (expr: Expr) => Expr): Expr | null {
  const { a, b, op, lanes } = node;
  const part = (expr: Expr): { base: Expr; stride: number } | null => {
    if (expr.kind === "ramp") return { base: expr.base, stride: expr.stride };
    if (expr.kind === "broadcast") return { base: expr.value, stride: 0 };
    return null;
  };
  const left = part(a);
  const right = part(b);
  if (left === null || right === null) return null;
  if (op === "add" || op === "sub") {
    const stride = op === "add" ? left.stride + right.stride : left.stride - right.stride;
    return makeRamp(simplifyScalar(binary(op, left.base, right.base)), stride, lanes);
  }
  if (op === "mul" && right.stride === 0 && right.base.kind === "const") {
    return makeRamp(
      simplifyScalar(binary("mul", left.base, right.base)),
      left.stride * Number(right.base.value),
      lanes,
    );
  }
  if (op === "mul" && left.stride === 0 && left.base.kind === "const") {
    return makeRamp(
      simplifyScalar(binary("mul", right.base, left.base)),
      right.stride * Number(left.base.value),
      lanes,
    );
  }
  return null;
}

function makeRamp(base: Expr, stride: number, lanes: number): Expr {
  return stride === 0 ? broadcast(base, lanes) : ramp(base, stride, lanes);
}

function decideMinMax(node: Binary, ranges: Ranges): Expr {
  if (node.a === node.b) return node.a;
  const a = intervalOf(node.a, ranges);
  const b = intervalOf(node.b, ranges);
  if (a === null || b === null) return node;
  if (a.max <= b.min) return node.op === "min" ? node.a : node.b;
  if (b.max <= a.min) return node.op === "min" ? node.b : node.a;
  return node;
}

function simplifyMask(node: Binary): Expr {
  const absorbing = node.op === "and" ? false : true;
  for (const [side, other] of [
    [node.a, node.b],
    [node.b, node.a],
  ] as const) {
    const lanes = allLanes(side);
    if (lanes === null) continue;
    return lanes === absorbing ? side : other;
  }
  return node.a === node.b ? node.a : node;
}
