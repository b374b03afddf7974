/**
 * Turns loops annotated "vectorized" into 4-lane (one v128) computations.
 *
 * Requires: the loop has a constant extent of at least 4, and only
 * reduction loops nest inside it (apply-schedule.ts checks both). Ensures:
 * - the loop variable becomes ramp(base, 1, 4) (base 0 for extent 4; an
 *   extent 4·n keeps a serial loop of n vector steps; for an extent 4·n + r
 *   one more vector step covers the last 4 iterations, overlapping the
 *   previous step, when iterations are independent (no buffer both loaded
 *   and stored), else a serial loop `<loop>.rest` runs the r last ones);
 * - loop-invariant scalars stay scalar and are broadcast where they meet a
 *   vector; index arithmetic on ramps stays a ramp when it can (ramp + s,
 *   ramp · c), so a load or store at ramp(base, 1, 4) is a contiguous vector
 *   access and any other vector index is a gather/scatter for codegen;
 * - locals assigned inside the loop (accumulators) become 4-lane locals, so
 *   a vectorized output loop around a reduction loop keeps one vector
 *   accumulator (matmul's output columns with k inside).
 * When something cannot be expressed lane-wise (a non-32-bit type, a guard
 * whose condition varies across lanes, a store at a lane-invariant index of
 * a lane-varying value), the loop is left serial: still correct, only slower.
 */
import {
  type Expr,
  type Var,
  add,
  binary,
  broadcast,
  cast,
  compare,
  int,
  load,
  makeVar,
  ramp,
  select,
  unary,
} from "../te/expr.js";
import type { Buffer, For, Stmt } from "../loop/ir.js";
import { linearForm } from "../loop/linear.js";
import {
  makeAssign,
  makeFor,
  makeIf,
  makeSeq,
  makeStore,
  mapStmt,
  rebuildFor,
  exprsOfStmt,
  substituteStmt,
  uniquifyLoopVars,
  visitExpr,
  walkStmt,
} from "../loop/stmt.js";

const LANES = 4;
const VECTOR_TYPES = new Set(["float32", "int32", "uint32", "bool"]);

export function vectorizeLoops(body: Stmt): Stmt {
  const vectorized = mapStmt(body, (node) =>
    node.kind === "for" && node.annotation === "vectorized" ? vectorizeLoop(node) : node,
  );
  return vectorized === body ? body : uniquifyLoopVars(vectorized);
}

class CannotVectorize extends Error {}

function vectorizeLoop(loop: For): Stmt {
  const extent = loop.extent.kind === "const" ? Number(loop.extent.value) : 0;
  const steps = Math.floor(extent / LANES);
  if (steps === 0) return rebuildFor(loop, loop.extent, loop.body, "serial");
  const stepVar = makeVar(loop.loopVar.name);
  const base = steps === 1 ? int(0) : binary("mul", stepVar, int(LANES));
  try {
    const vectorBody = vectorizeBody(loop, base);
    const vectorPart = steps === 1 ? vectorBody : makeFor(stepVar, steps, vectorBody);
    const remainder = extent - steps * LANES;
    if (remainder === 0) return vectorPart;
    if (iterationsIndependent(loop.body)) return makeSeq([vectorPart, vectorizeBody(loop, int(extent - LANES))]);
    const restVar = makeVar(`${loop.loopVar.name}.rest`);
    const restBody = substituteStmt(loop.body, new Map([[loop.loopVar, add(restVar, int(steps * LANES))]]));
    return makeSeq([vectorPart, makeFor(restVar, remainder, restBody)]);
  } catch (error) {
    if (error instanceof CannotVectorize) return rebuildFor(loop, loop.extent, loop.body, "serial");
    throw error;
  }
}

function vectorizeBody(loop: For, base: Expr): Stmt {
  return new Vectorizer(loop.loopVar, ramp(base, 1, LANES), localsAssignedIn(loop.body)).statement(loop.body);
}

/**
 * True when no iteration reads a buffer the body writes: then running some
 * iterations twice (the last vector step overlapping the previous one,
 * for an extent that 4 does not divide) stores the same values again.
 */
function iterationsIndependent(body: Stmt): boolean {
  const stored = new Set<Buffer>();
  const loaded = new Set<Buffer>();
  walkStmt(body, (node) => {
    if (node.kind === "store") stored.add(node.buffer);
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load") loaded.add(part.buffer);
      });
    }
  });
  return [...stored].every((buffer) => !loaded.has(buffer));
}

function localsAssignedIn(body: Stmt): Map<Var, Var> {
  const locals = new Map<Var, Var>();
  walkStmt(body, (node) => {
    if (node.kind === "assign" && !locals.has(node.target)) {
      locals.set(node.target, makeVar(node.target.name, node.target.dtype, LANES));
    }
  });
  return locals;
}

class Vectorizer {
  private readonly memo = new Map<Expr, Expr>();

  constructor(
    private readonly laneVar: Var,
    private readonly laneValue: Expr,
    private readonly locals: ReadonlyMap<Var, Var>,
  ) {}

  statement(node: Stmt): Stmt {
    switch (node.kind) {
      case "for": {
        if (this.expr(node.extent).lanes !== 1) throw new CannotVectorize();
        return makeFor(
          node.loopVar,
          node.extent,
          this.statement(node.body),
          node.annotation === "vectorized" ? "serial" : node.annotation,
        );
      }
      case "store": {
        const index = this.expr(node.index);
        const value = this.expr(node.value);
        if (index.lanes === 1 && value.lanes === 1) return makeStore(node.buffer, index, value);
        if (index.lanes === 1) throw new CannotVectorize();
        return makeStore(node.buffer, index, this.widen(value));
      }
      case "assign":
        return makeAssign(this.locals.get(node.target)!, this.widen(this.expr(node.value)));
      case "seq":
        return makeSeq(node.body.map((child) => this.statement(child)));
      case "if": {
        const cond = this.expr(node.cond);
        if (cond.lanes !== 1) throw new CannotVectorize();
        return makeIf(cond, this.statement(node.then), node.otherwise === null ? null : this.statement(node.otherwise));
      }
    }
  }

