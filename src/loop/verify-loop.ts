/**
 * Checks the loop IR invariants of loop/ir.ts. Tests run it after every
 * pass; a violation is a compiler bug (InternalError), never a user error.
 *
 * Checked: loop variables are scalar int32 and bound by one loop each;
 * variables are read only inside their loop or after an assignment; no
 * tload/reduce remain; loads and stores index in int32 with as many lanes
 * as their values; vectors have 4 lanes of a 32-bit type (or bool masks);
 * a kernel's task loop is its whole body, the only parallel loop, with
 * extent taskExtent; every buffer touched is listed.
 */
import { assert, unreachable } from "../support/assert.js";
import type { Expr, Var } from "../te/expr.js";
import type { Buffer, Kernel, Stmt } from "./ir.js";
import { exprsOfStmt, visitExpr, walkStmt } from "./stmt.js";

const VECTOR_TYPES = new Set(["float32", "int32", "uint32", "bool"]);

export function verifyKernel(kernel: Kernel): void {
  const problems = kernelProblems(kernel);
  assert(problems.length === 0, `kernel ${kernel.name} breaks loop IR invariants:\n  ${problems.join("\n  ")}`);
}

export function kernelProblems(kernel: Kernel): string[] {
  const problems = stmtProblems(kernel.body);
  const body = kernel.body;
  const isTaskLoop = body.kind === "for" && body.annotation === "parallel";
  if (isTaskLoop && !(body.extent.kind === "const" && Number(body.extent.value) === kernel.taskExtent)) {
    problems.push(`task loop extent differs from taskExtent ${kernel.taskExtent}`);
  }
  if (!isTaskLoop && kernel.taskExtent !== 1) problems.push(`taskExtent ${kernel.taskExtent} without a task loop`);
  const listed = new Set<Buffer>(kernel.buffers);
  walkStmt(body, (node) => {
    if (node.kind === "for" && node.annotation === "parallel" && node !== body) {
      problems.push(`parallel loop ${node.loopVar.name} is not the task loop`);
    }
    if (node.kind === "store" && !listed.has(node.buffer)) problems.push(`buffer ${node.buffer.name} is not listed`);
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load" && !listed.has(part.buffer)) problems.push(`buffer ${part.buffer.name} is not listed`);
      });
    }
  });
  return [...new Set(problems)];
}

/** Problems of a statement tree (also usable on pre-kernel nests). Locals count as set once assigned in program order. */
export function stmtProblems(statement: Stmt): string[] {
  const problems: string[] = [];
  const boundLoops = new Set<Var>();
  const assigned = new Set<Var>();
  const check = (node: Stmt, loops: ReadonlySet<Var>): void => {
    const readable = (variable: Var): boolean => loops.has(variable) || assigned.has(variable);
    for (const expr of exprsOfStmt(node)) problems.push(...exprProblems(expr, readable));
    switch (node.kind) {
      case "for": {
        const variable = node.loopVar;
        if (variable.dtype !== "int32" || variable.lanes !== 1)
          problems.push(`loop ${variable.name} is not scalar int32`);
        if (boundLoops.has(variable)) problems.push(`loop variable ${variable.name} is bound by two loops`);
        boundLoops.add(variable);
        check(node.body, new Set([...loops, variable]));
        return;
      }
      case "store":
        if (node.index.lanes !== node.value.lanes)
          problems.push(`store ${node.buffer.name}: index and value lanes differ`);
        if (node.value.dtype !== node.buffer.dtype)
          problems.push(`store ${node.buffer.name}: value is ${node.value.dtype}`);
        return;
      case "assign":
        assigned.add(node.target);
        return;
      case "seq":
        for (const child of node.body) check(child, loops);
        return;
      case "if":
        check(node.then, loops);
        if (node.otherwise !== null) check(node.otherwise, loops);
        return;
      default:
        unreachable(node);
    }
  };
  check(statement, new Set());
  return problems;
}

function exprProblems(expr: Expr, readable: (variable: Var) => boolean): string[] {
  const problems: string[] = [];
  visitExpr(expr, (part) => {
    if (part.kind === "tload" || part.kind === "reduce") problems.push(`${part.kind} left in loop IR`);
    if (part.kind === "var" && !readable(part))
      problems.push(`variable ${part.name} read outside its loop or before assignment`);
    if (part.lanes !== 1 && (part.lanes !== 4 || !VECTOR_TYPES.has(part.dtype))) {
      problems.push(`vector of ${part.lanes} × ${part.dtype}`);
    }
    if (part.kind === "load" && part.index.dtype !== "int32")
      problems.push(`load ${part.buffer.name}: index is ${part.index.dtype}`);
    if (part.kind === "ramp" && part.base.lanes !== 1) problems.push("ramp with a vector base");
  });
  return problems;
}
