/**
 * The loop-restructuring primitives: split, fuse, reorder, and the loop
 * annotations (vectorize, parallel, unroll), each with the legality check
 * that makes it semantics-preserving on a LoopNest. Every function takes a
 * nest and a record and returns a new nest, or throws E_INVALID_SCHEDULE
 * naming the primitive and the loop.
 */
import { TesseraError } from "../support/errors.js";
import { binary, int, makeVar, compare, div, rem, add, mul, type Expr, type Var } from "../te/expr.js";
import type { For, Stmt } from "../loop/ir.js";
import { type LoopNest, collectLoops, findLoop, isReductionLoop } from "../loop/nest.js";
import {
  makeFor,
  makeIf,
  mapStmt,
  mentionsVar,
  rebuildFor,
  substituteStmt,
  walkStmt,
  exprsOfStmt,
  visitExpr,
} from "../loop/stmt.js";
import type { FuseRecord, LoopAnnotationRecord, ReorderRecord, SplitRecord } from "./primitives.js";
import { splitNames } from "./primitives.js";

export function scheduleError(primitive: string, loop: string, reason: string): TesseraError {
  return new TesseraError("E_INVALID_SCHEDULE", `${primitive} '${loop}': ${reason}`);
}

/** Replaces the loop named `name` by `build(loop)`. */
export function replaceLoop(body: Stmt, name: string, build: (loop: For) => Stmt): Stmt {
  return mapStmt(body, (node) => (node.kind === "for" && node.loopVar.name === name ? build(node) : node));
}

function extentOf(loop: For, primitive: string): number {
  if (loop.extent.kind !== "const") throw scheduleError(primitive, loop.loopVar.name, "loop extent is not a constant");
  return Number(loop.extent.value);
}

function checkFreshName(nest: LoopNest, name: string, primitive: string, loop: string): void {
  if (collectLoops(nest.body).has(name)) throw scheduleError(primitive, loop, `a loop named '${name}' already exists`);
}

export function applySplit(nest: LoopNest, record: SplitRecord): LoopNest {
  const { loop } = findLoop(nest.body, record.loop, "split");
  const extent = extentOf(loop, "split");
  if (!Number.isInteger(record.factor) || record.factor < 1)
    throw scheduleError("split", record.loop, `factor ${record.factor} must be a positive integer`);
  const names = splitNames(record);
  if (names.outer === names.inner) throw scheduleError("split", record.loop, "outer and inner names are equal");
  for (const name of [names.outer, names.inner])
    if (name !== record.loop) checkFreshName(nest, name, "split", record.loop);
  const overlap = record.tail === "overlap";
  if (overlap) checkOverlap(nest, loop, extent, record.factor);
  const outerVar = makeVar(names.outer);
  const innerVar = makeVar(names.inner);
  const blockStart = mul(outerVar, int(record.factor));
  const shifted = overlap && extent % record.factor !== 0;
  const start = shifted ? binary("min", blockStart, int(extent - record.factor)) : blockStart;
  const original = add(start, innerVar);
  const body = replaceLoop(nest.body, record.loop, (found) => {
    let inner = substituteStmt(found.body, new Map([[found.loopVar, original]]));
    if (!overlap && extent % record.factor !== 0) inner = makeIf(compare("lt", original, int(extent)), inner);
    const outerAnnotation = found.annotation === "parallel" ? "parallel" : "serial";
    return makeFor(
      outerVar,
      Math.ceil(extent / record.factor),
      makeFor(innerVar, record.factor, inner),
      outerAnnotation,
    );
  });
  const reduction = isReductionLoop(nest, record.loop) ? [names.outer, names.inner] : [];
  return {
    ...nest,
    body,
    reductionLoops: [...nest.reductionLoops.filter((name) => name !== record.loop), ...reduction],
  };
}

/**
 * An overlapping split runs some iterations twice, which is harmless only
 * when an iteration's effect depends on the loop index alone: the loop is
 * not a reduction, its body reads no buffer it writes (no accumulation into
 * memory, no stage computed and read inside it) and reads no local before
 * assigning it (no value carried from one iteration to the next). The
 * outer loop keeps a parallel annotation: two tasks may then store the same
 * value to the same element, which is benign.
 */
