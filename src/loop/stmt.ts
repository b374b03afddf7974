/**
 * Factories and generic traversals for loop IR statements (loop/ir.ts).
 * Statements are plain readonly objects; every transform builds new ones
 * through these factories and returns its input unchanged when nothing
 * changed, so callers may compare with `===` to detect progress.
 */
import { assert, unreachable } from "../support/assert.js";
import {
  type Expr,
  type Var,
  binary,
  broadcast,
  cast,
  childrenOf,
  compare,
  load,
  ramp,
  reduce,
  select,
  tload,
  unary,
  int,
  makeVar,
} from "../te/expr.js";
import type { Buffer, For, IfThenElse, LoopAnnotation, Seq, Stmt, Store, Assign } from "./ir.js";

export function makeFor(loopVar: Var, extent: Expr | number, body: Stmt, annotation: LoopAnnotation = "serial"): For {
  const extentExpr = typeof extent === "number" ? int(extent) : extent;
  assert(loopVar.dtype === "int32" && loopVar.lanes === 1, `loop variable ${loopVar.name} must be scalar int32`);
  return { kind: "for", loopVar, extent: extentExpr, annotation, body };
}

export function makeStore(buffer: Buffer, index: Expr, value: Expr): Store {
  assert(index.dtype === "int32", `store to ${buffer.name}: index must be int32`);
  assert(
    index.lanes === value.lanes,
    `store to ${buffer.name}: ${index.lanes} index lanes, ${value.lanes} value lanes`,
  );
  assert(value.dtype === buffer.dtype, `store to ${buffer.name}: value ${value.dtype}, buffer ${buffer.dtype}`);
  return { kind: "store", buffer, index, value };
}

export function makeAssign(target: Var, value: Expr): Assign {
  assert(target.dtype === value.dtype && target.lanes === value.lanes, `assign to ${target.name}: type mismatch`);
  return { kind: "assign", target, value };
}

/** A sequence, flattened: nested sequences are spliced, and a single statement is returned as is. */
export function makeSeq(statements: readonly Stmt[]): Stmt {
  const flat: Stmt[] = [];
  for (const statement of statements) {
    if (statement.kind === "seq") flat.push(...statement.body);
    else flat.push(statement);
  }
  if (flat.length === 1) return flat[0]!;
  const result: Seq = { kind: "seq", body: flat };
  return result;
}

export function makeIf(cond: Expr, then: Stmt, otherwise: Stmt | null = null): IfThenElse {
  assert(cond.dtype === "bool", "if condition must be bool");
  return { kind: "if", cond, then, otherwise };
}

export const EMPTY: Stmt = { kind: "seq", body: [] };

export function isEmpty(statement: Stmt): boolean {
  return statement.kind === "seq" && statement.body.length === 0;
}

/** Rebuilds one node with new children through the interning factories. */
export function rebuildExpr(expr: Expr, children: readonly Expr[]): Expr {
  const original = childrenOf(expr);
  const same = children.every((child, index) => child === original[index]);
  if (same) return expr;
  switch (expr.kind) {
    case "const":
    case "var":
      return expr;
    case "binary":
      return binary(expr.op, children[0]!, children[1]!);
    case "compare":
      return compare(expr.op, children[0]!, children[1]!);
    case "unary":
      return unary(expr.op, children[0]!);
    case "cast":
      return cast(children[0]!, expr.dtype);
    case "select":
      return select(children[0]!, children[1]!, children[2]!);
    case "tload":
      return tload(expr.tensor, children);
    case "reduce":
      return reduce(expr.op, expr.axes, children[0]!);
    case "load":
      return load(expr.buffer, children[0]!);
    case "ramp":
      return ramp(children[0]!, expr.stride, expr.lanes);
    case "broadcast":
      return broadcast(children[0]!, expr.lanes);
    default:
      return unreachable(expr);
  }
}

/** Bottom-up rewrite of an expression; `rewrite` sees each node after its children were rewritten. Memoized per call. */
export function transformExpr(expr: Expr, rewrite: (node: Expr) => Expr, memo = new Map<Expr, Expr>()): Expr {
  const cached = memo.get(expr);
  if (cached !== undefined) return cached;
  const children = childrenOf(expr).map((child) => transformExpr(child, rewrite, memo));
  const result = rewrite(rebuildExpr(expr, children));
  memo.set(expr, result);
  return result;
}

/** Replaces variables by expressions (scalar for scalar). */
export function substituteExpr(expr: Expr, bindings: ReadonlyMap<Var, Expr>): Expr {
  if (bindings.size === 0) return expr;
  return transformExpr(expr, (node) => (node.kind === "var" ? (bindings.get(node) ?? node) : node));
}

/** True when `expr` mentions any variable for which `test` holds. */
export function mentionsVar(expr: Expr, test: (variable: Var) => boolean): boolean {
  if (expr.kind === "var") return test(expr);
  return childrenOf(expr).some((child) => mentionsVar(child, test));
}

/** Visits every expression node reachable from `expr` (with repeats for shared nodes). */
export function visitExpr(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  for (const child of childrenOf(expr)) visitExpr(child, visit);
}

