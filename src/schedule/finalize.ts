/**
 * From a scheduled loop nest to a Kernel (loop/ir.ts), as a pipeline of
 * named passes (KERNEL_PASSES): apply the schedule, simplify indices,
 * vectorize, unroll, simplify, partition loops at boundaries, simplify; then
 * read off the task loop and give each parallel task its own scratch.
 *
 * Ensures: Kernel invariants of loop/ir.ts; `taskExtent` is the extent of
 * the outermost "parallel" loop when the body is exactly that loop, else 1
 * (a lone parallel annotation elsewhere is dropped to serial: it would not
 * be a task loop); `flops` is the nest's count from lowering (accumulator
 * updates × trip counts; schedules do not change the work).
 */
import { type Expr, add, broadcast, int, load, mul, ramp } from "../te/expr.js";
import { type Buffer, type For, type Kernel, type Stmt, makeBuffer } from "../loop/ir.js";
import type { LoopNest } from "../loop/nest.js";
import { simplifyStmt } from "../loop/simplify.js";
import {
  exprsOfStmt,
  makeStore,
  mapStmt,
  mapStmtExprs,
  rebuildFor,
  transformExpr,
  visitExpr,
  walkStmt,
} from "../loop/stmt.js";
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
  if (taskLoop !== null) body = privatizeScratch(taskLoop);
  return { name: nest.name, body, taskExtent, buffers: buffersOf(body, scheduled.buffers), flops: scheduled.flops };
}

function serializeInnerParallel(body: Stmt): Stmt {
  return mapStmt(body, (node) =>
    node.kind === "for" && node.annotation === "parallel" && node !== body
      ? rebuildFor(node, node.extent, node.body, "serial")
      : node,
  );
}

/**
 * Scratch written inside the task loop is shared by every task running at
 * once; each task gets its own copy: size × taskExtent, offset by task · size.
 */
function privatizeScratch(taskLoop: For): Stmt {
  const extent = Number((taskLoop.extent as { value: number }).value);
  const replacements = new Map<Buffer, Buffer>();
  walkStmt(taskLoop.body, (node) => {
    if (node.kind === "store" && node.buffer.scope === "scratch" && !replacements.has(node.buffer)) {
      const buffer = node.buffer;
      replacements.set(buffer, makeBuffer(buffer.name, buffer.dtype, buffer.size * extent, "scratch"));
    }
  });
  if (replacements.size === 0) return taskLoop;
  const offsetIndex = (buffer: Buffer, index: Expr): Expr => {
    const offset = mul(taskLoop.loopVar, int(buffer.size));
    return index.lanes === 1 ? add(index, offset) : offsetVector(index, offset);
  };
  const memo = new Map<Expr, Expr>();
  const rewriteExpr = (expr: Expr): Expr =>
    transformExpr(
      expr,
      (node) => {
        if (node.kind !== "load") return node;
        const replacement = replacements.get(node.buffer);
        return replacement === undefined ? node : load(replacement, offsetIndex(node.buffer, node.index));
      },
      memo,
    );
  const body = mapStmt(mapStmtExprs(taskLoop.body, rewriteExpr), (node) => {
    if (node.kind !== "store") return node;
    const replacement = replacements.get(node.buffer);
    return replacement === undefined ? node : makeStore(replacement, offsetIndex(node.buffer, node.index), node.value);
  });
  return simplifyStmt(rebuildFor(taskLoop, taskLoop.extent, body));
}

function offsetVector(index: Expr, offset: Expr): Expr {
  if (index.kind === "ramp") return ramp(add(index.base, offset), index.stride, index.lanes);
  return add(index, broadcast(offset, index.lanes));
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
