/**
 * Lowers the tensor expressions of one fused group to a loop nest.
 *
 * Requires: TE per te/tensor.ts (concrete shapes; reduces only at the top of
 * a body or under elementwise epilogue operations); every placeholder reached
 * from the outputs has a buffer in `request.inputs`.
 *
 * Ensures: a LoopNest (loop/nest.ts) with one stage per materialized tensor,
 * in dependency order. Which computes get materialized:
 * - outputs always (into their global buffers);
 * - a compute without a reduce is inlined into its consumers (its axis
 *   variables replaced by the consumer's index expressions);
 * - a compute with a reduce is inlined when exactly one consumer reads it,
 *   through one (interned) load, exactly at that consumer's own axes (or at
 *   0 on a dim of extent 1, as broadcasting loads read) and outside the
 *   consumer's own reductions: conv + bias + relu become one nest
 *   with an accumulator (epilogue fusion);
 * - any other compute with a reduce becomes a stage writing a scratch buffer
 *   (softmax's row max and row sum).
 * A reduce lowers to `acc = init; for r…: acc = combine(acc, body)`, then the
 * store reads `acc` through the epilogue. Indices flatten row-major. Loops are
 * named after the TE axis names, made unique with `_1`, `_2`… suffixes;
 * loops of extent 1 (a batch of one) are dropped, with their variable set to 0.
 */
import { assert } from "../support/assert.js";
import { isFloat } from "../support/dtype.js";
import {
  type Expr,
  type IterVar,
  type Reduce,
  type Var,
  binary,
  childrenOf,
  constant,
  int,
  load,
  makeVar,
  tload,
} from "../te/expr.js";
import { type TeTensor, compute } from "../te/tensor.js";
import { type Buffer, type Stmt, makeBuffer } from "./ir.js";
import type { LoopNest, Stage } from "./nest.js";
import { reduceInit } from "./scalar-semantics.js";
import { reduceCombiner } from "../te/evaluate-scalar.js";
import { makeAssign, makeFor, makeSeq, makeStore, substituteExpr, transformExpr, visitExpr } from "./stmt.js";
import { simplifyStmt } from "./simplify.js";

export interface LowerOutput {
  readonly tensor: TeTensor;
  /** The global buffer the output is written to (made with makeBuffer(..., "global", valueId)). */
  readonly buffer: Buffer;
}

export interface LowerRequest {
  /** Kernel name, e.g. the fused group's name. */
  readonly name: string;
  readonly outputs: readonly LowerOutput[];
  /** Buffers of the group's inputs, keyed by their TE placeholder. */
  readonly inputs: ReadonlyMap<TeTensor, Buffer>;
}

export function lowerToLoops(original: LowerRequest): LoopNest {
  const request = withCopiedPassThroughs(original);
  const reachable = reachableComputes(request);
  const outputs = new Set(request.outputs.map((output) => output.tensor));
  const materialized = new Set([...reachable].filter((tensor) => outputs.has(tensor) || containsReduce(tensor.body!)));
  let expansion = new Expansion(materialized, request.inputs);
  for (let changed = true; changed;) {
    changed = false;
    for (const tensor of materialized) {
      if (outputs.has(tensor) || !expansion.isEpilogueFusable(tensor)) continue;
      materialized.delete(tensor);
      expansion = new Expansion(materialized, request.inputs);
      changed = true;
      break;
    }
  }
  return new NestBuilder(request, expansion).build(orderStages(request, expansion));
}

/** An output that is an input (an op that forwards its input) gets a copy compute, so every output has a stage. */
function withCopiedPassThroughs(request: LowerRequest): LowerRequest {
  if (request.outputs.every((output) => output.tensor.kind === "compute" && !request.inputs.has(output.tensor)))
    return request;
  const outputs = request.outputs.map((output) => {
    if (output.tensor.kind === "compute" && !request.inputs.has(output.tensor)) return output;
    const source = output.tensor;
    return { ...output, tensor: compute(`${source.name}_copy`, source.shape, (indices) => tload(source, indices)) };
  });
  return { ...request, outputs };
}

function reachableComputes(request: LowerRequest): Set<TeTensor> {
  const found = new Set<TeTensor>();
  const visit = (tensor: TeTensor): void => {
    if (found.has(tensor) || request.inputs.has(tensor)) return;
    assert(tensor.kind === "compute", `placeholder ${tensor.name} has no buffer`);
    found.add(tensor);
    visitExpr(tensor.body!, (node) => {
      if (node.kind === "tload") visit(node.tensor);
    });
  };
  for (const output of request.outputs) visit(output.tensor);
  return found;
}

