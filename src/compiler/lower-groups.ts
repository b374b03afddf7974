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
import type { Node, Value } from "../graph/ir.js";
import { type Buffer, type Kernel, makeBuffer } from "../loop/ir.js";
import { lowerToLoops } from "../loop/lower-te.js";
import { hoistCommonSubexpressions } from "../loop/hoist-common-subexpressions.js";
import { defaultSchedule } from "../schedule/default-schedule.js";
import { scheduleKernel } from "../schedule/finalize.js";
import { scheduleChannelColumns, scheduleOutFusable } from "../schedule/default-schedule-dense.js";
import { ScheduleBuilder, computeStagesAt } from "../schedule/schedule-builder.js";
import { convPacksWeights } from "../te/ops/nn/conv.js";
import { TESSERA_DOMAIN } from "../te/ops/registry.js";
import { DATA_LAYOUT } from "../te/ops/nn/channels-last.js";
import { Attributes } from "../graph/attributes.js";
import type { LoopNest } from "../loop/nest.js";
import type { ScheduleRecord } from "../schedule/primitives.js";
import { scheduleWinogradInput, scheduleWinogradOutput } from "../schedule/winograd-schedule.js";
import { scheduleChannelsLastConv, scheduleChannelsLastDenseConv } from "../schedule/channels-last-schedule.js";
import { sizeOf } from "../support/tensor-data.js";
import type { TeTensor } from "../te/tensor.js";
import { buildGroupTe } from "./build-group-te.js";

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
  const kernel = { ...scheduled, body: hoistCommonSubexpressions(scheduled.body) };
  return { group: { ...group, inputs: [...new Set(te.inputs.values())] }, kernel };
}

/** The default schedule for the group's anchor: its pattern's, or an op's own where one is written. */
function scheduleOf(group: FusedGroup, nest: LoopNest): ScheduleRecord[] {
  const anchor = group.anchor;
  const outputShape = group.outputs[0]!.shape as number[];
  if (anchor.domain === TESSERA_DOMAIN && anchor.opType === "WinogradInput") {
    return scheduleWinogradInput(nest, outputShape);
  }
  const attributes = new Attributes(anchor);
  const channelsLast = anchor.domain === TESSERA_DOMAIN && attributes.string(DATA_LAYOUT, "NCHW") === "NHWC";
  if (anchor.domain === TESSERA_DOMAIN && anchor.opType === "WinogradOutput") {
    return scheduleWinogradOutput(nest, outputShape, attributes.int("tile"), channelsLast);
  }
  if (channelsLast && anchor.opType === "Conv" && convPacksWeights(anchor)) return scheduleChannelsLastDenseConv(nest);
  if (weightsOutweighRows(anchor)) {
    const builder = new ScheduleBuilder(nest);
    computeStagesAt(builder);
    scheduleOutFusable(builder, { panelsOutside: true });
    return builder.records;
  }
  if (channelsLast && anchor.opType === "Conv") return scheduleChannelsLastConv(nest, outputShape);
  return convPacksWeights(anchor)
    ? scheduleChannelColumns(nest, anchor.outputs[0]!.shape as number[])
    : defaultSchedule(nest, group.pattern);
}

/**
 * A MatMul or Gemm whose constant right operand has more columns than the
 * left has rows: its packed panels are the larger operand, so each panel
 * should stream once while the rows, the smaller operand, are re-read from cache.
 */
function weightsOutweighRows(anchor: Node): boolean {
  if (anchor.opType !== "MatMul" && anchor.opType !== "Gemm") return false;
  const [a, b] = anchor.inputs;
  const weights = b?.constant;
  if (a?.shape === null || a?.shape === undefined || a.shape.length < 2 || weights === undefined) return false;
  if (weights.shape.length < 2) return false;
  const attributes = new Attributes(anchor);
  const gemm = anchor.opType === "Gemm";
  const rows = a.shape[a.shape.length - (gemm && attributes.int("transA", 0) !== 0 ? 1 : 2)];
  const columns = weights.shape[weights.shape.length - (gemm && attributes.int("transB", 0) !== 0 ? 2 : 1)]!;
  return typeof rows === "number" && columns > rows;
}

/** Export names: unique, and valid identifiers in any printer. */
function kernelName(group: FusedGroup, index: number): string {
  return `k${index}_${group.name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}
