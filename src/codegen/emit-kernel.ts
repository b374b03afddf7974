/**
 * Loop-IR kernel → one wasm function `(first: i32, count: i32) -> ()`.
 *
 * When the outermost statement is a `for` annotated "parallel" (the task
 * loop), its variable runs over [first, first + count), clamped to the
 * loop's extent; otherwise the body runs once when count > 0. Inner loops
 * are counted loops (a do-while when the extent is a positive constant).

 * Loop variables and assign targets become wasm locals of their type.
 *
 * Requires a verified loop IR (loop/verify-loop.ts). Ensures the function
 * never traps on well-formed IR whose accesses stay in bounds.
 */
import { assert, unreachable } from "../support/assert.js";
import type { For, IfThenElse, Kernel, Stmt } from "../loop/ir.js";
import { type Expr, type Var, broadcast, load } from "../te/expr.js";
import {
  exprsOfStmt,
  isStraightLine,
  mapStmtExprs,
  mentionsVar,
  transformExpr,
  visitExpr,
  walkStmt,
} from "../loop/stmt.js";
import { dtypeBytes } from "../support/dtype.js";
import { FunctionBuilder } from "./function-builder.js";
import { KernelContext, wasmTypeOfExpr, type KernelEmitOptions } from "./kernel-context.js";
import { emitExpr } from "./emit-expr.js";
import { emitStore, isNonNegativeIndex } from "./emit-memory.js";
import { type AddressInduction, planAddressInduction } from "./address-induction.js";
import { segmentStep } from "./step-segments.js";
import { block, branch, i32Const, localGet, localSet, localTee, plain } from "./wasm/instructions.js";
import type { FunctionDefinition } from "./wasm/module-builder.js";

export type { KernelEmitOptions } from "./kernel-context.js";

export interface EmittedKernel {
  readonly definition: FunctionDefinition;
  /** Names of the math helper functions the kernel calls. */
  readonly helpers: readonly string[];
  /** v128 constants the kernel reads from globals, by global name. */
  readonly constants: ReadonlyMap<string, readonly number[]>;
}

const FIRST = 0;
const COUNT = 1;

export function emitKernel(kernel: Kernel, options: KernelEmitOptions): EmittedKernel {
  const builder = new FunctionBuilder(
    kernel.name,
    [
      { name: "first", type: "i32" },
      { name: "count", type: "i32" },
    ],
    [],
  );
  const context = new KernelContext(builder, options);
  const body = splatLoads(kernel.body);
  markNonNegativeLocals(context, body);
  markConstantVectors(context, body);
  countReads(context, body);
  if (body.kind === "for" && body.annotation === "parallel") emitTaskLoop(context, body);
  else {
    builder.emit(localGet(COUNT), i32Const(0), plain("i32.gt_s"), block("if"));
    emitStmt(context, body);
    builder.emit(plain("end"));
  }
  return { definition: builder.finish(true), helpers: [...context.helpers], constants: builder.constantGlobals };
}

/**
 * broadcast(load(b, i)) of a 32-bit element → load(b, broadcast(i)), which
 * emits as one v128.load32_splat (a load-port broadcast) instead of a scalar
 * load and a shuffle on the vector pipes the micro-kernel's arithmetic needs.
 */
function splatLoads(body: Stmt): Stmt {
  const memo = new Map<Expr, Expr>();
  return mapStmtExprs(body, (expr) =>
    transformExpr(
      expr,
      (node) =>
        node.kind === "broadcast" &&
        node.value.kind === "load" &&
        node.value.lanes === 1 &&
        dtypeBytes(node.value.dtype) === 4
          ? load(node.value.buffer, broadcast(node.value.index, node.lanes))
          : node,
      memo,
    ),
  );
}

/**
 * Records in `context.constantVectors` the vector locals assigned exactly
 * once, to a broadcast constant (the hoisted bounds of Relu and Clip), so
 * the emitter can see through them (emit-vector.ts emitClamp).
 */
function markConstantVectors(context: KernelContext, body: Stmt): void {
  const assignments = new Map<Var, Expr[]>();
  walkStmt(body, (node) => {
    if (node.kind === "assign") assignments.set(node.target, [...(assignments.get(node.target) ?? []), node.value]);
  });
  for (const [target, values] of assignments) {
    const [value] = values;
    if (values.length === 1 && value?.kind === "broadcast" && value.value.kind === "const") {
      context.constantVectors.set(target, Number(value.value.value));
    }
  }
}

function countReads(context: KernelContext, body: Stmt): void {
  walkStmt(body, (node) => {
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "var") context.readCounts.set(part, (context.readCounts.get(part) ?? 0) + 1);
      });
    }
  });
}

