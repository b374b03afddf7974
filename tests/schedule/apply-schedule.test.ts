import { test } from "node:test";
import assert from "node:assert/strict";
import { TesseraError } from "../../src/support/errors.js";
import { interpretKernel, interpretNest } from "../../src/loop/interpret-loop.js";
import { printKernel, printNest } from "../../src/loop/print-loop.js";
import { collectLoops } from "../../src/loop/nest.js";
import { makeBuffer } from "../../src/loop/ir.js";
import { makeFor, makeStore } from "../../src/loop/stmt.js";
import { printStmt } from "../../src/loop/print-loop.js";
import { binary, constant, load, makeVar } from "../../src/te/expr.js";
import { vectorizeLoops } from "../../src/schedule/vectorize-loops.js";
import { verifyKernel } from "../../src/loop/verify-loop.js";
import { applySchedule } from "../../src/schedule/apply-schedule.js";
import { scheduleKernel } from "../../src/schedule/finalize.js";
import { Schedule, type ScheduleRecord } from "../../src/schedule/primitives.js";
import {
  assertClose,
  elementwiseFixture,
  matmulFixture,
  paddedConvFixture,
  runOn,
  softmaxFixture,
  type Fixture,
} from "../loop/fixtures.js";

function checkSchedule(fixture: Fixture, records: readonly ScheduleRecord[], tolerance = 1e-5): string {
  const nest = fixture.lower();
  const scheduled = applySchedule(nest, records);
  assertClose(
    runOn(fixture, (buffers) => interpretNest(scheduled, buffers)),
    fixture.expected,
    tolerance,
  );
  const kernel = scheduleKernel(nest, records);
  verifyKernel(kernel);
  assertClose(
    runOn(fixture, (buffers) => interpretKernel(kernel, buffers)),
    fixture.expected,
    tolerance,
  );
  return printKernel(kernel);
}

function expectInvalid(fixture: Fixture, records: readonly ScheduleRecord[], pattern: RegExp): void {
  assert.throws(
    () => applySchedule(fixture.lower(), records),
    (error: unknown) =>
      error instanceof TesseraError && error.code === "E_INVALID_SCHEDULE" && pattern.test(error.message),
  );
}

test("split names its loops .outer/.inner and guards a non-dividing factor", () => {
  const fixture = elementwiseFixture(3, 10);
  const records = new Schedule().split("j", 4).records;
  const nest = applySchedule(fixture.lower(), records);
  assert.deepEqual([...collectLoops(nest.body).keys()], ["i", "j.outer", "j.inner"]);
  assert.match(printNest(nest), /if j.outer \* 4 \+ j.inner < 10/);
  checkSchedule(fixture, records);
  checkSchedule(fixture, new Schedule().split("i", 2, "io", "ii").records);
});

test("fuse merges perfectly nested loops", () => {
  const fixture = elementwiseFixture(3, 10);
  const records = new Schedule().fuse("i", "j").records;
  assert.deepEqual([...collectLoops(applySchedule(fixture.lower(), records).body).keys()], ["i.j.fused"]);
  checkSchedule(fixture, records);
});

test("reorder permutes a perfect chain, moving split guards inward", () => {
  const fixture = elementwiseFixture(6, 10);
  const records = new Schedule()
    .split("j", 4)
    .split("i", 4)
    .reorder("j.outer", "i.outer", "j.inner", "i.inner").records;
  const nest = applySchedule(fixture.lower(), records);
  assert.deepEqual([...collectLoops(nest.body).keys()], ["j.outer", "i.outer", "j.inner", "i.inner"]);
  checkSchedule(fixture, records);
});

test("tile is split + split + reorder", () => {
  const fixture = matmulFixture(6, 8, 5);
  const records = new Schedule().tile("i", "j", 2, 4).records;
  const nest = applySchedule(fixture.lower(), records);
  assert.deepEqual([...collectLoops(nest.body).keys()], ["i.outer", "j.outer", "i.inner", "j.inner", "k"]);
  checkSchedule(fixture, records);
});

