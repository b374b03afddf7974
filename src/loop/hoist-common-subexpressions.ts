/**
 * Common-subexpression elimination and loop-invariant hoisting for the
 * innermost loops of a kernel, where the micro-kernel's time goes.
 *
 * Unrolled micro-kernels repeat the same address arithmetic, scalar loads and
 * broadcasts in every unrolled copy; wasm engines only partly recover that.
 * This pass binds each repeated subexpression of an innermost loop body to a
 * local once, and moves arithmetic that does not change across the loop
 * (row base offsets, broadcast constants) to just before the loop.
 *
 * Requires: loop IR per loop/ir.ts.
 * Ensures: the same values are computed. A subexpression is shared only when
 * it reads no local assigned in the loop body and, if it loads, the body does
 * not store to that buffer. Loads move out of a loop only when its extent
 * is a positive constant and the loop does not store to their buffer (a
 * loop that may not run must not read what it would not have: the load
 * might be out of bounds), like softmax's 1 / sum. Ramps are never bound:
 * codegen needs to see them to emit contiguous vector loads.
 */
import { type Expr, type Var, childrenOf, makeVar } from "../te/expr.js";
import type { Buffer, For, Stmt } from "./ir.js";
import { isStraightLine, makeAssign, makeSeq, mapStmt, mapStmtExprs, rebuildExpr, rebuildFor } from "./stmt.js";

/** Temporaries are numbered per kernel, so a compile's output does not depend on what the process compiled before. */
let nextTemporary = 0;

export function hoistCommonSubexpressions(body: Stmt): Stmt {
  nextTemporary = 0;
  return mapStmt(body, (node) => {
    if (node.kind === "for" && isStraightLine(node.body)) return optimizeInnermost(node);
    if (node.kind === "seq" && !isStraightLine(node)) return shareWithinRuns(node.body);
    return node;
  });
}

/**
 * Binds the repeated subexpressions of each run of straight-line statements
 * between loops: a dense kernel's epilogue after its reduction loop, where
 * each stored value repeats `accumulator + bias` once per use in a fused
 * activation (tanh GELU: five times). The bindings lead their run.
 */
function shareWithinRuns(statements: readonly Stmt[]): Stmt {
  const result: Stmt[] = [];
  let run: Stmt[] = [];
  const flush = (): void => {
    if (run.length > 0) result.push(...shareRepeated(run));
    run = [];
  };
  for (const statement of statements) {
    if (statement.kind === "assign" || statement.kind === "store") {
      run.push(statement);
    } else {
      flush();
      result.push(statement);
    }
  }
  flush();
  return makeSeq(result);
}

/** `statements` with each eligible subexpression that occurs twice or more bound to a local once. */
function shareRepeated(statements: readonly Stmt[]): readonly Stmt[] {
  const { assigned, stored } = writesOf(statements);
  const eligible = (expr: Expr): boolean =>
    isWorthBinding(expr) && !isFreeAtUse(expr) && !dependsOnBody(expr, assigned, stored);
  return bindRepeated(statements, eligible).statements;
}

/**
 * Expressions a local would not save: a splatted constant (V8
 * rematerializes it at each use anyway) and an int32 `index + constant`
 * (codegen folds the constant into the memarg offset of each access).
 */
function isFreeAtUse(expr: Expr): boolean {
  if (expr.kind === "broadcast") return expr.value.kind === "const";
  return expr.kind === "binary" && expr.op === "add" && expr.dtype === "int32" && expr.b.kind === "const";
}

/** The locals assigned and the buffers stored by straight-line `statements`. */
function writesOf(statements: readonly Stmt[]): { assigned: Set<Var>; stored: Set<Buffer> } {
  const assigned = new Set<Var>();
  const stored = new Set<Buffer>();
  for (const statement of statements) {
    if (statement.kind === "assign") assigned.add(statement.target);
    if (statement.kind === "store") stored.add(statement.buffer);
  }
  return { assigned, stored };
}

function optimizeInnermost(loop: For): Stmt {
  const statements = loop.body.kind === "seq" ? loop.body.body : [loop.body];
  const { assigned, stored } = writesOf(statements);
  const shared = bindRepeated(statements, (expr) => isWorthBinding(expr) && !dependsOnBody(expr, assigned, stored));
  const loopDependent = (variable: Var): boolean =>
    variable === loop.loopVar || assigned.has(variable) || shared.locals.has(variable);
  // A loop of constant positive extent runs: its invariant loads may move before it.
  const runs = loop.extent.kind === "const" && Number(loop.extent.value) >= 1;
  const invariant = (expr: Expr): boolean =>
    isWorthBinding(expr) &&
    (runs ? !dependsOnBody(expr, assigned, stored) : !containsLoad(expr)) &&
    !mentions(expr, loopDependent);
  // A parallel loop is a task loop: nothing may move out of it.
  if (loop.annotation === "parallel") return rebuildFor(loop, loop.extent, makeSeq(shared.statements));
  const hoisted = bindMaximal(shared.statements, invariant);
  const inner = rebuildFor(loop, loop.extent, makeSeq(hoisted.statements));
  return hoisted.bindings.length === 0 ? inner : makeSeq([...hoisted.bindings, inner]);
}

