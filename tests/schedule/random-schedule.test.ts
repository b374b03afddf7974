import { test } from "node:test";
import { TesseraError } from "../../src/support/errors.js";
import { interpretKernel } from "../../src/loop/interpret-loop.js";
import { type LoopNest, collectLoops, isReductionLoop } from "../../src/loop/nest.js";
import { verifyKernel } from "../../src/loop/verify-loop.js";
import { applyRecord } from "../../src/schedule/apply-schedule.js";
import { scheduleKernel } from "../../src/schedule/finalize.js";
import {
  type ScheduleRecord,
  fuse,
  parallel,
  printSchedule,
  reorder,
  split,
  splitOverlap,
  unroll,
  vectorize,
} from "../../src/schedule/primitives.js";
import {
  assertClose,
  elementwiseFixture,
  matmulFixture,
  paddedConvFixture,
  runOn,
  softmaxFixture,
  type Fixture,
} from "../loop/fixtures.js";

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** One random candidate primitive on the nest's current loops (it may be illegal; the caller filters). */
function candidate(nest: LoopNest, next: () => number): ScheduleRecord | null {
  const loops = [...collectLoops(nest.body).values()];
  const { loop } = loops[Math.floor(next() * loops.length)]!;
  const name = loop.loopVar.name;
  const extent = Number((loop.extent as { value: number }).value);
  const child = loop.body.kind === "for" ? loop.body.loopVar.name : null;
  switch (Math.floor(next() * 7)) {
    case 0:
      return split(name, [2, 3, 4, 5, 8][Math.floor(next() * 5)]!);
    case 1:
      return child === null ? null : reorder([child, name]);
    case 2:
      return child === null ? null : fuse(name, child);
    case 3:
      return extent <= 8 ? unroll(name) : null;
    case 4:
      return isReductionLoop(nest, name) ? null : vectorize(name);
    case 5:
      return splitOverlap(name, [2, 3, 4, 5, 8][Math.floor(next() * 5)]!);
    default:
      return extent % 4 === 0 && !isReductionLoop(nest, name) ? split(name, 4) : null;
  }
}

function randomLegalSchedule(
  fixture: Fixture,
  next: () => number,
  length: number,
): { nest: LoopNest; records: ScheduleRecord[] } {
  const nest = fixture.lower();
  let current = nest;
  const records: ScheduleRecord[] = [];
  for (let attempt = 0; attempt < length * 4 && records.length < length; attempt++) {
    const record = candidate(current, next);
    if (record === null) continue;
    try {
      current = applyRecord(current, record);
      records.push(record);
    } catch (error) {
      if (!(error instanceof TesseraError && error.code === "E_INVALID_SCHEDULE")) throw error;
    }
  }
  const root = current.body;
  if (root.kind === "for" && next() < 0.7 && !isReductionLoop(current, root.loopVar.name))
    records.push(parallel(root.loopVar.name));
  return { nest, records };
}

function checkRandomSchedules(make: () => Fixture, seed: number, trials: number): void {
  const next = random(seed);
  for (let trial = 0; trial < trials; trial++) {
    const fixture = make();
    const { nest, records } = randomLegalSchedule(fixture, next, 1 + Math.floor(next() * 6));
    try {
      const kernel = scheduleKernel(nest, records);
      verifyKernel(kernel);
      assertClose(
        runOn(fixture, (buffers) => interpretKernel(kernel, buffers)),
        fixture.expected,
        1e-4,
      );
    } catch (error) {
      throw new Error(`schedule:\n${printSchedule(records)}\n${(error as Error).stack}`);
    }
  }
}

test("random legal schedules do not change a matmul's output (property)", () => {
  checkRandomSchedules(() => matmulFixture(8, 12, 6), 1, 120);
});

test("random legal schedules do not change an elementwise kernel's output (property)", () => {
  checkRandomSchedules(() => elementwiseFixture(6, 8), 2, 120);
});

test("random legal schedules do not change a padded convolution's output (property)", () => {
  checkRandomSchedules(() => paddedConvFixture(3, 12), 3, 80);
});

test("random legal schedules do not change softmax's output (property)", () => {
  checkRandomSchedules(() => softmaxFixture(4, 8), 4, 80);
});
