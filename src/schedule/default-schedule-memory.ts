/**
 * Default schedules of memory-bound groups: elementwise, broadcast and
 * injective chains (data movement included), and reductions (softmax,
 * normalizations, pools).
 */
import {
  type ScheduleBuilder,
  LANES,
  extentOf,
  parallelizeRows,
  unrollSmallReductions,
  vectorizeInnermost,
} from "./schedule-builder.js";
import { fuse, parallel, reorder, split, vectorize } from "./primitives.js";
import type { For, Stmt } from "../loop/ir.js";
import { linearForm } from "../loop/linear.js";
import { someExpr } from "../loop/stmt.js";

/** Elementwise tasks get at least this many elements, so a task's work dwarfs its dispatch. */
const TASK_ELEMENTS = 4096;
/** The vector group stops growing once this long: longer rows gain nothing but index divisions. */
const GROUP_ELEMENTS = 64;

/**
 * Elementwise and injective chains: the output loops split into an inner
 * vector group and outer rows. The vector group is the innermost loop fused
 * with the loops around it while the extent fused so far is a multiple of 4
 * below GROUP_ELEMENTS, so every index recovered from the fused variable (a division by that
 * extent) is the same across the 4 lanes, and a load that is contiguous in
 * the innermost axis stays one vector load (a concat of 55-wide rows
 * vectorizes its rows; a transpose keeping the last axis in place fuses
 * whole). The outer loops fuse into rows, split into tasks of at least
 * TASK_ELEMENTS elements.
 */
export function scheduleElementwise(builder: ScheduleBuilder): void {
  if (builder.statements.length > 1) {
    vectorizeEachOutput(builder);
    return;
  }
  const chain = builder.outputChain();
  if (chain.length === 0) return;
  const transposes = readsAcrossLines(builder, chain[chain.length - 1]!);
  let groupSize = 1;
  let groupExtent = extentOf(chain[chain.length - 1]!);
  while (groupSize < chain.length && groupExtent > 0 && groupExtent < GROUP_ELEMENTS && groupExtent % LANES === 0) {
    groupExtent *= extentOf(chain[chain.length - 1 - groupSize]!);
    groupSize++;
  }
  const names = chain.map((loop) => loop.loopVar.name);
  const rows = fuseNames(builder, names.slice(0, names.length - groupSize));
  const vector = fuseNames(builder, names.slice(names.length - groupSize));
  if (vector === null) return;
  const stepsPerRow = vectorizeGroup(builder, vector, groupExtent);
  if (rows === null) {
    splitTasks(builder, stepsPerRow.outer, stepsPerRow.steps, Math.ceil(TASK_ELEMENTS / stepsPerRow.lanes));
    return;
  }
  const rowExtent = extentOf(builder.outputChain()[0]!);
  const perTask = Math.ceil(TASK_ELEMENTS / groupExtent);
  const rowsInner = splitTasks(builder, rows, rowExtent, perTask) ? `${rows}.inner` : rows;
  if (transposes) tileRows(builder, rowsInner, stepsPerRow);
}

/**
 * A group with several outputs (Split's q, k and v) is one loop nest per
 * output, with no single task loop: each nest's innermost loop is
 * vectorized, and the kernel runs on one thread. Before, they copied one
 * scalar at a time: a GPT-2-style layer's QKV split took 0.116 ms.
 */
function vectorizeEachOutput(builder: ScheduleBuilder): void {
  for (const statement of builder.statements) {
    let innermost: For | null = null;
    for (let current: Stmt = statement; current.kind === "for"; current = current.body) innermost = current;
    if (innermost === null) continue;
    vectorizeGroup(builder, innermost.loopVar.name, extentOf(innermost));
  }
}

/** Vector steps of a row chunk that tileRows keeps together: 32 elements, a few KB of source lines. */
const CHUNK_STEPS = 8;
/** A load whose index moves this many elements (a 64-byte line) or more per step of the innermost output loop. */
const LINE_ELEMENTS = 16;

/**
 * Whether the statement reads some operand across the innermost output
 * loop with a stride of a cache line or more: a transpose, whose every
 * vector gathers four lines.
 */
function readsAcrossLines(builder: ScheduleBuilder, innermost: For): boolean {
  const [statement] = builder.statements;
  if (statement === undefined) return false;
  return someExpr(statement, (node) => {
    if (node.kind !== "load") return false;
    const coefficient = linearForm(node.index).terms.get(innermost.loopVar) ?? 0;
    return Math.abs(coefficient) >= LINE_ELEMENTS;
  });
}

/**
 * Cache tiling for transposes: the rows of a task sweep one chunk of
 * CHUNK_STEPS vector steps at a time instead of whole rows. Consecutive rows
 * read neighbouring elements of the same source lines (a row is one output
 * channel of an NHWC → NCHW transpose, the lines are pixels), which a whole
 * row evicts from L1 before the next row comes back to them (resnext's
 * output: 784 pixels × 1 KB apart, 50 KB a row).
 */
function tileRows(builder: ScheduleBuilder, rowsInner: string, steps: VectorSteps): void {
  if (steps.steps < 2 * CHUNK_STEPS || steps.lanes !== LANES) return;
  const chunk = `${steps.outer}.outer`;
  builder.attempt(split(steps.outer, CHUNK_STEPS), reorder([chunk, rowsInner, `${steps.outer}.inner`]));
}

/** Fuses consecutive perfectly nested loops (outermost first); returns the fused loop's name. */
function fuseNames(builder: ScheduleBuilder, names: readonly string[]): string | null {
  if (names.length === 0) return null;
  let name = names[0]!;
  for (const next of names.slice(1)) {
    const fusedName = `${name}.${next}.fused`;
    if (!builder.attempt(fuse(name, next, fusedName))) return name;
    name = fusedName;
  }
  return name;
}

interface VectorSteps {
  /** The loop of vector (or scalar) steps, which a task split may cut. */
  readonly outer: string;
  readonly steps: number;
  /** Elements per step. */
  readonly lanes: number;
}

function vectorizeGroup(builder: ScheduleBuilder, name: string, extent: number): VectorSteps {
  if (extent % LANES === 0 && extent > LANES && builder.attempt(split(name, LANES), vectorize(`${name}.inner`)))
    return { outer: `${name}.outer`, steps: extent / LANES, lanes: LANES };
  if (extent >= LANES && builder.attempt(vectorize(name))) return { outer: name, steps: 1, lanes: extent };
  return { outer: name, steps: extent, lanes: 1 };
}

/**
 * Makes `name` (the outermost loop, `extent` iterations) the task loop with
 * at least `perTask` iterations a task, preferring a factor that divides the
 * extent (no guard) within twice the minimum. Returns whether it split
 * `name` (into `.outer` tasks and `.inner` rows).
 */
function splitTasks(builder: ScheduleBuilder, name: string, extent: number, perTask: number): boolean {
  if (extent <= perTask) return false;
  if (perTask <= 1) {
    builder.attempt(parallel(name));
    return false;
  }
  let factor = perTask;
  for (let candidate = perTask; candidate <= 2 * perTask; candidate++) {
    if (extent % candidate === 0) {
      factor = candidate;
      break;
    }
  }
  return builder.attempt(split(name, factor), parallel(`${name}.outer`));
}

export function scheduleReduction(builder: ScheduleBuilder): void {
  vectorizeInnermost(builder);
  parallelizeRows(builder);
  unrollSmallReductions(builder);
}
