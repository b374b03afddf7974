/**
 * Steps that stream weights (PlanStep.alternateOrder) run their tasks
 * last-first on every other run, on one thread and within each thread's
 * range of the pool; other steps always run first-to-last. The compiler sets
 * the flag on matrix-vector products only.
 *
 * The order is observed with a hand-made module whose kernel writes, for
 * each task it runs, a counter private to its instance (a wasm global, so
 * one per thread) into that task's element of the output, tagged with the
 * instance's scratch base, which tells the threads apart. Each task first
 * spins a while, so that a worker claims its own range before the calling
 * thread, done with its range, would run the worker's too.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compileModel } from "../../src/compiler/compile-model.js";
import { encodeModule, type FunctionDefinition } from "../../src/codegen/wasm/module-builder.js";
import {
  block,
  branch,
  globalGet,
  globalSet,
  i32Const,
  localGet,
  localSet,
  memory,
  plain,
} from "../../src/codegen/wasm/instructions.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import type { ArtifactContents } from "../../src/runtime/artifact.js";
import type { ExecutionPlan, PlanStep } from "../../src/runtime/plan.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { runTasks } from "../../src/runtime/thread-pool.js";
import { makeTensorData } from "../../src/support/tensor-data.js";

const TASKS = 8;
const LAYOUT = { input: 64, streamed: 128, ordered: 192, scratch: 256 };
const SCRATCH_BYTES = 1024;
/** Spin iterations per task: about a millisecond. */
const SPIN = 2_000_000;

/**
 * `kernel(first, count)`: for each task t in the range, spins SPIN times,
 * then out[t] = scratch_base << 16 | seq++ (i32; both globals are per instance).
 */
function recordingKernel(name: string, out: number): FunctionDefinition {
  const [first, count, spin] = [0, 1, 2];
  return {
    name,
    params: ["i32", "i32"],
    results: [],
    locals: ["i32"],
    localNames: ["first", "count", "spin"],
    exported: true,
    body: [
      block("block"),
      block("loop"),
      localGet(count),
      plain("i32.eqz"),
      branch("br_if", 1),
      i32Const(SPIN),
      localSet(spin),
      block("loop"),
      localGet(spin),
      i32Const(1),
      plain("i32.sub"),
      localSet(spin),
      localGet(spin),
      branch("br_if", 0),
      plain("end"),
      localGet(first),
      i32Const(2),
      plain("i32.shl"),
      globalGet("scratch_base"),
      i32Const(16),
      plain("i32.shl"),
      globalGet("seq"),
      plain("i32.or"),
      memory("i32.store", 2, out),
      globalGet("seq"),
      i32Const(1),
      plain("i32.add"),
      globalSet("seq"),
      localGet(first),
      i32Const(1),
      plain("i32.add"),
      localSet(first),
      localGet(count),
      i32Const(1),
      plain("i32.sub"),
      localSet(count),
      branch("br", 0),
      plain("end"),
      plain("end"),
    ],
  };
}

/** Two steps over [TASKS] i32 outputs: "streamed" (alternateOrder) and "ordered". Flops 0: the pool splits them. */
function recordingModel(threads: boolean): ArtifactContents {
  const step = (kernel: string, alternate: boolean): PlanStep => ({
    kernel,
    tasks: TASKS,
    group: kernel,
    ops: ["Record"],
    flops: 0,
    ...(alternate ? { alternateOrder: true } : {}),
  });
  const plan: ExecutionPlan = {
    version: 1,
    modelName: "recording",
    memoryBytes: 65536,
    weightsOffset: 64,
    weightsBytes: 0,
    arenaOffset: 64,
    arenaBytes: 192,
    scratchOffset: LAYOUT.scratch,
    scratchBytes: SCRATCH_BYTES,
    inputs: [{ name: "x", dtype: "int32", shape: [1], offset: LAYOUT.input }],
    outputs: [
      { name: "streamed", dtype: "int32", shape: [TASKS], offset: LAYOUT.streamed },
      { name: "ordered", dtype: "int32", shape: [TASKS], offset: LAYOUT.ordered },
    ],
    steps: [step("streamed", true), step("ordered", false)],
    features: { simd: false, relaxedSimd: false, threads },
  };
  const wasm = encodeModule({
    memory: { minimumPages: 1, shared: threads },
    globals: [
      { name: "seq", type: "i32", initial: 0 },
      { name: "scratch_base", type: "i32", initial: 0 },
    ],
    functions: [
      recordingKernel("streamed", LAYOUT.streamed),
      recordingKernel("ordered", LAYOUT.ordered),
      {
        name: "set_scratch_base",
        params: ["i32"],
        results: [],
        locals: [],
        localNames: ["base"],
        exported: true,
        body: [localGet(0), globalSet("scratch_base")],
      },
    ],
  });
  return { wasm, plan, weights: new Uint8Array(0) };
}

/** +1 where a task ran after the task before it in the same range, -1 where before; ranges split at `splits`. */
function directions(values: Int32Array, splits: readonly number[]): number[] {
  const result: number[] = [];
  for (let task = 1; task < values.length; task++) {
    if (!splits.includes(task)) result.push(Math.sign((values[task]! & 0xffff) - (values[task - 1]! & 0xffff)));
  }
  return result;
}

