/**
 * Schedule of a channels-last convolution that has no channel-panel
 * micro-kernel: depthwise and other grouped convs (graph/passes/
 * convert-layout.ts). Each output pixel's channel vector multiplies the
 * contiguous input channel vectors of its window with the contiguous
 * vector of taps (te/ops/nn/conv.ts packs depthwise weights [k…][M]), for
 * any stride: no lane-by-lane gathers.
 *
 * Loops [n, h, w, c] become  n·h/f (task) · h_f · w · c/4 · [window unrolled] · c₄ (vector),
 * with the rows split into blocks so the plain row and column loops inside
 * a task can be specialized away from the padding (schedule/partition-loops.ts).
 */
import type { LoopNest } from "../loop/nest.js";
import { collectLoops } from "../loop/nest.js";
import { walkStmt } from "../loop/stmt.js";
import { type ScheduleRecord, fuse, parallel, reorder, split, unroll, vectorize } from "./primitives.js";
import { LANES, ScheduleBuilder, computeStagesAt, extentOf, unrollSmallReductions } from "./schedule-builder.js";
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
    if (hasRolledWindow(builder)) jamChannelVectors(builder, channel, outputShape[3]! / LANES);
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

/**
 * Whether a window loop is too long for unrollSmallReductions (a 5×5
 * window). A 3×3 window unrolls into straight-line code, where jamming
 * measured no faster and multiplied the code of every partitioned border
 * copy (mobilenet_v2's wasm 162 → 260 KB).
 */
function hasRolledWindow(builder: ScheduleBuilder): boolean {
  let rolled = false;
  walkStmt(builder.nest.body, (node) => {
    if (node.kind === "for" && builder.isReduction(node) && extentOf(node) > SMALL_WINDOW) rolled = true;
  });
  return rolled;
}

/** Window extents up to this unroll (schedule-builder.ts SMALL_REDUCTION). */
const SMALL_WINDOW = 4;

/** Splits the rows into ROW_TASKS blocks when a divisor allows (else the rows themselves); returns the task loop. */
function rowTaskLoop(builder: ScheduleBuilder, rows: string, extent: number): string {
  for (let blocks = ROW_TASKS; blocks >= 2; blocks--) {
    if (extent % blocks === 0 && extent / blocks >= 2 && builder.attempt(split(rows, extent / blocks))) {
      return `${rows}.outer`;
    }
  }
  return rows;
}
