import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { importModel } from "../../src/onnx/import-model.js";
import { IdSource } from "../../src/graph/builder.js";
import { tinyCnnBytes } from "../../scripts/make-example.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/tiny_cnn.onnx", import.meta.url));

test("examples/tiny_cnn.onnx is what scripts/make-example.ts generates, byte for byte", () => {
  const committed = readFileSync(EXAMPLE);
  assert.ok(committed.length < 50_000, `${committed.length} bytes`);
  assert.ok(
    Buffer.from(tinyCnnBytes()).equals(committed),
    "regenerate with: node --import tsx scripts/make-example.ts",
  );
});

test("tiny_cnn imports as the documented pipeline", () => {
  const graph = importModel(readFileSync(EXAMPLE), { ids: new IdSource() });
  assert.equal(graph.opset, 17);
  assert.deepEqual(
    graph.nodes.map((node) => node.opType),
    ["Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "Relu", "GlobalAveragePool", "Flatten", "Gemm"],
  );
  assert.deepEqual(
    graph.inputs.map((value) => [value.name, value.shape]),
    [["input", [1, 3, 32, 32]]],
  );
  assert.deepEqual(
    graph.outputs.map((value) => [value.name, value.shape]),
    [["logits", [1, 10]]],
  );
  assert.deepEqual(graph.nodes[4]!.inputs[1]!.constant!.shape, [16, 8, 3, 3]);
});

test("onnxruntime-node runs tiny_cnn to ten finite, distinct logits", async () => {
  const session = await ort.InferenceSession.create(EXAMPLE);
  const input = new Float32Array(3 * 32 * 32).map((_, index) => Math.sin(index));
  const { logits } = await session.run({ input: new ort.Tensor("float32", input, [1, 3, 32, 32]) });
  const values = Array.from(logits!.data as Float32Array);
  assert.equal(values.length, 10);
  assert.ok(values.every(Number.isFinite));
  assert.equal(new Set(values).size, 10);
});
