/**
 * Turns a stored vector select between two loaded sources, on a condition
 * that is the same for every lane, into a branch.
 *
 * A Concat whose axis is not the vectorized one picks its source per
 * vector: `select(broadcast(c < 192), a[…], select(broadcast(c < 384),
 * b[…], …))`. Evaluated as data, every vector gathers from all sources and
 * keeps one (inception's output Concat+Transpose read four strided
 * gathers per vector). With a scalar condition the choice is one
 * predictable branch, and only the chosen source is read. When the
 * condition is a plain loop variable's range, loop partitioning has
 * already split the loop (partition-loops.ts); this covers conditions on
 * fused or divided indices, which it cannot split.
 *
 * Only stores qualify, and only selects whose two sides both load and whose
 * condition loads nothing: a select against a constant (padding) is
 * cheaper than a branch, a condition computed from indices changes rarely
 * (a data-dependent one, as in Where, would mispredict), and an
 * accumulator update inside a micro-kernel must stay straight-line.
 *
 * Requires: loop IR per loop/ir.ts.
 * Ensures: the same values are stored; fewer loads run. Loads that no
 * longer run had no effect (their indices were clamped in bounds).
 */
import type { Expr } from "../te/expr.js";
import type { Stmt, Store } from "./ir.js";
import { makeIf, makeStore, mapStmt, visitExpr } from "./stmt.js";

export function branchUniformSelects(body: Stmt): Stmt {
  return mapStmt(body, (node) => (node.kind === "store" ? branchStore(node) : node));
}

function branchStore(store: Store): Stmt {
  const value = store.value;
  if (value.kind !== "select" || !loads(value.a) || !loads(value.b)) return store;
  const cond = uniformCondition(value.cond);
  if (cond === null || loads(cond)) return store;
  return makeIf(
    cond,
    branchStore(makeStore(store.buffer, store.index, value.a)),
    branchStore(makeStore(store.buffer, store.index, value.b)),
  );
}

/** The scalar behind a condition that every lane shares: a broadcast scalar, or the scalar itself. */
function uniformCondition(cond: Expr): Expr | null {
  if (cond.lanes === 1) return cond;
  return cond.kind === "broadcast" && cond.value.lanes === 1 ? cond.value : null;
}

function loads(expr: Expr): boolean {
  let found = false;
  visitExpr(expr, (node) => {
    if (node.kind === "load") found = true;
  });
  return found;
}
