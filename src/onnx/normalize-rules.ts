/**
 * The rewrite rules of normalizeOpsets, one record per old attribute form.
 * Each rule returns its input node when the node does not use the old form.
 */
import { Attributes, locationOf } from "../graph/attributes.js";
import type { AttributeValue, Node, Value } from "../graph/ir.js";
import { type DType, allocateTypedArray, isBigIntType, isFloat } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";
import { type TensorData, makeTensorData, toNumberArray } from "../support/tensor-data.js";
import { floatVector, intVector } from "./import-attributes.js";
import type { NormalizeContext } from "./normalize-opsets.js";

export interface NormalizationRule {
  /** The op types the rule rewrites, or "any". */
  readonly opTypes: readonly string[] | "any";
  /** Applies to nodes whose opset is below this version. */
  readonly before: number;
  readonly rewrite: (node: Node, context: NormalizeContext) => Node;
}

const REDUCTIONS_BEFORE_18 = [
  "ReduceMean",
  "ReduceMax",
  "ReduceMin",
  "ReduceProd",
  "ReduceL1",
  "ReduceL2",
  "ReduceLogSum",
  "ReduceLogSumExp",
  "ReduceSumSquare",
];

export const NORMALIZATION_RULES: readonly NormalizationRule[] = [
  // A memory-reuse hint of opset 1-6 ops, with no effect on results.
  { opTypes: "any", before: 7, rewrite: (node, context) => dropAttributes(node, context, ["consumed_inputs"]) },
  { opTypes: ["Clip"], before: 11, rewrite: clipBoundsToInputs },
  { opTypes: ["Squeeze", "Unsqueeze"], before: 13, rewrite: intsToInput("axes", 1) },
  { opTypes: ["ReduceSum"], before: 13, rewrite: intsToInput("axes", 1) },
  { opTypes: REDUCTIONS_BEFORE_18, before: 18, rewrite: intsToInput("axes", 1) },
  { opTypes: ["Split"], before: 13, rewrite: intsToInput("split", 1) },
  { opTypes: ["Pad"], before: 11, rewrite: padAttributesToInputs },
  { opTypes: ["Slice"], before: 10, rewrite: sliceAttributesToInputs },
  { opTypes: ["Reshape"], before: 5, rewrite: intsToInput("shape", 1) },
  { opTypes: ["TopK"], before: 10, rewrite: topKToInput },
  { opTypes: ["Dropout"], before: 12, rewrite: dropoutRatioToInput },
  { opTypes: ["BatchNormalization"], before: 9, rewrite: batchNormDropLegacy },
  { opTypes: ["Cast"], before: 6, rewrite: castNameToCode },
  { opTypes: ["Upsample"], before: Infinity, rewrite: upsampleToResize },
  { opTypes: ["Resize"], before: 11, rewrite: resize10ToResize11 },
];

// ---- helpers ----

function withoutAttributes(node: Node, names: readonly string[]): Map<string, AttributeValue> {
  const kept = new Map(node.attributes);
  for (const name of names) kept.delete(name);
  return kept;
}

function dropAttributes(node: Node, context: NormalizeContext, names: readonly string[]): Node {
  if (!names.some((name) => node.attributes.has(name))) return node;
  return context.rebuild(node, { attributes: withoutAttributes(node, names) });
}

/** `inputs` padded with nulls so that index `index` exists. */
function inputsWithSlot(node: Node, index: number): (Value | null)[] {
  const inputs = [...node.inputs];
  while (inputs.length <= index) inputs.push(null);
  return inputs;
}

/** A rule moving an ints attribute to an int64 1-D constant input (an input already given wins). */
function intsToInput(name: string, index: number): NormalizationRule["rewrite"] {
  return (node, context) => {
    if (!node.attributes.has(name)) return node;
    const inputs = inputsWithSlot(node, index);
    if (inputs[index] === null)
      inputs[index] = context.constant(node, name, intVector(new Attributes(node).ints(name)));
    return context.rebuild(node, { inputs, attributes: withoutAttributes(node, [name]) });
  };
}