/**
 * Adds to `context.nonNegativeVars` the loop variables and the int32 locals
 * whose every assignment is provably non-negative (built with add, mul, div,
 * rem, min, shr from non-negative constants and such variables), so that
 * constant terms of an index built on them (a CSE'd row base + 512) fold into
 * the memarg offset instead of costing an add per access.
 */
function markNonNegativeLocals(context: KernelContext, body: Stmt): void {
  const assignments = new Map<Var, Expr[]>();
  walkStmt(body, (node) => {
    if (node.kind === "for") context.nonNegativeVars.add(node.loopVar);
    if (node.kind === "assign" && node.target.dtype === "int32" && node.target.lanes === 1) {
      const list = assignments.get(node.target) ?? [];
      list.push(node.value);
      assignments.set(node.target, list);
    }
  });
  const known = context.nonNegativeVars;
  let changed = true;
  while (changed) {
    changed = false;
    for (const [variable, values] of assignments) {
      if (known.has(variable) || !values.every((value) => isNonNegativeIndex(value, known))) continue;
      known.add(variable);
      changed = true;
    }
  }
}

function emitTaskLoop(context: KernelContext, loop: For): void {
  const builder = context.builder;
  const task = context.localOf(loop.loopVar);
  context.nonNegativeVars.add(loop.loopVar);
  const end = builder.addLocal("end", "i32");
  builder.emit(localGet(FIRST), localGet(COUNT), plain("i32.add"), localSet(end));
  // end = min(end, extent), so a runtime that over-counts cannot run past the loop.
  emitExpr(context, loop.extent);
  builder.emit(localGet(end), localGet(end));
  emitExpr(context, loop.extent);
  builder.emit(plain("i32.gt_s"), plain("select"), localSet(end));
  builder.emit(localGet(FIRST), localSet(task));
  emitWhileLoop(context, task, end, loop.body);
}

/** while (variable < end) { body; variable++ } */
function emitWhileLoop(context: KernelContext, variable: number, end: number, body: Stmt): void {
  const builder = context.builder;
  const hoistsConstants = isStraightLine(body);
  if (hoistsConstants) builder.beginConstantScope();
  builder.emit(block("block"), block("loop"));
  builder.emit(localGet(variable), localGet(end), plain("i32.ge_s"), branch("br_if", 1));
  emitStmt(context, body);
  builder.emit(localGet(variable), i32Const(1), plain("i32.add"), localSet(variable), branch("br", 0));
  builder.emit(plain("end"), plain("end"));
  if (hoistsConstants) builder.endConstantScope();
}

export function emitStmt(context: KernelContext, stmt: Stmt): void {
  switch (stmt.kind) {
    case "for":
      emitFor(context, stmt);
      return;
    case "store":
      emitStore(context, stmt);
      return;
    case "assign":
      if (context.induction?.deadLocals.has(stmt.target) === true) return;
      assert(
        stmt.value.dtype === stmt.target.dtype && stmt.value.lanes === stmt.target.lanes,
        `assign to ${stmt.target.name}: type mismatch`,
      );
      emitExpr(context, stmt.value);
      context.builder.emit(localSet(context.localOf(stmt.target)));
      return;
    case "seq":
      for (const child of stmt.body) emitStmt(context, child);
      return;
    case "if":
      emitIf(context, stmt);
      return;
    default:
      unreachable(stmt);
  }
}

function emitFor(context: KernelContext, loop: For): void {
  // The loop variable's local is declared before the address pointers', as it always was (same code).
  context.localOf(loop.loopVar);
  // Planned with the loops around it on the stack; its body sees it there too.
  const induction = planInduction(context, loop);
  context.enclosingLoops.push(loop);
  emitForIn(context, loop, induction);
  context.enclosingLoops.pop();
}

function planInduction(context: KernelContext, loop: For): AddressInduction | null {
  const extent = loop.extent;
  return extent.kind === "const" && Number(extent.value) > 0 ? planAddressInduction(context, loop) : null;
}

