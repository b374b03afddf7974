/**
 * Fuses the decomposed layer normalization that exporters write for opsets
 * before 17 (onnxruntime's LayerNormFusion) into one LayerNormalization node:
 *
 *   mean = ReduceMean(X, axes)          d = Sub(X, mean)
 *   square = Pow(d, 2) | Mul(d, d)      variance = ReduceMean(square, axes)
 *   deviation = Sqrt(Add(variance, ε))  (ε on either side of the Add)
 *   normalized = Div(d, deviation) | Mul(d, Reciprocal(deviation))
 *   Y = Add(Mul(normalized, scale), bias)   (scale and bias each optional)
 *
 * The fused op computes its statistics with a factored (vectorized)
 * reduction in one group, where the decomposed form runs two reduction
 * kernels and a Pow per element.
 *
 * Requires: the ir.ts invariants, shapes inferred, constants folded (ε, the
 * exponent and the axes must be constants). A pattern fuses only when X is
 * float32 or float64 of known rank; both ReduceMeans keep dims and reduce the
 * same trailing axes [k, rank); ε and the exponent are one-element constants
 * whose rank does not widen their operand; scale and bias are constants of
 * X's dtype that vary only along the normalized axes; and every intermediate
 * value is read only inside the pattern and is not a graph output.
 * Ensures: each match is one LayerNormalization {axis = k − rank, epsilon}
 * writing the pattern's output value, with statistics in X's dtype
 * (stash_type); a missing scale becomes a constant of ones over the
 * normalized dims, a missing bias is left out (B is optional in ONNX, so no
 * zeros are added at run time). Anything that does not match exactly is left
 * unchanged; returns the input graph when nothing fused.
 */
import { type IdSource, attr, defaultIds, makeConstantValue, makeNode, rewriteGraph } from "../builder.js";
import { type Graph, type Node, type Value, isStaticShape } from "../ir.js";
import { Attributes } from "../attributes.js";
import { allocateTypedArray, onnxCodeOf } from "../../support/dtype.js";
import { makeTensorData, sizeOf, toNumberArray } from "../../support/tensor-data.js";
import { scalarConstant } from "./scalar-constant.js";

/** The first opset with LayerNormalization; the fused node is stamped with at least this version. */
const LAYER_NORM_OPSET = 17;

interface LayerNormMatch {
  /** Every node of the pattern, removed by the rewrite. */
  readonly nodes: readonly Node[];
  /** The pattern node that writes `output`; the fused node takes its place. */
  readonly last: Node;
  readonly input: Value;
  readonly output: Value;
  /** The first normalized axis, in [0, rank). */
  readonly axis: number;
  readonly rank: number;
  readonly epsilon: number;
  readonly scale: Value | null;
  readonly bias: Value | null;
}

/** Producers, distinct reader nodes and graph outputs of one graph. */
interface Uses {
  readonly readers: ReadonlyMap<Value, readonly Node[]>;
  readonly graphOutputs: ReadonlySet<Value>;
}

export function fuseLayerNorm(graph: Graph, ids: IdSource = defaultIds): Graph {
  const matches = findMatches(graph);
  if (matches.length === 0) return graph;
  const removed = new Set(matches.flatMap((match) => match.nodes.map((node) => node.id)));
  const replacements = new Map(matches.map((match) => [match.last.id, match]));
  return rewriteGraph(graph, (node) => {
    const match = replacements.get(node.id);
    if (match !== undefined) return [layerNormNode(match, ids)];
    return removed.has(node.id) ? [] : undefined;
  });
}

function findMatches(graph: Graph): LayerNormMatch[] {
  const uses = collectUses(graph);
  const claimed = new Set<number>();
  const matches: LayerNormMatch[] = [];
  for (const node of graph.nodes) {
    if (!isOp(node, "ReduceMean") || claimed.has(node.id)) continue;
    const match = matchFrom(node, uses);
    if (match === null || match.nodes.some((member) => claimed.has(member.id))) continue;
    for (const member of match.nodes) claimed.add(member.id);
    matches.push(match);
  }
  return matches;
}

function collectUses(graph: Graph): Uses {
  const readers = new Map<Value, Node[]>();
  for (const node of graph.nodes) {
    for (const input of new Set(node.inputs)) {
      if (input === null) continue;
      const list = readers.get(input) ?? [];
      list.push(node);
      readers.set(input, list);
    }
  }
  return { readers, graphOutputs: new Set(graph.outputs) };
}

