/**
 * Moves the convolution chain to channels-last (NHWC) layout, the way TVM's
 * ConvertLayout does: convolutions and the Winograd transforms always
 * convert; pools, elementwise/broadcast ops and Concat convert when an input
 * already is NHWC; every other op reads NCHW. Transposes go only where a
 * value crosses between the two: in practice the image entering the first
 * conv and the pooled features leaving the last, at the graph's edges.
 *
 * Why: with the channel innermost, the channel vectors that depthwise
 * convs, pools, the Winograd transforms and conv epilogues load and store
 * are contiguous, where NCHW has them a plane apart (lane-by-lane gathers).
 *
 * Requires: shapes inferred and constants folded.
 * Ensures: the graph computes the same outputs, bit for bit (only index
 * order changes); every graph output keeps its Value and NCHW shape;
 * converted nodes live in the "ai.tessera" domain with data_layout NHWC
 * (te/ops/nn/channels-last.ts), or are elementwise/Concat nodes whose
 * operands were permuted (constants re-laid here, at compile time).
 */
import { type IdSource, defaultIds, makeConstantValue, makeNode, makeValue } from "../builder.js";
import type { AttributeValue, Graph, Node, Value } from "../ir.js";
import { isStaticShape } from "../ir.js";
import { makePlaceholderContext, opDefinitionOf } from "../fold-node.js";
import { type TensorData, makeTensorData } from "../../support/tensor-data.js";
import { placeholder } from "../../te/tensor.js";
import { evaluateTe } from "../../te/evaluate.js";
import { TESSERA_DOMAIN } from "../../te/ops/registry.js";
import {
  CHANNELS_LAST_FORMS,
  DATA_LAYOUT,
  type LayoutCarriers,
  permutedView,
  toChannelsFirst,
  toChannelsLast,
} from "../../te/ops/nn/channels-last.js";

const RANK = 4;
/** Ops that always convert (they seed the NHWC region); the other channels-last forms follow an NHWC input. */
const SEEDS: ReadonlySet<string> = new Set(["Conv", "WinogradInput", "WinogradOutput"]);
const LAYOUT_ATTRIBUTE: AttributeValue = { kind: "string", value: "NHWC" };
/**
 * Broadcast-pattern ops whose parameters follow the channel axis (axis 1),
 * not numpy broadcasting: they read NCHW.
 */
const CHANNEL_AXIS_OPS: ReadonlySet<string> = new Set(["BatchNormalization", "QuantizeLinear", "DequantizeLinear"]);

export function convertLayout(graph: Graph, ids: IdSource = defaultIds): Graph {
  const converter = new LayoutConverter(ids);
  for (const node of graph.nodes) converter.visit(node);
  const outputs = graph.outputs.map((value) => converter.channelsFirst(value));
  if (converter.converted === 0) return graph;
  return { ...graph, nodes: converter.nodes, outputs };
}

class LayoutConverter {
  readonly nodes: Node[] = [];
  converted = 0;
  /** Original value → its NHWC form (the output of a converted node, or a transpose of the NCHW value). */
  private readonly lastForms = new Map<Value, Value>();
  /** Original values produced by converted nodes (in NHWC). */
  private readonly producedLast = new Set<Value>();
  /** Those of them that have no NCHW form yet. */
  private readonly lastOnly = new Set<Value>();

  constructor(private readonly ids: IdSource) {}

  visit(node: Node): void {
    if (this.qualifies(node)) this.convert(node);
    else
      this.nodes.push({
        ...node,
        inputs: node.inputs.map((input) => (input === null ? null : this.channelsFirst(input))),
      });
  }

  /** The value in NCHW: itself, or (made once) a transpose of its NHWC form that writes the original Value. */
  channelsFirst(value: Value): Value {
    if (!this.lastOnly.has(value)) return value;
    this.lastOnly.delete(value);
    this.nodes.push(this.transpose(this.lastForms.get(value)!, toChannelsFirst(RANK), value));
    return value;
  }

  /** The value in NHWC: a converted node's output, or (made once) a transpose of the NCHW value. */
  private channelsLast(value: Value): Value {
    let form = this.lastForms.get(value);
    if (form === undefined) {
      form = this.permutedValue(value);
      this.nodes.push(this.transpose(value, toChannelsLast(RANK), form));
      this.lastForms.set(value, form);
    }
    return form;
  }

  private qualifies(node: Node): boolean {
    const activation = node.inputs[0];
    if (activation === null || activation === undefined || node.outputs.length !== 1) return false;
    const output = node.outputs[0]!;
    const anyLast = node.inputs.some((input) => input !== null && this.producedLast.has(input));
    const carriers = carriersOf(node);
    if (carriers !== undefined) {
      const fits = (!carriers.input || isRank4(activation)) && (!carriers.output || isRank4(output));
      return fits && (SEEDS.has(node.opType) || anyLast);
    }
    if (!anyLast || node.domain !== "" || !isRank4(output)) return false;
    if (node.opType === "Concat") return node.inputs.every((input) => input === null || isRank4(input));
    return this.isLayoutFreeElementwise(node);
  }