function emitForIn(context: KernelContext, loop: For, induction: AddressInduction | null): void {
  const builder = context.builder;
  const variable = context.localOf(loop.loopVar);
  context.nonNegativeVars.add(loop.loopVar);
  const extent = loop.extent;
  if (extent.kind === "const") {
    const trips = Number(extent.value);
    if (trips <= 0) return;
    // do { body; variable++ } while (variable < extent): one branch per iteration.
    const pairs = splitsInPairs(context, loop, trips);
    induction?.emitStart(context);
    const hoistsConstants = isStraightLine(loop.body);
    if (hoistsConstants) builder.beginConstantScope();
    builder.emit(i32Const(0), localSet(variable));
    builder.emit(block("loop"));
    context.induction = induction;
    const segments = stepSegments(loop.body);
    if (pairs) {
      emitStep(context, segments);
      induction?.emitTouch(context);
      induction?.emitAdvance(context);
      builder.emit(localGet(variable), i32Const(1), plain("i32.add"), localSet(variable));
      endBasicBlock(context);
    }
    emitStep(context, segments);
    induction?.emitTouch(context);
    induction?.emitAdvance(context);
    context.induction = null;
    builder.emit(
      localGet(variable),
      i32Const(1),
      plain("i32.add"),
      localTee(variable),
      i32Const(trips),
      plain("i32.lt_s"),
    );
    builder.emit(branch("br_if", 0), plain("end"));
    if (hoistsConstants) builder.endConstantScope();
    return;
  }
  const end = builder.temporary("i32");
  emitExpr(context, extent);
  builder.emit(localSet(end), i32Const(0), localSet(variable));
  emitWhileLoop(context, variable, end, loop.body);
  builder.release(end);
}

/**
 * One iteration's body in the pieces it is emitted in: a straight-line
 * micro-kernel step cut into segments (step-segments.ts), anything else whole.
 */
function stepSegments(body: Stmt): readonly (readonly Stmt[])[] {
  if (!isStraightLine(body)) return [[body]];
  const statements: Stmt[] = [];
  walkStmt(body, (node) => {
    if (node.kind !== "seq") statements.push(node);
  });
  return segmentStep(statements);
}

/** Emits one iteration's segments, each in its own basic block. */
function emitStep(context: KernelContext, segments: readonly (readonly Stmt[])[]): void {
  segments.forEach((segment, index) => {
    if (index > 0) endBasicBlock(context);
    for (const statement of segment) emitStmt(context, statement);
  });
}

/**
 * A branch that is never taken (task indices are ≥ 0) but ends a basic
 * block, so that V8 keeps the loads after it below it (see splitsInPairs).
 * It must branch back to the innermost loop's head, the only label at
 * depth 0 in a step: as a forward exit, V8 peels the loop's first
 * iteration, proves the branch dead and merges the blocks. Each branch
 * tests `first` against its own negative constant: TurboFan drops a branch
 * on a condition an earlier branch already decided, so with one shared
 * `first == -1` only the function's first micro-kernel loop kept its
 * blocks (resnext50's grouped 3×3 convs with 16 channels per group:
 * 2.27 → 1.53 ms from this alone).
 */
function endBasicBlock(context: KernelContext): void {
  const never = -1 - context.blockBreaks++;
  context.builder.emit(localGet(FIRST_PARAM), i32Const(never), plain("i32.eq"), branch("br_if", 0));
}

/** Local index of the kernel's `first` parameter. */
const FIRST_PARAM = 0;
/** Shortest reduction loop worth running two steps per iteration. */
const MIN_PAIRED_TRIPS = 16;

/**
 * Whether an innermost micro-kernel loop (straight-line body updating a
 * vector accumulator, an even trip count) runs two steps per iteration,
 * the steps in separate basic blocks. Node 20's V8 hoists every load of a
 * basic block to its top, so two unrolled steps in one block keep twice the
 * loaded operands live next to the accumulators and spill; a never-taken
 * branch between them keeps each step's loads with it, and the pair halves
 * the loop overhead (matmul_512 6.5 → 6.3 ms, bert_encoder −3% at 1 thread).
 * With relaxed_madd the single step is faster (5.1 vs 5.7 ms), so only
 * mul+add kernels pair.
 */
function splitsInPairs(context: KernelContext, loop: For, trips: number): boolean {
  if (context.relaxedSimd || trips < MIN_PAIRED_TRIPS || trips % 2 !== 0) return false;
  return isStraightLine(loop.body) && updatesVectorAccumulator(loop.body);
}

function updatesVectorAccumulator(statement: Stmt): boolean {
  if (statement.kind === "seq") return statement.body.some(updatesVectorAccumulator);
  return (
    statement.kind === "assign" &&
    statement.target.lanes > 1 &&
    mentionsVar(statement.value, (variable) => variable === statement.target)
  );
}

function emitIf(context: KernelContext, stmt: IfThenElse): void {
  assertScalarCondition(stmt.cond);
  const builder = context.builder;
  emitExpr(context, stmt.cond);
  builder.emit(block("if"));
  emitStmt(context, stmt.then);
  if (stmt.otherwise !== null) {
    builder.emit(plain("else"));
    emitStmt(context, stmt.otherwise);
  }
  builder.emit(plain("end"));
}

function assertScalarCondition(cond: Expr): void {
  assert(cond.lanes === 1 && wasmTypeOfExpr(cond) === "i32", "if condition must be a scalar bool");
}