/** Runs the recording model 4 times; returns how many runs had a range run by a worker. */
async function runOrders(threads: number, splits: readonly number[]): Promise<number> {
  const session = await InferenceSession.fromCompiled(recordingModel(threads > 1), { threads });
  const feeds = { x: new Tensor("int32", new Int32Array(1), [1]) };
  const forward = Array<number>(TASKS - 1 - splits.length).fill(1);
  const backward = forward.map(() => -1);
  let workerRuns = 0;
  try {
    for (let run = 0; run < 4; run++) {
      const outputs = run === 2 ? (await session.runProfiled(feeds)).outputs : await session.run(feeds);
      const streamed = outputs.streamed!.data as Int32Array;
      assert.deepEqual(directions(streamed, splits), run % 2 === 0 ? forward : backward, `run ${run}: streamed`);
      assert.deepEqual(directions(outputs.ordered!.data as Int32Array, splits), forward, `run ${run}: ordered`);
      // The calling thread always runs the last range itself.
      const callingThread = streamed[TASKS - 1]! >>> 16;
      if (streamed.some((value) => value >>> 16 !== callingThread)) workerRuns++;
    }
  } finally {
    await session.release();
  }
  return workerRuns;
}

describe("alternating task order", () => {
  it("runTasks runs a range in one call, or last-first in one call per task", () => {
    const calls: [number, number][] = [];
    const kernel = (first: number, count: number) => void calls.push([first, count]);
    runTasks(kernel, 3, 4, false);
    assert.deepEqual(calls, [[3, 4]]);
    calls.length = 0;
    runTasks(kernel, 3, 4, true);
    assert.deepEqual(calls, [
      [6, 1],
      [5, 1],
      [4, 1],
      [3, 1],
    ]);
    calls.length = 0;
    runTasks(kernel, 3, 0, true);
    assert.deepEqual(calls, []);
  });

  it("reverses a streaming step on every other run, on one thread", async () => {
    assert.equal(await runOrders(1, []), 0);
  });

  it("reverses each thread's range of a streaming step on every other run, on two threads", async () => {
    // Two threads split the 8 tasks into [0, 4) and [4, 8); the worker must have run its range at least once.
    assert.ok((await runOrders(2, [4])) > 0, "no run had a range run by the worker");
  });
});

describe("which steps stream their weights", () => {
  /** y = x · w with x: [rows, depth], w: [depth, columns]. */
  function matmulModel(rows: number, depth: number, columns: number): Uint8Array {
    const w = Float32Array.from({ length: depth * columns }, (_, i) => Math.sin(i));
    return encodeModel({
      opset: 17,
      inputs: [{ name: "x", dtype: "float32", shape: [rows, depth] }],
      outputs: [{ name: "y", dtype: "float32", shape: [rows, columns] }],
      nodes: [{ opType: "MatMul", inputs: ["x", "w"], outputs: ["y"] }],
      initializers: [{ name: "w", data: makeTensorData("float32", [depth, columns], w) }],
    });
  }

  const flagOf = (bytes: Uint8Array) => compileModel({ bytes }).plan.steps.map((step) => step.alternateOrder === true);

  it("flags a matrix-vector product over 256 KB of weights", () => {
    assert.deepEqual(flagOf(matmulModel(1, 256, 256)), [true]);
  });

  it("leaves a GEMM of 16 rows (8 flops per weight byte) and a small matrix-vector product in order", () => {
    assert.deepEqual(flagOf(matmulModel(16, 256, 256)), [false]);
    assert.deepEqual(flagOf(matmulModel(1, 64, 128)), [false]);
  });

  it("leaves a Gather + Add from a 512 KB embedding table in order (it reads a few rows)", () => {
    const table = Float32Array.from({ length: 1024 * 128 }, (_, i) => Math.sin(i));
    const bytes = encodeModel({
      opset: 17,
      inputs: [{ name: "ids", dtype: "int64", shape: [1, 128] }],
      outputs: [{ name: "y", dtype: "float32", shape: [1, 128, 128] }],
      nodes: [
        { opType: "Gather", inputs: ["table", "ids"], outputs: ["rows"] },
        { opType: "Add", inputs: ["rows", "positions"], outputs: ["y"] },
      ],
      initializers: [
        { name: "table", data: makeTensorData("float32", [1024, 128], table) },
        { name: "positions", data: makeTensorData("float32", [128, 128], table.slice(0, 128 * 128)) },
      ],
    });
    assert.ok(flagOf(bytes).every((flag) => !flag));
  });

  it("gives the same outputs on forward and reversed runs", async () => {
    const session = await InferenceSession.create(matmulModel(1, 256, 256), { threads: 1 });
    try {
      const x = new Tensor(
        "float32",
        Float32Array.from({ length: 256 }, (_, i) => Math.cos(i)),
        [1, 256],
      );
      const first = await session.run({ x });
      const second = await session.run({ x });
      assert.deepEqual(second.y!.data, first.y!.data);
      const w = (i: number, j: number) => Math.fround(Math.sin(i * 256 + j));
      for (const j of [0, 77, 255]) {
        let expected = 0;
        for (let i = 0; i < 256; i++) expected += Math.fround(Math.cos(i)) * w(i, j);
        assert.ok(Math.abs((first.y!.data as Float32Array)[j]! - expected) < 1e-3, `column ${j}`);
      }
    } finally {
      await session.release();
    }
  });
});
