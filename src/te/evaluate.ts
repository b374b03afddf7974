/**
 * A JS interpreter of tensor expressions, used only at compile time: constant
 * folding and tests. Never at inference time (the model's arithmetic runs in
 * the generated wasm).
 *
 * Each compute tensor is compiled once into a tree of JS closures (one per
 * expression node, with the dtype-specific scalar function chosen at compile
 * time, see evaluate-scalar.ts), then run over its index space into a typed
 * array. Every compute tensor is materialized once per `evaluateTe` call and
 * its array reused by all consumers, so shared intermediates are not
 * recomputed.
 */
import { assert, InternalError } from "../support/assert.js";
import { allocateTypedArray, type TypedArray } from "../support/dtype.js";
import { type TensorData, makeTensorData, sizeOf } from "../support/tensor-data.js";
import { type Expr, type IterVar, type Var, childrenOf } from "./expr.js";
import { isIndexExpr, linearForm } from "../loop/linear.js";
import type { TeTensor } from "./tensor.js";
import {
  type Scalar,
  binaryFunction,
  castFunction,
  compareFunction,
  normalizeConstant,
  reduceCombiner,
  reduceIdentity,
  unaryFunction,
} from "./evaluate-scalar.js";

type Thunk = () => Scalar;

/**
 * Evaluates `outputs` given the contents of the placeholders they depend on.
 * `inputs` may also bind compute tensors, whose bodies are then not
 * evaluated. Returns one TensorData per output, in order. Throws an
 * InternalError when a needed placeholder is unbound or a load is out of
 * bounds (both are compiler bugs, not user errors).
 */
export function evaluateTe(outputs: readonly TeTensor[], inputs: ReadonlyMap<TeTensor, TensorData>): TensorData[] {
  const values = new Map<TeTensor, TensorData>();
  for (const [tensor, data] of inputs) {
    assert(data.dtype === tensor.dtype, `input ${tensor.name}: dtype ${data.dtype} for a ${tensor.dtype} tensor`);
    assert(sameShape(data.shape, tensor.shape), `input ${tensor.name}: shape [${data.shape}] for [${tensor.shape}]`);
    values.set(tensor, data);
  }
  for (const tensor of dependencyOrder(outputs, values)) {
    values.set(tensor, materialize(tensor, values));
  }
  return outputs.map((tensor) => values.get(tensor)!);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((extent, dim) => extent === b[dim]);
}

/** The tensors a body loads, each once, in first-use order. */
function loadedTensors(body: Expr): TeTensor[] {
  const seen = new Set<Expr>();
  const tensors = new Set<TeTensor>();
  const stack: Expr[] = [body];
  while (stack.length > 0) {
    const expr = stack.pop()!;
    if (seen.has(expr)) continue;
    seen.add(expr);
    if (expr.kind === "tload") tensors.add(expr.tensor);
    stack.push(...childrenOf(expr));
  }
  return [...tensors];
}

/**
 * The unbound compute tensors that `outputs` need, dependencies first.
 * Iterative post-order, so long chains of ops do not exhaust the JS stack.
 */
function dependencyOrder(outputs: readonly TeTensor[], bound: ReadonlyMap<TeTensor, TensorData>): TeTensor[] {
  const order: TeTensor[] = [];
  const state = new Map<TeTensor, "visiting" | "done">();
  const stack: { tensor: TeTensor; expanded: boolean }[] = outputs.map((tensor) => ({ tensor, expanded: false }));
  stack.reverse();
  while (stack.length > 0) {
    const entry = stack.pop()!;
    const { tensor } = entry;
    if (bound.has(tensor) || state.get(tensor) === "done") continue;
    if (entry.expanded) {
      state.set(tensor, "done");
      order.push(tensor);
      continue;
    }
    if (tensor.kind === "placeholder") throw new InternalError(`evaluateTe: placeholder ${tensor.name} is not bound`);
    assert(state.get(tensor) !== "visiting", `evaluateTe: cycle through ${tensor.name}`);
    state.set(tensor, "visiting");
    stack.push({ tensor, expanded: true });
    for (const dependency of loadedTensors(tensor.body!).reverse()) stack.push({ tensor: dependency, expanded: false });
  }
  return order;
}

/** Variable bindings of one compiled body: each variable has a slot in `slots`. */
class Scope {
  readonly slots: Scalar[] = [];
  private readonly slotOf = new Map<Var, number>();

  constructor(readonly values: ReadonlyMap<TeTensor, TensorData>) {}

  /** Compiled closures of this body, so a shared subexpression is compiled once. */
  readonly compiled = new Map<Expr, Thunk>();