function containsReduce(expr: Expr): boolean {
  let found = false;
  visitExpr(expr, (node) => {
    if (node.kind === "reduce") found = true;
  });
  return found;
}

/** Bodies of materialized tensors with every non-materialized compute substituted in. */
class Expansion {
  private readonly bodies = new Map<TeTensor, Expr>();
  private readonly memo = new Map<Expr, Expr>();

  constructor(
    readonly materialized: ReadonlySet<TeTensor>,
    private readonly inputs: ReadonlyMap<TeTensor, Buffer>,
  ) {}

  body(tensor: TeTensor): Expr {
    const cached = this.bodies.get(tensor);
    if (cached !== undefined) return cached;
    const expanded = transformExpr(tensor.body!, (node) => this.inlineLoad(node), this.memo);
    this.bodies.set(tensor, expanded);
    return expanded;
  }

  private inlineLoad(node: Expr): Expr {
    if (node.kind !== "tload" || this.inputs.has(node.tensor) || this.materialized.has(node.tensor)) return node;
    const bindings = new Map<Var, Expr>(node.tensor.axes.map((axis, dim) => [axis.variable, node.indices[dim]!]));
    return substituteExpr(this.body(node.tensor), bindings);
  }

  /** True when `tensor` (materialized, with a reduce) may be inlined into its only consumer. */
  isEpilogueFusable(tensor: TeTensor): boolean {
    const sites = new Set<Expr>();
    const consumers = new Set<TeTensor>();
    let insideReduce = false;
    for (const consumer of this.materialized) {
      if (consumer === tensor) continue;
      usesOf(this.body(consumer), tensor, false, (site, withinReduce) => {
        sites.add(site);
        consumers.add(consumer);
        insideReduce ||= withinReduce;
      });
    }
    if (sites.size !== 1 || consumers.size !== 1 || insideReduce) return false;
    const [site] = [...sites];
    const [consumer] = [...consumers];
    if (site!.kind !== "tload" || !sameShape(tensor.shape, consumer!.shape)) return false;
    return site!.indices.every((index, dim) => {
      const sameAxis = index === consumer!.axes[dim]!.variable;
      const unitDim = tensor.shape[dim] === 1 && index.kind === "const" && Number(index.value) === 0;
      return sameAxis || unitDim;
    });
  }
}

function usesOf(
  expr: Expr,
  tensor: TeTensor,
  withinReduce: boolean,
  report: (site: Expr, withinReduce: boolean) => void,
): void {
  if (expr.kind === "tload" && expr.tensor === tensor) report(expr, withinReduce);
  const inner = withinReduce || expr.kind === "reduce";
  const children = expr.kind === "tload" ? expr.indices : childrenOf(expr);
  for (const child of children) usesOf(child, tensor, inner, report);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((extent, dim) => extent === b[dim]);
}

/** Materialized tensors in dependency order (each after the stages it reads), outputs in request order. */
function orderStages(request: LowerRequest, expansion: Expansion): TeTensor[] {
  const ordered: TeTensor[] = [];
  const visiting = new Set<TeTensor>();
  const visit = (tensor: TeTensor): void => {
    if (ordered.includes(tensor)) return;
    assert(!visiting.has(tensor), `cycle through ${tensor.name}`);
    visiting.add(tensor);
    visitExpr(expansion.body(tensor), (node) => {
      if (node.kind === "tload" && expansion.materialized.has(node.tensor)) visit(node.tensor);
    });
    ordered.push(tensor);
  };
  for (const output of request.outputs) visit(output.tensor);
  return ordered;
}

/** Builds the statements of each stage; owns the kernel's loop-name scope. */
class NestBuilder {
  private readonly usedNames = new Set<string>();
  private readonly buffers = new Map<TeTensor, Buffer>();
  private readonly reductionLoops: string[] = [];
  private flops = 0;

  constructor(
    private readonly request: LowerRequest,
    private readonly expansion: Expansion,
  ) {
    for (const [tensor, buffer] of request.inputs) this.buffers.set(tensor, buffer);
    for (const output of request.outputs) this.buffers.set(output.tensor, output.buffer);
  }

