/**
 * Turns lowered kernels into an execution plan: lays out the weights image,
 * plans the activation arena by liveness (plan-memory.ts), places each
 * kernel's scratch buffers, and resolves every buffer to a byte address
 * (for threaded modules, scratch buffers to an offset from the running
 * thread's scratch base; see plan.ts).
 *
 * View groups produce no step: their outputs alias the bytes of their input
 * (followed through chains of views to a root value).
 */
import type { FusedGroup } from "../graph/fused.js";
import type { Graph, Value } from "../graph/ir.js";
import type { Buffer, Kernel } from "../loop/ir.js";
import { PLAN_VERSION, type ExecutionPlan, type PlanStep, type TensorSlot } from "../runtime/plan.js";
import { assert } from "../support/assert.js";
import { dtypeBytes } from "../support/dtype.js";
import { sizeOf } from "../support/tensor-data.js";
import type { LoweredModel } from "./compile-model.js";
import { type BufferRequest, planMemory } from "./plan-memory.js";

const ALIGNMENT = 64;
/** Bytes kept free at address 0 so a stray null address never aliases data. */
const RESERVED_BYTES = 64;

export interface AssembledPlan {
  readonly plan: ExecutionPlan;
  readonly weights: Uint8Array;
  readonly addressOf: (buffer: Buffer) => number;
}

export function assemblePlan(
  lowered: LoweredModel,
  options: { modelName: string; relaxedSimd: boolean; threads: boolean },
): AssembledPlan {
  const { graph } = lowered;
  const viewSources = collectViewSources(lowered.fused.groups);
  const rootOf = (value: Value): Value => {
    let current = value;
    while (viewSources.has(current)) current = viewSources.get(current)!;
    return current;
  };

  const weightLayout = layoutWeights(lowered, rootOf, RESERVED_BYTES);
  const arenaOffset = alignUp(RESERVED_BYTES + weightLayout.bytes.length, ALIGNMENT);
  const arena = planArena(lowered, viewSources, rootOf);

  const valueOffset = (value: Value): number => {
    const root = rootOf(value);
    const weight = weightLayout.offsets.get(root);
    if (weight !== undefined) return weight;
    const placement = arena.placements.get(value.id);
    assert(placement !== undefined, `value ${value.name} has no memory placement`);
    return arenaOffset + placement.offset;
  };

  const scratchOffset = alignUp(arenaOffset + arena.arenaBytes, ALIGNMENT);
  const scratch = placeScratch(lowered);
  // Threaded modules add each instance's scratch base at run time (emit-module.ts).
  const scratchBase = options.threads ? 0 : scratchOffset;
  const addressOf = (buffer: Buffer): number => {
    if (buffer.scope === "scratch") {
      const offset = scratch.offsets.get(buffer.id);
      assert(offset !== undefined, `scratch buffer ${buffer.name} was not placed`);
      return scratchBase + offset;
    }
    assert(buffer.valueId !== undefined, `global buffer ${buffer.name} has no value`);
    const value = arena.valuesById.get(buffer.valueId) ?? weightLayout.valuesById.get(buffer.valueId);
    assert(value !== undefined, `global buffer ${buffer.name} names an unknown value`);
    return valueOffset(value);
  };

  const slot = (value: Value): TensorSlot => ({
    name: value.name,
    dtype: value.dtype,
    shape: value.shape as number[],
    offset: valueOffset(value),
  });
  const inputSlot = (value: Value): TensorSlot => withDeclaredShape(slot(value), lowered.imported);
  const memoryBytes = alignUp(scratchOffset + scratch.bytes, 65536);
  const plan: ExecutionPlan = {
    version: PLAN_VERSION,
    modelName: options.modelName,
    memoryBytes: Math.max(memoryBytes, 65536),
    weightsOffset: RESERVED_BYTES,
    weightsBytes: weightLayout.bytes.length,
    arenaOffset,
    arenaBytes: arena.arenaBytes,
    scratchOffset,
    scratchBytes: scratch.bytes,
    inputs: graph.inputs.map(inputSlot),
    outputs: graph.outputs.map(slot),
    steps: lowered.steps.map((step): PlanStep => {
      const planStep: PlanStep = {
        kernel: step.kernel.name,
        tasks: step.kernel.taskExtent,
        group: step.group.name,
        ops: step.group.nodes.map((node) => node.opType),
        flops: step.kernel.flops,
      };
      const streams = streamsWeights(step.kernel, weightLayout.valuesById);
      return streams ? { ...planStep, alternateOrder: true } : planStep;
    }),
    features: { simd: true, relaxedSimd: options.relaxedSimd, threads: options.threads },
  };
  return { plan, weights: weightLayout.bytes, addressOf };
}

