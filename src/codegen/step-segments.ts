/**
 * Splits one step of a micro-kernel loop (a straight-line body of vector
 * accumulator updates and the locals they read) into segments whose
 * operands fit the vector registers, for emit-kernel.ts to put in separate
 * basic blocks.
 *
 * Node 20's V8 hoists every load of a basic block to the block's top, so a
 * step that reads more vectors than the registers left beside its
 * accumulators spills them all, whatever order the wasm gives. A grouped
 * 3×3 conv with 16 channels per group runs 8 accumulators over three
 * kernel rows per step: 6 weight vectors and 12 broadcast inputs, about 90
 * stack moves per iteration. One segment per kernel row needs 6.
 *
 * The updates are reordered round by round (every accumulator's first
 * update, then every second one, ...), which keeps each accumulator's own
 * order, so the sums are bit-identical. Segments are cut greedily where the
 * next update would need more operand registers than are free. A vector or
 * float local a segment reads is assigned again at the segment's start (the
 * same assignment, so the same value: nothing in the step stores), which
 * keeps it out of the registers between its segments; integer locals
 * (addresses) are assigned once, in the first segment.
 */
import type { Assign, Stmt } from "../loop/ir.js";
import { type Expr, type Var, childrenOf } from "../te/expr.js";
import { mentionsVar } from "../loop/stmt.js";
import { isFloat } from "../support/dtype.js";

/**
 * Vector registers a step's accumulators and operands share: x64 has 16
 * xmm registers, V8 keeps one as its scratch register, and a mul+add update
 * needs one more for the product. (12 and 18 ran slower on resnext50's
 * grouped convs.)
 */
export const STEP_VECTOR_REGISTERS = 14;

/** A value that lives in a vector register: any vector, or a float scalar. */
function inVectorRegister(value: { readonly dtype: Var["dtype"]; readonly lanes: number }): boolean {
  return value.lanes > 1 || isFloat(value.dtype);
}

/**
 * The segments of `statements` (one step's assignments in order), or the
 * statements unchanged as a single segment when the step fits, has stores,
 * or is not a plain accumulator update step (see the file comment).
 */
export function segmentStep(
  statements: readonly Stmt[],
  registers = STEP_VECTOR_REGISTERS,
): readonly (readonly Stmt[])[] {
  const whole = [statements];
  const step = analyzeStep(statements);
  if (step === null) return whole;
  const budget = registers - step.accumulators.size;
  if (budget < 2) return whole;

  const segments: Assign[][] = [];
  let current: Assign[] = [];
  let operands = new Set<Expr>();
  for (const update of roundRobin(step.updates)) {
    const needs = step.operandsOf(update);
    const merged = new Set([...operands, ...needs]);
    if (current.length > 0 && merged.size > budget) {
      segments.push(current);
      current = [];
      operands = new Set(needs);
    } else {
      operands = merged;
    }
    current.push(update);
  }
  segments.push(current);
  if (segments.length === 1) return whole;

  return segments.map((updates, index) => {
    const used = new Set<Var>();
    for (const update of updates) step.collectLets(update.value, used);
    const assignedHere = (assign: Assign): boolean => {
      if (step.isVectorLet(assign) && used.has(assign.target)) return true;
      // The first segment also assigns the integer lets and any let no update reads.
      return index === 0 && (!step.isVectorLet(assign) || !step.readByUpdates.has(assign.target));
    };
    return [...step.lets.filter(assignedHere), ...updates];
  });
}

interface StepAnalysis {
  readonly accumulators: ReadonlySet<Var>;
  /** Accumulator updates, in program order. */
  readonly updates: readonly Assign[];
  /** Other assignments (each target assigned once), in program order. */
  readonly lets: readonly Assign[];
  /** Lets some update reads, directly or through other lets. */
  readonly readByUpdates: ReadonlySet<Var>;
  isVectorLet(assign: Assign): boolean;
  /** Values an update holds in vector registers: the vector lets it reads (transitively) and its own vector loads. */
  operandsOf(update: Assign): ReadonlySet<Expr>;
  /** Adds the lets `expr` reads, transitively, to `into`. */
  collectLets(expr: Expr, into: Set<Var>): void;
}

function analyzeStep(statements: readonly Stmt[]): StepAnalysis | null {
  if (!statements.every((statement) => statement.kind === "assign")) return null;
  const assigns = statements as readonly Assign[];
  const accumulators = new Set<Var>();
  for (const { target, value } of assigns) {
    if (target.lanes > 1 && mentionsVar(value, (variable) => variable === target)) accumulators.add(target);
  }
  if (accumulators.size === 0) return null;
  const updates: Assign[] = [];
  const lets: Assign[] = [];
  const letOf = new Map<Var, Assign>();
  for (const assign of assigns) {
    const reads = (test: (variable: Var) => boolean): boolean => mentionsVar(assign.value, test);
    if (accumulators.has(assign.target)) {
      // acc = acc + f(...): reads its own accumulator only, and every assignment to it is such an update.
      const own = (variable: Var): boolean => variable === assign.target;
      if (!reads(own) || reads((variable) => accumulators.has(variable) && !own(variable))) return null;
      updates.push(assign);
    } else {
      if (letOf.has(assign.target) || reads((variable) => accumulators.has(variable))) return null;
      lets.push(assign);
      letOf.set(assign.target, assign);
    }
  }
  // A let read before it is assigned (itself included) would carry a value from the previous iteration.
  const assignedBefore = new Set<Var>();
  for (const assign of assigns) {
    if (mentionsVar(assign.value, (variable) => letOf.has(variable) && !assignedBefore.has(variable))) return null;
    assignedBefore.add(assign.target);
  }
  const isVectorLet = (assign: Assign): boolean => inVectorRegister(assign.target);
  // Integer lets are assigned once, up front; one that reads a vector let would need that let there too.
  for (const assign of lets) {
    if (
      !isVectorLet(assign) &&
      mentionsVar(assign.value, (variable) => letOf.has(variable) && inVectorRegister(variable))
    ) {
      return null;
    }
  }

  const collectLets = (expr: Expr, into: Set<Var>): void => {
    if (expr.kind === "var") {
      const assign = letOf.get(expr);
      if (assign !== undefined && !into.has(expr)) {
        into.add(expr);
        collectLets(assign.value, into);
      }
      return;
    }
    for (const child of childrenOf(expr)) collectLets(child, into);
  };
  const readByUpdates = new Set<Var>();
  for (const update of updates) collectLets(update.value, readByUpdates);

  const operandsOf = (update: Assign): ReadonlySet<Expr> => {
    const operands = new Set<Expr>();
    const lets = new Set<Var>();
    collectLets(update.value, lets);
    for (const variable of lets) if (inVectorRegister(variable)) operands.add(variable);
    const visit = (expr: Expr): void => {
      if (expr.kind === "load" && inVectorRegister(expr)) operands.add(expr);
      for (const child of childrenOf(expr)) visit(child);
    };
    visit(update.value);
    return operands;
  };
  return { accumulators, updates, lets, readByUpdates, isVectorLet, operandsOf, collectLets };
}

/** Every accumulator's first update, then every second one, ...; program order within a round. */
function roundRobin(updates: readonly Assign[]): Assign[] {
  const seen = new Map<Var, number>();
  const rounds = updates.map((update, position) => {
    const round = seen.get(update.target) ?? 0;
    seen.set(update.target, round + 1);
    return { update, round, position };
  });
  rounds.sort((a, b) => a.round - b.round || a.position - b.position);
  return rounds.map(({ update }) => update);
}
