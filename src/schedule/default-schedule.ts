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
import type { PatternKind } from "../te/op.js";
import type { LoopNest } from "../loop/nest.js";
import type { ScheduleRecord } from "./primitives.js";
import { ScheduleBuilder, computeStagesAt } from "./schedule-builder.js";
import { scheduleElementwise, scheduleReduction } from "./default-schedule-memory.js";
import { scheduleOutFusable } from "./default-schedule-dense.js";

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
