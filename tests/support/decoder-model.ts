/**
 * A GPT-style decoder block built op by op with Tessera's ONNX encoder
 * (embedding Gather, positions from Shape/Range, LayerNormalization, fused
 * QKV MatMul + Split, multi-head Reshape/Transpose, causal mask with Trilu
 * and Where, Softmax, GELU from Erf, residuals, tied output projection).
 * It stands in for the transformer decoders the shared models do not include.
 */
import { encodeModel, type NodeSpec, type InitializerSpec } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";

export interface DecoderSize {
  readonly vocab: number;
  readonly sequence: number;
  readonly width: number;
  readonly heads: number;
}

export const SMALL_DECODER: DecoderSize = { vocab: 50, sequence: 16, width: 32, heads: 4 };

/**
 * How the block was exported: "opset17" with LayerNormalization and the erf
 * GELU, or "gpt2" as Hugging Face's GPT-2 exports write it at opset 14: layer
 * norms decomposed into ReduceMean, Sub, Pow, Sqrt and Div, and the tanh
 * GELU 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·Pow(x, 3)))).
 */
export type DecoderExport = "opset17" | "gpt2";

/** Layer normalization of `input` over its last axis, as one node or decomposed. */
function layerNormNodes(style: DecoderExport, input: string, prefix: string, output: string): NodeSpec[] {
  const scale = `${prefix}_scale`;
  const bias = `${prefix}_bias`;
  if (style === "opset17")
    return [node("LayerNormalization", [input, scale, bias], [output], { axis: -1, epsilon: 1e-5 })];
  const t = (name: string) => `${prefix}_${name}`;
  return [
    node("ReduceMean", [input], [t("mean")], { axes: [-1] }),
    node("Sub", [input, t("mean")], [t("centered")]),
    node("Pow", [t("centered"), "two"], [t("squared")]),
    node("ReduceMean", [t("squared")], [t("variance")], { axes: [-1] }),
    node("Add", [t("variance"), "epsilon"], [t("variance_eps")]),
    node("Sqrt", [t("variance_eps")], [t("deviation")]),
    node("Div", [t("centered"), t("deviation")], [t("normalized")]),
    node("Mul", [t("normalized"), scale], [t("scaled")]),
    node("Add", [t("scaled"), bias], [output]),
  ];
}

/** GELU of `input`: the erf form, or GPT-2's tanh approximation with Pow(x, 3). */
function geluNodes(style: DecoderExport, input: string, output: string): NodeSpec[] {
  if (style === "opset17") {
    return [
      node("Div", [input, "sqrt_two"], ["up_scaled"]),
      node("Erf", ["up_scaled"], ["erf"]),
      node("Add", ["erf", "one"], ["erf_1"]),
      node("Mul", [input, "erf_1"], ["gelu_2"]),
      node("Mul", ["gelu_2", "half"], [output]),
    ];
  }
  return [
    node("Pow", [input, "three"], ["up_cubed"]),
    node("Mul", ["up_cubed", "gelu_cubic"], ["up_cubic"]),
    node("Add", [input, "up_cubic"], ["up_inner"]),
    node("Mul", ["up_inner", "sqrt_two_over_pi"], ["up_scaled"]),
    node("Tanh", ["up_scaled"], ["tanh"]),
    node("Add", ["tanh", "one"], ["tanh_1"]),
    node("Mul", [input, "half"], ["up_half"]),
    node("Mul", ["up_half", "tanh_1"], [output]),
  ];
}

function weights(name: string, shape: readonly number[], seed: number, scale = 0.2): InitializerSpec {
  let state = seed >>> 0;
  const length = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
  return { name, data: makeTensorData("float32", shape, data) };
}

function ints(name: string, values: readonly number[]): InitializerSpec {
  return { name, data: makeTensorData("int64", [values.length], BigInt64Array.from(values.map(BigInt))) };
}

function scalar(name: string, value: number): InitializerSpec {
  return { name, data: makeTensorData("float32", [], Float32Array.of(value)) };
}

const node = (opType: string, inputs: string[], outputs: string[], attributes?: NodeSpec["attributes"]): NodeSpec => ({
  opType,
  inputs,
  outputs,
  ...(attributes === undefined ? {} : { attributes }),
});