  /**
   * The slot of an axis or reduction variable. Two reduces of one body may
   * share a reduction variable (they run one after the other), so binding
   * a variable again returns its slot.
   */
  bind(variable: Var): number {
    const existing = this.slotOf.get(variable);
    if (existing !== undefined) return existing;
    const slot = this.slots.length;
    this.slots.push(0);
    this.slotOf.set(variable, slot);
    return slot;
  }

  slot(variable: Var): number {
    const slot = this.slotOf.get(variable);
    assert(slot !== undefined, `variable ${variable.name} is free in a TE body`);
    return slot;
  }
}

function materialize(tensor: TeTensor, values: ReadonlyMap<TeTensor, TensorData>): TensorData {
  assert(tensor.kind === "compute" && tensor.body !== null, `${tensor.name} is not a compute`);
  const gathered = materializeAffineGather(tensor, values);
  if (gathered !== null) return gathered;
  const scope = new Scope(values);
  const axisSlots = tensor.axes.map((axis) => scope.bind(axis.variable));
  const body = compileExpr(tensor.body, scope);
  const out = allocateTypedArray(tensor.dtype, sizeOf(tensor.shape));
  let flat = 0;
  forEachIndex(tensor.axes, axisSlots, scope.slots, () => {
    out[flat++] = body() as never;
  });
  return makeTensorData(tensor.dtype, tensor.shape, out);
}

/**
 * The fast path for weight packing: a compute whose body is one load at
 * indices affine in its axes (`W[k, panel·8 + lane]`), every one provably in
 * bounds over the axes' ranges, is a strided copy. The closure interpreter
 * took 0.2 s per 4M-element Winograd panel layout of resnet18's last stage.
 * Null when the body is anything else, or when some index might leave its
 * dimension (the interpreter then reports the bad load).
 */
function materializeAffineGather(tensor: TeTensor, values: ReadonlyMap<TeTensor, TensorData>): TensorData | null {
  const body = tensor.body!;
  if (body.kind !== "tload" || body.dtype !== tensor.dtype) return null;
  const source = values.get(body.tensor);
  if (source === undefined || body.tensor.shape.length === 0) return null;
  const axes = tensor.axes;
  const axisVariables = new Set(axes.map((axis) => axis.variable));
  const strides = rowMajorStrides(body.tensor.shape);
  const steps = axes.map(() => 0);
  let start = 0;
  for (const [dim, indexExpr] of body.indices.entries()) {
    if (!isIndexExpr(indexExpr)) return null;
    const index = linearForm(indexExpr);
    if ([...index.terms.keys()].some((atom) => atom.kind !== "var" || !axisVariables.has(atom))) return null;
    let low = index.constant;
    let high = index.constant;
    axes.forEach((axis, position) => {
      const coefficient = index.terms.get(axis.variable) ?? 0;
      const span = coefficient * (axis.extent - 1);
      low += Math.min(0, span);
      high += Math.max(0, span);
      steps[position] += coefficient * strides[dim]!;
    });
    if (low < 0 || high >= body.tensor.shape[dim]!) return null;
    start += index.constant * strides[dim]!;
  }
  const out = allocateTypedArray(tensor.dtype, sizeOf(tensor.shape));
  if (out.length > 0)
    copyStrided(
      source.data,
      out,
      start,
      axes.map((axis) => axis.extent),
      steps,
    );
  return makeTensorData(tensor.dtype, tensor.shape, out);
}

/** out[flat] = source[start + Σ position·step] over the row-major index space of `extents`. */
function copyStrided(
  source: TypedArray,
  out: TypedArray,
  start: number,
  extents: readonly number[],
  steps: readonly number[],
): void {
  const rank = extents.length;
  if (rank === 0) {
    out[0] = source[start]!;
    return;
  }
  const innerExtent = extents[rank - 1]!;
  const innerStep = steps[rank - 1]!;
  const position = extents.map(() => 0);
  let base = start;
  let flat = 0;
  for (;;) {
    for (let index = 0, from = base; index < innerExtent; index++, from += innerStep) out[flat++] = source[from]!;
    let dim = rank - 2;
    while (dim >= 0) {
      base += steps[dim]!;
      if (++position[dim]! < extents[dim]!) break;
      base -= steps[dim]! * extents[dim]!;
      position[dim] = 0;
      dim--;
    }
    if (dim < 0) return;
  }
}

/** Runs `visit` once per point of the axes' index space, in row-major order, with the axes' slots set. */
function forEachIndex(
  axes: readonly IterVar[],
  axisSlots: readonly number[],
  slots: Scalar[],
  visit: () => void,
): void {
  const rank = axes.length;
  for (const axis of axes) if (axis.extent === 0) return;
  for (const slot of axisSlots) slots[slot] = 0;
  const innermost = rank - 1;
  if (rank === 0) return visit();
  const innerSlot = axisSlots[innermost]!;
  const innerExtent = axes[innermost]!.extent;
  for (;;) {
    for (let index = 0; index < innerExtent; index++) {
      slots[innerSlot] = index;
      visit();
    }
    let dim = innermost - 1;
    while (dim >= 0) {
      const slot = axisSlots[dim]!;
      const next = (slots[slot] as number) + 1;
      if (next < axes[dim]!.extent) {
        slots[slot] = next;
        break;
      }
      slots[slot] = 0;
      dim--;
    }
    if (dim < 0) return;
  }
}

