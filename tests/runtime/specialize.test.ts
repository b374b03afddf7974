import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { writeArtifact } from "../../src/runtime/artifact.js";
import { createNodePlatform } from "../../src/runtime/platform-node.js";
import { compileModel } from "../../src/compiler/compile-model.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { DynamicShapeError, TesseraError } from "../../src/support/errors.js";
import { makeTensorData } from "../../src/support/tensor-data.js";

function badFeed(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof TesseraError && error.code === "E_BAD_FEED" && pattern.test(error.message);
}

const range = (count: number) => Float32Array.from({ length: count }, (_, index) => index + 1);
const int64 = (values: number[]) => new Tensor("int64", BigInt64Array.from(values.map(BigInt)), [values.length]);

/** y = Reshape(x, shape) * 2, with x: float32 [2, 6] and shape: int64 [2] a graph input. */
const reshapeModel = encodeModel({
  opset: 14,
  inputs: [
    { name: "x", dtype: "float32", shape: [2, 6] },
    { name: "shape", dtype: "int64", shape: [2] },
  ],
  outputs: [{ name: "y", dtype: "float32" }],
  initializers: [{ name: "two", data: makeTensorData("float32", [], new Float32Array([2])) }],
  nodes: [
    { opType: "Reshape", inputs: ["x", "shape"], outputs: ["r"] },
    { opType: "Mul", inputs: ["r", "two"], outputs: ["y"] },
  ],
});

/** Nearest-neighbour Resize to the `sizes` input (floor of i·in/out: asymmetric, floor). */
const resizeModel = encodeModel({
  opset: 13,
  inputs: [
    { name: "x", dtype: "float32", shape: [1, 1, 2, 3] },
    { name: "sizes", dtype: "int64", shape: [4] },
  ],
  outputs: [{ name: "y", dtype: "float32" }],
  nodes: [
    {
      opType: "Resize",
      inputs: ["x", "", "", "sizes"],
      outputs: ["y"],
      attributes: { mode: "nearest", coordinate_transformation_mode: "asymmetric", nearest_mode: "floor" },
    },
  ],
});

/** y = Relu(x · w + b) per row, x: float32 ["batch", 3]. */
const weights = [0.5, -1, 2];
const bias = [1, 0, -3];
const batchModel = encodeModel({
  opset: 17,
  inputs: [{ name: "x", dtype: "float32", shape: ["batch", 3] }],
  outputs: [{ name: "y", dtype: "float32", shape: ["batch", 3] }],
  initializers: [
    { name: "w", data: makeTensorData("float32", [3], new Float32Array(weights)) },
    { name: "b", data: makeTensorData("float32", [3], new Float32Array(bias)) },
  ],
  nodes: [
    { opType: "Mul", inputs: ["x", "w"], outputs: ["m"] },
    { opType: "Add", inputs: ["m", "b"], outputs: ["a"] },
    { opType: "Relu", inputs: ["a"], outputs: ["y"] },
  ],
});

function batchExpected(x: Float32Array): number[] {
  return Array.from(x, (value, index) => Math.max(0, Math.fround(value * weights[index % 3]!) + bias[index % 3]!));
}

