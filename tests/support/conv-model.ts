/**
 * The single-convolution models the conv tests build: x → Conv(W, B) with
 * pseudo-random weights and bias, then an epilogue (Relu, a residual Add +
 * Relu, or none).
 */
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { pseudoRandom, size } from "./random.js";

export interface ConvModelSpec {
  readonly input: readonly number[];
  readonly weights: readonly number[];
  readonly attributes: Readonly<Record<string, number | readonly number[]>>;
  readonly epilogue: "none" | "relu" | "residual-relu";
  readonly weightSeed: number;
  readonly biasSeed: number;
}

export function convModel(spec: ConvModelSpec): Uint8Array {
  const channels = spec.weights[0]!;
  const conv = spec.epilogue === "none" ? "y" : "conv";
  const epilogue =
    spec.epilogue === "relu"
      ? [{ opType: "Relu", inputs: ["conv"], outputs: ["y"] }]
      : spec.epilogue === "residual-relu"
        ? [
            { opType: "Add", inputs: ["conv", "x"], outputs: ["sum"] },
            { opType: "Relu", inputs: ["sum"], outputs: ["y"] },
          ]
        : [];
  return encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: spec.input }],
    outputs: [{ name: "y", dtype: "float32", shape: null }],
    nodes: [{ opType: "Conv", inputs: ["x", "w", "b"], outputs: [conv], attributes: spec.attributes }, ...epilogue],
    initializers: [
      { name: "w", data: makeTensorData("float32", spec.weights, pseudoRandom(size(spec.weights), spec.weightSeed)) },
      { name: "b", data: makeTensorData("float32", [channels], pseudoRandom(channels, spec.biasSeed)) },
    ],
  });
}

/** The thread counts and layouts an end-to-end conv test runs in. */
export const THREADS_AND_LAYOUTS = [
  [1, "NHWC"],
  [2, "NHWC"],
  [1, "NCHW"],
  [2, "NCHW"],
] as const;
