/**
 * Default schedules, chosen from the fused group's pattern kind when no
 * tuning log has a better one. Correctness first: every record is replayed
 * as it is chosen, and one that the nest rejects (E_INVALID_SCHEDULE) is
 * dropped, so the result always applies cleanly.
 *
 * - every pattern: compute_at each stage into its consumer's deepest loop
 *   that iterates the same domain (softmax's max and sum per row);
 * - elementwise, broadcast, injective: fuse the output loops, split by 4 and
 *   vectorize, then split into tasks of at least TASK_ELEMENTS elements;
 * - reduction: vectorize innermost spatial loops, unroll small reduction
 *   loops, make the outer rows the task loop;
 * - out-fusable (conv, matmul, gemm): vectorize the innermost output axis
 *   (by 4, with the reduction inside: a vector accumulator), register-tile
 *   with a second output axis that the reduction's column loads do not
 *   depend on (unroll-and-jam: up to 4 rows × 2 vectors of accumulators,
 *   the shape that stays spill-free on V8), unroll small reduction loops.
 * The task loop fuses leading output loops only until it has MIN_TASKS
 * tasks; the loops left inside stay plain so that partition-loops.ts can
 * specialize them away from padding.
 */
import { TesseraError } from "../support/errors.js";
import type { Expr } from "../te/expr.js";
import type { PatternKind } from "../te/op.js";
import type { For, Stmt } from "../loop/ir.js";
import { type LoopNest, isReductionLoop } from "../loop/nest.js";
import { exprsOfStmt, mentionsVar, visitExpr, walkStmt } from "../loop/stmt.js";
import { applyRecord } from "./apply-schedule.js";
import { type ScheduleRecord, computeAt, fuse, parallel, reorder, split, unroll, vectorize } from "./primitives.js";

/** Elementwise tasks get at least this many elements, so a task's work dwarfs its dispatch. */
const TASK_ELEMENTS = 4096;
const LANES = 4;
const SMALL_REDUCTION = 4;
/** Task loops fuse outer loops until they have this many tasks (enough to balance a few threads). */
const MIN_TASKS = 16;

export function defaultSchedule(nest: LoopNest, pattern: PatternKind): ScheduleRecord[] {
  const builder = new ScheduleBuilder(nest);
  computeStagesAt(builder);
  switch (pattern) {
    case "elementwise":
    case "broadcast":
    case "injective":
      scheduleElementwise(builder);
      break;
    case "reduction":
      scheduleReduction(builder);
      break;
    case "out-fusable":
      scheduleOutFusable(builder);
      break;
    case "view":
    case "opaque":
      break;
  }
  return builder.records;
}

/** Applies records as they are chosen; a group that does not apply is dropped whole. */
class ScheduleBuilder {
  readonly records: ScheduleRecord[] = [];
  constructor(public nest: LoopNest) {}

  attempt(...group: ScheduleRecord[]): boolean {
    try {
      const result = group.reduce(applyRecord, this.nest);
      this.nest = result;
      this.records.push(...group);
      return true;
    } catch (error) {
      if (error instanceof TesseraError && error.code === "E_INVALID_SCHEDULE") return false;
      throw error;
    }
  }

  get statements(): readonly Stmt[] {
    return this.nest.body.kind === "seq" ? this.nest.body.body : [this.nest.body];
  }

  isReduction(loop: For): boolean {
    return isReductionLoop(this.nest, loop.loopVar.name);
  }

  /** The leading perfectly nested spatial loops of the last top-level statement. */
  outputChain(): For[] {
    const chain: For[] = [];
    let current: Stmt | undefined = this.statements[this.statements.length - 1];
    while (current !== undefined && current.kind === "for" && !this.isReduction(current)) {
      chain.push(current);
      current = current.body;
    }
    return chain;
  }
}

function extentOf(loop: For): number {
  return loop.extent.kind === "const" ? Number(loop.extent.value) : 0;
}

function computeStagesAt(builder: ScheduleBuilder): void {
  for (const stage of [...builder.nest.stages].reverse()) {
    const chain = builder.outputChain();
    for (let depth = chain.length; depth >= 1; depth--) {
      if (builder.attempt(computeAt(stage.name, chain[depth - 1]!.loopVar.name))) break;
    }
  }
}

/** Fuses the leading loops of the output chain into one (as far as they nest perfectly); returns its name. */
function fuseChain(builder: ScheduleBuilder, count: number): string | null {
  const chain = builder.outputChain();
  if (chain.length === 0) return null;
  let name = chain[0]!.loopVar.name;
  for (const loop of chain.slice(1, count)) {
    const fusedName = `${name}.${loop.loopVar.name}.fused`;
    if (!builder.attempt(fuse(name, loop.loopVar.name, fusedName))) break;
    name = fusedName;
  }
  return name;
}

function scheduleElementwise(builder: ScheduleBuilder): void {
  const name = fuseChain(builder, Infinity);
  if (name === null || builder.statements.length !== 1) return;
  const extent = extentOf(builder.outputChain()[0]!);
  let outer = name;
  if (extent % LANES === 0 && builder.attempt(split(name, LANES), vectorize(`${name}.inner`))) outer = `${name}.outer`;
  else if (extent > LANES && extent < TASK_ELEMENTS) builder.attempt(vectorize(name));
  const elementsPerStep = outer === name ? 1 : LANES;
  const steps = extent / elementsPerStep;
  const stepsPerTask = Math.ceil(TASK_ELEMENTS / elementsPerStep);
  if (steps <= stepsPerTask) return;
  builder.attempt(split(outer, stepsPerTask), parallel(`${outer}.outer`));
}

