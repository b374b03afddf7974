/**
 * The Winograd transforms' schedules unroll the index that picks one of the
 * closed-form sums, so after simplification no select on it is left, and
 * the channel lanes are vectors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { lowerModel } from "../../src/compiler/compile-model.js";
import { printKernel } from "../../src/loop/print-loop.js";

function convModel(height: number, width: number, pads: readonly number[]): Uint8Array {
  const weights = [16, 16, 3, 3];
  return encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 16, height, width] }],
    outputs: [{ name: "y", dtype: "float32", shape: null }],
    nodes: [
      { opType: "Conv", inputs: ["x", "w"], outputs: ["conv"], attributes: { pads } },
      { opType: "Relu", inputs: ["conv"], outputs: ["y"] },
    ],
    initializers: [{ name: "w", data: makeTensorData("float32", weights, new Float32Array(16 * 16 * 9).fill(0.25)) }],
  });
}

function kernelText(bytes: Uint8Array, anchor: string, layout: "NCHW" | "NHWC" = "NCHW"): string {
  const steps = lowerModel({ bytes }, { layout }).steps.filter((step) => step.group.anchor.opType === anchor);
  assert.equal(steps.length, 1, `one ${anchor} kernel`);
  return printKernel(steps[0]!.kernel);
}

test("the output transform keeps no select on the output phase and stores channel vectors", () => {
  const text = kernelText(convModel(8, 8, [1, 1, 1, 1]), "WinogradOutput");
  assert.ok(!text.includes("select("), text);
  assert.ok(!text.includes(" % "), "no phase arithmetic left");
  assert.equal(text.match(/^\s*y\[ramp\(/gm)?.length, 4, "four output phases, each a vector store");
  assert.ok(text.includes("parallel"), "a task loop");
});

test("the output transform guards the partial last tile of an odd size", () => {
  const text = kernelText(convModel(7, 7, [1, 1, 1, 1]), "WinogradOutput");
  assert.ok(!text.includes("select("), text);
  assert.ok(text.includes("if "), "the second phase of the last tile row and column is guarded");
});

test("the input transform keeps selects only for padding, none on the tile position", () => {
  const text = kernelText(convModel(8, 8, [0, 0, 0, 0]), "WinogradInput");
  assert.ok(!text.includes("select("), text);
  assert.equal(text.match(/Conv_0_winograd_input\[ramp\(/g)?.length, 16, "one vector store per tile position");
});

test("channels-last, the output transform's channel vectors are contiguous stores", () => {
  const text = kernelText(convModel(8, 8, [1, 1, 1, 1]), "WinogradOutput", "NHWC");
  assert.ok(!text.includes("select("), text);
  assert.equal(text.match(/^\s*y_nhwc\[ramp\([^)]*, 1, 4\)\]/gm)?.length, 4, text);
});

test("channels-last, the input transform loads contiguous channel vectors", () => {
  const text = kernelText(convModel(8, 8, [0, 0, 0, 0]), "WinogradInput", "NHWC");
  assert.ok(text.includes("x_nhwc[ramp("), text);
  assert.ok(!/x_nhwc\[ramp\([^)]*, (?!1, )\d+, 4\)\]/.test(text), "no strided gathers");
});
