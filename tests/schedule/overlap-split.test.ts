/**
 * Overlapping-tail splits (split with tail "overlap"): the last block is
 * shifted back so every block is full; legal only where re-running an
 * iteration is harmless. Checked here: the loop structure, the legality
 * errors, numerics under the loop interpreter, the dense default schedule's
 * use of it, and compiled wasm against onnxruntime-node.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { InferenceSession, Tensor } from "../../src/index.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { TesseraError } from "../../src/support/errors.js";
import { interpretKernel, interpretNest } from "../../src/loop/interpret-loop.js";
import { printKernel, printNest } from "../../src/loop/print-loop.js";
import { type LoopNest, collectLoops } from "../../src/loop/nest.js";
import { makeBuffer } from "../../src/loop/ir.js";
import { makeAssign, makeFor, makeSeq, makeStore } from "../../src/loop/stmt.js";
import { add, constant, load, makeVar } from "../../src/te/expr.js";
import { stmtProblems, verifyKernel } from "../../src/loop/verify-loop.js";
import { applySchedule } from "../../src/schedule/apply-schedule.js";
import { defaultSchedule } from "../../src/schedule/default-schedule.js";
import { scheduleKernel } from "../../src/schedule/finalize.js";
import { Schedule, type ScheduleRecord, printSchedule } from "../../src/schedule/primitives.js";
import {
  assertClose,
  elementwiseFixture,
  matmulFixture,
  runOn,
  softmaxFixture,
  type Fixture,
} from "../loop/fixtures.js";
import { compareToReference } from "../support/shared-models.js";
import { pseudoRandom, size } from "../support/random.js";

function checkSchedule(fixture: Fixture, records: readonly ScheduleRecord[]): string {
  const nest = fixture.lower();
  const scheduled = applySchedule(nest, records);
  assertClose(
    runOn(fixture, (buffers) => interpretNest(scheduled, buffers)),
    fixture.expected,
  );
  const kernel = scheduleKernel(nest, records, (pass, body) =>
    assert.deepEqual(stmtProblems(body), [], `after ${pass}`),
  );
  verifyKernel(kernel);
  assertClose(
    runOn(fixture, (buffers) => interpretKernel(kernel, buffers)),
    fixture.expected,
  );
  return printKernel(kernel);
}

function expectInvalid(nest: LoopNest, records: readonly ScheduleRecord[], pattern: RegExp): void {
  assert.throws(
    () => applySchedule(nest, records),
    (error: unknown) =>
      error instanceof TesseraError && error.code === "E_INVALID_SCHEDULE" && pattern.test(error.message),
  );
}

test("an overlap split shifts the last block back instead of guarding it", () => {
  const fixture = elementwiseFixture(3, 10);
  const records = new Schedule().splitOverlap("j", 4).records;
  const nest = applySchedule(fixture.lower(), records);
  assert.deepEqual([...collectLoops(nest.body).keys()], ["i", "j.outer", "j.inner"]);
  const text = printNest(nest);
  assert.match(text, /for j\.outer in 0\.\.3/);
  assert.match(text, /min\(j\.outer \* 4, 6\) \+ j\.inner/);
  assert.doesNotMatch(text, /if /);
  checkSchedule(fixture, records);
  // A dividing factor needs no shift: the same loops as a plain split.
  assert.doesNotMatch(printNest(applySchedule(fixture.lower(), new Schedule().splitOverlap("j", 5).records)), /min/);
  // extent = factor: one block.
  checkSchedule(fixture, new Schedule().splitOverlap("j", 10).records);
});

test("overlap splits compose with vectorize, unroll, reorder and parallel", () => {
  const matmul = matmulFixture(7, 13, 5);
  const text = checkSchedule(
    matmul,
    new Schedule()
      .splitOverlap("i", 4)
      .splitOverlap("j", 4)
      .reorder("i.outer", "j.outer", "i.inner", "j.inner")
      .unroll("i.inner")
      .vectorize("j.inner")
      .parallel("i.outer").records,
  );
  assert.match(text, /ramp\(/, text);
  checkSchedule(elementwiseFixture(6, 11), new Schedule().fuse("i", "j").splitOverlap("i.j.fused", 8).records);
  checkSchedule(matmulFixture(3, 9, 4), new Schedule().splitOverlap("i", 2).splitOverlap("j", 8).records);
});

test("an overlap split of a reduction loop or of a short loop is invalid", () => {
  expectInvalid(matmulFixture(7, 12, 6).lower(), new Schedule().splitOverlap("k", 4).records, /reduction axis/);
  expectInvalid(matmulFixture(7, 12, 6).lower(), new Schedule().splitOverlap("j", 16).records, /below the factor 16/);
});

test("an overlap split of a loop whose body reads what it writes is invalid", () => {
  // The row_max and row_sum stages are computed and read inside each row.
  const softmax = softmaxFixture(5, 8).lower();
  const staged = new Schedule().computeAt("row_sum", "r_2").computeAt("row_max", "r_2").splitOverlap("r_2", 4).records;
  expectInvalid(softmax, staged, /reads 'row_(max|sum)', which it writes/);
  // Accumulation into memory across iterations: out[0] += x[j].
  const x = makeBuffer("x", "float32", 6, "global");
  const out = makeBuffer("out", "float32", 1, "global");
  const j = makeVar("j");
  const accumulate = makeFor(j, 6, makeStore(out, constant(0), add(load(out, constant(0)), load(x, j))));
  expectInvalid(nestOf(accumulate, [x, out]), new Schedule().splitOverlap("j", 4).records, /reads 'out'/);
});

test("an overlap split of a loop that carries a local across iterations is invalid", () => {
  // A prefix sum: sum = sum + x[j]; out[j] = sum.
  const x = makeBuffer("x", "float32", 6, "global");
  const out = makeBuffer("out", "float32", 6, "global");
  const j = makeVar("j");
  const sum = makeVar("sum", "float32");
  const body = makeSeq([
    makeAssign(sum, constant(0, "float32")),
    makeFor(j, 6, makeSeq([makeAssign(sum, add(sum, load(x, j))), makeStore(out, j, sum)])),
  ]);
  expectInvalid(nestOf(body, [x, out]), new Schedule().splitOverlap("j", 4).records, /local 'sum' carries/);
});

function nestOf(body: LoopNest["body"], buffers: LoopNest["buffers"]): LoopNest {
  return { name: "manual", body, buffers, reductionLoops: [], stages: [], flops: 0 };
}

test("the dense default schedule overlaps rows that 4 does not divide", () => {
  for (const [rows, factor] of [
    [7, 4],
    [13, 4],
    [3, 2],
  ] as const) {
    const fixture = matmulFixture(rows, 16, 9);
    const nest = fixture.lower();
    const records = defaultSchedule(nest, "out-fusable");
    assert.match(printSchedule(records), new RegExp(`split\\(i, ${factor}, overlap\\)`));
    const kernel = checkSchedule(fixture, records);
    const accumulators = new Set(kernel.match(/acc_u\d_u\d/g));
    assert.equal(accumulators.size, 2 * factor, kernel);
  }
});

/** Conv + bias + residual Add + Relu: the epilogue reads another buffer, which stays legal. */
async function checkConvAgainstOnnxruntime(input: readonly number[], weights: readonly number[], threads: number) {
  const channels = weights[0]!;
  const bytes = encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: input }],
    outputs: [{ name: "y", dtype: "float32", shape: null }],
    nodes: [
      { opType: "Conv", inputs: ["x", "w", "b"], outputs: ["conv"], attributes: { pads: [1, 1, 1, 1] } },
      { opType: "Add", inputs: ["conv", "x"], outputs: ["sum"] },
      { opType: "Relu", inputs: ["sum"], outputs: ["y"] },
    ],
    initializers: [
      { name: "w", data: makeTensorData("float32", weights, pseudoRandom(size(weights), 3)) },
      { name: "b", data: makeTensorData("float32", [channels], pseudoRandom(channels, 4)) },
    ],
  });
  const data = pseudoRandom(size(input), 5);
  const oracle = await ort.InferenceSession.create(bytes);
  const expected = (await oracle.run({ x: new ort.Tensor("float32", data, [...input]) })).y!;
  const session = await InferenceSession.create(bytes, { threads });
  try {
    const actual = (await session.run({ x: new Tensor("float32", data, [...input]) })).y!;
    assert.deepEqual([...actual.dims], [...expected.dims]);
    const { maxError, tolerance } = compareToReference(actual.data as Float32Array, expected.data as Float32Array);
    assert.ok(maxError <= tolerance, `max abs error ${maxError} > ${tolerance}`);
  } finally {
    await session.release();
    await oracle.release();
  }
}

test("convolutions with overlapped row blocks match onnxruntime-node (wasm, 1 and 2 threads)", async () => {
  for (const threads of [1, 2]) {
    await checkConvAgainstOnnxruntime([1, 16, 7, 7], [16, 16, 3, 3], threads);
    await checkConvAgainstOnnxruntime([1, 8, 13, 13], [8, 8, 3, 3], threads);
    await checkConvAgainstOnnxruntime([1, 8, 5, 3], [8, 8, 3, 3], threads);
  }
});
