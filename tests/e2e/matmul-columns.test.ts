/**
 * MatMul and Gemm with constant weights whose column count 4 does not
 * divide (a 10-class head): they read [K][N] rows (Gemm's transposed B
 * re-laid at compile time) and cover N with overlapping vector blocks.
 * Each case runs against onnxruntime-node at 1 and 2 threads; one checks
 * that the head's product is vectorized.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeModel, type AttributeInput } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { inspectModel } from "../../src/compiler/compile-model.js";
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { pseudoRandom, size } from "../support/random.js";

interface Case {
  readonly name: string;
  readonly opType: "MatMul" | "Gemm";
  readonly input: readonly number[];
  readonly weights: readonly number[];
  readonly attributes?: Readonly<Record<string, AttributeInput>>;
}

const CASES: readonly Case[] = [
  { name: "Gemm transB, 1 row, N=10", opType: "Gemm", input: [1, 64], weights: [10, 64], attributes: { transB: 1 } },
  { name: "Gemm transB, 5 rows, N=10", opType: "Gemm", input: [5, 33], weights: [10, 33], attributes: { transB: 1 } },
  { name: "Gemm, 3 rows, N=6", opType: "Gemm", input: [3, 16], weights: [16, 6] },
  { name: "batched MatMul, N=13", opType: "MatMul", input: [3, 7, 20], weights: [20, 13] },
  { name: "MatMul, N=12 (panels)", opType: "MatMul", input: [9, 24], weights: [24, 12] },
];

function modelOf(item: Case, seed: number): Uint8Array {
  const columns = item.opType === "Gemm" && item.attributes?.transB === 1 ? item.weights[0]! : item.weights[1]!;
  const inputs = item.opType === "Gemm" ? ["x", "w", "c"] : ["x", "w"];
  return encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: item.input }],
    outputs: [{ name: "y", dtype: "float32", shape: null }],
    nodes: [{ opType: item.opType, inputs, outputs: ["y"], attributes: item.attributes ?? {} }],
    initializers: [
      { name: "w", data: makeTensorData("float32", item.weights, pseudoRandom(size(item.weights), seed)) },
      { name: "c", data: makeTensorData("float32", [columns], pseudoRandom(columns, seed + 1)) },
    ].slice(0, inputs.length - 1),
  });
}

for (const [index, item] of CASES.entries()) {
  for (const threads of [1, 2]) {
    test(`${item.name} matches onnxruntime-node at ${threads} thread(s)`, async () => {
      const data = pseudoRandom(size(item.input), 3 + index);
      await expectMatchesOrt(
        modelOf(item, 40 + index),
        { x: { dtype: "float32", data, dims: item.input } },
        { threads },
      );
    });
  }
}

test("a 10-class Gemm head reads contiguous column vectors", () => {
  const text = inspectModel({ bytes: modelOf(CASES[0]!, 40) }, "loop");
  assert.match(text, /w_rows_packed\[ramp\(/, text);
});