  build(order: readonly TeTensor[]): LoopNest {
    const stages: Stage[] = [];
    const statements: Stmt[] = [];
    for (const tensor of order) {
      if (!this.buffers.has(tensor)) {
        const buffer = makeBuffer(this.uniqueName(tensor.name), tensor.dtype, sizeOf(tensor.shape), "scratch");
        this.buffers.set(tensor, buffer);
        stages.push({ name: buffer.name, buffer });
      }
      statements.push(this.lowerStage(tensor));
    }
    const used = new Set<Buffer>();
    for (const [tensor, buffer] of this.buffers) {
      if (order.includes(tensor) || this.isRead(buffer, order)) used.add(buffer);
    }
    const body = simplifyStmt(makeSeq(statements));
    return {
      name: this.request.name,
      body,
      buffers: [...used],
      reductionLoops: this.reductionLoops,
      stages,
      flops: this.flops,
    };
  }

  private isRead(buffer: Buffer, order: readonly TeTensor[]): boolean {
    let read = false;
    for (const tensor of order) {
      visitExpr(this.expansion.body(tensor), (node) => {
        if (node.kind === "tload" && this.buffers.get(node.tensor) === buffer) read = true;
      });
    }
    return read;
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let suffix = 1; this.usedNames.has(name); suffix++) name = `${base}_${suffix}`;
    this.usedNames.add(name);
    return name;
  }

  private lowerStage(tensor: TeTensor): Stmt {
    const loopVars = tensor.axes.map((axis) => makeVar(this.uniqueName(axis.variable.name)));
    const bindings = new Map<Var, Expr>(tensor.axes.map((axis, dim) => [axis.variable, loopVars[dim]!]));
    const value = substituteExpr(this.expansion.body(tensor), bindings);
    const prologue: Stmt[] = [];
    const spatialTrips = sizeOf(tensor.shape);
    const lowered = this.lowerExpr(value, prologue, spatialTrips);
    const buffer = this.buffers.get(tensor)!;
    let statement: Stmt = makeSeq([...prologue, makeStore(buffer, flatIndex(loopVars, tensor.shape), lowered)]);
    for (let dim = loopVars.length - 1; dim >= 0; dim--) {
      statement = makeFor(loopVars[dim]!, tensor.shape[dim]!, statement);
    }
    return statement;
  }

  /** Replaces tloads by loads and hoists each distinct reduce into `prologue` as an accumulator loop. */
  private lowerExpr(expr: Expr, prologue: Stmt[], spatialTrips: number): Expr {
    return transformExpr(expr, (node) => {
      if (node.kind === "tload") {
        const buffer = this.buffers.get(node.tensor);
        assert(buffer !== undefined, `no buffer for ${node.tensor.name}`);
        return load(buffer, flatIndex(node.indices, node.tensor.shape));
      }
      if (node.kind === "reduce") return this.lowerReduce(node, prologue, spatialTrips);
      return node;
    });
  }

  private lowerReduce(node: Reduce, prologue: Stmt[], spatialTrips: number): Var {
    const accumulator = makeVar(this.uniqueName("acc"), node.dtype);
    const loopVars = node.axes.map((axis: IterVar) => makeVar(this.uniqueName(axis.variable.name)));
    this.reductionLoops.push(...loopVars.map((variable) => variable.name));
    const bindings = new Map<Var, Expr>(node.axes.map((axis, dim) => [axis.variable, loopVars[dim]!]));
    const body = substituteExpr(node.body, bindings);
    const combined = binary(reduceCombiner(node.op), accumulator, body);
    const trips = node.axes.reduce((product, axis) => product * axis.extent, spatialTrips);
    this.flops += trips * countFloatArithmetic(combined);
    let update: Stmt = makeAssign(accumulator, combined);
    for (let dim = loopVars.length - 1; dim >= 0; dim--)
      update = makeFor(loopVars[dim]!, node.axes[dim]!.extent, update);
    prologue.push(makeAssign(accumulator, constant(reduceInit(node.op, node.dtype), node.dtype)), update);
    return accumulator;
  }
}

function countFloatArithmetic(expr: Expr): number {
  let count = 0;
  visitExpr(expr, (node) => {
    if (node.kind === "binary" && isFloat(node.dtype) && ["add", "sub", "mul", "div"].includes(node.op)) count++;
  });
  return count;
}

/** Row-major flat index (((i0 · s1) + i1) · s2 + i2)…; the simplifier expands and folds it. */
export function flatIndex(indices: readonly Expr[], shape: readonly number[]): Expr {
  let flat: Expr = int(0);
  shape.forEach((extent, dim) => {
    flat = binary("add", binary("mul", flat, int(extent)), indices[dim]!);
  });
  return flat;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((product, extent) => product * extent, 1);
}
