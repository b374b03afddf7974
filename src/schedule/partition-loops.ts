/**
 * Loop partitioning (Halide's boundary specialization): a serial loop whose
 * body tests its variable against bounds (the padding selects and clamped
 * loads of a convolution) is cut into a head, a middle and a tail, so the
 * middle, where every such test has the same outcome, runs code with the
 * tests simplified away: no selects, no clamps, contiguous vector loads.
 *
 * Requires: simplified loop IR. Ensures: the same semantics; a partitioned
 * loop `v` becomes loops `v.head` over [0, lo), `v.mid` over [lo, hi) and
 * `v.tail` over [hi, extent) (empty ones vanish in the next simplify), each
 * with `v` replaced by the new variable plus its offset; the middle body is
 * simplified with its narrower range. The middle is the longest run of
 * iterations where every condition that is ever decided is decided the same.
 */
import { type Expr, type Var, add, int, makeVar } from "../te/expr.js";
import type { For, Stmt } from "../loop/ir.js";
import type { Interval } from "../loop/linear.js";
import { simplifyExpr } from "../loop/simplify.js";
import {
  exprsOfStmt,
  makeFor,
  makeIf,
  makeSeq,
  mentionsVar,
  substituteExpr,
  substituteStmt,
  uniquifyLoopVars,
  visitExpr,
  walkStmt,
} from "../loop/stmt.js";
import { unreachable } from "../support/assert.js";

/** Loops longer than this are not scanned iteration by iteration. */
const MAX_SCANNED_EXTENT = 4096;
/** Partitions nest at most this deep, bounding code growth (3 copies per level). */
const MAX_DEPTH = 2;

export function partitionLoops(body: Stmt): Stmt {
  return uniquifyLoopVars(partition(body, new Map(), 0));
}

function partition(statement: Stmt, ranges: Map<Var, Interval>, depth: number): Stmt {
  switch (statement.kind) {
    case "for": {
      const extent = statement.extent.kind === "const" ? Number(statement.extent.value) : 0;
      const middle =
        statement.annotation === "serial" && depth < MAX_DEPTH ? findMiddle(statement, extent, ranges) : null;
      const pieces = middle === null ? [statement] : split(statement, extent, middle);
      const nextDepth = middle === null ? depth : depth + 1;
      return makeSeq(pieces.map((piece) => partitionBody(piece, ranges, nextDepth)));
    }
    case "seq":
      return makeSeq(statement.body.map((child) => partition(child, ranges, depth)));
    case "if": {
      const otherwise = statement.otherwise === null ? null : partition(statement.otherwise, ranges, depth);
      return makeIf(statement.cond, partition(statement.then, ranges, depth), otherwise);
    }
    case "store":
    case "assign":
      return statement;
    default:
      return unreachable(statement);
  }
}

function partitionBody(loop: For, ranges: Map<Var, Interval>, depth: number): For {
  const extent = loop.extent.kind === "const" ? Number(loop.extent.value) : 1;
  ranges.set(loop.loopVar, { min: 0, max: Math.max(0, extent - 1) });
  const body = partition(loop.body, ranges, depth);
  ranges.delete(loop.loopVar);
  return makeFor(loop.loopVar, loop.extent, body, loop.annotation);
}

interface Run {
  readonly low: number;
  readonly high: number;
}

/** The iterations [low, high) to specialize, or null when partitioning would not pay. */
function findMiddle(loop: For, extent: number, outerRanges: ReadonlyMap<Var, Interval>): Run | null {
  if (extent < 3 || extent > MAX_SCANNED_EXTENT) return null;
  const conditions = conditionsOn(loop);
  if (conditions.length === 0) return null;
  const ranges = new Map(outerRanges);
  walkStmt(loop.body, (node) => {
    if (node.kind === "for" && node.extent.kind === "const")
      ranges.set(node.loopVar, { min: 0, max: Number(node.extent.value) - 1 });
  });
  const signatures: (string | null)[][] = [];
  for (let value = 0; value < extent; value++) {
    const binding = new Map<Var, Expr>([[loop.loopVar, int(value)]]);
    signatures.push(conditions.map((condition) => outcome(condition, binding, ranges)));
  }
  const relevant = conditions.map((_, index) => signatures.some((signature) => signature[index] !== null));
  const keys = signatures.map((signature) => {
    const decided = signature.filter((_, index) => relevant[index]);
    return decided.includes(null) ? null : decided.join(",");
  });
  const run = longestRun(keys);
  if (run === null || run.high - run.low < 2 || (run.low === 0 && run.high === extent)) return null;
  return run;
}

/** Compares and int32 min/max whose operands mention the loop variable. */
function conditionsOn(loop: For): Expr[] {
  const found = new Set<Expr>();
  walkStmt(loop.body, (node) => {
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        const isTest = part.kind === "compare" && part.a.dtype === "int32";
        const isClamp = part.kind === "binary" && (part.op === "min" || part.op === "max") && part.dtype === "int32";
        if ((isTest || isClamp) && mentionsVar(part, (variable) => variable === loop.loopVar)) found.add(part);
      });
    }
  });
  return [...found];
}

/** "1"/"0" for a decided compare, "a"/"b" for a decided min/max, null when undecided. */
function outcome(condition: Expr, binding: ReadonlyMap<Var, Expr>, ranges: ReadonlyMap<Var, Interval>): string | null {
  const result = simplifyExpr(substituteExpr(condition, binding), ranges);
  if (condition.kind === "compare") {
    const value = result.kind === "broadcast" ? result.value : result;
    return value.kind === "const" ? String(value.value) : null;
  }
  if (condition.kind !== "binary") return null;
  if (result === simplifyExpr(substituteExpr(condition.a, binding), ranges)) return "a";
  if (result === simplifyExpr(substituteExpr(condition.b, binding), ranges)) return "b";
  return null;
}

function longestRun(keys: readonly (string | null)[]): Run | null {
  let best: Run | null = null;
  let start = 0;
  for (let index = 1; index <= keys.length; index++) {
    if (index < keys.length && keys[index] !== null && keys[index] === keys[start]) continue;
    if (keys[start] !== null && (best === null || index - start > best.high - best.low))
      best = { low: start, high: index };
    start = index;
  }
  return best;
}

function split(loop: For, extent: number, run: Run): For[] {
  const bounds: [string, number, number][] = [
    ["head", 0, run.low],
    ["mid", run.low, run.high],
    ["tail", run.high, extent],
  ];
  return bounds
    .filter(([, low, high]) => high > low)
    .map(([suffix, low, high]) => {
      const variable = makeVar(`${loop.loopVar.name}.${suffix}`);
      const body = substituteStmt(loop.body, new Map([[loop.loopVar, add(variable, int(low))]]));
      return makeFor(variable, high - low, body, loop.annotation);
    });
}
