/**
 * Replays schedule records (primitives.ts) on a loop nest, in order.
 *
 * Requires: a LoopNest from loop/lower-te.ts (or an earlier applySchedule).
 * Ensures: the same computation, restructured; loop names stay unique. Each
 * primitive checks its own legality (loop-transforms.ts, compute-at.ts) and
 * throws TesseraError E_INVALID_SCHEDULE naming the primitive and the loop;
 * after the last record, a parallel loop must be the nest's only outermost
 * statement, since it becomes the kernel's task loop.
 */
import { unreachable } from "../support/assert.js";
import type { LoopNest } from "../loop/nest.js";
import { walkStmt } from "../loop/stmt.js";
import { type ScheduleRecord, reorder, split, splitNames } from "./primitives.js";
import { applyAnnotation, applyFuse, applyReorder, applySplit, scheduleError } from "./loop-transforms.js";
import { applyComputeAt } from "./compute-at.js";

export function applySchedule(nest: LoopNest, records: readonly ScheduleRecord[]): LoopNest {
  const result = records.reduce(applyRecord, nest);
  checkTaskLoop(result);
  return result;
}

export function applyRecord(nest: LoopNest, record: ScheduleRecord): LoopNest {
  switch (record.kind) {
    case "split":
      return applySplit(nest, record);
    case "reorder":
      return applyReorder(nest, record);
    case "fuse":
      return applyFuse(nest, record);
    case "tile": {
      const outerSplit = split(record.outer, record.outerFactor);
      const innerSplit = split(record.inner, record.innerFactor);
      const outerNames = splitNames(outerSplit);
      const innerNames = splitNames(innerSplit);
      const tiled = applySplit(applySplit(nest, outerSplit), innerSplit);
      return applyReorder(tiled, reorder([outerNames.outer, innerNames.outer, outerNames.inner, innerNames.inner]));
    }
    case "vectorize":
    case "parallel":
    case "unroll":
      return applyAnnotation(nest, record);
    case "compute_at":
      return applyComputeAt(nest, record);
    default:
      return unreachable(record);
  }
}

function checkTaskLoop(nest: LoopNest): void {
  walkStmt(nest.body, (node) => {
    if (node.kind === "for" && node.annotation === "parallel" && node !== nest.body) {
      const reason = "it is not the kernel's only outermost statement (compute_at the stages beside it into it first)";
      throw scheduleError("parallel", node.loopVar.name, reason);
    }
  });
}
