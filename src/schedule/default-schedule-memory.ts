/**
 * Default schedules of memory-bound groups: elementwise, broadcast and
 * injective chains, and reductions (softmax, normalizations, pools).
 */
import {
  type ScheduleBuilder,
  LANES,
  extentOf,
  fuseChain,
  parallelizeRows,
  unrollSmallReductions,
  vectorizeInnermost,
} from "./schedule-builder.js";
import { parallel, split, vectorize } from "./primitives.js";

/** Elementwise tasks get at least this many elements, so a task's work dwarfs its dispatch. */
const TASK_ELEMENTS = 4096;

export function scheduleElementwise(builder: ScheduleBuilder): void {
  const name = fuseChain(builder, Infinity);
  if (name === null || builder.statements.length !== 1) return;
  const extent = extentOf(builder.outputChain()[0]!);
  let outer = name;
  if (extent % LANES === 0 && builder.attempt(split(name, LANES), vectorize(`${name}.inner`))) outer = `${name}.outer`;
  else if (extent > LANES && extent < TASK_ELEMENTS) builder.attempt(vectorize(name));
  const elementsPerStep = outer === name ? 1 : LANES;
  const steps = extent / elementsPerStep;
  const stepsPerTask = Math.ceil(TASK_ELEMENTS / elementsPerStep);
  if (steps <= stepsPerTask) return;
  builder.attempt(split(outer, stepsPerTask), parallel(`${outer}.outer`));
}

export function scheduleReduction(builder: ScheduleBuilder): void {
  vectorizeInnermost(builder);
  parallelizeRows(builder);
  unrollSmallReductions(builder);
}