/** The pattern that starts at `mean` (the first ReduceMean), or null. */
function matchFrom(mean: Node, uses: Uses): LayerNormMatch | null {
  const input = mean.inputs[0] ?? null;
  if (input === null || !isStaticShape(input.shape) || !["float32", "float64"].includes(input.dtype)) return null;
  const rank = input.shape.length;
  const axes = trailingReducedAxes(mean, rank);
  if (axes === null) return null;
  const centered = soleReader(mean.outputs[0]!, uses);
  if (centered === undefined || !isOp(centered, "Sub") || centered.inputs[0] !== input) return null;
  const difference = centered.outputs[0]!;
  const statistics = matchVariance(difference, axes, rank, uses);
  if (statistics === null) return null;
  const normalize = matchNormalize(difference, statistics.deviation, uses);
  if (normalize === null) return null;
  const differenceReaders = uses.readers.get(difference) ?? [];
  const expectedReaders = [statistics.nodes[0]!, normalize.last];
  if (uses.graphOutputs.has(difference) || !sameMembers(differenceReaders, expectedReaders)) return null;
  const affine = matchAffine(normalize.last.outputs[0]!, input, axes[0]!, uses);
  const nodes = [mean, centered, ...statistics.nodes, ...normalize.nodes, ...affine.nodes];
  const last = affine.nodes[affine.nodes.length - 1] ?? normalize.last;
  const { epsilon } = statistics;
  return { nodes, last, input, output: last.outputs[0]!, axis: axes[0]!, rank, epsilon, ...affine.parameters };
}

/**
 * square → ReduceMean over the same axes → Add ε → Sqrt, starting from the
 * centered value. Returns the nodes in order, ε and the Sqrt's output.
 */
function matchVariance(
  difference: Value,
  axes: readonly number[],
  rank: number,
  uses: Uses,
): { nodes: Node[]; epsilon: number; deviation: Value } | null {
  const square = (uses.readers.get(difference) ?? []).find((node) => isSquareOf(node, difference));
  if (square === undefined) return null;
  const variance = soleReader(square.outputs[0]!, uses);
  if (variance === undefined || !isOp(variance, "ReduceMean") || variance.inputs[0] !== square.outputs[0]) return null;
  if (!sameAxes(trailingReducedAxes(variance, rank), axes)) return null;
  const addEpsilon = soleReader(variance.outputs[0]!, uses);
  if (addEpsilon === undefined || !isOp(addEpsilon, "Add")) return null;
  const epsilon = scalarConstant(otherOperand(addEpsilon, variance.outputs[0]!), rank);
  if (epsilon === null) return null;
  const root = soleReader(addEpsilon.outputs[0]!, uses);
  if (root === undefined || !isOp(root, "Sqrt")) return null;
  return { nodes: [square, variance, addEpsilon, root], epsilon, deviation: root.outputs[0]! };
}

/** Pow(d, 2) or Mul(d, d). */
function isSquareOf(node: Node, difference: Value): boolean {
  if (node.inputs[0] !== difference || node.inputs.length !== 2) return false;
  if (isOp(node, "Mul")) return node.inputs[1] === difference;
  if (!isOp(node, "Pow")) return false;
  const rank = difference.shape?.length ?? 0;
  return scalarConstant(node.inputs[1] ?? null, rank, { allowIntegers: true }) === 2;
}

/**
 * Div(d, deviation), or Mul(d, Reciprocal(deviation)) with the Mul's
 * operands in either order. `last` (the Div or the Mul) reads d and writes
 * the normalized value.
 */
function matchNormalize(difference: Value, deviation: Value, uses: Uses): { nodes: Node[]; last: Node } | null {
  const reader = soleReader(deviation, uses);
  if (reader === undefined) return null;
  if (isOp(reader, "Div")) {
    if (reader.inputs[0] !== difference || reader.inputs[1] !== deviation) return null;
    return { nodes: [reader], last: reader };
  }
  if (!isOp(reader, "Reciprocal")) return null;
  const multiply = soleReader(reader.outputs[0]!, uses);
  if (multiply === undefined || !isOp(multiply, "Mul")) return null;
  if (otherOperand(multiply, reader.outputs[0]!) !== difference) return null;
  return { nodes: [reader, multiply], last: multiply };
}

/** An optional Mul by a constant scale, then an optional Add of a constant bias. */
function matchAffine(
  normalized: Value,
  input: Value,
  axis: number,
  uses: Uses,
): { nodes: Node[]; parameters: { scale: Value | null; bias: Value | null } } {
  const nodes: Node[] = [];
  let current = normalized;
  const scaleNode = soleReader(current, uses);
  const scale =
    scaleNode !== undefined && isOp(scaleNode, "Mul") ? parameterOperand(scaleNode, current, input, axis) : null;
  if (scale !== null) {
    nodes.push(scaleNode!);
    current = scaleNode!.outputs[0]!;
  }
  const biasNode = soleReader(current, uses);
  const bias =
    biasNode !== undefined && isOp(biasNode, "Add") ? parameterOperand(biasNode, current, input, axis) : null;
  if (bias !== null) nodes.push(biasNode!);
  return { nodes, parameters: { scale, bias } };
}

