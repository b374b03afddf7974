/**
 * Folds an inference-mode BatchNormalization into the Conv that feeds it:
 * with f[c] = scale[c] / sqrt(var[c] + epsilon),
 *   W'[c, …] = W[c, …] · f[c]      B'[c] = (B[c] − mean[c]) · f[c] + bias[c]
 * (B = 0 when the Conv has none), and the Conv writes the BatchNormalization's
 * output directly. A BatchNormalization that does not qualify stays; its op
 * definition computes it.
 *
 * Requires: the ir.ts invariants. Folds only when the Conv output has no
 * other reader and is not a graph output, the Conv weight and bias and all
 * four BatchNormalization parameters are constants of the weight's float
 * dtype with one element per output channel, and nothing reads the
 * BatchNormalization's extra outputs.
 * Ensures: the same numbers up to rounding (the products are formed in
 * float64, then stored in the weight's dtype); returns the input graph
 * unchanged when nothing folded.
 */
import { type IdSource, defaultIds, makeConstantValue, rewriteGraph } from "../builder.js";
import type { Graph, Node, Value } from "../ir.js";
import { Attributes } from "../attributes.js";
import { allocateTypedArray, isFloat } from "../../support/dtype.js";
import { type TensorData, elementAsNumber, makeTensorData, sizeOf } from "../../support/tensor-data.js";

interface Fold {
  readonly batchNorm: Node;
  readonly weight: Value;
  readonly bias: Value;
}

export function foldBatchNorm(graph: Graph, ids: IdSource = defaultIds): Graph {
  const folds = findFolds(graph, ids);
  if (folds.size === 0) return graph;
  const batchNormIds = new Set([...folds.values()].map((fold) => fold.batchNorm.id));
  return rewriteGraph(graph, (node) => {
    if (batchNormIds.has(node.id)) return [];
    const fold = folds.get(node.id);
    if (fold === undefined) return undefined;
    return [{ ...node, inputs: [node.inputs[0]!, fold.weight, fold.bias], outputs: [fold.batchNorm.outputs[0]!] }];
  });
}

/** Conv node id → its fold. */
function findFolds(graph: Graph, ids: IdSource): Map<number, Fold> {
  const readers = readCounts(graph);
  const producers = new Map<Value, Node>();
  for (const node of graph.nodes) for (const output of node.outputs) producers.set(output, node);
  const graphOutputs = new Set(graph.outputs);
  const folds = new Map<number, Fold>();
  for (const batchNorm of graph.nodes) {
    if (batchNorm.opType !== "BatchNormalization" || batchNorm.domain !== "") continue;
    const input = batchNorm.inputs[0];
    const conv = input === null || input === undefined ? undefined : producers.get(input);
    if (conv === undefined || conv.opType !== "Conv" || conv.domain !== "") continue;
    if (readers.get(input!) !== 1 || graphOutputs.has(input!)) continue;
    if (batchNorm.outputs.slice(1).some((output) => (readers.get(output) ?? 0) > 0 || graphOutputs.has(output)))
      continue;
    const fold = foldPair(conv, batchNorm, ids);
    if (fold !== null) folds.set(conv.id, fold);
  }
  return folds;
}

function foldPair(conv: Node, batchNorm: Node, ids: IdSource): Fold | null {
  const attributes = new Attributes(batchNorm);
  if (attributes.int("training_mode", 0) !== 0 || attributes.int("spatial", 1) !== 1) return null;
  const weight = conv.inputs[1]?.constant;
  if (weight === undefined || !isFloat(weight.dtype) || weight.shape.length < 3) return null;
  const bias = conv.inputs[2] ?? null;
  const biasData = bias === null ? null : perChannelConstant(bias, weight);
  const [scale, offset, mean, variance] = [1, 2, 3, 4].map((index) =>
    perChannelConstant(batchNorm.inputs[index], weight),
  );
  if (biasData === undefined || !scale || !offset || !mean || !variance) return null;
  const epsilon = attributes.float("epsilon", 1e-5);
  const folded = foldParameters(weight, biasData, scale, offset, mean, variance, epsilon);
  return {
    batchNorm,
    weight: makeConstantValue(`${conv.inputs[1]!.name}_bn_folded`, folded.weight, ids),
    bias: makeConstantValue(bias === null ? `${conv.name}_bias_bn_folded` : `${bias.name}_bn_folded`, folded.bias, ids),
  };
}

/** The value's contents when it is a constant of the weight's dtype with one element per output channel. */
function perChannelConstant(value: Value | null | undefined, weight: TensorData): TensorData | undefined {
  const data = value?.constant;
  if (data === undefined || data.dtype !== weight.dtype || sizeOf(data.shape) !== weight.shape[0]) return undefined;
  return data;
}

/** The BN-folded weight and bias of one Conv; all parameters have one element per output channel. */
export function foldParameters(
  weight: TensorData,
  bias: TensorData | null,
  scale: TensorData,
  offset: TensorData,
  mean: TensorData,
  variance: TensorData,
  epsilon: number,
): { weight: TensorData; bias: TensorData } {
  const channels = weight.shape[0]!;
  const perChannel = sizeOf(weight.shape) / channels;
  const newWeight = allocateTypedArray(weight.dtype, weight.data.length) as Float32Array | Float64Array;
  const newBias = allocateTypedArray(weight.dtype, channels) as Float32Array | Float64Array;
  const source = weight.data as Float32Array | Float64Array;
  for (let channel = 0; channel < channels; channel++) {
    const factor = elementAsNumber(scale, channel) / Math.sqrt(elementAsNumber(variance, channel) + epsilon);
    for (let offsetInChannel = 0; offsetInChannel < perChannel; offsetInChannel++) {
      const index = channel * perChannel + offsetInChannel;
      newWeight[index] = source[index]! * factor;
    }
    const biasValue = bias === null ? 0 : elementAsNumber(bias, channel);
    newBias[channel] = (biasValue - elementAsNumber(mean, channel)) * factor + elementAsNumber(offset, channel);
  }
  return {
    weight: makeTensorData(weight.dtype, weight.shape, newWeight),
    bias: makeTensorData(weight.dtype, [channels], newBias),
  };
}

/** How many times each value is read, by node inputs (graph outputs not counted). */
function readCounts(graph: Graph): Map<Value, number> {
  const counts = new Map<Value, number>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) if (input !== null) counts.set(input, (counts.get(input) ?? 0) + 1);
  }
  return counts;
}
