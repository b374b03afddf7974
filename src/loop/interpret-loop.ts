/**
 * A JavaScript interpreter of the loop IR, for tests only: it runs every
 * task of a kernel in order and gives each vector lane its own scalar
 * evaluation, with the scalar semantics codegen must match
 * (scalar-semantics.ts). Out-of-bounds accesses and integer traps throw, so
 * a test catches a schedule that would read or write the wrong element.
 */
import { assert, unreachable } from "../support/assert.js";
import { allocateTypedArray, type TypedArray } from "../support/dtype.js";
import type { Expr, Var } from "../te/expr.js";
import type { Buffer, Kernel, Stmt } from "./ir.js";
import type { LoopNest } from "./nest.js";
import { type Scalar, evalBinary, evalCast, evalCompare, evalUnary, wrapToType } from "./scalar-semantics.js";

/** A lane value: one scalar, or one per lane. */
export type Value = Scalar | readonly Scalar[];

type Memory = Map<Buffer, TypedArray>;

export function interpretKernel(kernel: Kernel, buffers: Map<Buffer, TypedArray>): void {
  runStatement(kernel.body, new Map(), withScratch(kernel.buffers, buffers));
}

/** Runs a nest before finalization (tests of lowering and schedules). */
export function interpretNest(nest: LoopNest, buffers: Map<Buffer, TypedArray>): void {
  runStatement(nest.body, new Map(), withScratch(nest.buffers, buffers));
}

function withScratch(all: readonly Buffer[], buffers: Map<Buffer, TypedArray>): Memory {
  const memory: Memory = new Map(buffers);
  for (const buffer of all) {
    if (!memory.has(buffer)) memory.set(buffer, allocateTypedArray(buffer.dtype, buffer.size));
  }
  return memory;
}

function runStatement(statement: Stmt, env: Map<Var, Value>, memory: Memory): void {
  switch (statement.kind) {
    case "for": {
      const extent = Number(evaluate(statement.extent, env, memory));
      for (let iteration = 0; iteration < extent; iteration++) {
        env.set(statement.loopVar, iteration);
        runStatement(statement.body, env, memory);
      }
      env.delete(statement.loopVar);
      return;
    }
    case "store":
      return storeValue(
        statement.buffer,
        evaluate(statement.index, env, memory),
        evaluate(statement.value, env, memory),
        memory,
      );
    case "assign":
      env.set(statement.target, evaluate(statement.value, env, memory));
      return;
    case "seq":
      for (const child of statement.body) runStatement(child, env, memory);
      return;
    case "if": {
      const cond = evaluate(statement.cond, env, memory);
      assert(!Array.isArray(cond), "if on a vector condition");
      if (Number(cond) !== 0) runStatement(statement.then, env, memory);
      else if (statement.otherwise !== null) runStatement(statement.otherwise, env, memory);
      return;
    }
    default:
      unreachable(statement);
  }
}

function elementAt(memory: Memory, buffer: Buffer, index: Scalar): Scalar {
  const array = memory.get(buffer);
  assert(array !== undefined, `no memory for buffer ${buffer.name}`);
  const position = Number(index);
  if (!(position >= 0 && position < buffer.size && position < array.length)) {
    throw new RangeError(`load ${buffer.name}[${position}] out of bounds (size ${buffer.size})`);
  }
  return array[position]!;
}

function storeValue(buffer: Buffer, index: Value, value: Value, memory: Memory): void {
  const array = memory.get(buffer);
  assert(array !== undefined, `no memory for buffer ${buffer.name}`);
  const indices = Array.isArray(index) ? index : [index as Scalar];
  const values = Array.isArray(value) ? value : [value as Scalar];
  indices.forEach((lane, position) => {
    const offset = Number(lane);
    if (!(offset >= 0 && offset < buffer.size && offset < array.length)) {
      throw new RangeError(`store ${buffer.name}[${offset}] out of bounds (size ${buffer.size})`);
    }
    (array as unknown as Scalar[])[offset] = wrapToType(values[position]!, buffer.dtype);
  });
}

/** Evaluates an expression; vectors evaluate lane by lane. */
export function evaluate(expr: Expr, env: ReadonlyMap<Var, Value>, memory: Memory = new Map()): Value {
  if (expr.lanes === 1) return evaluateLane(expr, env, memory, 0);
  return Array.from({ length: expr.lanes }, (_, lane) => evaluateLane(expr, env, memory, lane));
}

function evaluateLane(expr: Expr, env: ReadonlyMap<Var, Value>, memory: Memory, lane: number): Scalar {
  const recurse = (child: Expr): Scalar => evaluateLane(child, env, memory, lane);
  switch (expr.kind) {
    case "const":
      return expr.value;
    case "var": {
      const value = env.get(expr);
      assert(value !== undefined, `variable ${expr.name} read before it is set`);
      return Array.isArray(value) ? value[lane]! : (value as Scalar);
    }
    case "binary": {
      const result = evalBinary(expr.op, expr.a.dtype, recurse(expr.a), recurse(expr.b));
      if (result === null) throw new RangeError(`integer trap in ${expr.op}`);
      return result;
    }
    case "compare":
      return evalCompare(expr.op, recurse(expr.a), recurse(expr.b));
    case "unary":
      return evalUnary(expr.op, expr.dtype, recurse(expr.a));
    case "cast":
      return evalCast(recurse(expr.a), expr.a.dtype, expr.dtype);
    case "select":
      return Number(recurse(expr.cond)) !== 0 ? recurse(expr.a) : recurse(expr.b);
    case "load":
      return elementAt(memory, expr.buffer, recurse(expr.index));
    case "ramp":
      return Number(evaluateLane(expr.base, env, memory, 0)) + expr.stride * lane;
    case "broadcast":
      return evaluateLane(expr.value, env, memory, 0);
    case "tload":
    case "reduce":
      throw new Error(`${expr.kind} in loop IR`);
    default:
      return unreachable(expr);
  }
}
