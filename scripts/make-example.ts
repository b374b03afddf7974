/**
 * Writes examples/tiny_cnn.onnx: a small image classifier with deterministic
 * pseudo-random weights, used by `npm run example` and the docs.
 *
 *   input [1,3,32,32] → Conv 3→8 3x3 pad 1 → BatchNormalization → Relu
 *     → MaxPool 2x2 → Conv 8→16 3x3 pad 1 (+bias) → Relu
 *     → GlobalAveragePool → Flatten → Gemm 16→10 → logits [1,10]
 *
 * Run: node --import tsx scripts/make-example.ts
 * The weights come from a seeded LCG, so the file is byte-identical on every run.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { encodeModel } from "../src/onnx/encode-model.js";
import { type TensorData, makeTensorData, sizeOf } from "../src/support/tensor-data.js";

/** Numerical Recipes' 32-bit LCG; returns uniform floats in [-1, 1). */
function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

/** Uniform in [-scale, scale): scale 1/sqrt(fan-in) keeps activations near unit size. */
function weights(random: () => number, shape: readonly number[], scale: number): TensorData {
  const data = new Float32Array(sizeOf(shape));
  for (let index = 0; index < data.length; index++) data[index] = random() * scale;
  return makeTensorData("float32", shape, data);
}

/** Uniform in [low, high). */
function uniform(random: () => number, shape: readonly number[], low: number, high: number): TensorData {
  const data = new Float32Array(sizeOf(shape));
  for (let index = 0; index < data.length; index++) data[index] = low + ((random() + 1) / 2) * (high - low);
  return makeTensorData("float32", shape, data);
}

/** The model's bytes; the same on every call. */
export function tinyCnnBytes(): Uint8Array {
  const random = makeRandom(20241124);
  return encodeModel({
    name: "tiny_cnn",
    opset: 17,
    inputs: [{ name: "input", dtype: "float32", shape: [1, 3, 32, 32] }],
    outputs: [{ name: "logits", dtype: "float32", shape: [1, 10] }],
    initializers: [
      { name: "conv1.weight", data: weights(random, [8, 3, 3, 3], 1 / Math.sqrt(27)) },
      { name: "bn1.scale", data: uniform(random, [8], 0.5, 1.5) },
      { name: "bn1.bias", data: uniform(random, [8], -0.2, 0.2) },
      { name: "bn1.mean", data: uniform(random, [8], -0.1, 0.1) },
      { name: "bn1.var", data: uniform(random, [8], 0.5, 1.5) },
      { name: "conv2.weight", data: weights(random, [16, 8, 3, 3], 1 / Math.sqrt(72)) },
      { name: "conv2.bias", data: weights(random, [16], 0.1) },
      { name: "fc.weight", data: weights(random, [10, 16], 1 / Math.sqrt(16)) },
      { name: "fc.bias", data: weights(random, [10], 0.1) },
    ],
    nodes: [
      {
        name: "conv1",
        opType: "Conv",
        inputs: ["input", "conv1.weight"],
        outputs: ["conv1_out"],
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
      },
      {
        name: "bn1",
        opType: "BatchNormalization",
        inputs: ["conv1_out", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"],
        outputs: ["bn1_out"],
        attributes: { epsilon: 1e-5 },
      },
      { name: "relu1", opType: "Relu", inputs: ["bn1_out"], outputs: ["relu1_out"] },
      {
        name: "pool1",
        opType: "MaxPool",
        inputs: ["relu1_out"],
        outputs: ["pool1_out"],
        attributes: { kernel_shape: [2, 2], strides: [2, 2] },
      },
      {
        name: "conv2",
        opType: "Conv",
        inputs: ["pool1_out", "conv2.weight", "conv2.bias"],
        outputs: ["conv2_out"],
        attributes: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
      },
      { name: "relu2", opType: "Relu", inputs: ["conv2_out"], outputs: ["relu2_out"] },
      { name: "gap", opType: "GlobalAveragePool", inputs: ["relu2_out"], outputs: ["gap_out"] },
      { name: "flatten", opType: "Flatten", inputs: ["gap_out"], outputs: ["flat"], attributes: { axis: 1 } },
      {
        name: "fc",
        opType: "Gemm",
        inputs: ["flat", "fc.weight", "fc.bias"],
        outputs: ["logits"],
        attributes: { transB: 1 },
      },
    ],
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = fileURLToPath(new URL("../examples/tiny_cnn.onnx", import.meta.url));
  const bytes = tinyCnnBytes();
  writeFileSync(target, bytes);
  console.log(`wrote ${target} (${bytes.length} bytes)`);
}