/** A 0-d tensor of `dtype` holding `value` (truncated for integer types). */
function scalarOf(dtype: DType, value: number): TensorData {
  const data = allocateTypedArray(dtype, 1);
  if (isBigIntType(dtype)) data[0] = BigInt(Math.trunc(value));
  else data[0] = isFloat(dtype) ? value : Math.trunc(value);
  return makeTensorData(dtype, [], data);
}

/** The dtype of the node's first input, for scalars that must match it. */
function firstInputDType(node: Node): DType {
  return node.inputs[0]?.dtype ?? "float32";
}

// ---- rules ----

function clipBoundsToInputs(node: Node, context: NormalizeContext): Node {
  const attributes = new Attributes(node);
  if (!attributes.has("min") && !attributes.has("max")) return node;
  const bound = (name: string): Value | null =>
    attributes.has(name) ? context.constant(node, name, scalarOf(firstInputDType(node), attributes.float(name))) : null;
  return context.rebuild(node, {
    inputs: [node.inputs[0] ?? null, bound("min"), bound("max")],
    attributes: withoutAttributes(node, ["min", "max"]),
  });
}

/** Pad-1 calls the pads `paddings`; both versions keep `mode` as an attribute. */
function padAttributesToInputs(node: Node, context: NormalizeContext): Node {
  const attributes = new Attributes(node);
  const padsName = attributes.has("pads") ? "pads" : "paddings";
  if (!attributes.has(padsName) && !attributes.has("value")) return node;
  const pads = context.constant(node, "pads", intVector(attributes.ints(padsName)));
  const value = attributes.has("value")
    ? context.constant(node, "value", scalarOf(firstInputDType(node), attributes.float("value")))
    : null;
  return context.rebuild(node, {
    inputs: [node.inputs[0] ?? null, pads, value],
    attributes: withoutAttributes(node, ["pads", "paddings", "value"]),
  });
}

function sliceAttributesToInputs(node: Node, context: NormalizeContext): Node {
  const attributes = new Attributes(node);
  if (!attributes.has("starts") && !attributes.has("ends")) return node;
  const vector = (name: string): Value => context.constant(node, name, intVector(attributes.ints(name)));
  return context.rebuild(node, {
    inputs: [node.inputs[0] ?? null, vector("starts"), vector("ends"), attributes.has("axes") ? vector("axes") : null],
    attributes: withoutAttributes(node, ["starts", "ends", "axes"]),
  });
}

function topKToInput(node: Node, context: NormalizeContext): Node {
  if (!node.attributes.has("k")) return node;
  const k = context.constant(node, "k", intVector([new Attributes(node).int("k")]));
  return context.rebuild(node, { inputs: [node.inputs[0] ?? null, k], attributes: withoutAttributes(node, ["k"]) });
}

/** Dropout is the identity at inference, so `is_test` (opset < 7) is dropped whatever its value. */
function dropoutRatioToInput(node: Node, context: NormalizeContext): Node {
  const attributes = new Attributes(node);
  if (!attributes.has("ratio")) return dropAttributes(node, context, ["is_test"]);
  const dtype = isFloat(firstInputDType(node)) ? firstInputDType(node) : "float32";
  const ratio = context.constant(node, "ratio", scalarOf(dtype, attributes.float("ratio")));
  return context.rebuild(node, {
    inputs: [node.inputs[0] ?? null, ratio],
    attributes: withoutAttributes(node, ["ratio", "is_test"]),
  });
}

/**
 * BatchNormalization < 9 attributes that do not change inference results:
 * `spatial` = 1 and `is_test` (training mode only matters when the node
 * returns the running statistics). The harmful cases are rejected.
 */
