/**
 * The worker pool: threads change no result beyond float tolerance, the
 * pool falls back to one thread without shared memory, and release() ends
 * the workers (this file's process must exit by itself).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { createExecutor } from "../../src/runtime/executor.js";
import { SERIAL_FLOPS, runsSerially, taskRange } from "../../src/runtime/thread-pool.js";
import { compileModel } from "../../src/compiler/compile-model.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";

const MODELS = "/work/shared/models";

function pseudoRandom(count: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  });
}

/** y = Relu(Conv3x3(x, w) + b), x: [1, 8, 20, 20], w: [16, 8, 3, 3] (pads 1). */
const convModel = encodeModel({
  opset: 17,
  inputs: [{ name: "x", dtype: "float32", shape: [1, 8, 20, 20] }],
  outputs: [{ name: "y", dtype: "float32" }],
  initializers: [
    { name: "w", data: makeTensorData("float32", [16, 8, 3, 3], pseudoRandom(16 * 8 * 9, 7)) },
    { name: "b", data: makeTensorData("float32", [16], pseudoRandom(16, 9)) },
  ],
  nodes: [
    { opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: { pads: [1, 1, 1, 1] } },
    { opType: "Relu", inputs: ["c"], outputs: ["y"] },
  ],
});

/** y = Softmax(x * 3) over the last axis of [64, 500]: kernels with per-row scratch. */
const softmaxModel = encodeModel({
  opset: 13,
  inputs: [{ name: "x", dtype: "float32", shape: [64, 500] }],
  outputs: [{ name: "y", dtype: "float32" }],
  initializers: [{ name: "three", data: makeTensorData("float32", [], new Float32Array([3])) }],
  nodes: [
    { opType: "Mul", inputs: ["x", "three"], outputs: ["m"] },
    { opType: "Softmax", inputs: ["m"], outputs: ["y"], attributes: { axis: -1 } },
  ],
});

async function runWith(source: string | Uint8Array, threads: number, feeds: Record<string, Tensor>) {
  const session = await InferenceSession.create(source, { threads });
  try {
    const outputs = await session.run(feeds);
    const again = await session.run(feeds);
    for (const name of session.outputNames) assert.deepEqual(again[name]!.data, outputs[name]!.data, "repeatable");
    return outputs;
  } finally {
    await session.release();
  }
}

function assertClose(actual: Record<string, Tensor>, expected: Record<string, Tensor>): void {
  for (const name of Object.keys(expected)) {
    const a = actual[name]!.data as Float32Array;
    const b = expected[name]!.data as Float32Array;
    assert.equal(a.length, b.length);
    const scale = Math.max(1e-6, ...Array.from(b, Math.abs));
    let worst = 0;
    for (let index = 0; index < a.length; index++) worst = Math.max(worst, Math.abs(a[index]! - b[index]!));
    assert.ok(worst <= 1e-5 * scale, `${name}: max abs difference ${worst} (scale ${scale})`);
  }
}

async function assertThreadsAgree(source: string | Uint8Array, feeds: Record<string, Tensor>): Promise<void> {
  const serial = await runWith(source, 1, feeds);
  const threaded = await runWith(source, 2, feeds);
  assertClose(threaded, serial);
}

