import { test } from "node:test";
import assert from "node:assert/strict";
import { interpretKernel } from "../../src/loop/interpret-loop.js";
import { printKernel } from "../../src/loop/print-loop.js";
import { stmtProblems, verifyKernel } from "../../src/loop/verify-loop.js";
import { defaultSchedule } from "../../src/schedule/default-schedule.js";
import { scheduleKernel } from "../../src/schedule/finalize.js";
import { printSchedule } from "../../src/schedule/primitives.js";
import type { PatternKind } from "../../src/te/op.js";
import {
  assertClose,
  elementwiseFixture,
  matmulFixture,
  paddedConvFixture,
  runOn,
  softmaxFixture,
  type Fixture,
} from "../loop/fixtures.js";

function compile(fixture: Fixture, pattern: PatternKind): { text: string; taskExtent: number } {
  const nest = fixture.lower();
  const records = defaultSchedule(nest, pattern);
  const kernel = scheduleKernel(nest, records, (pass, body) =>
    assert.deepEqual(stmtProblems(body), [], `after ${pass}`),
  );
  verifyKernel(kernel);
  assertClose(
    runOn(fixture, (buffers) => interpretKernel(kernel, buffers)),
    fixture.expected,
    1e-5,
  );
  return { text: `${printSchedule(records)}\n${printKernel(kernel)}`, taskExtent: kernel.taskExtent };
}

test("elementwise: fused, vectorized by 4, split into parallel tasks", () => {
  const { text, taskExtent } = compile(elementwiseFixture(64, 256), "elementwise");
  assert.equal(taskExtent, 4);
  assert.match(text, /out\[ramp\(/);
  compile(elementwiseFixture(3, 5), "elementwise");
});

test("matmul: vector accumulators tiled 4 rows × 2 vectors, parallel outer tasks", () => {
  const { text, taskExtent } = compile(matmulFixture(16, 16, 9), "out-fusable");
  assert.equal(taskExtent, 8, text);
  assert.equal(text.match(/for k in/g)?.length, 1, text);
  assert.equal(text.match(/acc_u\d_u\d = broadcast\(0.0, 4\)/g)?.length, 8, text);
  compile(matmulFixture(5, 6, 3), "out-fusable");
  compile(matmulFixture(6, 12, 2), "out-fusable");
});

test("softmax: stages computed per row inside the parallel row loop", () => {
  const { text, taskExtent } = compile(softmaxFixture(6, 16), "reduction");
  assert.equal(taskExtent, 6);
  assert.match(text, /compute_at\(row_sum, r_2\)\ncompute_at\(row_max, r_2\)/);
  assert.match(text, /softmax\[ramp\(/);
  compile(softmaxFixture(3, 5), "reduction");
});

test("padded convolution: vectorized output width with unrolled small reductions", () => {
  const { text } = compile(paddedConvFixture(3, 16), "out-fusable");
  assert.match(text, /conv\[ramp\(/);
  compile(paddedConvFixture(5, 7), "out-fusable");
});

test("an empty output (a zero-sized dim) lowers to an empty kernel under every default schedule", () => {
  for (const pattern of ["elementwise", "reduction", "out-fusable", "injective"] as const) {
    const fixture = elementwiseFixture(0, 4);
    const nest = fixture.lower();
    const kernel = scheduleKernel(nest, defaultSchedule(nest, pattern));
    verifyKernel(kernel);
    assert.equal(kernel.taskExtent, 1);
    assert.deepEqual(
      runOn(fixture, (buffers) => interpretKernel(kernel, buffers)),
      new Float32Array(0),
    );
  }
});
