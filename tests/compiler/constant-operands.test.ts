/**
 * How a group reads small and boolean constants (compiler/build-group-te.ts):
 * a one-element constant is an immediate in the code, and a constant bool
 * mask is stored as int32 and read through `!= 0`, so a masked epilogue (a
 * causal attention mask) still vectorizes. Numbers are checked against
 * onnxruntime-node.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { lowerModel } from "../../src/compiler/compile-model.js";
import { printKernel } from "../../src/loop/print-loop.js";
import { expectMatchesOrt } from "../support/ort-oracle.js";

const ROWS = 8;
const COLUMNS = 16;

function maskedModel(): Uint8Array {
  const mask = Uint8Array.from({ length: ROWS * COLUMNS }, (_, index) => (index % COLUMNS > index / COLUMNS ? 1 : 0));
  return encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [ROWS, COLUMNS] }],
    outputs: [{ name: "y", dtype: "float32", shape: null }],
    nodes: [
      { opType: "Div", inputs: ["x", "scale"], outputs: ["scaled"] },
      { opType: "Where", inputs: ["mask", "minus", "scaled"], outputs: ["y"] },
    ],
    initializers: [
      { name: "mask", data: makeTensorData("bool", [ROWS, COLUMNS], mask) },
      { name: "scale", data: makeTensorData("float32", [], Float32Array.of(8)) },
      { name: "minus", data: makeTensorData("float32", [], Float32Array.of(-1e9)) },
    ],
  });
}

test("a constant bool mask is read as int32 words and the masked kernel vectorizes; scalars are immediates", () => {
  const [step] = lowerModel({ bytes: maskedModel() }).steps;
  const text = printKernel(step!.kernel);
  assert.match(text, /mask_i32: int32\[128\]/);
  assert.match(text, /y\[ramp\(/, "vector stores");
  assert.match(text, /mask_i32\[ramp\(/, "vector mask loads");
  assert.doesNotMatch(text, /scale:|minus:/, "one-element constants are not buffers");
  assert.match(text, /-1000000000/);
});

test("a constant bool mask gives onnxruntime-node's numbers", async () => {
  const data = Float32Array.from({ length: ROWS * COLUMNS }, (_, index) => Math.sin(index));
  await expectMatchesOrt(maskedModel(), { x: { dtype: "float32", data, dims: [ROWS, COLUMNS] } }, { threads: 1 });
});

test("groups reading one constant mask share one int32 copy of it", () => {
  const mask = makeTensorData("bool", [ROWS, COLUMNS], new Uint8Array(ROWS * COLUMNS).fill(1));
  const bytes = encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [ROWS, COLUMNS] }],
    outputs: [{ name: "y", dtype: "float32", shape: null }],
    nodes: [
      { opType: "Where", inputs: ["mask", "x", "minus"], outputs: ["first"] },
      { opType: "Softmax", inputs: ["first"], outputs: ["soft"], attributes: { axis: -1 } },
      { opType: "Where", inputs: ["mask", "soft", "minus"], outputs: ["y"] },
    ],
    initializers: [
      { name: "mask", data: mask },
      { name: "minus", data: makeTensorData("float32", [], Float32Array.of(-1e9)) },
    ],
  });
  const masks = lowerModel({ bytes })
    .steps.flatMap((step) => step.group.inputs)
    .filter((value) => value.name === "mask_i32");
  assert.equal(masks.length, 2, "both Where groups read the mask");
  assert.equal(masks[0], masks[1], "through the same value");
});