/** Weight bytes a step must read before alternating its task order pays for the extra calls. */
const STREAMED_WEIGHT_BYTES = 64 * 1024;

/**
 * Whether `kernel` streams its weights: its tasks (more than one) read at
 * least STREAMED_WEIGHT_BYTES of constants and it does no more flops than it
 * reads weight bytes. A matrix-vector product does half a flop per byte, a
 * GEMM of M rows M/2: up to two rows qualify. Kernels without flops (a
 * Gather from an embedding table) read only part of their constants. A
 * streaming kernel's time is the weights' trip from memory, which the plan
 * shortens by alternating the task order between runs
 * (PlanStep.alternateOrder).
 */
function streamsWeights(kernel: Kernel, weights: ReadonlyMap<number, Value>): boolean {
  if (kernel.taskExtent < 2) return false;
  let bytes = 0;
  for (const buffer of kernel.buffers) {
    if (buffer.valueId !== undefined && weights.has(buffer.valueId)) bytes += buffer.size * dtypeBytes(buffer.dtype);
  }
  return bytes >= STREAMED_WEIGHT_BYTES && kernel.flops > 0 && kernel.flops <= bytes;
}

/**
 * Adds the input's declared shape when it has symbolic dims, so a session
 * knows which dims the feeds may change (by compiling again) and which are fixed.
 */
function withDeclaredShape(slot: TensorSlot, imported: Graph | undefined): TensorSlot {
  const declared = imported?.inputs.find((value) => value.name === slot.name)?.shape ?? null;
  if (declared === null || declared.every((dim) => typeof dim === "number")) return slot;
  return { ...slot, declaredShape: [...declared] };
}

function collectViewSources(groups: readonly FusedGroup[]): Map<Value, Value> {
  const sources = new Map<Value, Value>();
  for (const group of groups) {
    if (group.pattern !== "view") continue;
    for (const node of group.nodes) {
      const source = node.inputs[0];
      assert(source !== null && source !== undefined, `view ${node.name} has no input`);
      for (const output of node.outputs) sources.set(output, source);
    }
  }
  return sources;
}

interface WeightLayout {
  readonly bytes: Uint8Array;
  /** Absolute byte address of each constant value placed. */
  readonly offsets: ReadonlyMap<Value, number>;
  readonly valuesById: ReadonlyMap<number, Value>;
}

/** Packs every constant a kernel reads (or the graph outputs) into one image. */
function layoutWeights(lowered: LoweredModel, rootOf: (value: Value) => Value, base: number): WeightLayout {
  const constants: Value[] = [];
  const seen = new Set<Value>();
  const consider = (value: Value): void => {
    const root = rootOf(value);
    if (root.constant === undefined || seen.has(root)) return;
    seen.add(root);
    constants.push(root);
  };
  for (const step of lowered.steps) step.group.inputs.forEach(consider);
  lowered.graph.outputs.forEach(consider);

  const offsets = new Map<Value, number>();
  const valuesById = new Map<number, Value>();
  let size = 0;
  for (const value of constants) {
    size = alignUp(size, ALIGNMENT);
    offsets.set(value, base + size);
    valuesById.set(value.id, value);
    size += value.constant!.data.byteLength;
  }
  const bytes = new Uint8Array(alignUp(size, ALIGNMENT));
  for (const value of constants) {
    const data = value.constant!.data;
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offsets.get(value)! - base);
  }
  // Views of constants (a Reshape of a weight) resolve through rootOf, but kernels name the view's id.
  for (const step of lowered.steps) {
    for (const value of step.group.inputs) if (rootOf(value).constant !== undefined) valuesById.set(value.id, value);
  }
  return { bytes, offsets, valuesById };
}