/**
 * The other operand of a binary node reading `value`, when it is a constant
 * of X's dtype that varies only along the normalized axes [axis, rank), so
 * LayerNormalization's broadcast of it equals the binary op's.
 */
function parameterOperand(node: Node, value: Value, input: Value, axis: number): Value | null {
  const parameter = otherOperand(node, value);
  const data = parameter?.constant;
  const rank = input.shape!.length;
  if (parameter === null || data === undefined || data.dtype !== input.dtype || data.shape.length > rank) return null;
  const offset = rank - data.shape.length;
  const fits = data.shape.every((extent, dim) =>
    dim + offset < axis ? extent === 1 : extent === 1 || extent === input.shape![dim + offset],
  );
  return fits ? parameter : null;
}

function layerNormNode(match: LayerNormMatch, ids: IdSource): Node {
  const scale = match.scale ?? onesScale(match, ids);
  const attributes = {
    axis: attr.int(match.axis - match.rank),
    epsilon: attr.float(match.epsilon),
    ...(match.input.dtype === "float32" ? {} : { stash_type: attr.int(onnxCodeOf(match.input.dtype)) }),
  };
  const [first] = match.nodes;
  return makeNode(
    {
      name: `${first!.name}_layer_norm`,
      opType: "LayerNormalization",
      opset: Math.max(first!.opset, LAYER_NORM_OPSET),
      inputs: match.bias === null ? [match.input, scale] : [match.input, scale, match.bias],
      outputs: [match.output],
      attributes,
    },
    ids,
  );
}

/** A scale of ones over the normalized dims, in X's dtype. */
function onesScale(match: LayerNormMatch, ids: IdSource): Value {
  const shape = (match.input.shape as readonly number[]).slice(match.axis);
  const data = (allocateTypedArray(match.input.dtype, sizeOf(shape)) as Float32Array | Float64Array).fill(1);
  return makeConstantValue(
    `${match.nodes[0]!.name}_layer_norm_scale`,
    makeTensorData(match.input.dtype, shape, data),
    ids,
  );
}

/**
 * The sorted axes a keep-dims ReduceMean reduces, when they are the trailing
 * axes [k, rank) with k < rank; null otherwise. Axes come from the constant
 * input (opset 18, and older opsets as the importer normalizes them) or the
 * attribute.
 */
function trailingReducedAxes(node: Node, rank: number): number[] | null {
  const attributes = new Attributes(node);
  if (node.outputs.length !== 1 || attributes.int("keepdims", 1) !== 1) return null;
  const axesInput = node.inputs[1] ?? null;
  let axes: number[];
  if (axesInput !== null) {
    if (axesInput.constant === undefined) return null;
    axes = toNumberArray(axesInput.constant);
  } else if (attributes.has("axes")) {
    axes = [...attributes.ints("axes")];
  } else {
    axes = [];
  }
  if (axes.length === 0) {
    if (attributes.int("noop_with_empty_axes", 0) !== 0 || rank === 0) return null;
    axes = Array.from({ length: rank }, (_, index) => index);
  }
  const normalized = [...new Set(axes.map((axis) => (axis < 0 ? axis + rank : axis)))].sort((a, b) => a - b);
  if (normalized.length !== axes.length || normalized.some((axis) => axis < 0 || axis >= rank)) return null;
  const first = rank - normalized.length;
  return normalized.every((axis, index) => axis === first + index) ? normalized : null;
}

/** The one node reading `value`, when exactly one does and it is not a graph output. */
function soleReader(value: Value, uses: Uses): Node | undefined {
  const readers = uses.readers.get(value) ?? [];
  return readers.length === 1 && !uses.graphOutputs.has(value) ? readers[0] : undefined;
}

/** The operand of a two-input node that is not `value`, or null when the node does not read `value`. */
function otherOperand(node: Node, value: Value): Value | null {
  if (node.inputs.length !== 2) return null;
  if (node.inputs[0] === value) return node.inputs[1] ?? null;
  if (node.inputs[1] === value) return node.inputs[0] ?? null;
  return null;
}

function isOp(node: Node, opType: string): boolean {
  return node.domain === "" && node.opType === opType && node.outputs.length === 1;
}

function sameAxes(left: readonly number[] | null, right: readonly number[]): boolean {
  return left !== null && left.length === right.length && left.every((axis, index) => axis === right[index]);
}

function sameMembers(actual: readonly Node[], expected: readonly Node[]): boolean {
  return actual.length === expected.length && expected.every((node) => actual.includes(node));
}