function attentionNodes(style: DecoderExport): NodeSpec[] {
  const heads = (input: string, output: string): NodeSpec[] => [
    node("Reshape", [input, "heads_shape"], [`${output}_4d`]),
    node("Transpose", [`${output}_4d`], [output], { perm: [0, 2, 1, 3] }),
  ];
  return [
    ...layerNormNodes(style, "x", "ln1", "h1"),
    node("MatMul", ["h1", "w_qkv"], ["qkv_raw"]),
    node("Add", ["qkv_raw", "b_qkv"], ["qkv"]),
    node("Split", ["qkv", "split_sizes"], ["q", "k", "v"], { axis: 2 }),
    ...heads("q", "qh"),
    ...heads("k", "kh"),
    ...heads("v", "vh"),
    node("Transpose", ["kh"], ["kt"], { perm: [0, 1, 3, 2] }),
    node("MatMul", ["qh", "kt"], ["scores_raw"]),
    node("Div", ["scores_raw", "sqrt_head"], ["scores"]),
    node("Trilu", ["ones"], ["causal"], { upper: 0 }),
    node("Equal", ["causal", "zero"], ["masked"]),
    node("Where", ["masked", "minus_big", "scores"], ["scores_masked"]),
    node("Softmax", ["scores_masked"], ["probs"], { axis: -1 }),
    node("MatMul", ["probs", "vh"], ["context_h"]),
    node("Transpose", ["context_h"], ["context_t"], { perm: [0, 2, 1, 3] }),
    node("Reshape", ["context_t", "flat_shape"], ["context"]),
    node("MatMul", ["context", "w_o"], ["attn_raw"]),
    node("Add", ["attn_raw", "b_o"], ["attn"]),
    node("Add", ["x", "attn"], ["x2"]),
  ];
}

function mlpNodes(style: DecoderExport): NodeSpec[] {
  return [
    ...layerNormNodes(style, "x2", "ln2", "h2"),
    node("MatMul", ["h2", "w_1"], ["up_raw"]),
    node("Add", ["up_raw", "b_1"], ["up"]),
    ...geluNodes(style, "up", "gelu"),
    node("MatMul", ["gelu", "w_2"], ["down_raw"]),
    node("Add", ["down_raw", "b_2"], ["down"]),
    node("Add", ["x2", "down"], ["x3"]),
    node("Transpose", ["wte"], ["wte_t"], { perm: [1, 0] }),
    node("MatMul", ["x3", "wte_t"], ["logits"]),
  ];
}

/** A decoder block of the given size; the e2e test runs a small one, the held-out bench a GPT-2-small-like layer. */
export function decoderModel(size: DecoderSize = SMALL_DECODER, style: DecoderExport = "opset17"): Uint8Array {
  const { vocab, sequence, width, heads } = size;
  const nodes: NodeSpec[] = [
    node("Gather", ["wte", "input_ids"], ["tokens"]),
    node("Shape", ["input_ids"], ["ids_shape"]),
    node("Gather", ["ids_shape", "one_index"], ["length"], { axis: 0 }),
    node("Range", ["start", "length", "step"], ["positions_1d"]),
    node("Unsqueeze", ["positions_1d", "axis0"], ["positions"]),
    node("Gather", ["wpe", "positions"], ["position_vectors"]),
    node("Add", ["tokens", "position_vectors"], ["x"]),
    ...attentionNodes(style),
    ...mlpNodes(style),
  ];
  const initializers: InitializerSpec[] = [
    weights("wte", [vocab, width], 1, 0.5),
    weights("wpe", [sequence, width], 2, 0.5),
    weights("ln1_scale", [width], 3, 1),
    weights("ln1_bias", [width], 4),
    weights("w_qkv", [width, 3 * width], 5),
    weights("b_qkv", [3 * width], 6),
    weights("w_o", [width, width], 7),
    weights("b_o", [width], 8),
    weights("ln2_scale", [width], 9, 1),
    weights("ln2_bias", [width], 10),
    weights("w_1", [width, 4 * width], 11),
    weights("b_1", [4 * width], 12),
    weights("w_2", [4 * width, width], 13),
    weights("b_2", [width], 14),
    ints("split_sizes", [width, width, width]),
    ints("heads_shape", [1, sequence, heads, width / heads]),
    ints("flat_shape", [1, sequence, width]),
    ints("axis0", [0]),
    { name: "one_index", data: makeTensorData("int64", [], BigInt64Array.of(1n)) },
    { name: "start", data: makeTensorData("int64", [], BigInt64Array.of(0n)) },
    { name: "step", data: makeTensorData("int64", [], BigInt64Array.of(1n)) },
    {
      name: "ones",
      data: makeTensorData("float32", [sequence, sequence], new Float32Array(sequence * sequence).fill(1)),
    },
    scalar("zero", 0),
    scalar("one", 1),
    scalar("half", 0.5),
    scalar("minus_big", -1e9),
    scalar("sqrt_head", Math.sqrt(width / heads)),
    scalar("sqrt_two", Math.SQRT2),
    ...(style === "gpt2"
      ? [
          scalar("two", 2),
          scalar("three", 3),
          scalar("epsilon", 1e-5),
          scalar("gelu_cubic", 0.044715),
          scalar("sqrt_two_over_pi", Math.sqrt(2 / Math.PI)),
        ]
      : []),
  ];
  return encodeModel({
    name: style === "gpt2" ? "decoder_block_gpt2" : "decoder_block",
    opset: style === "gpt2" ? 14 : 17,
    inputs: [{ name: "input_ids", dtype: "int64", shape: [1, sequence] }],
    outputs: [{ name: "logits", dtype: "float32", shape: [1, sequence, vocab] }],
    nodes,
    initializers,
  });
}
