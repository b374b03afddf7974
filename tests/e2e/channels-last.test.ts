/**
 * The channels-last layout pass (graph/passes/convert-layout.ts) on ops at
 * the border of the NHWC region: a BatchNormalization that cannot fold (its
 * conv's output has another reader) stays NCHW, a PRelu with a per-channel
 * slope and a Mul by a [C, 1, 1] constant follow the conv chain with their
 * constants re-laid, a Concat joins two conv branches, and the pooled
 * features leave through a view. Compared with onnxruntime-node in both
 * layouts.
 */
import { test } from "node:test";
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { pseudoRandom } from "../support/random.js";

const constant = (name: string, shape: number[], seed: number, offset = 0) => ({
  name,
  data: makeTensorData(
    "float32",
    shape,
    pseudoRandom(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ).map((value) => value + offset),
  ),
});

function borderModel(): Uint8Array {
  return encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 8, 9, 9] }],
    outputs: [
      { name: "y", dtype: "float32", shape: null },
      { name: "pooled", dtype: "float32", shape: null },
    ],
    nodes: [
      { opType: "Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], attributes: { pads: [1, 1, 1, 1] } },
      { opType: "BatchNormalization", inputs: ["c1", "scale", "bias", "mean", "var"], outputs: ["bn"] },
      { opType: "Add", inputs: ["c1", "bn"], outputs: ["sum"] },
      { opType: "PRelu", inputs: ["sum", "slope"], outputs: ["act"] },
      { opType: "Mul", inputs: ["act", "gain"], outputs: ["scaled"] },
      { opType: "Conv", inputs: ["scaled", "w2"], outputs: ["c2"], attributes: { group: 16, pads: [1, 1, 1, 1] } },
      { opType: "Conv", inputs: ["scaled", "w3"], outputs: ["c3"] },
      { opType: "Concat", inputs: ["c2", "c3"], outputs: ["y"], attributes: { axis: 1 } },
      { opType: "GlobalAveragePool", inputs: ["y"], outputs: ["pooled"] },
    ],
    initializers: [
      constant("w1", [16, 8, 3, 3], 1),
      constant("b1", [16], 2),
      constant("scale", [16], 3, 1),
      constant("bias", [16], 4),
      constant("mean", [16], 5),
      constant("var", [16], 6, 1),
      constant("slope", [16, 1, 1], 7),
      constant("gain", [16, 1, 1], 8, 1),
      constant("w2", [16, 1, 3, 3], 9),
      constant("w3", [8, 16, 1, 1], 10),
    ],
  });
}

for (const layout of ["NHWC", "NCHW"] as const) {
  for (const threads of [1, 2]) {
    test(`layout border ops match onnxruntime-node, ${layout}, ${threads} thread(s)`, async () => {
      const data = pseudoRandom(8 * 9 * 9, 11);
      await expectMatchesOrt(borderModel(), { x: { dtype: "float32", data, dims: [1, 8, 9, 9] } }, { threads, layout });
    });
  }
}
