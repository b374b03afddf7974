/**
 * Schedules of the two Winograd transforms (te/ops/nn/winograd.ts). Each
 * output element is one of several closed-form sums chosen by a select on an
 * index (the tile position ξ·α+ν of the input transform, the output phase
 * (h mod m, w mod m) of the output transform). Unrolling that index makes it
 * a constant in every copy, the simplifier keeps the one arm a copy needs,
 * and the copies share their loads and row sums (loop/hoist-common-
 * subexpressions.ts) because they sit in one straight-line loop body. The
 * channels, contiguous in the transformed tensors, are the vector lanes.
 *
 * Input, dims [xy, n, th, tw, c]:  n·th (task) · tw · c/4 · [xy unrolled] · c₄ (vector)
 * Output, dims [n, o, h, w]:       n·h/m (task) · w/m · o/4 · [h mod m, w mod m unrolled] · o₄ (vector)
 *   (or [n, h, w, o] in channels-last layout: the same loop order, so the stores become contiguous)
 */
import type { LoopNest } from "../loop/nest.js";
import { type ScheduleRecord, parallel, reorder, split, unroll, vectorize } from "./primitives.js";
import { LANES, ScheduleBuilder, computeStagesAt, fuseChain } from "./schedule-builder.js";

export function scheduleWinogradInput(nest: LoopNest, outputShape: readonly number[]): ScheduleRecord[] {
  const builder = new ScheduleBuilder(nest);
  const [position, batch, rows, columns, channel] = dimLoops(builder, outputShape);
  if (channel === null || !builder.attempt(split(channel, LANES))) return builder.records;
  const tileLoops = present(batch, rows, columns);
  builder.attempt(reorder([...tileLoops, `${channel}.outer`, ...present(position), `${channel}.inner`]));
  if (position !== null) builder.attempt(unroll(position));
  builder.attempt(vectorize(`${channel}.inner`));
  parallelizeOuter(builder, present(batch, rows).length);
  return builder.records;
}

export function scheduleWinogradOutput(
  nest: LoopNest,
  outputShape: readonly number[],
  tile: number,
  channelsLast: boolean,
): ScheduleRecord[] {
  const builder = new ScheduleBuilder(nest);
  computeStagesAt(builder);
  const loops = dimLoops(builder, outputShape);
  const [batch, channel, height, width] = channelsLast ? [loops[0]!, loops[3]!, loops[1]!, loops[2]!] : loops;
  if (channel === null || !builder.attempt(split(channel, LANES))) return builder.records;
  const outer = present(batch);
  const phases: string[] = [];
  for (const axis of present(height, width)) {
    if (builder.attempt(split(axis, tile))) {
      outer.push(`${axis}.outer`);
      phases.push(`${axis}.inner`);
    } else {
      outer.push(axis);
    }
  }
  builder.attempt(reorder([...outer, `${channel}.outer`, ...phases, `${channel}.inner`]));
  for (const phase of phases) builder.attempt(unroll(phase));
  builder.attempt(vectorize(`${channel}.inner`));
  parallelizeOuter(builder, Math.min(outer.length, batch === null ? 1 : 2));
  return builder.records;
}

/**
 * The loop of each output dim, by position (a fused epilogue's compute names
 * its axes differently); null for dims of extent 1, which lowering drops.
 */
function dimLoops(builder: ScheduleBuilder, outputShape: readonly number[]): (string | null)[] {
  const chain = builder.outputChain().map((loop) => loop.loopVar.name);
  const kept = outputShape.filter((extent) => extent > 1).length;
  if (chain.length < kept) return outputShape.map(() => null);
  let next = 0;
  return outputShape.map((extent) => (extent > 1 ? chain[next++]! : null));
}

function present(...names: (string | null)[]): string[] {
  return names.filter((name): name is string => name !== null);
}

/** Fuses the first `count` loops of the output chain (the leading loops after the reorder) into the task loop. */
function parallelizeOuter(builder: ScheduleBuilder, count: number): void {
  if (count === 0) return;
  const name = fuseChain(builder, count);
  if (name !== null) builder.attempt(parallel(name));
}