function checkOverlap(nest: LoopNest, loop: For, extent: number, factor: number): void {
  const name = loop.loopVar.name;
  const fail = (reason: string): never => {
    throw scheduleError("split", name, `overlapping tail: ${reason}`);
  };
  if (extent < factor) fail(`extent ${extent} is below the factor ${factor}`);
  if (isReductionLoop(nest, name)) fail("it iterates a reduction axis (re-running an iteration would add twice)");
  const written = new Set<number>();
  const locals = new Set<Var>();
  walkStmt(loop.body, (node) => {
    if (node.kind === "store") written.add(node.buffer.id);
    if (node.kind === "assign") locals.add(node.target);
  });
  const assigned = new Set<Var>();
  walkStmt(loop.body, (node) => {
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load" && written.has(part.buffer.id))
          fail(`its body reads '${part.buffer.name}', which it writes`);
        if (part.kind === "var" && locals.has(part) && !assigned.has(part))
          fail(`local '${part.name}' carries a value from one iteration to the next`);
      });
    }
    if (node.kind === "assign") assigned.add(node.target);
  });
}

export function applyFuse(nest: LoopNest, record: FuseRecord): LoopNest {
  const { loop: outer } = findLoop(nest.body, record.outer, "fuse");
  const inner = outer.body;
  if (inner.kind !== "for" || inner.loopVar.name !== record.inner) {
    throw scheduleError("fuse", record.outer, `loop '${record.inner}' is not the whole body of '${record.outer}'`);
  }
  if (isReductionLoop(nest, record.outer) !== isReductionLoop(nest, record.inner)) {
    throw scheduleError("fuse", record.outer, `cannot fuse a reduction loop with a spatial loop ('${record.inner}')`);
  }
  const name = record.name ?? `${record.outer}.${record.inner}.fused`;
  checkFreshName(nest, name, "fuse", record.outer);
  const outerExtent = extentOf(outer, "fuse");
  const innerExtent = extentOf(inner, "fuse");
  const fused = makeVar(name);
  const bindings = new Map<typeof fused, Expr>([
    [outer.loopVar, div(fused, int(innerExtent))],
    [inner.loopVar, rem(fused, int(innerExtent))],
  ]);
  const body = replaceLoop(nest.body, record.outer, () =>
    makeFor(
      fused,
      outerExtent * innerExtent,
      substituteStmt(inner.body, bindings),
      outer.annotation === "parallel" ? "parallel" : "serial",
    ),
  );
  const wasReduction = isReductionLoop(nest, record.outer);
  const reductionLoops = nest.reductionLoops.filter(
    (loopName) => loopName !== record.outer && loopName !== record.inner,
  );
  return { ...nest, body, reductionLoops: wasReduction ? [...reductionLoops, name] : reductionLoops };
}

/**
 * Reorders loops of one chain of perfectly nested loops (guards from
 * non-dividing splits may sit between them: they move to the innermost
 * position, which is legal because a guard only skips iterations). Loops of
 * the chain not named keep their positions.
 */
export function applyReorder(nest: LoopNest, record: ReorderRecord): LoopNest {
  const label = record.order.join(", ");
  if (new Set(record.order).size !== record.order.length) {
    throw scheduleError("reorder", label, "a loop is named twice");
  }
  const found = record.order.map((name) => findLoop(nest.body, name, "reorder"));
  const top = found.reduce((best, entry) => (entry.enclosing.length < best.enclosing.length ? entry : best)).loop;
  const { chain, guards } = perfectChain(top, record.order, label);
  const chainVars = new Set(chain.map((loop) => loop.loopVar));
  for (const loop of chain) {
    if (mentionsVar(loop.extent, (variable) => chainVars.has(variable))) {
      throw scheduleError("reorder", loop.loopVar.name, "its extent depends on another loop of the reordered chain");
    }
  }
  const wanted = new Set(record.order);
  const queue = record.order.map((name) => chain.find((loop) => loop.loopVar.name === name)!);
  const newChain = chain.map((loop) => (wanted.has(loop.loopVar.name) ? queue.shift()! : loop));
  const innermost = chain[chain.length - 1]!.body;
  let rebuilt: Stmt = innermost;
  if (guards.length > 0)
    rebuilt = makeIf(
      guards.reduce((a, b) => binary("and", a, b)),
      innermost,
    );
  for (let position = newChain.length - 1; position >= 0; position--) {
    const loop = newChain[position]!;
    rebuilt = rebuildFor(loop, loop.extent, rebuilt);
  }
  return { ...nest, body: replaceLoop(nest.body, top.loopVar.name, () => rebuilt) };
}

