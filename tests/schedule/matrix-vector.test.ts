/**
 * Dense ops with one output row (matrix-vector products) block their
 * column vectors by 6 (the last block overlapping), so the reduction keeps
 * 6 independent accumulators over several weight panels (as many as fit in
 * registers beside their operands, see VECTOR_ACCUMULATORS). Each case checks
 * the task count and accumulators in the loop printout and the numbers
 * against onnxruntime-node at 1 and 2 threads.
 */
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspectModel } from "../../src/compiler/compile-model.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { pseudoRandom } from "../support/random.js";

interface Case {
  readonly name: string;
  readonly inner: number;
  readonly columns: number;
  /** Gemm with a bias (transB), else MatMul. */
  readonly gemm: boolean;
  /** Blocks of 6 column vectors, or null when there are too few vectors to block. */
  readonly tasks: number | null;
}

const CASES: readonly Case[] = [
  // 125 panels of 8 columns: 41 blocks of 3 panels and one overlapping block.
  { name: "Gemm 96→1000", inner: 96, columns: 1000, gemm: true, tasks: 42 },
  // 36 columns (8 ∤ 36): 9 single vectors, one block of 6 and one overlapping block.
  { name: "MatMul 40→36", inner: 40, columns: 36, gemm: false, tasks: 2 },
  // 20 columns: 5 vectors, too few for a block of 6.
  { name: "MatMul 24→20", inner: 24, columns: 20, gemm: false, tasks: null },
];

function modelOf(item: Case, seed: number): Uint8Array {
  const { inner, columns } = item;
  const weightShape = item.gemm ? [columns, inner] : [inner, columns];
  const weights = { name: "w", data: makeTensorData("float32", weightShape, pseudoRandom(inner * columns, seed)) };
  const bias = { name: "b", data: makeTensorData("float32", [columns], pseudoRandom(columns, seed + 1)) };
  return encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [1, inner] }],
    outputs: [{ name: "y", dtype: "float32", shape: null }],
    nodes: item.gemm
      ? [{ opType: "Gemm", inputs: ["x", "w", "b"], outputs: ["y"], attributes: { transB: 1 } }]
      : [{ opType: "MatMul", inputs: ["x", "w"], outputs: ["y"], attributes: {} }],
    initializers: item.gemm ? [weights, bias] : [weights],
  });
}

for (const [index, item] of CASES.entries()) {
  test(`matrix-vector: ${item.name} ${item.tasks === null ? "keeps its column steps" : "blocks 6 column vectors"}`, () => {
    const text = inspectModel({ bytes: modelOf(item, 31 + index) }, "loop", {});
    if (item.tasks === null) {
      assert.doesNotMatch(text, /acc_u\d+_u\d+/, text);
      return;
    }
    assert.match(text, new RegExp(`tasks=${item.tasks}\\b`), text);
    const accumulators = new Set(text.match(/acc_u\d+(_u\d+)?/g) ?? []);
    assert.equal(accumulators.size, 6, text);
  });
  for (const threads of [1, 2]) {
    test(`matrix-vector: ${item.name} matches onnxruntime-node at ${threads} thread(s)`, async () => {
      const data = pseudoRandom(item.inner, 9 + index);
      await expectMatchesOrt(
        modelOf(item, 31 + index),
        { x: { dtype: "float32", data, dims: [1, item.inner] } },
        {
          threads,
        },
      );
    });
  }
}