function compileExpr(expr: Expr, scope: Scope): Thunk {
  let thunk = scope.compiled.get(expr);
  if (thunk === undefined) {
    thunk = compileNode(expr, scope);
    scope.compiled.set(expr, thunk);
  }
  return thunk;
}

function compileNode(expr: Expr, scope: Scope): Thunk {
  switch (expr.kind) {
    case "const": {
      const value = normalizeConstant(expr.value, expr.dtype);
      return () => value;
    }
    case "var": {
      const slots = scope.slots;
      const slot = scope.slot(expr);
      return () => slots[slot]!;
    }
    case "binary": {
      const apply = binaryFunction(expr.op, expr.dtype);
      const a = compileExpr(expr.a, scope);
      const b = compileExpr(expr.b, scope);
      return () => apply(a(), b());
    }
    case "compare": {
      const apply = compareFunction(expr.op);
      const a = compileExpr(expr.a, scope);
      const b = compileExpr(expr.b, scope);
      return () => apply(a(), b());
    }
    case "unary": {
      const apply = unaryFunction(expr.op, expr.dtype);
      const a = compileExpr(expr.a, scope);
      return () => apply(a());
    }
    case "select":
      return compileSelect(expr.cond, expr.a, expr.b, scope);
    case "cast": {
      const apply = castFunction(expr.a.dtype, expr.dtype);
      const a = compileExpr(expr.a, scope);
      return () => apply(a());
    }
    case "tload":
      return compileLoad(expr.tensor, expr.indices, scope);
    case "reduce":
      return compileReduce(expr, scope);
    case "load":
    case "ramp":
    case "broadcast":
      throw new InternalError(`evaluateTe: '${expr.kind}' is loop IR, not TE`);
  }
}

/** Both operands are evaluated, as in wasm, so an out-of-bounds load in either is caught. */
function compileSelect(condition: Expr, whenTrue: Expr, whenFalse: Expr, scope: Scope): Thunk {
  const test = compileExpr(condition, scope);
  const a = compileExpr(whenTrue, scope);
  const b = compileExpr(whenFalse, scope);
  return () => {
    const first = a();
    const second = b();
    return test() !== 0 ? first : second;
  };
}

function compileLoad(tensor: TeTensor, indexExprs: readonly Expr[], scope: Scope): Thunk {
  const data = scope.values.get(tensor);
  assert(data !== undefined, `evaluateTe: ${tensor.name} is loaded before it is evaluated`);
  const array: TypedArray = data.data;
  const shape = tensor.shape;
  const rank = shape.length;
  const strides = rowMajorStrides(shape);
  const indices = indexExprs.map((index) => compileExpr(index, scope));
  if (rank === 0) return () => array[0]!;
  const fail = (dim: number, index: number): never => {
    throw new InternalError(
      `evaluateTe: load of ${tensor.name} index ${index} out of [0, ${shape[dim]}) in dim ${dim}`,
    );
  };
  return () => {
    let flat = 0;
    for (let dim = 0; dim < rank; dim++) {
      const index = indices[dim]!() as number;
      if (!(index >= 0 && index < shape[dim]!)) fail(dim, index);
      flat += index * strides[dim]!;
    }
    return array[flat]!;
  };
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    strides[dim] = stride;
    stride *= shape[dim]!;
  }
  return strides;
}

function compileReduce(expr: Extract<Expr, { kind: "reduce" }>, scope: Scope): Thunk {
  const axisSlots = expr.axes.map((axis) => scope.bind(axis.variable));
  const body = compileExpr(expr.body, scope);
  const combine = binaryFunction(reduceCombiner(expr.op), expr.dtype);
  const identity = reduceIdentity(expr.op, expr.dtype);
  const slots = scope.slots;
  const axes = expr.axes;
  if (axes.length === 1) {
    const slot = axisSlots[0]!;
    const extent = axes[0]!.extent;
    return () => {
      let accumulator = identity;
      for (let index = 0; index < extent; index++) {
        slots[slot] = index;
        accumulator = combine(accumulator, body());
      }
      return accumulator;
    };
  }
  return () => {
    let accumulator = identity;
    forEachIndex(axes, axisSlots, slots, () => {
      accumulator = combine(accumulator, body());
    });
    return accumulator;
  };
}