/** The loops from `top` down to the last of `names`, with the guard conditions met on the way. */
function perfectChain(top: For, names: readonly string[], label: string): { chain: For[]; guards: Expr[] } {
  const chain: For[] = [];
  const guards: Expr[] = [];
  let current: Stmt = top;
  for (;;) {
    if (current.kind === "for") {
      chain.push(current);
      if (names.every((name) => chain.some((loop) => loop.loopVar.name === name))) return { chain, guards };
      current = current.body;
    } else if (current.kind === "if" && current.otherwise === null) {
      guards.push(current.cond);
      current = current.then;
    } else {
      throw scheduleError("reorder", label, "the loops are not perfectly nested (statements sit between them)");
    }
  }
}

export function applyAnnotation(nest: LoopNest, record: LoopAnnotationRecord): LoopNest {
  const { loop, enclosing } = findLoop(nest.body, record.loop, record.kind);
  const extent = extentOf(loop, record.kind);
  if (record.kind === "parallel") checkParallel(nest, loop, enclosing);
  if (record.kind === "vectorize") checkVectorize(nest, loop, extent);
  if (record.kind === "unroll" && extent > 64)
    throw scheduleError("unroll", record.loop, `extent ${extent} is above the unroll limit of 64`);
  const annotation = { vectorize: "vectorized", parallel: "parallel", unroll: "unrolled" } as const;
  const body = replaceLoop(nest.body, record.loop, (found) =>
    rebuildFor(found, found.extent, found.body, annotation[record.kind]),
  );
  return { ...nest, body };
}

function checkParallel(nest: LoopNest, loop: For, enclosing: readonly For[]): void {
  const name = loop.loopVar.name;
  if (isReductionLoop(nest, name)) throw scheduleError("parallel", name, "it iterates a reduction axis");
  if (enclosing.length > 0)
    throw scheduleError("parallel", name, `it is not outermost (inside '${enclosing[0]!.loopVar.name}')`);
  walkStmt(nest.body, (node) => {
    if (node.kind === "for" && node.annotation === "parallel" && node !== loop) {
      throw scheduleError(
        "parallel",
        name,
        `loop '${node.loopVar.name}' is already parallel (one task loop per kernel)`,
      );
    }
  });
}

const VECTOR_TYPES = new Set(["float32", "int32", "uint32"]);

function checkVectorize(nest: LoopNest, loop: For, extent: number): void {
  const name = loop.loopVar.name;
  if (isReductionLoop(nest, name)) throw scheduleError("vectorize", name, "it iterates a reduction axis");
  if (extent < 4) throw scheduleError("vectorize", name, `extent ${extent} is below 4 lanes`);
  walkStmt(loop.body, (node) => {
    if (node.kind === "for" && !isReductionLoop(nest, node.loopVar.name)) {
      throw scheduleError("vectorize", name, `it is not innermost (spatial loop '${node.loopVar.name}' is inside)`);
    }
    if (node.kind === "if" && mentionsVar(node.cond, (variable) => variable === loop.loopVar)) {
      throw scheduleError(
        "vectorize",
        name,
        "a guard depends on it (split by a factor that does not divide the extent)",
      );
    }
    if (node.kind === "assign" && !VECTOR_TYPES.has(node.target.dtype)) {
      throw scheduleError(
        "vectorize",
        name,
        `it accumulates ${node.target.dtype} (only 32-bit element types vectorize)`,
      );
    }
    if (node.kind === "store" && !VECTOR_TYPES.has(node.buffer.dtype)) {
      throw scheduleError("vectorize", name, `it stores ${node.buffer.dtype} (only 32-bit element types vectorize)`);
    }
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        const memoryOrCast = part.kind === "load" || part.kind === "cast";
        if (memoryOrCast && !VECTOR_TYPES.has(part.dtype)) {
          throw scheduleError("vectorize", name, `it computes on ${part.dtype} (only 32-bit element types vectorize)`);
        }
      });
    }
  });
}