function scheduleReduction(builder: ScheduleBuilder): void {
  vectorizeInnermost(builder);
  parallelizeRows(builder);
  unrollSmallReductions(builder);
}

/** Splits by 4 and vectorizes every spatial loop that has no spatial loop inside. */
function vectorizeInnermost(builder: ScheduleBuilder): void {
  const candidates: For[] = [];
  walkStmt(builder.nest.body, (node) => {
    if (node.kind === "for" && !builder.isReduction(node) && !hasSpatialLoopInside(builder, node))
      candidates.push(node);
  });
  for (const loop of candidates) {
    const name = loop.loopVar.name;
    const extent = extentOf(loop);
    if (extent === LANES) builder.attempt(vectorize(name));
    else if (extent % LANES === 0) builder.attempt(split(name, LANES), vectorize(`${name}.inner`));
    else if (extent > LANES) builder.attempt(vectorize(name));
  }
}

function hasSpatialLoopInside(builder: ScheduleBuilder, loop: For): boolean {
  let found = false;
  walkStmt(loop.body, (node) => {
    if (node.kind === "for" && !builder.isReduction(node)) found = true;
  });
  return found;
}

/**
 * Makes the outer output loops the task loop, fusing leading loops only
 * until there are MIN_TASKS tasks: loops left out of the task loop stay
 * plain loops, which partition-loops.ts can specialize (a convolution's
 * output rows, away from the padding).
 */
function parallelizeRows(builder: ScheduleBuilder): void {
  if (builder.statements.length !== 1) return;
  const chain = builder.outputChain().filter((loop) => loop.annotation === "serial");
  let count = 0;
  let tasks = 1;
  while (count < chain.length && tasks < MIN_TASKS) tasks *= extentOf(chain[count++]!);
  if (count === 0) return;
  const name = fuseChain(builder, count);
  if (name !== null && extentOf(builder.outputChain()[0]!) > 1) builder.attempt(parallel(name));
}

function unrollSmallReductions(builder: ScheduleBuilder): void {
  const small: string[] = [];
  walkStmt(builder.nest.body, (node) => {
    if (node.kind === "for" && builder.isReduction(node) && extentOf(node) <= SMALL_REDUCTION)
      small.push(node.loopVar.name);
  });
  for (const name of small) builder.attempt(unroll(name));
}

function scheduleOutFusable(builder: ScheduleBuilder): void {
  const chain = builder.outputChain();
  const columns = chain[chain.length - 1];
  if (columns === undefined || builder.statements.length !== 1) {
    vectorizeInnermost(builder);
    parallelizeRows(builder);
    unrollSmallReductions(builder);
    return;
  }
  const row = chooseRowLoop(builder, chain.slice(0, -1), columns);
  const inner = vectorizeColumns(builder, columns);
  const rowFactor = row === null ? 1 : ([4, 2].find((factor) => extentOf(row) % factor === 0) ?? 1);
  if (rowFactor > 1 && builder.attempt(split(row!.loopVar.name, rowFactor)))
    inner.unshift(`${row!.loopVar.name}.inner`);
  const outerNames = builder
    .outputChain()
    .map((loop) => loop.loopVar.name)
    .filter((name) => !inner.includes(name));
  builder.attempt(reorder([...outerNames, ...inner]));
  for (const name of inner.slice(0, -1)) builder.attempt(unroll(name));
  unrollSmallReductions(builder);
  parallelizeRows(builder);
}

/**
 * Vectorizes the output columns: split by 4 (two vectors per step when the
 * extent allows), or vectorized whole with a scalar remainder when 4 does
 * not divide the extent. Returns the loops to place innermost, in order:
 * the vector-step loop to unroll (if any), then the column loop itself.
 */
function vectorizeColumns(builder: ScheduleBuilder, columns: For): string[] {
  const column = columns.loopVar.name;
  const extent = extentOf(columns);
  if (extent % LANES !== 0) {
    builder.attempt(vectorize(column));
    return [column];
  }
  if (!builder.attempt(split(column, LANES), vectorize(`${column}.inner`))) return [column];
  const steps = `${column}.outer`;
  if (extent % (2 * LANES) === 0 && builder.attempt(split(steps, 2))) return [`${steps}.inner`, `${column}.inner`];
  return [`${column}.inner`];
}

/**
 * The output loop to unroll-and-jam with the vector columns: one whose
 * variable no load inside the reduction that depends on the columns uses
 * (so the copies share those vector loads), preferring the innermost such
 * loop with extent ≥ 2. Epilogue loads (a residual add) do not count.
 */
function chooseRowLoop(builder: ScheduleBuilder, candidates: readonly For[], columns: For): For | null {
  const columnLoads: Expr[] = [];
  walkStmt(builder.nest.body, (node, enclosing) => {
    if (!enclosing.some((loop) => builder.isReduction(loop))) return;
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load" && mentionsVar(part.index, (variable) => variable === columns.loopVar)) {
          columnLoads.push(part.index);
        }
      });
    }
  });
  for (const loop of [...candidates].reverse()) {
    if (extentOf(loop) < 2) continue;
    const used = columnLoads.some((index) => mentionsVar(index, (variable) => variable === loop.loopVar));
    if (!used) return loop;
  }
  return null;
}