function isWorthBinding(expr: Expr): boolean {
  switch (expr.kind) {
    case "binary":
    case "unary":
    case "cast":
    case "load":
    case "broadcast":
      return !(expr.kind === "broadcast" && expr.value.kind === "var");
    default:
      return false;
  }
}

function dependsOnBody(expr: Expr, assigned: ReadonlySet<Var>, stored: ReadonlySet<Buffer>): boolean {
  if (expr.kind === "var") return assigned.has(expr);
  if (expr.kind === "load" && stored.has(expr.buffer)) return true;
  return childrenOf(expr).some((child) => dependsOnBody(child, assigned, stored));
}

function containsLoad(expr: Expr): boolean {
  return expr.kind === "load" || childrenOf(expr).some(containsLoad);
}

function mentions(expr: Expr, test: (variable: Var) => boolean): boolean {
  if (expr.kind === "var") return test(expr);
  return childrenOf(expr).some((child) => mentions(child, test));
}

function exprsOf(statement: Stmt): readonly Expr[] {
  if (statement.kind === "assign") return [statement.value];
  if (statement.kind === "store") return [statement.index, statement.value];
  return [];
}

interface Bound {
  readonly statements: readonly Stmt[];
  readonly bindings: readonly Stmt[];
  readonly locals: ReadonlySet<Var>;
}

/** Binds every eligible subexpression that occurs twice or more; the bindings lead the body. */
function bindRepeated(statements: readonly Stmt[], eligible: (expr: Expr) => boolean): Bound {
  const counts = new Map<Expr, number>();
  const order: Expr[] = [];
  const count = (expr: Expr): void => {
    if (expr.kind === "ramp") return count(expr.base);
    const seen = counts.get(expr);
    counts.set(expr, (seen ?? 0) + 1);
    if (seen !== undefined) return;
    childrenOf(expr).forEach(count);
    order.push(expr);
  };
  statements.flatMap(exprsOf).forEach(count);
  const chosen = order.filter((expr) => counts.get(expr)! >= 2 && eligible(expr));
  const result = bindAll(statements, chosen);
  return { ...result, statements: [...result.bindings, ...result.statements] };
}

/** Binds the largest eligible subtrees (an eligible node whose parent is not eligible). */
function bindMaximal(statements: readonly Stmt[], eligible: (expr: Expr) => boolean): Bound {
  const chosen: Expr[] = [];
  const seen = new Set<Expr>();
  const visit = (expr: Expr): void => {
    if (seen.has(expr)) return;
    seen.add(expr);
    if (eligible(expr)) chosen.push(expr);
    else childrenOf(expr).forEach(visit);
  };
  statements.flatMap(exprsOf).forEach(visit);
  return bindAll(statements, chosen);
}

/** Replaces each chosen expression (in post-order: children before parents) by a new local. */
function bindAll(statements: readonly Stmt[], chosen: readonly Expr[]): Bound {
  const temporaries = new Map<Expr, Var>();
  const memo = new Map<Expr, Expr>();
  const replace = (expr: Expr, keepSelf: boolean): Expr => {
    const local = keepSelf ? undefined : temporaries.get(expr);
    if (local !== undefined) return local;
    if (!keepSelf && memo.has(expr)) return memo.get(expr)!;
    const children = childrenOf(expr);
    const replaced = children.map((child) => replace(child, false));
    const result = replaced.every((child, index) => child === children[index]) ? expr : rebuildExpr(expr, replaced);
    if (!keepSelf) memo.set(expr, result);
    return result;
  };
  const bindings: Stmt[] = [];
  for (const expr of chosen) {
    const value = replace(expr, true);
    memo.clear();
    if (value.kind === "var") {
      temporaries.set(expr, value);
      continue;
    }
    const local = makeVar(`cse${nextTemporary++}`, expr.dtype, expr.lanes);
    bindings.push(makeAssign(local, value));
    temporaries.set(expr, local);
  }
  const rewritten = statements.map((statement) => mapStmtExprs(statement, (expr) => replace(expr, false)));
  return { statements: rewritten, bindings, locals: new Set(temporaries.values()) };
}
