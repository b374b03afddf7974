/**
 * compute_at, restricted form: moves a materialized stage's nest under a
 * consumer loop so that each iteration of that loop computes just the slice
 * of the stage it reads (softmax's row max and row sum computed per row,
 * inside the row loop), and shrinks the stage's scratch buffer to one slice.
 *
 * Legality (all checked; otherwise E_INVALID_SCHEDULE):
 * 1. The stage is still a top-level statement and comes before the
 *    statement holding the target loop.
 * 2. Let c1…cd be the loops enclosing the target loop, the target loop
 *    included (outermost first). The stage's statement begins with d
 *    perfectly nested loops s1…sd with the same constant extents: both
 *    iterate the same domain.
 * 3. Every store to the stage's buffer has index Σ coef_k·s_k + rest, with
 *    constant coefficients shared by all stores, `rest` free of s1…sd and
 *    within [0, slice) where slice = coef_d ≥ 1, and coef_k ≥ coef_{k+1}·extent_{k+1}
 *    (mixed radix): iteration s writes only addresses in its own slice.
 * 4. Every read of the buffer lies inside the target loop, with index
 *    Σ coef_k·c_k + rest' (same coefficients), rest' free of c1…cd and
 *    within [0, slice): iteration c reads only what iteration s = c wrote.
 * Then running the stage's inner statements (with s_k := c_k) at the start
 * of the target loop's body computes exactly what the consumer reads there.
 * The buffer keeps one slice; finalize.ts gives each parallel task its own.
 */
import { unreachable } from "../support/assert.js";
import { type Expr, type Var, load } from "../te/expr.js";
import { type Buffer, type For, type Stmt, makeBuffer } from "../loop/ir.js";
import { type Interval, fromLinearForm, intervalOf, linearForm } from "../loop/linear.js";
import { type LoopNest, findLoop } from "../loop/nest.js";
import {
  exprsOfStmt,
  makeIf,
  makeSeq,
  makeStore,
  mapStmt,
  mapStmtExprs,
  mentionsVar,
  rebuildFor,
  substituteStmt,
  transformExpr,
  visitExpr,
  walkStmt,
} from "../loop/stmt.js";
import type { ComputeAtRecord } from "./primitives.js";
import { replaceLoop, scheduleError } from "./loop-transforms.js";

export function applyComputeAt(nest: LoopNest, record: ComputeAtRecord): LoopNest {
  const fail = (reason: string): never => {
    throw scheduleError("compute_at", `${record.stage}' at '${record.loop}`, reason);
  };
  const stage = nest.stages.find((candidate) => candidate.name === record.stage) ?? fail("no stage by that name");
  const statements = nest.body.kind === "seq" ? nest.body.body : [nest.body];
  const stagePosition = statements.findIndex((statement) => writes(statement, stage.buffer));
  if (stagePosition < 0 || !isTopLevelStage(statements[stagePosition]!, stage.buffer))
    fail("the stage is no longer a top-level statement");
  const target = findLoop(nest.body, record.loop, "compute_at");
  const consumerPosition = statements.findIndex((statement) => contains(statement, target.loop));
  if (consumerPosition <= stagePosition) fail("the loop does not come after the stage");
  const consumerLoops = [...target.enclosing, target.loop];
  const stageLoops = leadingLoops(statements[stagePosition]!, consumerLoops.length);
  if (stageLoops === null || stageLoops.some((loop, depth) => !sameConstantExtent(loop, consumerLoops[depth]!))) {
    fail("the stage's outer loops do not iterate the same domain as the loops enclosing the target");
  }
  const geometry =
    sliceGeometry(statements[stagePosition]!, stage.buffer, stageLoops!) ??
    fail("the stage's writes are not one slice per iteration");
  const slice = makeBuffer(stage.buffer.name, stage.buffer.dtype, geometry.slice, "scratch");
  const readsOutside = statements.some(
    (statement, position) => position !== stagePosition && readsOutsideLoop(statement, stage.buffer, target.loop),
  );
  if (readsOutside) fail(`the buffer is also read outside loop '${record.loop}'`);
  const consumerVars = consumerLoops.map((loop) => loop.loopVar);
  const rewrittenLoop = rewriteReads(target.loop, stage.buffer, slice, consumerVars, geometry, fail);
  const innermostStage = stageLoops![stageLoops!.length - 1]!.body;
  const bindings = new Map<Var, Expr>(stageLoops!.map((loop, depth) => [loop.loopVar, consumerVars[depth]!]));
  const moved = rewriteWrites(substituteStmt(innermostStage, bindings), stage.buffer, slice, consumerVars);
  const placed = rebuildFor(rewrittenLoop, rewrittenLoop.extent, makeSeq([moved, rewrittenLoop.body]));
  const remaining = statements.filter((_, position) => position !== stagePosition);
  const body = replaceLoop(makeSeq(remaining), record.loop, () => placed);
  return {
    ...nest,
    body,
    buffers: nest.buffers.map((buffer) => (buffer === stage.buffer ? slice : buffer)),
    stages: nest.stages.map((candidate) => (candidate === stage ? { ...candidate, buffer: slice } : candidate)),
  };
}

