/**
 * Expands loops annotated "unrolled" into one copy of the body per
 * iteration (the loop variable replaced by the constant), so codegen sees
 * straight-line code whatever it does with annotations.
 *
 * Unroll-and-jam: when the body is `init accumulators; reduction loop;
 * epilogue` (the shape lowering gives an output element) the copies are
 * jammed into one reduction loop with one accumulator per copy:
 * `acc0 = 0; acc1 = 0; for k { acc0 += …; acc1 += … }; store…; store…`.
 * That is register tiling: several independent accumulators stay in
 * registers across k. Legal because the copies' reduction loops only assign
 * their own (renamed) locals and read no buffer the epilogues write.
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

interface Shape {
  readonly before: readonly Stmt[];
  readonly loop: For;
  readonly after: readonly Stmt[];
}

/** The jammed statement, or null when the copies do not have the jammable shape. */
function jam(copies: readonly Stmt[]): Stmt | null {
  const shapes = copies.map(shapeOf);
  if (shapes.some((shape) => shape === null)) return null;
  const valid = shapes as Shape[];
  const written = new Set<Buffer>();
  for (const shape of valid) for (const buffer of storedBuffers(shape.after)) written.add(buffer);
  for (const shape of valid) {
    if (loadedBuffers(shape.loop).some((buffer) => written.has(buffer))) return null;
  }
  return makeSeq([
    ...valid.flatMap((shape) => shape.before),
    jamLoops(valid.map((shape) => shape.loop)),
    ...valid.flatMap((shape) => shape.after),
  ]);
}

function shapeOf(copy: Stmt): Shape | null {
  const statements = copy.kind === "seq" ? copy.body : [copy];
  const loopPositions = statements.flatMap((statement, position) => (statement.kind === "for" ? [position] : []));
  if (loopPositions.length !== 1) return null;
  const position = loopPositions[0]!;
  const loop = statements[position] as For;
  const before = statements.slice(0, position);
  const after = statements.slice(position + 1);
  if (!before.every((statement) => statement.kind === "assign")) return null;
  if (after.some((statement) => containsLoop(statement)) || storedBuffers([loop]).length > 0) return null;
  return { before, loop, after };
}

/** Loops with the same variable and extent merge level by level; the innermost bodies run in sequence. */
function jamLoops(loops: readonly For[]): Stmt {
  const first = loops[0]!;
  const bodies = loops.map((loop) => loop.body);
  const nested = bodies.every(
    (body) =>
      body.kind === "for" && body.loopVar === (bodies[0] as For).loopVar && body.extent === (bodies[0] as For).extent,
  );
  const body = nested ? jamLoops(bodies as For[]) : makeSeq(bodies);
  return makeFor(first.loopVar, first.extent, body, first.annotation);
}

function containsLoop(statement: Stmt): boolean {
  let found = false;
  walkStmt(statement, (node) => {
    if (node.kind === "for") found = true;
  });
  return found;
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