/** Applies `rewrite` to every top-level expression of every statement (loop extents, indices, values, conditions). */
export function mapStmtExprs(statement: Stmt, rewrite: (expr: Expr) => Expr): Stmt {
  return mapStmt(statement, (node) => {
    switch (node.kind) {
      case "for":
        return rebuildFor(node, rewrite(node.extent), node.body);
      case "store": {
        const index = rewrite(node.index);
        const value = rewrite(node.value);
        return index === node.index && value === node.value ? node : makeStore(node.buffer, index, value);
      }
      case "assign": {
        const value = rewrite(node.value);
        return value === node.value ? node : makeAssign(node.target, value);
      }
      case "if": {
        const cond = rewrite(node.cond);
        return cond === node.cond ? node : makeIf(cond, node.then, node.otherwise);
      }
      case "seq":
        return node;
      default:
        return unreachable(node);
    }
  });
}

/** Bottom-up rewrite of statements: `rewrite` sees each statement after its children were rewritten. */
export function mapStmt(statement: Stmt, rewrite: (node: Stmt) => Stmt): Stmt {
  switch (statement.kind) {
    case "for": {
      const body = mapStmt(statement.body, rewrite);
      return rewrite(body === statement.body ? statement : rebuildFor(statement, statement.extent, body));
    }
    case "seq": {
      const body = statement.body.map((child) => mapStmt(child, rewrite));
      const same = body.every((child, index) => child === statement.body[index]);
      return rewrite(same ? statement : makeSeq(body));
    }
    case "if": {
      const then = mapStmt(statement.then, rewrite);
      const otherwise = statement.otherwise === null ? null : mapStmt(statement.otherwise, rewrite);
      const same = then === statement.then && otherwise === statement.otherwise;
      return rewrite(same ? statement : makeIf(statement.cond, then, otherwise));
    }
    case "store":
    case "assign":
      return rewrite(statement);
    default:
      return unreachable(statement);
  }
}

export function rebuildFor(loop: For, extent: Expr, body: Stmt, annotation: LoopAnnotation = loop.annotation): For {
  if (extent === loop.extent && body === loop.body && annotation === loop.annotation) return loop;
  return makeFor(loop.loopVar, extent, body, annotation);
}

export function substituteStmt(statement: Stmt, bindings: ReadonlyMap<Var, Expr>): Stmt {
  if (bindings.size === 0) return statement;
  const memo = new Map<Expr, Expr>();
  const rewrite = (expr: Expr): Expr =>
    transformExpr(expr, (node) => (node.kind === "var" ? (bindings.get(node) ?? node) : node), memo);
  return mapStmtExprs(statement, rewrite);
}

/** Visits statements top-down with the chain of enclosing loops (outermost first). */
export function walkStmt(
  statement: Stmt,
  visit: (node: Stmt, loops: readonly For[]) => void,
  loops: readonly For[] = [],
): void {
  visit(statement, loops);
  switch (statement.kind) {
    case "for":
      walkStmt(statement.body, visit, [...loops, statement]);
      return;
    case "seq":
      for (const child of statement.body) walkStmt(child, visit, loops);
      return;
    case "if":
      walkStmt(statement.then, visit, loops);
      if (statement.otherwise !== null) walkStmt(statement.otherwise, visit, loops);
      return;
    case "store":
    case "assign":
      return;
    default:
      unreachable(statement);
  }
}

/** Whether some expression node anywhere in `statement` satisfies `test`. */
export function someExpr(statement: Stmt, test: (node: Expr) => boolean): boolean {
  let found = false;
  walkStmt(statement, (node) => {
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (!found && test(part)) found = true;
      });
    }
  });
  return found;
}

/** Whether a loop body is straight-line code: assignments and stores only, no loops or branches. */
export function isStraightLine(statement: Stmt): boolean {
  if (statement.kind === "seq") return statement.body.every(isStraightLine);
  return statement.kind === "assign" || statement.kind === "store";
}

/** Every expression held directly by a statement (not by its children). */
export function exprsOfStmt(statement: Stmt): readonly Expr[] {
  switch (statement.kind) {
    case "for":
      return [statement.extent];
    case "store":
      return [statement.index, statement.value];
    case "assign":
      return [statement.value];
    case "if":
      return [statement.cond];
    case "seq":
      return [];
    default:
      return unreachable(statement);
  }
}

/** The constant value of a loop extent; asserts the extent is constant. */
export function constantExtent(loop: For): number {
  assert(loop.extent.kind === "const", `loop ${loop.loopVar.name} has a non-constant extent`);
  return Number(loop.extent.value);
}

/** Copies of a body (unrolling, partitioning) share their inner loops' variables; every copy after the first gets fresh ones. */
export function uniquifyLoopVars(body: Stmt): Stmt {
  const seen = new Set<Var>();
  const rename = (node: Stmt): Stmt => {
    switch (node.kind) {
      case "for": {
        if (!seen.has(node.loopVar)) {
          seen.add(node.loopVar);
          return makeFor(node.loopVar, node.extent, rename(node.body), node.annotation);
        }
        const fresh = makeVar(`${node.loopVar.name}_${seen.size}`);
        seen.add(fresh);
        return makeFor(
          fresh,
          node.extent,
          rename(substituteStmt(node.body, new Map([[node.loopVar, fresh]]))),
          node.annotation,
        );
      }
      case "seq":
        return makeSeq(node.body.map(rename));
      case "if":
        return makeIf(node.cond, rename(node.then), node.otherwise === null ? null : rename(node.otherwise));
      case "store":
      case "assign":
        return node;
      default:
        return unreachable(node);
    }
  };
  return rename(body);
}