  /**
   * Elementwise/broadcast ops with numpy broadcasting (no axis), whose
   * operands are rank-4 activations, constants, or all-ones shapes.
   */
  private isLayoutFreeElementwise(node: Node): boolean {
    if (node.attributes.has("axis") || CHANNEL_AXIS_OPS.has(node.opType)) return false;
    const pattern = opDefinitionOf(node).pattern(makePlaceholderContext(node));
    if (pattern !== "elementwise" && pattern !== "broadcast") return false;
    return node.inputs.every((input) => {
      if (input === null || input.constant !== undefined || isRank4(input)) return true;
      return isStaticShape(input.shape) && input.shape.every((dim) => dim === 1);
    });
  }

  private convert(node: Node): void {
    this.converted++;
    const carriers = carriersOf(node);
    const inputs = node.inputs.map((input, index) => {
      if (input === null) return null;
      if (carriers !== undefined) return index === 0 && carriers.input ? this.channelsLast(input) : input;
      if (input.constant !== undefined) return this.relaidConstant(input);
      return isRank4(input) ? this.channelsLast(input) : input;
    });
    const original = node.outputs[0]!;
    const output = carriers === undefined || carriers.output ? this.permutedValue(original) : original;
    if (output !== original) {
      this.lastForms.set(original, output);
      this.producedLast.add(original);
      this.lastOnly.add(original);
    }
    const attributes = new Map(node.attributes);
    if (node.opType === "Concat") attributes.set("axis", { kind: "int", value: concatAxis(node) });
    if (carriers !== undefined) attributes.set(DATA_LAYOUT, LAYOUT_ATTRIBUTE);
    const domain = carriers !== undefined ? TESSERA_DOMAIN : node.domain;
    const opset = carriers !== undefined && node.domain === "" ? 1 : node.opset;
    this.nodes.push({ ...node, domain, opset, inputs, outputs: [output], attributes });
  }

  /** A new value for `value` in NHWC order. */
  private permutedValue(value: Value): Value {
    const shape = value.shape as readonly number[];
    return makeValue(
      `${value.name}_nhwc`,
      value.dtype,
      toChannelsLast(RANK).map((dim) => shape[dim]!),
      undefined,
      this.ids,
    );
  }

  /**
   * A node writing `input` permuted by `perm` to `output`: a Reshape (a view,
   * no kernel) when the dims that move all have extent 1 (pooled features
   * [N, 1, 1, C]), else a Transpose.
   */
  private transpose(input: Value, perm: readonly number[], output: Value): Node {
    const shape = input.shape as readonly number[];
    const nonUnit = perm.filter((dim) => shape[dim]! !== 1);
    if (nonUnit.every((dim, index) => index === 0 || dim > nonUnit[index - 1]!)) {
      const target = output.shape as readonly number[];
      const data = makeTensorData("int64", [target.length], BigInt64Array.from(target.map(BigInt)));
      const targetShape = makeConstantValue(`${output.name}_shape`, data, this.ids);
      return makeNode(
        {
          name: `${output.name}_reshape`,
          opType: "Reshape",
          opset: 14,
          inputs: [input, targetShape],
          outputs: [output],
        },
        this.ids,
      );
    }
    return makeNode(
      {
        name: `${output.name}_transpose`,
        opType: "Transpose",
        opset: 13,
        inputs: [input],
        outputs: [output],
        attributes: { perm: { kind: "ints", value: perm } },
      },
      this.ids,
    );
  }

  /** A constant operand of a converted elementwise op: right-aligned to rank 4 and permuted to NHWC. */
  private relaidConstant(value: Value): Value {
    const data = value.constant!;
    if (data.shape.length > RANK || data.shape.every((dim) => dim === 1)) return value;
    const aligned = [...new Array<number>(RANK - data.shape.length).fill(1), ...data.shape];
    return makeConstantValue(`${value.name}_nhwc`, permuteData(data, aligned, toChannelsLast(RANK)), this.ids);
  }
}

/** Which activations of `node` carry the layout when it has a channels-last form; undefined for other ops. */
function carriersOf(node: Node): LayoutCarriers | undefined {
  return node.domain === "" || node.domain === TESSERA_DOMAIN ? CHANNELS_LAST_FORMS.get(node.opType) : undefined;
}

function isRank4(value: Value): boolean {
  return isStaticShape(value.shape) && value.shape.length === RANK;
}

/** Concat's axis in NHWC order. */
function concatAxis(node: Node): number {
  const attribute = node.attributes.get("axis");
  const axis = attribute?.kind === "int" ? attribute.value : 0;
  return toChannelsLast(RANK).indexOf(axis < 0 ? axis + RANK : axis);
}

/** data viewed with shape `shape`, transposed (the result's dim d is the source's dim perm[d]) by the TE interpreter. */
function permuteData(data: TensorData, shape: readonly number[], perm: readonly number[]): TensorData {
  const source = placeholder("constant", data.dtype, shape);
  const [result] = evaluateTe([permutedView(source, perm, "relaid")], new Map([[source, { ...data, shape }]]));
  return result!;
}
