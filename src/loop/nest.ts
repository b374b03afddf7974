/**
 * A loop nest before scheduling: what lowering (lower-te.ts) produces and
 * schedule primitives (schedule/apply-schedule.ts) transform, until
 * schedule/finalize.ts turns it into a Kernel (loop/ir.ts).
 *
 * It carries what a Kernel does not need but schedules do: which loops
 * iterate reduction axes, and which top-level statements are materialized
 * stages that `compute_at` may move.
 *
 * Invariants:
 * - Loop names (`loopVar.name`) are unique within the nest; schedules name loops by them.
 * - Every loop extent is a constant.
 * - `body` is a sequence of stage statements in execution order; a stage
 *   stays a top-level statement until compute_at moves it.
 */
import { TesseraError } from "../support/errors.js";
import type { Buffer, For, Stmt } from "./ir.js";
import { walkStmt } from "./stmt.js";

/** A materialized intermediate tensor: its nest writes `buffer` (scratch) and nothing else. */
export interface Stage {
  /** Unique within the nest, derived from the TE tensor's name. */
  readonly name: string;
  readonly buffer: Buffer;
}

export interface LoopNest {
  readonly name: string;
  readonly body: Stmt;
  /** Every buffer the body touches (inputs, outputs, scratch). */
  readonly buffers: readonly Buffer[];
  /** Names of loops that iterate reduction axes (splits of them included). */
  readonly reductionLoops: readonly string[];
  /** Materialized intermediates, in execution order. */
  readonly stages: readonly Stage[];
  /** Floating-point operations of one full run (accumulator updates × trip counts). */
  readonly flops: number;
}

/** Every loop of the nest by name, with its enclosing loops (outermost first). */
export function collectLoops(body: Stmt): Map<string, { readonly loop: For; readonly enclosing: readonly For[] }> {
  const loops = new Map<string, { loop: For; enclosing: readonly For[] }>();
  walkStmt(body, (node, enclosing) => {
    if (node.kind === "for") loops.set(node.loopVar.name, { loop: node, enclosing });
  });
  return loops;
}

/** Finds a loop by name or throws E_INVALID_SCHEDULE naming the primitive. */
export function findLoop(
  body: Stmt,
  name: string,
  primitive: string,
): { readonly loop: For; readonly enclosing: readonly For[] } {
  const found = collectLoops(body).get(name);
  if (found === undefined) {
    throw new TesseraError("E_INVALID_SCHEDULE", `${primitive} '${name}': no loop by that name`);
  }
  return found;
}

export function isReductionLoop(nest: LoopNest, name: string): boolean {
  return nest.reductionLoops.includes(name);
}
