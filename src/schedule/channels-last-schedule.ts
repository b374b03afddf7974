/**
 * Schedules of channels-last convolutions (graph/passes/convert-layout.ts):
 * dense ones run the micro-kernel over a fused column·channel k loop
 * (scheduleChannelsLastDenseConv); depthwise and other grouped ones
 * (scheduleChannelsLastConv) multiply each output pixel's channel vector's
 * contiguous input channel vectors with the contiguous vector of taps
 * (te/ops/nn/conv.ts packs them [k…][C/g][M]), for any stride: no
 * lane-by-lane gathers.
 *
 * Loops [n, h, w, c] become  n·h/f (task) · h_f · w · c/4 · [window] · c₄ (vector),
 * the window unrolled when small, else rolled with 4 channel vectors jammed into it,
 * with the rows split into blocks so the plain row and column loops inside
 * a task can be specialized away from the padding (schedule/partition-loops.ts).
 */
import type { LoopNest } from "../loop/nest.js";
import { collectLoops } from "../loop/nest.js";
import { type ScheduleRecord, fuse, parallel, reorder, split, unroll, vectorize } from "./primitives.js";
import {
  LANES,
  SMALL_REDUCTION,
  ScheduleBuilder,
  computeStagesAt,
  extentOf,
  hasReductionLoop,
  unrollSmallReductions,
} from "./schedule-builder.js";
import { scheduleOutFusable } from "./default-schedule-dense.js";

/**
 * A channels-last conv with channel-panel weights (te/ops/nn/conv.ts packs
 * them [M/8][k…][C][8] and reduces the input channel innermost): the window
 * column loop and the channel loop are fused into one reduction loop of
 * k_w · C steps, whose input elements are contiguous (x[h][w + kw][c]) as
 * are its weights, so the micro-kernel's k loop runs long instead of C steps
 * at a time; then the dense micro-kernel, weight panels outside the rows.
 */
export function scheduleChannelsLastDenseConv(nest: LoopNest): ScheduleRecord[] {
  const builder = new ScheduleBuilder(nest);
  computeStagesAt(builder);
  const loops = collectLoops(builder.nest.body);
  const column = loops.get("rw");
  if (column !== undefined && column.loop.body.kind === "for" && column.loop.body.loopVar.name === "rc") {
    builder.attempt(fuse("rw", "rc", "rw.rc.fused"));
  }
  scheduleOutFusable(builder, { panelsOutside: true });
  return builder.records;
}

/** Row blocks per image: enough tasks for a few threads, long enough blocks to partition. */
const ROW_TASKS = 8;

export function scheduleChannelsLastConv(nest: LoopNest, outputShape: readonly number[]): ScheduleRecord[] {
  const builder = new ScheduleBuilder(nest);
  computeStagesAt(builder);
  const chain = builder.outputChain();
  const kept = outputShape.filter((extent) => extent > 1).length;
  if (builder.statements.length !== 1 || chain.length !== kept || outputShape[3]! <= 1) return builder.records;
  const names = chain.map((loop) => loop.loopVar.name);
  const channel = names[names.length - 1]!;
  const spatial = names.slice(outputShape[0]! > 1 ? 1 : 0, -1);
  if (outputShape[3]! % LANES === 0 && builder.attempt(split(channel, LANES))) {
    builder.attempt(vectorize(`${channel}.inner`));
    // A window loop too long to unroll (5×5); a 3×3 window unrolls into straight-line code, where jamming
    // measured no faster and multiplied the code of every partitioned border copy (mobilenet_v2 162 → 260 KB).
    const rolledWindow = hasReductionLoop(builder, builder.nest.body, (extent) => extent > SMALL_REDUCTION);
    if (rolledWindow) jamChannelVectors(builder, channel, outputShape[3]! / LANES);
  } else {
    builder.attempt(vectorize(channel));
  }
  unrollSmallReductions(builder);
  const rows = chain.find((loop) => loop.loopVar.name === spatial[0]);
  if (rows === undefined) return builder.records;
  const task = rowTaskLoop(builder, rows.loopVar.name, extentOf(rows));
  if (outputShape[0]! > 1 && names[0] !== undefined) {
    const fused = `${names[0]}.${task}.fused`;
    builder.attempt(reorder([names[0], task]), fuse(names[0], task, fused), parallel(fused));
  } else {
    builder.attempt(parallel(task));
  }
  return builder.records;
}

/** Channel vectors a depthwise step computes at once (independent accumulators). */
const JAMMED_VECTORS = 4;

/**
 * Unrolls and jams neighbouring channel vectors into the window loops, so
 * each window step updates several independent accumulators: with one, a
 * 5×5 window is 25 dependent vector adds per output vector, bound by the
 * add latency (EfficientNet's 5×5 depthwise ran at 4.5 GFLOP/s).
 */
function jamChannelVectors(builder: ScheduleBuilder, channel: string, vectors: number): void {
  for (let factor = JAMMED_VECTORS; factor >= 2; factor--) {
    if (vectors % factor !== 0) continue;
    if (builder.attempt(split(`${channel}.outer`, factor), unroll(`${channel}.outer.inner`))) return;
  }
}

/** Splits the rows into ROW_TASKS blocks when a divisor allows (else the rows themselves); returns the task loop. */
function rowTaskLoop(builder: ScheduleBuilder, rows: string, extent: number): string {
  for (let blocks = ROW_TASKS; blocks >= 2; blocks--) {
    if (extent % blocks === 0 && extent / blocks >= 2 && builder.attempt(split(rows, extent / blocks))) {
      return `${rows}.outer`;
    }
  }
  return rows;
}
