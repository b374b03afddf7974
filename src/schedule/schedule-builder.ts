/**
 * What every default schedule builds on: a ScheduleBuilder that replays
 * records as they are chosen (dropping any the nest rejects), and the
 * helpers shared by the per-pattern schedules.
 */
import { TesseraError } from "../support/errors.js";
import type { For, Stmt } from "../loop/ir.js";
import { type LoopNest, isReductionLoop } from "../loop/nest.js";
import { walkStmt } from "../loop/stmt.js";
import { applyRecord } from "./apply-schedule.js";
import { type ScheduleRecord, computeAt, fuse, parallel, split, unroll, vectorize } from "./primitives.js";

export const LANES = 4;
/** Reduction loops up to this extent unroll (unrollSmallReductions). */
export const SMALL_REDUCTION = 4;
/** Task loops fuse outer loops until they have this many tasks (enough to balance a few threads). */
const MIN_TASKS = 16;

/** Applies records as they are chosen; a group that does not apply is dropped whole. */
export class ScheduleBuilder {
  readonly records: ScheduleRecord[] = [];
  constructor(public nest: LoopNest) {}

  attempt(...group: ScheduleRecord[]): boolean {
    const result = this.preview(...group);
    if (result === null) return false;
    this.nest = result;
    this.records.push(...group);
    return true;
  }

  /** The nest the group would give, without keeping it; null when the nest rejects the group. */
  preview(...group: ScheduleRecord[]): LoopNest | null {
    try {
      return group.reduce(applyRecord, this.nest);
    } catch (error) {
      if (error instanceof TesseraError && error.code === "E_INVALID_SCHEDULE") return null;
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

export function extentOf(loop: For): number {
  return loop.extent.kind === "const" ? Number(loop.extent.value) : 0;
}

export function computeStagesAt(builder: ScheduleBuilder): void {
  for (const stage of [...builder.nest.stages].reverse()) {
    const chain = builder.outputChain();
    for (let depth = chain.length; depth >= 1; depth--) {
      if (builder.attempt(computeAt(stage.name, chain[depth - 1]!.loopVar.name))) break;
    }
  }
}

/** Fuses the leading loops of the output chain into one (as far as they nest perfectly); returns its name. */
export function fuseChain(builder: ScheduleBuilder, count: number): string | null {
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

/** Splits by 4 and vectorizes every spatial loop that has no spatial loop inside. */
export function vectorizeInnermost(builder: ScheduleBuilder): void {
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
export function parallelizeRows(builder: ScheduleBuilder): void {
  if (builder.statements.length !== 1) return;
  const chain = builder.outputChain().filter((loop) => loop.annotation === "serial");
  let count = 0;
  let tasks = 1;
  while (count < chain.length && tasks < MIN_TASKS) tasks *= extentOf(chain[count++]!);
  if (count === 0) return;
  const name = fuseChain(builder, count);
  if (name !== null && extentOf(builder.outputChain()[0]!) > 1) builder.attempt(parallel(name));
}

/**
 * Unrolls reduction loops of at most SMALL_REDUCTION steps. Unrolling a loop
 * around another loop jams its copies into the inner one, so a small loop
 * around a long reduction (a 3×3 conv's window rows around its fused
 * column·channel loop) stays a loop: jammed, every step of the long loop
 * would load three times the operands, more than the registers hold.
 */
export function unrollSmallReductions(builder: ScheduleBuilder): void {
  const small: string[] = [];
  walkStmt(builder.nest.body, (node) => {
    if (
      node.kind === "for" &&
      builder.isReduction(node) &&
      extentOf(node) <= SMALL_REDUCTION &&
      !aroundLongReduction(builder, node)
    )
      small.push(node.loopVar.name);
  });
  for (const name of small) builder.attempt(unroll(name));
}

/** A reduction loop this long inside a small one keeps the small one rolled (see unrollSmallReductions). */
const LONG_REDUCTION = 64;

function aroundLongReduction(builder: ScheduleBuilder, loop: For): boolean {
  return hasReductionLoop(builder, loop.body, (extent) => extent >= LONG_REDUCTION);
}

/** Whether `statement` holds a reduction loop whose extent `test` accepts. */
export function hasReductionLoop(
  builder: ScheduleBuilder,
  statement: Stmt,
  test: (extent: number) => boolean,
): boolean {
  let found = false;
  walkStmt(statement, (node) => {
    if (node.kind === "for" && builder.isReduction(node) && test(extentOf(node))) found = true;
  });
  return found;
}