function batchNormDropLegacy(node: Node, context: NormalizeContext): Node {
  const attributes = new Attributes(node);
  if (attributes.int("spatial", 1) !== 1) {
    throw new TesseraError(
      "E_UNSUPPORTED_ATTRIBUTE",
      "BatchNormalization with spatial=0 is not supported",
      locationOf(node),
    );
  }
  if (attributes.has("is_test") && attributes.int("is_test") === 0 && node.outputs.length > 1) {
    throw new TesseraError(
      "E_UNSUPPORTED_ATTRIBUTE",
      "BatchNormalization in training mode (is_test=0 with statistics outputs) is not supported",
      locationOf(node),
    );
  }
  return dropAttributes(node, context, ["spatial", "is_test"]);
}

const CAST_TYPE_CODES: Readonly<Record<string, number>> = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
};

/** Cast-1 names the target type with a string; Cast-6 uses the TensorProto.DataType code. */
function castNameToCode(node: Node, context: NormalizeContext): Node {
  const to = node.attributes.get("to");
  if (to === undefined || to.kind !== "string") return node;
  const code = CAST_TYPE_CODES[to.value.toUpperCase()];
  if (code === undefined) {
    throw new TesseraError("E_INVALID_MODEL", `Cast to unknown type '${to.value}'`, locationOf(node));
  }
  const attributes = new Map(node.attributes);
  attributes.set("to", { kind: "int", value: code });
  return context.rebuild(node, { attributes });
}

/**
 * Upsample (any opset) → Resize in the opset 11+ layout (X, roi, scales).
 * Upsample samples asymmetrically: out = in / scale, floored.
 */
function upsampleToResize(node: Node, context: NormalizeContext): Node {
  const attributes = new Attributes(node);
  let scales = node.inputs[1] ?? null;
  if (attributes.has("scales")) {
    scales = context.constant(node, "scales", floatVector(attributes.floats("scales")));
  } else if (attributes.has("height_scale") || attributes.has("width_scale")) {
    const heightWidth = [attributes.float("height_scale", 1), attributes.float("width_scale", 1)];
    scales = context.constant(node, "scales", floatVector([1, 1, ...heightWidth]));
  }
  if (scales === null) throw new TesseraError("E_INVALID_MODEL", "Upsample has no scales", locationOf(node));
  const mode = attributes.string("mode", "nearest");
  return context.rebuild(node, {
    opType: "Resize",
    inputs: [node.inputs[0] ?? null, null, scales],
    attributes: legacyResizeAttributes(mode === "bilinear" ? "linear" : mode, scales),
  });
}

/** Resize-10 takes (X, scales); 11+ takes (X, roi, scales, sizes). */
function resize10ToResize11(node: Node, context: NormalizeContext): Node {
  const scales = node.inputs[1] ?? null;
  if (scales === null) throw new TesseraError("E_INVALID_MODEL", "Resize-10 has no scales", locationOf(node));
  const mode = new Attributes(node).string("mode", "nearest");
  return context.rebuild(node, {
    inputs: [node.inputs[0] ?? null, null, scales],
    attributes: legacyResizeAttributes(mode, scales),
  });
}

/**
 * Upsample and Resize-10 map output to input coordinates asymmetrically and
 * pick the nearest pixel by truncation when upsampling, by ceiling when
 * downsampling (onnxruntime's "simple" mode, which the ONNX tests expect).
 * With constant scales that is floor or ceil; mixed or unknown scales get
 * floor, exact for every axis that is not downsampled.
 */
function legacyResizeAttributes(mode: string, scales: Value): Map<string, AttributeValue> {
  const attributes = new Map<string, AttributeValue>([
    ["mode", { kind: "string", value: mode }],
    ["coordinate_transformation_mode", { kind: "string", value: "asymmetric" }],
  ]);
  if (mode === "nearest") {
    const values = scales.constant === undefined ? [] : toNumberArray(scales.constant);
    const downsampling = values.length > 0 && values.every((scale) => scale <= 1);
    attributes.set("nearest_mode", { kind: "string", value: downsampling ? "ceil" : "floor" });
  }
  return attributes;
}