function writes(statement: Stmt, buffer: Buffer): boolean {
  let found = false;
  walkStmt(statement, (node) => {
    if (node.kind === "store" && node.buffer === buffer) found = true;
  });
  return found;
}

/** True when the statement is a stage nest: it starts with a loop. */
function isTopLevelStage(statement: Stmt, buffer: Buffer): boolean {
  return statement.kind === "for" && writes(statement, buffer);
}

function contains(statement: Stmt, loop: For): boolean {
  let found = false;
  walkStmt(statement, (node) => {
    if (node === loop) found = true;
  });
  return found;
}

function leadingLoops(statement: Stmt, depth: number): For[] | null {
  const loops: For[] = [];
  let current = statement;
  while (loops.length < depth) {
    if (current.kind !== "for") return null;
    loops.push(current);
    current = current.body;
  }
  return loops;
}

function sameConstantExtent(a: For, b: For): boolean {
  return a.extent.kind === "const" && b.extent.kind === "const" && a.extent.value === b.extent.value;
}

interface SliceGeometry {
  readonly coefficients: readonly number[];
  readonly slice: number;
}

/** Conditions 3 of the file comment; null when they fail. */
function sliceGeometry(statement: Stmt, buffer: Buffer, stageLoops: readonly For[]): SliceGeometry | null {
  const loopVars = stageLoops.map((loop) => loop.loopVar);
  let coefficients: number[] | null = null;
  let valid = true;
  walkStmt(statement, (node, enclosing) => {
    if (node.kind !== "store" || node.buffer !== buffer) return;
    const split = splitIndex(node.index, loopVars);
    const sameAsBefore =
      coefficients === null || split.coefficients.every((value, depth) => value === coefficients![depth]);
    coefficients ??= split.coefficients;
    const slice = coefficients[coefficients.length - 1]!;
    const free = !mentionsVar(split.rest, (variable) => loopVars.includes(variable));
    valid &&= sameAsBefore && free && slice >= 1 && withinSlice(split.rest, enclosing, slice);
  });
  if (!valid || coefficients === null) return null;
  const found: number[] = coefficients;
  const extents = stageLoops.map((loop) => Number((loop.extent as { value: number }).value));
  const mixedRadix = found.every(
    (value, depth) => depth === found.length - 1 || value >= found[depth + 1]! * extents[depth + 1]!,
  );
  return mixedRadix ? { coefficients: found, slice: found[found.length - 1]! } : null;
}

