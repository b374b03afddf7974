/**
 * From a scheduled loop nest to a Kernel (loop/ir.ts), as a pipeline of
 * named passes (KERNEL_PASSES): apply the schedule, simplify indices,
 * vectorize, unroll, simplify, partition loops at boundaries, simplify; then
 * read off the task loop. Scratch needs no per-task copies: tasks on one
 * thread run one after another, and each thread has its own scratch area
 * (the module's scratch_base global, see runtime/thread-pool.ts).
 *
 * Ensures: Kernel invariants of loop/ir.ts; `taskExtent` is the extent of
 * the outermost "parallel" loop when the body is exactly that loop, else 1
 * (a lone parallel annotation elsewhere is dropped to serial: it would not
 * be a task loop); `flops` is the nest's count from lowering (accumulator
 * updates × trip counts; schedules do not change the work).
 */
import type { Buffer, Kernel, Stmt } from "../loop/ir.js";
import type { LoopNest } from "../loop/nest.js";
import { simplifyStmt } from "../loop/simplify.js";
import { exprsOfStmt, mapStmt, rebuildFor, visitExpr, walkStmt } from "../loop/stmt.js";
import { applySchedule } from "./apply-schedule.js";
import type { ScheduleRecord } from "./primitives.js";
import { partitionLoops } from "./partition-loops.js";
import { unrollLoops } from "./unroll-loops.js";
import { vectorizeLoops } from "./vectorize-loops.js";

export interface KernelPass {
  readonly name: string;
  run(body: Stmt): Stmt;
}

/** The passes after schedule application, in order; `--dump-ir after:<name>` can print after any of them. */
export const KERNEL_PASSES: readonly KernelPass[] = [
  { name: "simplify-indices", run: (body) => simplifyStmt(body, { keepLoops: true }) },
  { name: "vectorize-loops", run: vectorizeLoops },
  { name: "unroll-loops", run: unrollLoops },
  { name: "simplify", run: (body) => simplifyStmt(body) },
  { name: "partition-loops", run: partitionLoops },
  { name: "simplify-partitions", run: (body) => simplifyStmt(body) },
  { name: "serialize-inner-parallel", run: serializeInnerParallel },
];

export function scheduleKernel(
  nest: LoopNest,
  records: readonly ScheduleRecord[],
  afterPass?: (name: string, body: Stmt) => void,
): Kernel {
  const scheduled = applySchedule(nest, records);
  let body = scheduled.body;
  for (const pass of KERNEL_PASSES) {
    body = pass.run(body);
    afterPass?.(pass.name, body);
  }
  const taskLoop = body.kind === "for" && body.annotation === "parallel" ? body : null;
  const taskExtent = taskLoop === null ? 1 : Number((taskLoop.extent as { value: number }).value);
  return { name: nest.name, body, taskExtent, buffers: buffersOf(body, scheduled.buffers), flops: scheduled.flops };
}

function serializeInnerParallel(body: Stmt): Stmt {
  return mapStmt(body, (node) =>
    node.kind === "for" && node.annotation === "parallel" && node !== body
      ? rebuildFor(node, node.extent, node.body, "serial")
      : node,
  );
}

/** Every buffer the body touches, in the nest's order, scratch replacements included. */
function buffersOf(body: Stmt, known: readonly Buffer[]): Buffer[] {
  const touched = new Set<Buffer>();
  walkStmt(body, (node) => {
    if (node.kind === "store") touched.add(node.buffer);
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load") touched.add(part.buffer);
      });
    }
  });
  const ordered = known.filter((buffer) => touched.has(buffer));
  return [...ordered, ...[...touched].filter((buffer) => !known.includes(buffer))];
}