describe("thread pool", () => {
  it("splits task ranges into balanced contiguous parts", () => {
    const parts = [0, 1, 2].map((part) => taskRange(10, 3, part));
    assert.deepEqual(parts, [
      [0, 3],
      [3, 3],
      [6, 4],
    ]);
    assert.deepEqual(taskRange(1, 2, 0), [0, 0]);
  });

  it("splits steps above SERIAL_FLOPS and data-movement steps (0 flops) with tasks for 2+ threads", () => {
    assert.equal(runsSerially(SERIAL_FLOPS, 8, 2), false);
    assert.equal(runsSerially(SERIAL_FLOPS - 1, 8, 2), true, "small arithmetic runs serially");
    assert.equal(runsSerially(0, 64, 2), false, "a copy or MaxPool (0 flops) splits");
    assert.equal(runsSerially(0, 1, 2), true, "one task cannot split");
    assert.equal(runsSerially(1e9, 64, 1), true, "one thread");
  });

  it("runs conv+relu with 1 and 2 threads to the same result", async () => {
    await assertThreadsAgree(convModel, { x: new Tensor("float32", pseudoRandom(8 * 400, 3), [1, 8, 20, 20]) });
  });

  it("runs softmax (kernels with scratch) with 1 and 2 threads to the same result", async () => {
    const compiled = compileModel({ bytes: softmaxModel }, { threads: true });
    assert.ok(compiled.plan.scratchBytes > 0, "the softmax model should use scratch");
    assert.ok(
      compiled.plan.steps.some((step) => step.tasks > 1 && step.flops >= 50_000),
      "a step must split",
    );
    await assertThreadsAgree(softmaxModel, { x: new Tensor("float32", pseudoRandom(64 * 500, 5), [64, 500]) });
  });

  it("starts a pool for threads 2 and falls back to one thread without shared memory", async () => {
    const pooled = await createExecutor({ threads: 2 });
    assert.equal(pooled.threads, 2);
    pooled.release();
    const fallback = await createExecutor({ threads: 2, sharedMemory: false });
    assert.equal(fallback.threads, 1);
    fallback.release();
  });

  it("runs a threaded artifact on one thread and an unthreaded one with threads 2", async () => {
    const feeds = { x: new Tensor("float32", pseudoRandom(8 * 400, 3), [1, 8, 20, 20]) };
    const threaded = compileModel({ bytes: convModel }, { threads: true });
    const unthreaded = compileModel({ bytes: convModel });
    const results = [];
    for (const [contents, threads] of [
      [threaded, 1],
      [threaded, 2],
      [unthreaded, 2],
    ] as const) {
      const session = await InferenceSession.fromCompiled(contents, { threads });
      results.push(await session.run(feeds));
      await session.release();
    }
    assertClose(results[1]!, results[0]!);
    assertClose(results[2]!, results[0]!);
  });

  for (const name of ["resnet18", "bert_encoder"]) {
    const file = join(MODELS, `${name}.onnx`);
    it(`runs ${name} with 1 and 2 threads to the same result`, async (context) => {
      if (!existsSync(file)) {
        context.skip(`${file} is absent`);
        return;
      }
      const manifest = JSON.parse(readFileSync(join(MODELS, "MANIFEST.json"), "utf8")).models[name];
      const feeds: Record<string, Tensor> = {};
      for (const input of manifest.inputs) {
        const bytes = readFileSync(join(MODELS, input.data));
        const data =
          input.dtype === "int64"
            ? new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
            : new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        feeds[input.name] = new Tensor(input.dtype === "int64" ? "int64" : "float32", data, input.shape);
      }
      await assertThreadsAgree(file, feeds);
    });
  }
});

describe("waking the workers", () => {
  it("idle workers block after their spin, and wake() sets them spinning again", async () => {
    const { ThreadPool } = await import("../../src/runtime/thread-pool.js");
    const { createNodeWorkerHost } = await import("../../src/runtime/thread-pool-node.js");
    const pool = await ThreadPool.start(await createNodeWorkerHost(), 2);
    try {
      const waitFor = async (test: () => boolean, what: string): Promise<void> => {
        const deadline = performance.now() + 2000;
        while (!test()) {
          assert.ok(performance.now() < deadline, what);
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      };
      await waitFor(() => pool.sleepingWorkers() === 1, "the idle worker blocks");
      // A worker counts itself a waiter just before Atomics.wait, and a wake in
      // between is lost (harmless in use: a job's notify still wakes it), so
      // the test wakes again until it sees the worker spinning.
      const deadline = performance.now() + 5000;
      for (let woke = false; !woke;) {
        pool.wake();
        const window = performance.now() + 2;
        while (!woke && performance.now() < window) woke = pool.sleepingWorkers() === 0;
        assert.ok(woke || performance.now() < deadline, "wake() unblocks the worker");
        await new Promise((resolve) => setImmediate(resolve));
      }
      await waitFor(() => pool.sleepingWorkers() === 1, "the worker blocks again after its spin");
    } finally {
      pool.release();
    }
  });
});