/** Splits an index into coefficients of `loopVars` and the rest; a loop var left in the rest makes it fail later. */
function splitIndex(index: Expr, loopVars: readonly Var[]): { coefficients: number[]; rest: Expr } {
  const form = linearForm(index);
  const terms = new Map(form.terms);
  const coefficients = loopVars.map((variable) => {
    const coefficient = terms.get(variable) ?? 0;
    terms.delete(variable);
    return coefficient;
  });
  return { coefficients, rest: fromLinearForm({ terms, constant: form.constant }) };
}

function withinSlice(rest: Expr, enclosing: readonly For[], slice: number): boolean {
  const ranges = new Map<Var, Interval>();
  for (const loop of enclosing) {
    if (loop.extent.kind === "const") ranges.set(loop.loopVar, { min: 0, max: Number(loop.extent.value) - 1 });
  }
  const bounds = intervalOf(rest, ranges);
  return bounds !== null && bounds.min >= 0 && bounds.max < slice;
}

function readsOutsideLoop(statement: Stmt, buffer: Buffer, loop: For): boolean {
  let outside = false;
  const visit = (node: Stmt): void => {
    if (node === loop) return;
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load" && part.buffer === buffer) outside = true;
      });
    }
    if (node.kind === "for") visit(node.body);
    if (node.kind === "seq") node.body.forEach(visit);
    if (node.kind === "if") [node.then, node.otherwise].forEach((child) => child !== null && visit(child));
  };
  visit(statement);
  return outside;
}

type Fail = (reason: string) => never;

/** Condition 4: reads inside the loop move to the slice buffer at index rest'. */
function rewriteReads(
  loop: For,
  buffer: Buffer,
  slice: Buffer,
  consumerVars: readonly Var[],
  geometry: SliceGeometry,
  fail: Fail,
): For {
  const body = mapStmtWithLoops(loop.body, (expr, enclosing) =>
    transformExpr(expr, (node) => {
      if (node.kind !== "load" || node.buffer !== buffer) return node;
      return load(slice, sliceIndex(node.index, consumerVars, geometry, enclosing, fail));
    }),
  );
  return rebuildFor(loop, loop.extent, body);
}

function rewriteWrites(statement: Stmt, buffer: Buffer, slice: Buffer, consumerVars: readonly Var[]): Stmt {
  return mapStmt(statement, (node) => {
    if (node.kind !== "store" || node.buffer !== buffer) return node;
    return makeStore(slice, splitIndex(node.index, consumerVars).rest, node.value);
  });
}

function sliceIndex(
  index: Expr,
  consumerVars: readonly Var[],
  geometry: SliceGeometry,
  enclosing: readonly For[],
  fail: Fail,
): Expr {
  const split = splitIndex(index, consumerVars);
  if (!split.coefficients.every((value, depth) => value === geometry.coefficients[depth])) {
    fail("a read's index does not follow the loops enclosing the target as the stage's writes do");
  }
  if (
    mentionsVar(split.rest, (variable) => consumerVars.includes(variable)) ||
    !withinSlice(split.rest, enclosing, geometry.slice)
  ) {
    fail("a read's index leaves the slice written for the same iteration");
  }
  return split.rest;
}

/** Rewrites every expression of a statement, telling `rewrite` the loops enclosing it (for range proofs). */
function mapStmtWithLoops(statement: Stmt, rewrite: (expr: Expr, enclosing: readonly For[]) => Expr): Stmt {
  const walk = (node: Stmt, enclosing: readonly For[]): Stmt => {
    switch (node.kind) {
      case "for":
        return rebuildFor(node, node.extent, walk(node.body, [...enclosing, node]));
      case "seq":
        return makeSeq(node.body.map((child) => walk(child, enclosing)));
      case "if": {
        const otherwise = node.otherwise === null ? null : walk(node.otherwise, enclosing);
        return makeIf(rewrite(node.cond, enclosing), walk(node.then, enclosing), otherwise);
      }
      case "store":
      case "assign":
        return mapStmtExprs(node, (expr) => rewrite(expr, enclosing));
      default:
        return unreachable(node);
    }
  };
  return walk(statement, []);
}
