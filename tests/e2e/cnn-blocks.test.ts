/**
 * A CNN built from the blocks of networks beyond the shared models —
 * EfficientNet/MobileNetV3 (SiLU, depthwise, squeeze-excite, hard-swish),
 * ShuffleNet (channel shuffle, grouped 1×1), GoogLeNet/DenseNet (pool
 * branches and Concat, ceil_mode), dilated convs and a nearest upsample —
 * compared with onnxruntime-node at 1 and 2 threads.
 */
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { test } from "node:test";
import { encodeModel, type InitializerSpec, type NodeSpec } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";

let seed = 1;
function weights(name: string, shape: readonly number[], scale = 0.3): InitializerSpec {
  let state = seed++ * 7919;
  const length = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
  return { name, data: makeTensorData("float32", shape, data) };
}
const positive = (name: string, shape: readonly number[]): InitializerSpec => {
  const spec = weights(name, shape, 0.4);
  const data = Float32Array.from(spec.data.data as Float32Array, (value) => Math.abs(value) + 0.5);
  return { name, data: makeTensorData("float32", shape, data) };
};
const ints = (name: string, values: readonly number[]): InitializerSpec => ({
  name,
  data: makeTensorData("int64", [values.length], BigInt64Array.from(values.map(BigInt))),
});
const floats = (name: string, values: readonly number[]): InitializerSpec => ({
  name,
  data: makeTensorData("float32", [values.length], Float32Array.from(values)),
});
const node = (opType: string, inputs: string[], outputs: string[], attributes?: NodeSpec["attributes"]): NodeSpec => ({
  opType,
  inputs,
  outputs,
  ...(attributes === undefined ? {} : { attributes }),
});

function model(): Uint8Array {
  const nodes: NodeSpec[] = [
    node("Conv", ["input", "stem_w"], ["stem"], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
    node("BatchNormalization", ["stem", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["stem_bn"]),
    node("Sigmoid", ["stem_bn"], ["stem_gate"]),
    node("Mul", ["stem_bn", "stem_gate"], ["silu"]),
    node("Conv", ["silu", "dw_w", "dw_b"], ["dw"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 16 }),
    node("HardSwish", ["dw"], ["dw_act"]),
    node("GlobalAveragePool", ["dw_act"], ["se_pool"]),
    node("Conv", ["se_pool", "se1_w", "se1_b"], ["se1"], { kernel_shape: [1, 1] }),
    node("Relu", ["se1"], ["se1_act"]),
    node("Conv", ["se1_act", "se2_w", "se2_b"], ["se2"], { kernel_shape: [1, 1] }),
    node("HardSigmoid", ["se2"], ["se_gate"], { alpha: 1 / 6, beta: 0.5 }),
    node("Mul", ["dw_act", "se_gate"], ["se_out"]),
    node("Conv", ["se_out", "g_w"], ["grouped"], { kernel_shape: [1, 1], group: 2 }),
    node("Reshape", ["grouped", "shuffle_5d"], ["shuffle_a"]),
    node("Transpose", ["shuffle_a"], ["shuffle_b"], { perm: [0, 2, 1, 3, 4] }),
    node("Reshape", ["shuffle_b", "shuffle_4d"], ["shuffled"]),
    node("MaxPool", ["shuffled"], ["branch_max"], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
    node("AveragePool", ["shuffled"], ["branch_avg"], {
      kernel_shape: [3, 3],
      strides: [2, 2],
      pads: [1, 1, 1, 1],
      count_include_pad: 0,
    }),
    node("Conv", ["shuffled", "dil_w"], ["branch_dil_full"], {
      kernel_shape: [3, 3],
      dilations: [2, 2],
      pads: [2, 2, 2, 2],
      strides: [2, 2],
    }),
    node("LeakyRelu", ["branch_dil_full"], ["branch_dil"], { alpha: 0.1 }),
    node("Concat", ["branch_max", "branch_avg", "branch_dil"], ["merged"], { axis: 1 }),
    node("PRelu", ["merged", "prelu_slope"], ["merged_act"]),
    node("Resize", ["merged_act", "", "scales"], ["upsampled"], { mode: "nearest" }),
    node("Conv", ["upsampled", "head_w", "head_b"], ["head"], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    node("Clip", ["head", "clip_min", "clip_max"], ["head_clipped"]),
    node("GlobalAveragePool", ["head_clipped"], ["pooled"]),
    node("Flatten", ["pooled"], ["flat"]),
    node("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], { transB: 1 }),
    node("Softmax", ["fc"], ["probabilities"], { axis: 1 }),
  ];
  const initializers: InitializerSpec[] = [
    weights("stem_w", [16, 3, 3, 3]),
    positive("bn_scale", [16]),
    weights("bn_bias", [16]),
    weights("bn_mean", [16]),
    positive("bn_var", [16]),
    weights("dw_w", [16, 1, 3, 3]),
    weights("dw_b", [16]),
    weights("se1_w", [4, 16, 1, 1]),
    weights("se1_b", [4]),
    weights("se2_w", [16, 4, 1, 1]),
    weights("se2_b", [16]),
    weights("g_w", [24, 8, 1, 1]),
    ints("shuffle_5d", [1, 2, 12, 16, 16]),
    ints("shuffle_4d", [1, 24, 16, 16]),
    weights("dil_w", [8, 24, 3, 3]),
    weights("prelu_slope", [56, 1, 1], 0.2),
    floats("scales", [1, 1, 2, 2]),
    weights("head_w", [12, 56, 3, 3], 0.1),
    weights("head_b", [12]),
    { name: "clip_min", data: makeTensorData("float32", [], Float32Array.of(-1)) },
    { name: "clip_max", data: makeTensorData("float32", [], Float32Array.of(1.5)) },
    weights("fc_w", [10, 12]),
    weights("fc_b", [10]),
  ];
  return encodeModel({
    name: "cnn_blocks",
    opset: 17,
    inputs: [{ name: "input", dtype: "float32", shape: [1, 3, 32, 32] }],
    outputs: [
      { name: "probabilities", dtype: "float32", shape: [1, 10] },
      { name: "fc", dtype: "float32", shape: [1, 10] },
      { name: "merged_act", dtype: "float32", shape: [1, 56, 8, 8] },
    ],
    nodes,
    initializers,
  });
}

for (const threads of [1, 2]) {
  test(`CNN blocks (SE, depthwise, shuffle, pool branches, dilation, resize) match onnxruntime-node at ${threads} thread(s)`, async () => {
    const bytes = model();
    const data = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37));
    await expectMatchesOrt(
      bytes,
      { input: { dtype: "float32", data, dims: [1, 3, 32, 32] } },
      { threads, outputs: ["probabilities", "fc", "merged_act"] },
    );
  });
}