describe("run-time specialization", () => {
  it("runs a Reshape whose target shape is a feed, compiling per shape", async () => {
    const session = await InferenceSession.create(reshapeModel);
    assert.deepEqual(session.inputNames, ["x", "shape"]);
    assert.deepEqual(session.outputNames, ["y"]);
    assert.deepEqual(
      session.inputMetadata.map((input) => input.dims),
      [[2, 6], [2]],
    );
    const x = new Tensor("float32", range(12), [2, 6]);
    const doubled = Array.from(range(12), (value) => value * 2);
    for (const [target, dims] of [
      [
        [3, 4],
        [3, 4],
      ],
      [
        [4, -1],
        [4, 3],
      ],
      [
        [12, 1],
        [12, 1],
      ],
      [
        [3, 4],
        [3, 4],
      ],
    ] as const) {
      const { y } = await session.run({ x, shape: int64([...target]) });
      assert.deepEqual(y!.dims, dims);
      assert.deepEqual([...y!.data], doubled);
    }
    assert.deepEqual(session.outputMetadata[0]!.dims, [3, 4]);
  });

  it("still checks the feeds whose contents pick the variant", async () => {
    const session = await InferenceSession.create(reshapeModel);
    const x = new Tensor("float32", range(12), [2, 6]);
    await assert.rejects(session.run({ x }), badFeed(/input 'shape' is missing/));
    const int32Shape = new Tensor("int32", new Int32Array([3, 4]), [2]);
    await assert.rejects(session.run({ x, shape: int32Shape }), badFeed(/'shape' must be int64, got int32/));
    await assert.rejects(session.run({ x, shape: int64([2, 2, 3]) }), badFeed(/'shape' must have dims \[2\]/));
  });

  it("runs a Resize whose output sizes are a feed", async () => {
    const session = await InferenceSession.create(resizeModel);
    const input = [1, 2, 3, 4, 5, 6];
    const x = new Tensor("float32", new Float32Array(input), [1, 1, 2, 3]);
    for (const [height, width] of [
      [4, 6],
      [3, 7],
    ]) {
      const { y } = await session.run({ x, sizes: int64([1, 1, height!, width!]) });
      const expected: number[] = [];
      for (let row = 0; row < height!; row++) {
        for (let column = 0; column < width!; column++) {
          expected.push(input[Math.floor((row * 2) / height!) * 3 + Math.floor((column * 3) / width!)]!);
        }
      }
      assert.deepEqual(y!.dims, [1, 1, height, width]);
      assert.deepEqual([...y!.data], expected);
    }
  });

  it("recompiles a model with a symbolic batch dim for the feeds' batch", async () => {
    const session = await InferenceSession.create(batchModel);
    assert.deepEqual(session.inputMetadata[0]!.dims, [1, 3], "compiled at creation for batch 1");
    const one = Float32Array.from([1, 2, 3]);
    const three = Float32Array.from([1, 2, 3, -4, 5, 0.25, 6, -7, 8]);
    for (const data of [one, three, one, three]) {
      const batch = data.length / 3;
      const { y } = await session.run({ x: new Tensor("float32", data, [batch, 3]) });
      assert.deepEqual(y!.dims, [batch, 3]);
      assert.deepEqual([...y!.data], batchExpected(data));
      assert.deepEqual(session.inputMetadata[0]!.dims, [batch, 3]);
    }
    const wrongStatic = new Tensor("float32", new Float32Array(4), [1, 4]);
    await assert.rejects(session.run({ x: wrongStatic }), badFeed(/'x' must have dims \[batch, 3\], got \[1, 4\]/));
  });

  it("compiles with the session's bindings at creation", async () => {
    const session = await InferenceSession.create(batchModel, { bindings: { batch: 2 } });
    assert.deepEqual(session.inputMetadata[0]!.dims, [2, 3]);
    const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const { y } = await session.run({ x: new Tensor("float32", data, [2, 3]) });
    assert.deepEqual([...y!.data], batchExpected(data));
  });

  it("compileModel reports the graph inputs an op needs, and binds them with constantInputs", async () => {
    assert.throws(
      () => compileModel({ bytes: reshapeModel }),
      (error: unknown) => error instanceof DynamicShapeError && error.graphInputs.join() === "shape",
    );
    const shape = makeTensorData("int64", [2], new BigInt64Array([6n, 2n]));
    const compiled = compileModel({ bytes: reshapeModel }, { constantInputs: { shape } });
    assert.deepEqual(
      compiled.plan.inputs.map((slot) => slot.name),
      ["x"],
    );
    const session = await InferenceSession.fromCompiled(compiled);
    const { y } = await session.run({ x: new Tensor("float32", range(12), [2, 6]) });
    assert.deepEqual(y!.dims, [6, 2]);
  });

  it("an artifact cannot be re-specialized: another batch is E_BAD_FEED naming the bindings", async () => {
    const compiled = compileModel({ bytes: batchModel }, { bindings: { batch: 2 } });
    assert.deepEqual(compiled.plan.inputs[0]!.declaredShape, ["batch", 3]);
    const folder = mkdtempSync(join(tmpdir(), "tessera-specialize-"));
    try {
      await writeArtifact(createNodePlatform(), folder, compiled);
      const session = await InferenceSession.create(folder);
      const data = Float32Array.from([1, 2, 3, 4, 5, 6]);
      const { y } = await session.run({ x: new Tensor("float32", data, [2, 3]) });
      assert.deepEqual([...y!.data], batchExpected(data));
      const three = new Tensor("float32", new Float32Array(9), [3, 3]);
      await assert.rejects(session.run({ x: three }), badFeed(/compile it with other bindings \(\{ batch: 3 \}\)/));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