test("vectorize turns the loop into 4-lane ramps, loads and stores", () => {
  const fixture = elementwiseFixture(3, 8);
  const text = checkSchedule(fixture, new Schedule().split("j", 4).vectorize("j.inner").parallel("i").records);
  assert.match(text, /out\[ramp\(i \* 8 \+ j.outer \* 4, 1, 4\)\] = max\(/);
  assert.match(text, /tasks=3/);
});

test("vectorized output columns around the reduction keep a vector accumulator", () => {
  const fixture = matmulFixture(5, 8, 7);
  const text = checkSchedule(fixture, new Schedule().split("j", 4).vectorize("j.inner").records);
  assert.match(text, /acc = broadcast\(0.0, 4\)/);
  assert.match(text, /b\[ramp\(k \* 8 \+ j.outer \* 4, 1, 4\)\]/);
  assert.match(text, /broadcast\(a\[i \* 7 \+ k\], 4\)/);
});

test("unroll expands loops and jams reduction copies into one k loop", () => {
  const fixture = matmulFixture(4, 8, 3);
  const text = checkSchedule(
    fixture,
    new Schedule()
      .split("i", 2)
      .split("j", 4)
      .reorder("i.outer", "j.outer", "i.inner", "j.inner")
      .vectorize("j.inner")
      .unroll("i.inner").records,
  );
  assert.equal(text.match(/for k in/g)?.length, 1, text);
  assert.match(text, /acc_u1 = acc_u1 \+/);
  checkSchedule(fixture, new Schedule().unroll("k").records);
});

test("compute_at moves softmax's stages into the row loop and shrinks their buffers", () => {
  const fixture = softmaxFixture(5, 8);
  const records = new Schedule()
    .computeAt("row_sum", "r_2")
    .computeAt("row_max", "r_2")
    .parallel("r_2")
    .split("c", 4)
    .vectorize("c.inner").records;
  const text = checkSchedule(fixture, records);
  // One row: tasks on a thread run in turn, and each thread has its own scratch area.
  assert.match(text, /row_max: float32\[1\] scratch/);
  assert.match(text, /tasks=5/);
  assert.ok(!/^for r in/m.test(text), text);
});

test("a padded convolution survives splits of its reduction loops", () => {
  const fixture = paddedConvFixture(3, 8);
  checkSchedule(fixture, new Schedule().split("rc", 2).unroll("rk").split("ow", 4).vectorize("ow.inner").records, 1e-5);
});

test("illegal schedules throw E_INVALID_SCHEDULE naming the primitive and loop", () => {
  const matmul = matmulFixture(4, 8, 6);
  expectInvalid(matmul, new Schedule().split("x", 4).records, /split 'x': no loop/);
  expectInvalid(matmul, new Schedule().parallel("k").records, /parallel 'k': it iterates a reduction axis/);
  expectInvalid(matmul, new Schedule().parallel("j").records, /parallel 'j': it is not outermost/);
  expectInvalid(matmul, new Schedule().vectorize("i").records, /vectorize 'i': it is not innermost/);
  expectInvalid(matmul, new Schedule().vectorize("k").records, /vectorize 'k': it iterates a reduction axis/);
  expectInvalid(
    matmul,
    new Schedule().split("j", 3).vectorize("j.inner").records,
    /vectorize .j.inner.: extent 3 is below 4 lanes/,
  );
  expectInvalid(matmul, new Schedule().reorder("k", "j").records, /reorder 'k, j': the loops are not perfectly nested/);
  expectInvalid(matmul, new Schedule().fuse("j", "k").records, /fuse 'j'/);
  expectInvalid(matmul, new Schedule().split("j", 4).split("j", 2).records, /split 'j': no loop/);
  expectInvalid(matmul, new Schedule().split("j", 0).records, /factor 0/);
  const softmax = softmaxFixture(4, 8);
  expectInvalid(
    softmax,
    new Schedule().computeAt("row_max", "r_2").records,
    /compute_at 'row_max' at 'r_2': the buffer is also read outside/,
  );
  expectInvalid(softmax, new Schedule().computeAt("row_sum", "c").records, /same domain/);
  expectInvalid(softmax, new Schedule().computeAt("nothing", "r_2").records, /no stage/);
  expectInvalid(softmax, new Schedule().parallel("r").records, /not the kernel's only outermost statement/);
});

test("vectorizing an extent that is not a multiple of 4 overlaps a last vector step", () => {
  const fixture = matmulFixture(3, 7, 5);
  const text = checkSchedule(fixture, new Schedule().vectorize("j").records);
  assert.match(text, /acc = broadcast\(0.0, 4\)/);
  assert.match(text, /out\[ramp\(i \* 7 \+ 3, 1, 4\)\]/);
  assert.doesNotMatch(text, /j.rest/);
});

test("a loop that reads what it writes gets a scalar remainder instead of an overlapping step", () => {
  const buffer = makeBuffer("data", "float32", 7, "global", 1);
  const j = makeVar("j");
  const loop = makeFor(
    j,
    7,
    makeStore(buffer, j, binary("add", load(buffer, j), constant(1, "float32"))),
    "vectorized",
  );
  const vectorized = vectorizeLoops(loop);
  assert.match(
    printStmt(vectorized),
    /data\[ramp\(0, 1, 4\)\] = data\[ramp\(0, 1, 4\)\] \+ broadcast\(1.0, 4\)\nfor j.rest in 0..3/,
  );
  const data = new Float32Array([0, 1, 2, 3, 4, 5, 6]);
  interpretKernel(
    { name: "inc", body: vectorized, taskExtent: 1, buffers: [buffer], flops: 0 },
    new Map([[buffer, data]]),
  );
  assert.deepEqual([...data], [1, 2, 3, 4, 5, 6, 7]);
});
