/**
 * Lowers each fused group that needs a kernel into a scheduled loop-IR
 * kernel. View groups (Reshape, Flatten…) get none: the memory plan makes
 * their output share their input's bytes.
 *
 * Global buffers are made once per graph value, so every kernel that
 * touches a value refers to the same Buffer and the memory plan can map
 * buffers to addresses by `valueId`.
 */
import type { FusedGraph, FusedGroup } from "../graph/fused.js";
import type { Value } from "../graph/ir.js";
import { type Buffer, type Kernel, makeBuffer } from "../loop/ir.js";
import { lowerToLoops } from "../loop/lower-te.js";
import { branchUniformSelects } from "../loop/branch-uniform-selects.js";
import { hoistCommonSubexpressions } from "../loop/hoist-common-subexpressions.js";
import { scheduleKernel } from "../schedule/finalize.js";
import { sizeOf } from "../support/tensor-data.js";
import type { TeTensor } from "../te/tensor.js";
import { buildGroupTe } from "./build-group-te.js";
import { scheduleOf } from "./choose-schedule.js";

export interface KernelStep {
  readonly group: FusedGroup;
  readonly kernel: Kernel;
}

export function lowerGroups(fused: FusedGraph): KernelStep[] {
  const buffers = new Map<Value, Buffer>();
  const bufferOf = (value: Value): Buffer => {
    let buffer = buffers.get(value);
    if (buffer === undefined) {
      buffer = makeBuffer(value.name, value.dtype, sizeOf(value.shape as number[]), "global", value.id);
      buffers.set(value, buffer);
    }
    return buffer;
  };
  const steps: KernelStep[] = [];
  for (const group of fused.groups) {
    if (group.pattern === "view") continue;
    steps.push(lowerGroup(group, steps.length, bufferOf));
  }
  return steps;
}

/**
 * The step's group lists as inputs what the kernel reads: pre-packed weights
 * replace the originals they were packed from.
 */
function lowerGroup(group: FusedGroup, index: number, bufferOf: (value: Value) => Buffer): KernelStep {
  const te = buildGroupTe(group);
  const inputs = new Map<TeTensor, Buffer>();
  for (const [tensor, value] of te.inputs) inputs.set(tensor, bufferOf(value));
  const outputs = te.outputs.map(({ value, tensor }) => ({ tensor, buffer: bufferOf(value) }));
  const nest = lowerToLoops({ name: kernelName(group, index), outputs, inputs });
  const scheduled = scheduleKernel(nest, scheduleOf(group, nest));
  const kernel = { ...scheduled, body: branchUniformSelects(hoistCommonSubexpressions(scheduled.body)) };
  return { group: { ...group, inputs: [...new Set(te.inputs.values())] }, kernel };
}

/** Export names: unique, and valid identifiers in any printer. */
function kernelName(group: FusedGroup, index: number): string {
  return `k${index}_${group.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}