  private widen(expr: Expr): Expr {
    if (expr.lanes === LANES) return expr;
    return broadcast(expr, LANES);
  }

  expr(node: Expr): Expr {
    const cached = this.memo.get(node);
    if (cached !== undefined) return cached;
    const result = this.vectorizeNode(node);
    if (result.lanes !== 1 && !VECTOR_TYPES.has(result.dtype)) throw new CannotVectorize();
    this.memo.set(node, result);
    return result;
  }

  private vectorizeNode(node: Expr): Expr {
    switch (node.kind) {
      case "const":
        return node;
      case "var":
        if (node === this.laneVar) return this.laneValue;
        return this.locals.get(node) ?? node;
      case "binary":
        return this.binaryNode(node.op, this.expr(node.a), this.expr(node.b));
      case "compare": {
        const [a, b] = this.matchLanes(this.expr(node.a), this.expr(node.b));
        return compare(node.op, a, b);
      }
      case "unary":
        return unary(node.op, this.expr(node.a));
      case "cast":
        return cast(this.expr(node.a), node.dtype);
      case "select": {
        const parts = [this.expr(node.cond), this.expr(node.a), this.expr(node.b)];
        const anyVector = parts.some((part) => part.lanes !== 1);
        const [cond, a, b] = anyVector ? parts.map((part) => this.widen(part)) : parts;
        return select(cond!, a!, b!);
      }
      case "load":
        return load(node.buffer, this.expr(node.index));
      case "ramp":
      case "broadcast":
      case "tload":
      case "reduce":
        throw new CannotVectorize();
    }
  }

  private matchLanes(a: Expr, b: Expr): [Expr, Expr] {
    if (a.lanes === b.lanes) return [a, b];
    return [this.widen(a), this.widen(b)];
  }

  /** Keeps index arithmetic on ramps as ramps (so loads stay contiguous), else goes lane-wise. */
  private binaryNode(op: Parameters<typeof binary>[0], a: Expr, b: Expr): Expr {
    if (a.lanes === 1 && b.lanes === 1) return binary(op, a, b);
    if (isUniform(a) && isUniform(b)) return broadcast(binary(op, scalarOf(a), scalarOf(b)), LANES);
    const isIndex = a.dtype === "int32";
    if (isIndex && (op === "add" || op === "sub")) {
      const combined = combineRamps(op, a, b);
      if (combined !== null) return combined;
    }
    if (isIndex && (op === "div" || op === "rem")) return alignedDivision(op, a, b);
    if (isIndex && op === "mul") {
      const [scaleA, scaleB] = [scalarOf(a), scalarOf(b)];
      if (a.kind === "ramp" && scaleB.kind === "const")
        return makeRamp(binary("mul", a.base, scaleB), a.stride * Number(scaleB.value));
      if (b.kind === "ramp" && scaleA.kind === "const")
        return makeRamp(binary("mul", b.base, scaleA), b.stride * Number(scaleA.value));
    }
    const [left, right] = this.matchLanes(a, b);
    return binary(op, left, right);
  }
}

/**
 * ramp(base, 1, 4) / c and % c for c a multiple of 4 and base a non-negative
 * multiple of 4: the lanes never straddle a multiple of c, so the quotient is
 * one broadcast and the remainder a ramp. Other vector integer divisions are
 * not emitted (wasm SIMD has none): the loop stays serial.
 */
function alignedDivision(op: "div" | "rem", a: Expr, b: Expr): Expr {
  const divisor = scalarOf(b);
  if (a.kind !== "ramp" || a.stride !== 1 || divisor.kind !== "const" || Number(divisor.value) % LANES !== 0)
    throw new CannotVectorize();
  const form = linearForm(a.base);
  const aligned = [...form.terms].every(
    ([atom, coefficient]) => atom.kind === "var" && coefficient > 0 && coefficient % LANES === 0,
  );
  if (!aligned || form.constant < 0 || form.constant % LANES !== 0) throw new CannotVectorize();
  return op === "div"
    ? broadcast(binary("div", a.base, divisor), LANES)
    : ramp(binary("rem", a.base, divisor), 1, LANES);
}

/** A scalar, or a broadcast of one: every lane holds the same value. */
function isUniform(expr: Expr): boolean {
  return expr.lanes === 1 || expr.kind === "broadcast";
}

function scalarOf(expr: Expr): Expr {
  return expr.kind === "broadcast" ? expr.value : expr;
}

function makeRamp(base: Expr, stride: number): Expr {
  return stride === 0 ? broadcast(base, LANES) : ramp(base, stride, LANES);
}

/** ramp ± scalar, scalar ± ramp and ramp ± ramp as one ramp; null for other shapes. */
function combineRamps(op: "add" | "sub", a: Expr, b: Expr): Expr | null {
  const sign = op === "add" ? 1 : -1;
  const baseOf = (expr: Expr): Expr | null => {
    if (expr.kind === "ramp") return expr.base;
    return isUniform(expr) ? scalarOf(expr) : null;
  };
  const strideOf = (expr: Expr): number => (expr.kind === "ramp" ? expr.stride : 0);
  const baseA = baseOf(a);
  const baseB = baseOf(b);
  if (baseA === null || baseB === null) return null;
  return makeRamp(binary(op, baseA, baseB), strideOf(a) + sign * strideOf(b));
}