interface ArenaLayout {
  readonly placements: ReadonlyMap<number, { readonly offset: number }>;
  readonly arenaBytes: number;
  readonly valuesById: ReadonlyMap<number, Value>;
}

/** Plans every non-constant value that a kernel or the caller touches. */
function planArena(
  lowered: LoweredModel,
  viewSources: ReadonlyMap<Value, Value>,
  rootOf: (value: Value) => Value,
): ArenaLayout {
  const uses = new Map<Value, { first: number; last: number }>();
  const touch = (value: Value, step: number): void => {
    if (rootOf(value).constant !== undefined) return;
    const use = uses.get(value);
    if (use === undefined) uses.set(value, { first: step, last: step });
    else use.last = Math.max(use.last, step);
  };
  lowered.graph.inputs.forEach((value) => touch(value, 0));
  lowered.steps.forEach((step, index) => {
    step.group.inputs.forEach((value) => touch(value, index));
    step.group.outputs.forEach((value) => touch(value, index));
  });
  const lastStep = Math.max(0, lowered.steps.length - 1);
  lowered.graph.outputs.forEach((value) => touch(value, lastStep));
  // A view's chain must be planned too, so its source is requested whenever the view is.
  for (const value of [...uses.keys()]) {
    for (let current = value; viewSources.has(current);) {
      current = viewSources.get(current)!;
      if (!uses.has(current)) touch(current, uses.get(value)!.first);
    }
  }

  const inputs = new Set(lowered.graph.inputs);
  const outputs = new Set(lowered.graph.outputs);
  const requests: BufferRequest[] = [];
  const valuesById = new Map<number, Value>();
  for (const [value, use] of uses) {
    valuesById.set(value.id, value);
    const source = viewSources.get(value);
    const bytes = Math.max(1, sizeOf(value.shape as number[]) * dtypeBytes(value.dtype));
    requests.push({
      id: value.id,
      bytes,
      firstUse: use.first,
      lastUse: use.last,
      isGraphInput: inputs.has(value),
      isGraphOutput: outputs.has(value),
      ...(source === undefined ? {} : { aliasOf: source.id, aliasByteOffset: 0 }),
    });
  }
  const plan = planMemory(requests, { stepCount: Math.max(1, lowered.steps.length), alignment: ALIGNMENT });
  return { placements: plan.placements, arenaBytes: plan.arenaBytes, valuesById };
}

/**
 * Offsets of scratch buffers within one thread's scratch area. Kernels run one
 * after another, so every kernel's scratch starts at offset 0.
 */
function placeScratch(lowered: LoweredModel): { offsets: Map<number, number>; bytes: number } {
  const offsets = new Map<number, number>();
  let maxBytes = 0;
  for (const step of lowered.steps) {
    let size = 0;
    for (const buffer of step.kernel.buffers) {
      if (buffer.scope !== "scratch" || offsets.has(buffer.id)) continue;
      size = alignUp(size, ALIGNMENT);
      offsets.set(buffer.id, size);
      size += buffer.size * dtypeBytes(buffer.dtype);
    }
    maxBytes = Math.max(maxBytes, alignUp(size, ALIGNMENT));
  }
  return { offsets, bytes: maxBytes };
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
