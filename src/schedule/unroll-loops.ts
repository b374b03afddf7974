/**
 * Expands loops annotated "unrolled" into one copy of the body per
 * iteration (the loop variable replaced by the constant), so codegen sees
 * straight-line code whatever it does with annotations.
 *
 * Unroll-and-jam: the copies are zipped statement by statement and their
 * loops merged, so `init accumulator; reduction loop; epilogue` copies
 * become one reduction loop with one accumulator per copy:
 * `acc0 = 0; acc1 = 0; for k { acc0 += …; acc1 += … }; store…; store…`.
 * That is register tiling: several independent accumulators stay in
 * registers across k. Legal because each copy's locals are renamed and no
 * copy loads a buffer that a copy stores, so the copies are independent and
 * any interleaving that keeps each copy's own order computes the same.
 *
 * Requires: unrolled loops have constant extents. Ensures: no "unrolled"
 * loop remains.
 */
import { type Expr, type Var, int, makeVar } from "../te/expr.js";
import type { Buffer, For, Stmt } from "../loop/ir.js";
import {
  exprsOfStmt,
  makeFor,
  makeSeq,
  mapStmt,
  substituteStmt,
  uniquifyLoopVars,
  visitExpr,
  walkStmt,
} from "../loop/stmt.js";

export function unrollLoops(body: Stmt): Stmt {
  const unrolled = mapStmt(body, (node) =>
    node.kind === "for" && node.annotation === "unrolled" ? unrollLoop(node) : node,
  );
  return unrolled === body ? body : uniquifyLoopVars(unrolled);
}

function unrollLoop(loop: For): Stmt {
  const extent = Number((loop.extent as { value: number }).value);
  const copies: Stmt[] = [];
  for (let iteration = 0; iteration < extent; iteration++) {
    const bindings = new Map<Var, Expr>([[loop.loopVar, int(iteration)]]);
    for (const local of localsOf(loop.body))
      bindings.set(local, makeVar(`${local.name}_u${iteration}`, local.dtype, local.lanes));
    copies.push(renameLocals(substituteStmt(loop.body, bindings), bindings));
  }
  return jam(copies) ?? makeSeq(copies);
}

/**
 * Locals the body defines afresh each iteration (first assigned without
 * reading themselves), which each copy may rename; a local read before it
 * is assigned (an accumulator living outside) is shared and keeps its name.
 */
function localsOf(body: Stmt): Set<Var> {
  const assigned = new Set<Var>();
  walkStmt(body, (node) => {
    if (node.kind === "assign") assigned.add(node.target);
  });
  const defined = new Set<Var>();
  const liveIn = new Set<Var>();
  walkStmt(body, (node) => {
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "var" && assigned.has(part) && !defined.has(part)) liveIn.add(part);
      });
    }
    if (node.kind === "assign" && !liveIn.has(node.target)) defined.add(node.target);
  });
  return defined;
}

/** substituteStmt rewrites reads; assignment targets are renamed here. */
function renameLocals(body: Stmt, bindings: ReadonlyMap<Var, Expr>): Stmt {
  return mapStmt(body, (node) => {
    if (node.kind !== "assign") return node;
    const renamed = bindings.get(node.target);
    return renamed === undefined || renamed.kind !== "var"
      ? node
      : { kind: "assign", target: renamed, value: node.value };
  });
}

/**
 * Zips the copies statement by statement, merging loops that sit at the
 * same position with the same variable and extent (recursively), or null
 * when the copies differ in shape or one copy loads a buffer a copy stores
 * (then interleaving them could change what is read).
 */
function jam(copies: readonly Stmt[]): Stmt | null {
  const lists = copies.map((copy) => (copy.kind === "seq" ? copy.body : [copy]));
  const length = lists[0]!.length;
  if (lists.some((list) => list.length !== length) || !lists.some((list) => list.some((node) => node.kind === "for"))) {
    return null;
  }
  const stored = new Set(storedBuffers(copies));
  if (copies.some((copy) => loadedBuffers(copy).some((buffer) => stored.has(buffer)))) return null;
  const zipped: Stmt[] = [];
  for (let position = 0; position < length; position++) zipped.push(zipPosition(lists.map((list) => list[position]!)));
  return makeSeq(zipped);
}

function zipPosition(statements: readonly Stmt[]): Stmt {
  const first = statements[0]!;
  const sameLoop = (node: Stmt): boolean =>
    node.kind === "for" && first.kind === "for" && node.loopVar === first.loopVar && node.extent === first.extent;
  if (!statements.every(sameLoop)) return makeSeq(statements);
  const loop = first as For;
  const bodies = statements.map((node) => (node as For).body);
  return makeFor(loop.loopVar, loop.extent, jam(bodies) ?? makeSeq(bodies), loop.annotation);
}

function storedBuffers(statements: readonly Stmt[]): Buffer[] {
  const buffers: Buffer[] = [];
  for (const statement of statements) {
    walkStmt(statement, (node) => {
      if (node.kind === "store") buffers.push(node.buffer);
    });
  }
  return buffers;
}

function loadedBuffers(statement: Stmt): Buffer[] {
  const buffers: Buffer[] = [];
  walkStmt(statement, (node) => {
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load") buffers.push(part.buffer);
      });
    }
  });
  return buffers;
}
