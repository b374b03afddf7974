/**
 * Which default schedule a fused group's kernel gets: its pattern kind's
 * (schedule/default-schedule.ts), or the one written for its anchor —
 * the Winograd transforms, channels-last convs (dense ones with the fused
 * window-column/channel k loop, depthwise ones over channel vectors),
 * NCHW convs with channel-panel weights, and dense products whose weights
 * outweigh their rows. A tuning log (a later issue) would replace these.
 */
import type { FusedGroup } from "../graph/fused.js";
import type { Node } from "../graph/ir.js";
import { Attributes } from "../graph/attributes.js";
import type { LoopNest } from "../loop/nest.js";
import type { ScheduleRecord } from "../schedule/primitives.js";
import { defaultSchedule } from "../schedule/default-schedule.js";
import { scheduleChannelColumns, scheduleOutFusable } from "../schedule/default-schedule-dense.js";
import { ScheduleBuilder, computeStagesAt } from "../schedule/schedule-builder.js";
import { scheduleWinogradInput, scheduleWinogradOutput } from "../schedule/winograd-schedule.js";
import { scheduleChannelsLastConv, scheduleChannelsLastDenseConv } from "../schedule/channels-last-schedule.js";
import { convIsDense, convWeightLayout } from "../te/ops/nn/conv.js";
import { DATA_LAYOUT } from "../te/ops/nn/channels-last.js";
import { TESSERA_DOMAIN } from "../te/ops/registry.js";

/** The default schedule for the group's anchor: its pattern's, or an op's own where one is written. */
export function scheduleOf(group: FusedGroup, nest: LoopNest): ScheduleRecord[] {
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
  if (channelsLast && convIsDense(anchor, true)) return scheduleChannelsLastDenseConv(nest);
  if (weightsOutweighRows(anchor)) {
    const builder = new ScheduleBuilder(nest);
    computeStagesAt(builder);
    scheduleOutFusable(builder, { panelsOutside: true });
    return builder.records;
  }
  if (channelsLast && anchor.opType === "Conv") return scheduleChannelsLastConv(nest, outputShape);
  return convWeightLayout(anchor, channelsLast) === "panels"
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
